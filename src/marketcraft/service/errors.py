"""Every refusal of the API is one shape: RFC 9457 problem details (``application/problem+json``).

``type`` is ``about:blank`` (the status says what kind of problem it is), ``title`` the status's
phrase, ``status`` the HTTP status, ``detail`` says why in words, and the extension member
``code`` is the stable machine-readable code (``insufficient_cash``, ``no_program``...); a
request that fails validation (422) also lists each refused field in ``errors``.

Typed errors become 4xx problems with their code and reason; anything unexpected becomes a bare
500 that reveals nothing (the details go to the server log). An invariant violation is corrupt
state or a bug, never "retry": a 500 whose cause is logged (the program or market it hit is
quarantined where it was found; see ``Quarantined``, 423).

The pages (``/``, ``/login``, ``/logout``, ``/ui/...``) answer a browser: their refusals are a
small HTML page with the same status and words.
"""

from __future__ import annotations

import http
import logging
import math
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute
from markupsafe import escape
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from marketcraft.kernel.errors import (
    ConcurrencyConflict,
    IdempotencyKeyReused,
    InvariantViolation,
    MarketcraftError,
    NotFound,
    Quarantined,
    QuotaExceeded,
    ValidationError,
)
from marketcraft.service.logs import REQUEST_ID_HEADER, current_request_id
from marketcraft.service.sessions import home_of, signed_in

__all__ = [
    "ERROR_RESPONSES",
    "PROBLEM_JSON",
    "FieldError",
    "Problem",
    "install_error_handlers",
    "problem_body",
    "problem_response",
    "status_for",
]

logger = logging.getLogger("marketcraft.service")

PROBLEM_JSON = "application/problem+json"

#: seconds a client refused by a quota (a full deal-job queue) is asked to wait before retrying
QUOTA_RETRY_SECONDS = 30

_STATUS: list[tuple[type[MarketcraftError], int]] = [
    (NotFound, 404),
    (ConcurrencyConflict, 409),
    (IdempotencyKeyReused, 422),
    (InvariantViolation, 500),
    (Quarantined, 423),
    (QuotaExceeded, 429),
    (ValidationError, 400),
]

#: the code of a refusal that is the framework's (no typed error): by status
_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
}

#: pages whose errors are HTML (the same rule as the pages' own defences)
_PAGE_PATHS = frozenset({"/", "/login", "/logout"})


class FieldError(BaseModel):
    """One refused part of a request: where (``loc``), why (``msg``) and the kind (``type``)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "greater_than",
                    "loc": ["body", "amount"],
                    "msg": "Input should be greater than 0",
                    "input": "-5",
                    "ctx": {"gt": "0"},
                }
            ]
        }
    )

    type: str = Field(description="The kind of failure, e.g. `missing`, `greater_than`.")
    loc: list[str | int] = Field(description="Where: `body`, `query`, `header` or `path`, then "
                                 "the field's path.")  # fmt: skip
    msg: str = Field(description="Why, in words.")
    input: Any = Field(None, description="The refused value, as sent (made JSON-safe).")
    ctx: dict[str, Any] | None = Field(None, description="The rule's parameters, if any.")


class Problem(BaseModel):
    """A refusal (RFC 9457 problem details, `application/problem+json`): `code` is stable and
    machine-readable, `detail` says why in words; `errors` lists the refused fields of a request
    that failed validation (422). It never says more about a resource than the caller may see."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "about:blank",
                    "title": "Bad Request",
                    "status": 400,
                    "detail": "only 75.00 available",
                    "code": "insufficient_cash",
                },
                {
                    "type": "about:blank",
                    "title": "Unprocessable Content",
                    "status": 422,
                    "detail": "body.amount: Input should be greater than 0",
                    "code": "invalid_request",
                    "errors": [
                        {"type": "greater_than", "loc": ["body", "amount"],
                         "msg": "Input should be greater than 0", "input": "-5"}
                    ],
                },
            ]
        }
    )  # fmt: skip

    type: str = Field("about:blank", description="The problem type: `about:blank`, so the "
                      "status and `code` say what happened.")  # fmt: skip
    title: str = Field(description="The status's phrase, e.g. `Not Found`.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="Why, in words, for the caller that caused it.")
    code: str = Field(description="The stable machine-readable code, e.g. `no_program`.")
    errors: list[FieldError] | None = Field(
        None, description="Validation failures only (422): each refused field."
    )


def _described(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description}


#: documented on every API route (a custom OpenAPI step puts them under problem+json)
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _described(
        "Refused: the request breaks a rule, or its body is nested too deep, not UTF-8 or a "
        "multipart form without a boundary (any route)"
    ),
    401: _described("No valid bearer token (`not_authenticated`)"),
    403: _described("The token's role may not do this (`forbidden`)"),
    404: _described("No such thing (among those you may see)"),
    409: _described("Conflict: retry (or an `Idempotency-Key` whose first request is running)"),
    413: _described("The body is over the size limit (any route)"),
    422: _described("The request is malformed: `errors` names each refused field; or an "
                    "`Idempotency-Key` reused for another request (`idempotency_key_reused`)"),
    423: _described("Quarantined until an operator releases it"),
    429: _described("Too many requests or jobs; see Retry-After"),
    500: _described("Internal error or inconsistent stored state"),
}  # fmt: skip


