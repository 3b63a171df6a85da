"""Request rate limits, counted by slowapi (a moving window per key).

Every request is counted against one key with one limit from the settings:

* POST /login: its client address, ``rate_limit_login``;
* a request carrying a valid token (a bearer token, or a signed page session naming one): its
  principal (the token's SHA-256), ``rate_limit_default``;
* any other request: its client address, ``rate_limit_anonymous`` (a made-up token counts as
  none, so inventing tokens buys no fresh allowance).

One window covers every route a key calls. Over the limit the answer is 429 ``rate_limited``
with ``Retry-After`` (whole seconds). ``/health`` and ``/ready`` are never limited. With
``rate_limit_enabled`` off nothing is installed (the HTTP benchmark runs so)."""

from __future__ import annotations

import math
import time
from contextvars import ContextVar

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from slowapi import Limiter
from slowapi.errors import RateLimitExceeded
from slowapi.middleware import SlowAPIMiddleware
from starlette.middleware.base import RequestResponseEndpoint

from marketcraft.config import Settings
from marketcraft.service.auth import PrincipalCache
from marketcraft.service.errors import problem_response
from marketcraft.service.routers import operations, system
from marketcraft.service.sessions import session_token_hash
from marketcraft.store.tokens import TOKEN_PREFIX, hash_token

__all__ = ["install_rate_limits"]

#: this request's (key, limit): slowapi asks for the limit without the request, so the
#: middleware works it out first and the limiter reads it here
_RULE: ContextVar[tuple[str, str]] = ContextVar("marketcraft_rate_rule")


def install_rate_limits(app: FastAPI, settings: Settings) -> None:
    """Count every request against its limit (see the module); nothing when disabled."""
    if not settings.rate_limit_enabled:
        return
    limiter = Limiter(
        key_func=lambda: _RULE.get()[0],
        application_limits=[lambda: _RULE.get()[1]],
        strategy="moving-window",
        storage_uri=settings.rate_limit_storage,
    )
    for probe in (system.get_health, operations.get_ready):  # a probe is never refused
        limiter.exempt(probe)  # type: ignore[no-untyped-call]
    app.state.limiter = limiter
    app.add_exception_handler(RateLimitExceeded, _rate_limited)  # type: ignore[arg-type]
    app.add_middleware(_RateLimits)


class _RateLimits(SlowAPIMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        rule = _RULE.set(await _rule(request))
        try:
            return await super().dispatch(request, call_next)
        finally:
            _RULE.reset(rule)


async def _rule(request: Request) -> tuple[str, str]:
    settings: Settings = request.app.state.settings
    address = request.client.host if request.client else "unknown"
    if request.method == "POST" and request.url.path == "/login":
        return f"login:{address}", settings.rate_limit_login
    token_hash = _token_hash(request)
    if token_hash is not None:
        cache: PrincipalCache = request.app.state.principal_cache
        known = cache.remembered(token_hash) or await run_in_threadpool(
            cache.by_token_hash, token_hash
        )
        if known is not None:
            return f"principal:{token_hash}", settings.rate_limit_default
    return f"address:{address}", settings.rate_limit_anonymous


def _token_hash(request: Request) -> str | None:
    """The SHA-256 of the request's token: its bearer token's, if it carries one of our shape,
    else its signed page session's (this middleware runs inside the session's)."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        token = credentials.strip()
        if token.startswith(TOKEN_PREFIX) and len(token) <= 200:
            return hash_token(token)
        return None
    return session_token_hash(request)


def _rate_limited(request: Request, exc: RateLimitExceeded) -> Response:
    """429 as a problem (the service's error shape). Synchronous: slowapi's middleware calls
    it directly."""
    limiter: Limiter = request.app.state.limiter
    limit, keys = request.state.view_rate_limit
    reset_at, _ = limiter.limiter.get_window_stats(limit, *keys)
    retry_after = max(1, math.ceil(reset_at - time.time()))
    return problem_response(
        429, "rate_limited", f"too many requests (at most {exc.detail})",
        headers={"Retry-After": str(retry_after)},
    )  # fmt: skip
