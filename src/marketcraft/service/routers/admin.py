"""User administration (admin only). Tokens are returned once, at creation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, ConfigDict, Field

from marketcraft.roles import Role
from marketcraft.service.auth import RoleGuard
from marketcraft.service.exact_json import ExactNumbersRoute
from marketcraft.service.opportunity_models import Limit, Offset, Page, page_of
from marketcraft.store.tokens import USER_NAME, issue_token

router = APIRouter(
    prefix="/admin",
    tags=["admin"],
    dependencies=[Depends(RoleGuard(Role.ADMIN))],
    route_class=ExactNumbersRoute,
)


class UserIn(BaseModel):
    """A user to create: its name and role."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "tia", "role": "trader"}]})

    name: str = Field(min_length=1, max_length=100, pattern=f"^{USER_NAME.pattern}$")
    role: Role


class UserOut(BaseModel):
    """A user: its name, role, when it was created and whether its token still works."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "tia",
                    "role": "trader",
                    "created_at": "2026-01-01T00:00:00Z",
                    "active": True,
                }
            ]
        }
    )

    name: str
    role: str
    created_at: datetime
    active: bool


class UserCreated(UserOut):
    """A user just created, with its token (shown this once)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "tia",
                    "role": "trader",
                    "created_at": "2026-01-01T00:00:00Z",
                    "active": True,
                    "token": "mc_0123456789abcdef0123456789abcdef0123456789a",
                }
            ]
        }
    )

    token: str = Field(description="Shown once; only its hash is stored.")


@router.get("/users", response_model=Page[UserOut], summary="List users")
def list_users(request: Request, offset: Offset = 0, limit: Limit = 50) -> dict[str, Any]:
    """Every user, a page at a time (never a token). Admins only."""
    users = [
        UserOut(name=p.name, role=p.role, created_at=p.created_at, active=p.active)
        for p in request.app.state.database.principals.list()
    ]
    return page_of(users, offset, limit)


@router.post(
    "/users",
    response_model=UserCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create a user and return its token (once)",
)
def create_user(body: UserIn, request: Request) -> UserCreated:
    """Create a user with a role and a new token, shown once in the answer (only its hash is
    kept). Admins only."""
    state = request.app.state
    principal, token = issue_token(
        state.database.principals, body.name, body.role, state.clock.now()
    )
    return UserCreated(
        name=principal.name,
        role=principal.role,
        created_at=principal.created_at,
        active=principal.active,
        token=token,
    )


@router.post(
    "/users/{name}/revoke",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a user's token",
)
def revoke_user(name: Annotated[str, Field(max_length=100)], request: Request) -> None:
    """Revoke a user's token at once (its page sessions end too). Admins only."""
    request.app.state.database.principals.revoke(name)
    request.app.state.principal_cache.forget()
