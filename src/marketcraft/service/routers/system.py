"""Health, identity and the landing page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict

from marketcraft.__about__ import __version__
from marketcraft.service.auth import ANY_ROLE
from marketcraft.service.exact_json import ExactNumbersRoute
from marketcraft.service.sessions import signed_in
from marketcraft.store.principals import Principal

router = APIRouter(route_class=ExactNumbersRoute)


class Health(BaseModel):
    """Whether the service and its database answer, and the service's version."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "ok", "version": "0.2.0"}]}
    )

    status: str
    version: str


class Me(BaseModel):
    """Who a token belongs to."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "tia", "role": "trader"}]})

    name: str
    role: str


def database_answers(request: Request) -> bool:
    """Whether the app's database answers a trivial query (for /health and /ready)."""
    try:
        request.app.state.database.events.last_position()
    except Exception:
        return False
    return True


@router.get(
    "/health",
    response_model=Health,
    tags=["system"],
    summary="Liveness and database check",
    responses={503: {"model": Health, "description": "The database does not answer"}},
)
def get_health(request: Request) -> JSONResponse | Health:
    """Liveness: 200 while the process and its database answer, 503 when the database does
    not. Public."""
    if not database_answers(request):
        return JSONResponse({"status": "unavailable", "version": __version__}, status_code=503)
    return Health(status="ok", version=__version__)


@router.get("/me", response_model=Me, tags=["system"], summary="Who the token belongs to")
def get_me(principal: Annotated[Principal, Depends(ANY_ROLE)]) -> Me:
    """The name and role of the token's user. Any role."""
    return Me(name=principal.name, role=principal.role)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index(request: Request) -> HTMLResponse:
    """The front page: the signed-in user's way to its own page, or the way in."""
    who = signed_in(request) if "session" in request.scope else None
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, "index.html", {"version": __version__, "who": who}
    )
    return response
