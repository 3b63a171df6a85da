"""Readiness, beside ``/health`` (liveness): whether this process should get traffic now."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from marketcraft.service.exact_json import ExactNumbersRoute
from marketcraft.service.routers.system import database_answers

router = APIRouter(route_class=ExactNumbersRoute)


class Ready(BaseModel):
    """Whether this process should get traffic now."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ready"}]})

    #: "ready", "starting" (startup has not finished, or shutdown has begun) or "unavailable"
    #: (the database does not answer)
    status: str


@router.get(
    "/ready",
    response_model=Ready,
    tags=["system"],
    summary="Readiness: startup finished and the database answers",
    responses={503: {"model": Ready, "description": "Starting, stopping, or no database"}},
)
def get_ready(request: Request) -> JSONResponse | Ready:
    """Readiness: 200 once startup has finished and while the database answers; 503 while
    starting or stopping, or without a database. Public."""
    if not getattr(request.app.state, "ready", False):
        return JSONResponse({"status": "starting"}, status_code=503)
    if not database_answers(request):
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return Ready(status="ready")
