"""Health, identity and the landing page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel

from marketcraft.__about__ import __version__
from marketcraft.service.auth import ANY_ROLE
from marketcraft.service.exact_json import ExactNumbersRoute
from marketcraft.store.principals import Principal

router = APIRouter(route_class=ExactNumbersRoute)


class Health(BaseModel):
    status: str
    version: str


class Me(BaseModel):
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
def health(request: Request) -> JSONResponse | Health:
    if not database_answers(request):
        return JSONResponse({"status": "unavailable", "version": __version__}, status_code=503)
    return Health(status="ok", version=__version__)


@router.get("/me", response_model=Me, tags=["system"], summary="Who the token belongs to")
def me(principal: Annotated[Principal, Depends(ANY_ROLE)]) -> Me:
    return Me(name=principal.name, role=principal.role)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index(request: Request) -> HTMLResponse:
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, "index.html", {"version": __version__}
    )
    return response
