"""The API's description: its OpenAPI document, and the docs pages that render it offline.

The document is FastAPI's, then finished here in one place:

* every refusal is documented as RFC 9457 problem details (``application/problem+json``, the
  :class:`~marketcraft.service.errors.Problem` schema), 401 and 403 only where a token is asked
  for;
* every path and query parameter carries an example (:data:`PARAMETER_EXAMPLES`);
* the tags have descriptions (:data:`TAGS`).

Swagger UI (``/docs``) and ReDoc (``/redoc``) load their scripts and styles from this server
(``/docs/assets/...``), from the files the ``fastapi-offline`` package ships: the docs work with
no network beyond the server, and no page of ours names a CDN.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, HTMLResponse

from marketcraft.kernel.errors import NotFound
from marketcraft.service.errors import PROBLEM_JSON, FieldError, Problem

__all__ = ["DOCS_ASSETS", "TAGS", "docs_router", "install_openapi"]

#: one entry per tag, in the order the docs show them
TAGS: list[dict[str, str]] = [
    {
        "name": "opportunity markets",
        "description": "A sponsor's program of prediction markets: the sponsor opens a program "
        "with collateral and lists markets; scouts deposit cash and place blind orders whose "
        "fills stay sealed until each market's reveal; the sponsor resolves and settles.",
    },
    {
        "name": "opportunity transparency log",
        "description": "Each program's command log as a transparency log: signed checkpoints "
        "and consistency proofs for anyone, receipts and inclusion proofs for their scout.",
    },
    {
        "name": "pegged token",
        "description": "Public pegged-token markets: anyone reads them, traders buy and sell "
        "PEG and MMS for COL, the operator (admin) opens markets, credits deposits, reports "
        "the outside price and ticks.",
    },
    {
        "name": "sealed repo trades",
        "description": "Sealed-bid repo sessions: the operator opens and settles a session, "
        "each dealer commits and then submits its sealed opening, auditors read the proof.",
    },
    {
        "name": "deal desk",
        "description": "Market-maker deal analyses for analysts: queue a deal's terms, follow "
        "the job, download its report and results.",
    },
    {"name": "admin", "description": "Users and their tokens (admin only)."},
    {"name": "system", "description": "Liveness, readiness and who a token belongs to."},
]

#: an example for every path and query parameter, by name
PARAMETER_EXAMPLES: dict[str, Any] = {
    "program_id": "p-3f9a1c2b7d4e5f60",
    "market_id": "m-5b2c9e1f0a3d",
    "order_id": "o-9c1e6f0b2a7d4e3f8a5b6c7d",
    "job_id": "0123456789abcdef",
    "name": "usd",
    "offset": 0,
    "limit": 50,
    "first": 10,
    "second": 20,
    "Idempotency-Key": "3f2b8c1e-retry-safe-key",
}

#: the docs pages' static files (from fastapi-offline), by the name they are served under
DOCS_ASSETS: dict[str, str] = {
    "swagger-ui-bundle.js": "application/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "application/javascript",
    "favicon.png": "image/png",
}
_ASSETS_URL = "/docs/assets"


def _assets_dir() -> Path:
    return Path(str(resources.files("fastapi_offline") / "static"))


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _finish_operation(operation: dict[str, Any]) -> None:
    """Refusals as problems (401/403 only behind a token); an example on every parameter."""
    secured = bool(operation.get("security"))
    responses: dict[str, Any] = operation.get("responses", {})
    for status in list(responses):
        if not status.isdigit() or int(status) < 400:
            continue
        if status in ("401", "403") and not secured:
            del responses[status]
            continue
        responses[status] = _problem(responses[status].get("description", "Refused"))
    for parameter in operation.get("parameters", []):
        name = parameter["name"]
        schema = parameter.get("schema", {})
        if "example" not in parameter and "examples" not in schema and name in PARAMETER_EXAMPLES:
            parameter["example"] = PARAMETER_EXAMPLES[name]


def _schema_of(model: type[Problem] | type[FieldError]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return schema


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The finished document (see the module)."""
    spec = get_openapi(
        title=app.title, version=app.version, summary=app.summary,
        description=app.description, routes=app.routes, tags=TAGS,
    )  # fmt: skip
    for item in spec.get("paths", {}).values():
        for operation in item.values():
            _finish_operation(operation)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas["Problem"] = _schema_of(Problem)
    schemas["FieldError"] = _schema_of(FieldError)
    return spec


def install_openapi(app: FastAPI) -> None:
    """Serve the finished document at ``/openapi.json`` (built once, on first ask)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented hook


docs_router = APIRouter(include_in_schema=False)


@docs_router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=f"{root}/openapi.json",
        title="marketcraft API - Swagger UI",
        oauth2_redirect_url=f"{root}/docs/oauth2-redirect",
        swagger_js_url=f"{root}{_ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{_ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{root}{_ASSETS_URL}/favicon.png",
        # no badge fetched from the online validator
        swagger_ui_parameters={"validatorUrl": None},
    )


@docs_router.get("/docs/oauth2-redirect", response_class=HTMLResponse)
def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@docs_router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return get_redoc_html(
        openapi_url=f"{root}/openapi.json",
        title="marketcraft API - ReDoc",
        redoc_js_url=f"{root}{_ASSETS_URL}/redoc.standalone.js",
        redoc_favicon_url=f"{root}{_ASSETS_URL}/favicon.png",
        with_google_fonts=False,
    )


@docs_router.get(_ASSETS_URL + "/{name}", response_class=FileResponse)
def docs_asset(name: str) -> FileResponse:
    """One of the docs pages' files; nothing else is served from here."""
    media_type = DOCS_ASSETS.get(name)
    if media_type is None:
        raise NotFound("no_asset", "no such file")
    return FileResponse(
        _assets_dir() / name, media_type=media_type,
        headers={"Cache-Control": "public, max-age=86400"},
    )  # fmt: skip
