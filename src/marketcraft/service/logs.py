"""Request ids and the server's log lines.

Every request gets an id: the caller's ``X-Request-ID`` if it is well formed (1-128 letters,
digits and ``._:-``; a proxy's id passes through), else a fresh one. The response carries it in
``X-Request-ID`` (``asgi-correlation-id``), and every log line written while the request is
served (the app's, and uvicorn's access line) carries it as ``request_id``.

``configure_logging`` routes uvicorn's loggers and the app's through one handler (structlog's
``ProcessorFormatter``): one JSON object per line (``MARKETCRAFT_LOG_FORMAT=json``) or one
readable line (``text``, the default). It changes the process's logging, so only
``marketcraft serve`` (through :func:`marketcraft.service.app.app_from_env`) calls it."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog
from asgi_correlation_id import CorrelationIdMiddleware, correlation_id
from fastapi import FastAPI

from marketcraft.config import Settings

__all__ = [
    "REQUEST_ID_HEADER",
    "configure_logging",
    "current_request_id",
    "install_request_ids",
    "well_formed_id",
]

REQUEST_ID_HEADER = "X-Request-ID"
_WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{1,128}")
#: uvicorn's own loggers: they stop writing themselves and hand their records to the root's
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")

EventDict = MutableMapping[str, Any]


def well_formed_id(value: str) -> bool:
    """An id a log line can carry as it is: no spaces, quotes or line breaks, not too long."""
    return _WELL_FORMED.fullmatch(value) is not None


def current_request_id() -> str | None:
    """The id of the request being served; None outside one."""
    return correlation_id.get()


def install_request_ids(app: FastAPI) -> None:
    """Give every request an id (see the module); add this middleware last, to run first."""
    app.add_middleware(
        CorrelationIdMiddleware, header_name=REQUEST_ID_HEADER, validator=well_formed_id
    )


def _request_id(_logger: object, _method: str, event: EventDict) -> EventDict:
    found = current_request_id()
    if found is not None:
        event["request_id"] = found
    return event


def _access_fields(_logger: object, _method: str, event: EventDict) -> EventDict:
    """uvicorn's access line as fields too: client, method, path, status."""
    args = event.pop("positional_args", None)
    if event.get("logger") == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
        client, method, path, _version, status = args
        event.update(client=client, method=method, path=path, status=status)
    return event


def configure_logging(settings: Settings) -> None:
    """Every log line of this process through one handler on stderr, in
    ``settings.log_format``, at ``settings.log_level``."""
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _request_id,
    ]
    json_lines = settings.log_format == "json"
    if json_lines:
        rendering: list[structlog.typing.Processor] = [
            _access_fields,
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ]
    else:
        rendering = [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.dev.ConsoleRenderer(colors=False),
        ]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared, processors=rendering, pass_foreign_args=json_lines
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(settings.log_level.upper())
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