def status_for(exc: MarketcraftError) -> int:
    for kind, code in _STATUS:
        if isinstance(exc, kind):
            return code
    return 400


def _title(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_body(
    status: int, code: str, detail: str, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The problem document (a dict, ready for JSON)."""
    body: dict[str, Any] = {
        "type": "about:blank", "title": _title(status), "status": status, "detail": detail,
        "code": code,
    }  # fmt: skip
    if errors is not None:
        body["errors"] = errors
    return body


class _ProblemResponse(JSONResponse):
    media_type = PROBLEM_JSON


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """An ``application/problem+json`` response."""
    return _ProblemResponse(
        problem_body(status, code, detail, errors), status_code=status, headers=headers
    )


def _wants_html(request: Request) -> bool:
    """A browser opening an address (it asks for HTML first, not JSON): a path nothing serves
    answers it with a page, not a problem document."""
    accept = request.headers.get("accept", "")
    return accept.startswith("text/html") and "application/json" not in accept


def _is_page(path: str) -> bool:
    return path in _PAGE_PATHS or path.startswith("/ui/")


_SERVER, _SERVER_FAULT = 500, "Something went wrong on the server."
#: what a page's refusal says, by status, to a person (the detail follows it)
_EXPLAINED = {
    401: "Sign in to see this page.",
    403: "Your role cannot open this page.",
    404: "There is no such page here.",
    405: "This page cannot be used that way.",
    413: "That was more than this server takes in one request.",
    429: "Too many requests: wait a moment and try again.",
}


def _page_error(
    request: Request, status: int, detail: str, headers: dict[str, str] | None
) -> Response:
    """A refused page as an HTML page of the site, with a way back to the user's own page."""
    who = signed_in(request) if "session" in request.scope else None
    title = _title(status)
    context = {
        "status": status, "title": title, "detail": detail, "who": who,
        "home": home_of(who) if who else "/login",
        "explanation": _EXPLAINED.get(status, detail if status < _SERVER else _SERVER_FAULT),
    }  # fmt: skip
    templates = getattr(request.app.state, "templates", None)
    if templates is None:  # not a page of this app (a bare error before the app is built)
        return HTMLResponse(
            f"<h1>{status} {escape(title)}</h1><p>{escape(detail)}</p>", status, headers
        )
    response: Response = templates.TemplateResponse(
        request, "error.html", context, status_code=status, headers=headers
    )
    return response


def _error(
    request: Request,
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A refusal as the caller reads it: an HTML page for a page, a problem for the API."""
    if _is_page(request.url.path) or (status in (404, 405) and _wants_html(request)):
        return _page_error(request, status, detail, headers)
    return problem_response(status, code, detail, errors=errors, headers=headers)


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
    """The refused fields (``loc`` names the field, ``msg`` says why, ``type``), with the
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


def _summary(errors: list[dict[str, Any]]) -> str:
    if not errors:
        return "the request is invalid"
    first = errors[0]
    where = ".".join(str(p) for p in first["loc"])
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}"


def install_error_handlers(app: FastAPI, routes: Iterable[APIRoute] = ()) -> None:
    """Typed errors, request validation errors (422, always serialisable), the framework's own
    refusals, unexpected errors, and 405s whose ``Allow`` lists every method the path supports
    (Starlette lists only the first matching route's)."""
    api_routes = list(routes)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = validation_detail(exc)
        return _error(request, 422, "invalid_request", _summary(errors), errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            path = request.url.path
            methods = sorted(
                {m for r in api_routes if r.path_regex.match(path) for m in r.methods or ()}
            )
            if methods:
                headers["Allow"] = ", ".join(methods)
        status = exc.status_code
        code = _HTTP_CODES.get(status, _title(status).lower().replace(" ", "_").replace("-", "_"))
        detail = str(exc.detail) if exc.detail else _title(status)
        return _error(request, status, code, detail, headers=headers or None)

    @app.exception_handler(MarketcraftError)
    async def _typed(request: Request, exc: MarketcraftError) -> Response:
        status = status_for(exc)
        if status == 500:  # its reason may name internal state: logged, never sent
            logger.error("invariant violated on %s %s: %s", request.method, request.url.path, exc)
            return _error(request, 500, exc.code, "the server found inconsistent state and stopped")
        # a full queue frees up as jobs finish: a client is told when to look again
        headers = {"Retry-After": str(QUOTA_RETRY_SECONDS)} if status == 429 else None
        return _error(request, status, exc.code, exc.reason, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        # answered outside every middleware, the request id's too: it is named here, so the
        # caller can quote it and the operator find the line above
        request_id = current_request_id()
        headers = {REQUEST_ID_HEADER: request_id} if request_id else None
        return _error(request, 500, "internal", "internal error", headers=headers)
