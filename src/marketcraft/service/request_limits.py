"""Limits every request body must meet before any parser, authentication or route sees it.

A body is refused, whatever the route and whoever sends it, when:

- it is larger than ``max_body_bytes`` (413, judged from ``Content-Length`` before a byte is
  read, and by counting for a body sent in chunks), or than its own limit on an upload route
  (a POST to a path matching one of ``uploads``' patterns: a dealer's circuit key);
- it claims to be JSON or a URL-encoded form and is not UTF-8, or is JSON whose strings escape
  half of a UTF-16 surrogate pair, which no encoder downstream can carry (400);
- it is JSON nested deeper than ``max_json_depth`` arrays and objects (400): a parser, Python's
  or another library's, never recurses deeper than that on our behalf;
- it claims to be ``multipart/form-data`` without a boundary (400).

The body is read once here and handed on unchanged. Refusals use the API's error shape (RFC 9457
problem details, :mod:`marketcraft.service.errors`) and reveal nothing about the route.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from marketcraft.service.errors import PROBLEM_JSON, problem_body

__all__ = ["RequestLimits", "json_escapes_lone_surrogate", "json_nesting_exceeds"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_ESCAPED = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_ESCAPED_BACKSLASH = re.compile(rb"\\\\")
_LONE_SURROGATE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


#: bytes no JSON text holds raw (RFC 8259: control characters only escaped, in strings); a body
#: with them is not JSON in UTF-8 (Python's parser would read it as UTF-16 or UTF-32)
_RAW_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def json_escapes_lone_surrogate(body: bytes) -> bool:
    """True when a JSON text escapes half of a UTF-16 surrogate pair on its own (``"\\ud800"``):
    it parses to a string that no UTF-8 encoder, database or response can carry."""
    if b"\\u" not in body:
        return False
    return _LONE_SURROGATE.search(_ESCAPED_BACKSLASH.sub(b"", body)) is not None


def json_nesting_exceeds(body: bytes, limit: int) -> bool:
    """True when ``body``, read as JSON, opens more than ``limit`` arrays and objects inside one
    another. Brackets inside strings do not count. The body need not be valid JSON: this only
    bounds how deep a parser would have to go."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", _ESCAPED.sub(b"", body)).translate(None, _NOT_BRACKETS)
    depth = 0
    for byte in brackets:
        if byte in b"[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _media_type(headers: dict[bytes, bytes]) -> tuple[str, str]:
    """The content type without parameters, lower case, and its parameters as sent."""
    value = headers.get(b"content-type", b"").decode("latin-1")
    media, _, params = value.partition(";")
    return media.strip().lower(), params


def _is_json(media: str) -> bool:
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class RequestLimits:
    """ASGI middleware enforcing the limits above; put it outside every other middleware."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_json_depth: int,
        uploads: dict[str, int] | None = None,
    ) -> None:
        self.app, self.max_body_bytes, self.max_json_depth = app, max_body_bytes, max_json_depth
        self.uploads = [(re.compile(p), limit) for p, limit in (uploads or {}).items()]

    def _limit(self, scope: Scope) -> int:
        if scope.get("method") == "POST":
            path = scope.get("path", "")
            for pattern, limit in self.uploads:
                if pattern.fullmatch(path):
                    return limit
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        limit = self._limit(scope)
        if declared is not None:
            if not declared.isdigit() or len(declared) > 18:
                await _refuse(send, 400, "bad_length", "Content-Length is not a whole number")
                return
            if int(declared) > limit:
                await self._too_large(send, limit)
                return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._too_large(send, limit)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        problem = self._problem(headers, body)
        if problem is not None:
            await _refuse(send, 400, *problem)
            return
        await self.app(scope, _replay(body, receive), send)

    def _problem(self, headers: dict[bytes, bytes], body: bytes) -> tuple[str, str] | None:
        if not body:
            return None
        media, params = _media_type(headers)
        if _is_json(media) or media == "application/x-www-form-urlencoded":
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                return "bad_encoding", "the body is not UTF-8"
        if _is_json(media) and _RAW_CONTROL.search(body):
            return "bad_encoding", "JSON holds a raw control character (or is not UTF-8)"
        if _is_json(media) and json_nesting_exceeds(body, self.max_json_depth):
            return "too_deep", f"JSON nested deeper than {self.max_json_depth} levels"
        if _is_json(media) and json_escapes_lone_surrogate(body):
            return "bad_encoding", "a JSON string escapes half of a surrogate pair (\\ud800)"
        if media == "multipart/form-data" and "boundary=" not in params.replace(" ", ""):
            return "bad_multipart", "multipart/form-data without a boundary"
        return None

    async def _too_large(self, send: Send, limit: int) -> None:
        await _refuse(send, 413, "body_too_large", f"the body is over {limit} bytes")


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands over the body read already, then whatever comes next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(send: Send, status: int, code: str, reason: str) -> None:
    payload = orjson.dumps(problem_body(status, code, reason))
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(payload)).encode()),
            (b"connection", b"close"),
        ],
    })  # fmt: skip
    await send({"type": "http.response.body", "body": payload})
