"""User administration (admin only). Tokens are returned once, at creation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, Field

from marketcraft.roles import Role
from marketcraft.service.auth import RoleGuard
from marketcraft.service.exact_json import ExactNumbersRoute
from marketcraft.store.tokens import USER_NAME, issue_token

router = APIRouter(
    prefix="/admin",
    tags=["admin"],
    dependencies=[Depends(RoleGuard(Role.ADMIN))],
    route_class=ExactNumbersRoute,
)


class UserIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=f"^{USER_NAME.pattern}$")
    role: Role


class UserOut(BaseModel):
    name: str
    role: str
    created_at: datetime
    active: bool


class UserCreated(UserOut):
    token: str = Field(description="Shown once; only its hash is stored.")


@router.get("/users", response_model=list[UserOut], summary="List users")
def list_users(request: Request) -> list[UserOut]:
    return [
        UserOut(name=p.name, role=p.role, created_at=p.created_at, active=p.active)
        for p in request.app.state.database.principals.list()
    ]


@router.post(
    "/users",
    response_model=UserCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create a user and return its token (once)",
)
def create_user(body: UserIn, request: Request) -> UserCreated:
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
    request.app.state.database.principals.revoke(name)
    request.app.state.principal_cache.forget()
