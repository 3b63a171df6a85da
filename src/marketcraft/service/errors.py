"""Typed errors become 4xx responses with a code and a reason; anything unexpected becomes a bare
500 that reveals nothing (the details go to the server log)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from marketcraft.kernel.errors import (
    ConcurrencyConflict,
    InvariantViolation,
    MarketcraftError,
    NotFound,
    ValidationError,
)

logger = logging.getLogger("marketcraft.service")

_STATUS: list[tuple[type[MarketcraftError], int]] = [
    (NotFound, 404),
    (ConcurrencyConflict, 409),
    (InvariantViolation, 409),
    (ValidationError, 422),
]


def status_for(exc: MarketcraftError) -> int:
    for kind, code in _STATUS:
        if isinstance(exc, kind):
            return code
    return 400


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(MarketcraftError)
    async def _typed(_request: Request, exc: MarketcraftError) -> JSONResponse:
        return JSONResponse({"error": exc.code, "reason": exc.reason}, status_code=status_for(exc))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"error": "internal", "reason": "internal error"}, status_code=500)
