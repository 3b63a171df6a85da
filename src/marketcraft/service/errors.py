"""Typed errors become 4xx responses with a code and a reason; anything unexpected becomes a bare
500 that reveals nothing (the details go to the server log). An invariant violation is corrupt
state or a bug, never "retry": a 500 whose cause is logged (the program or market it hit is
quarantined where it was found; see ``Quarantined``, 423)."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from marketcraft.kernel.errors import (
    ConcurrencyConflict,
    InvariantViolation,
    MarketcraftError,
    NotFound,
    Quarantined,
    QuotaExceeded,
    ValidationError,
)
from marketcraft.service.logs import REQUEST_ID_HEADER, current_request_id

logger = logging.getLogger("marketcraft.service")

#: seconds a client refused by a quota (a full deal-job queue) is asked to wait before retrying
QUOTA_RETRY_SECONDS = 30

_STATUS: list[tuple[type[MarketcraftError], int]] = [
    (NotFound, 404),
    (ConcurrencyConflict, 409),
    (InvariantViolation, 500),
    (Quarantined, 423),
    (QuotaExceeded, 429),
    (ValidationError, 400),
]


class ErrorOut(BaseModel):
    """A refusal: ``error`` is a stable code, ``reason`` says why in words."""

    error: str
    reason: str


class DetailOut(BaseModel):
    """An authentication or authorisation refusal; it says nothing about the resource."""

    detail: str


#: documented on every protected route (422 is FastAPI's own request-validation error)
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {
        "model": ErrorOut,
        "description": "Refused: the request breaks a rule, or its body is nested too deep, "
        "not UTF-8 or a multipart form without a boundary (any route)",
    },
    401: {"model": DetailOut, "description": "No valid bearer token"},
    403: {"model": DetailOut, "description": "The token's role may not do this"},
    404: {"model": ErrorOut, "description": "No such thing (among those you may see)"},
    409: {"model": ErrorOut, "description": "Conflict: retry"},
    413: {"model": ErrorOut, "description": "The body is over the size limit (any route)"},
    423: {"model": ErrorOut, "description": "Quarantined until an operator releases it"},
    429: {"model": ErrorOut, "description": "Too many requests or jobs; see Retry-After"},
    500: {"model": ErrorOut, "description": "Internal error or inconsistent stored state"},
}


def status_for(exc: MarketcraftError) -> int:
    for kind, code in _STATUS:
        if isinstance(exc, kind):
            return code
    return 400


def _json_safe(value: Any) -> Any:
    """``value`` with everything JSON cannot carry as is (NaN and infinite floats, Decimals,
    integers too long to print, exceptions, bytes...) replaced by text, and text UTF-8 cannot
    carry (a lone surrogate) escaped."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        try:
            str(value)
        except ValueError:  # more digits than Python prints (sys.get_int_max_str_digits())
            return "an integer too long to show"
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {_json_safe(str(k)): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return _json_safe(str(value))


def validation_detail(exc: RequestValidationError) -> list[dict[str, Any]]:
    """FastAPI's 422 body items (``loc`` names the field, ``msg`` says why, ``type``), with the
    refused ``input`` and the ``ctx`` made JSON-safe: FastAPI's own handler cannot send a NaN,
    an infinity or a Decimal there, and answers 500 instead."""
    detail = []
    for error in exc.errors():
        item: dict[str, Any] = {
            "type": str(error["type"]),
            "loc": [p if isinstance(p, int) else str(p) for p in error["loc"]],
            "msg": str(error["msg"]),
        }
        if "input" in error:
            item["input"] = _json_safe(error["input"])
        if isinstance(error.get("ctx"), dict):
            item["ctx"] = _json_safe(error["ctx"])
        detail.append(item)
    return detail


def install_error_handlers(app: FastAPI, routes: Iterable[APIRoute] = ()) -> None:
    """Typed errors, request validation errors (422, always serialisable), unexpected errors,
    and 405s whose ``Allow`` lists every method the path supports (Starlette lists only the
    first matching route's)."""
    api_routes = list(routes)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_detail(exc)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400:  # e.g. a body that is not JSON: the documented error shape
            return JSONResponse(
                {"error": "bad_request", "reason": str(exc.detail)}, status_code=400
            )
        if exc.status_code == 405:
            path = request.url.path
            methods = sorted(
                {m for r in api_routes if r.path_regex.match(path) for m in r.methods or ()}
            )
            if methods:
                exc = StarletteHTTPException(405, exc.detail, headers={"Allow": ", ".join(methods)})
        return await http_exception_handler(request, exc)

    @app.exception_handler(MarketcraftError)
    async def _typed(request: Request, exc: MarketcraftError) -> JSONResponse:
        status = status_for(exc)
        if status == 500:  # its reason may name internal state: logged, never sent
            logger.error("invariant violated on %s %s: %s", request.method, request.url.path, exc)
            return JSONResponse(
                {"error": exc.code, "reason": "the server found inconsistent state and stopped"},
                status_code=500,
            )
        # a full queue frees up as jobs finish: a client is told when to look again
        headers = {"Retry-After": str(QUOTA_RETRY_SECONDS)} if status == 429 else None
        body = {"error": exc.code, "reason": exc.reason}
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        # answered outside every middleware, the request id's too: it is named here, so the
        # caller can quote it and the operator find the line above
        request_id = current_request_id()
        headers = {REQUEST_ID_HEADER: request_id} if request_id else None
        body = {"error": "internal", "reason": "internal error"}
        return JSONResponse(body, status_code=500, headers=headers)
