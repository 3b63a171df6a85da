"""Bearer-token authentication and role checks.

Tokens (:mod:`marketcraft.store.tokens`) are 256-bit random strings (``mc_...``) shown once at
creation; the database keeps only their SHA-256. Every protected route declares its roles with
:class:`RoleGuard`; a call without a valid token gets 401, a call with the wrong role gets 403,
and neither says anything about the resource asked for (the guard runs before the route looks
anything up).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from fastapi import HTTPException, Request, Security, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from marketcraft.roles import Role
from marketcraft.store.principals import Principal, PrincipalStore
from marketcraft.store.tokens import TOKEN_PREFIX, hash_token

__all__ = ["PrincipalCache", "RoleGuard"]

_bearer = HTTPBearer(auto_error=False, description="A token from `marketcraft users create`.")

UNAUTHENTICATED = HTTPException(
    status.HTTP_401_UNAUTHORIZED, "not authenticated", headers={"WWW-Authenticate": "Bearer"}
)
FORBIDDEN = HTTPException(status.HTTP_403_FORBIDDEN, "forbidden")


class PrincipalCache:
    """Token lookups remembered for ``seconds`` (0: every request asks the database).

    Only known tokens are remembered (an unknown one costs a lookup each time, so guessing
    fills no memory). A revocation through this service forgets everything at once; one made
    by another process (the CLI, a second server) takes effect within ``seconds``."""

    def __init__(
        self,
        principals: PrincipalStore,
        seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
    ) -> None:
        self.principals, self.seconds, self.clock = principals, seconds, clock
        self.max_entries = max_entries
        self._known: dict[str, tuple[Principal, float]] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def remembered(self, token_hash: str) -> Principal | None:
        """The principal if it is remembered and still fresh; None says "ask" (not "unknown")."""
        with self._lock:
            hit = self._known.get(token_hash)
        return hit[0] if hit is not None and hit[1] > self.clock() else None

    def by_token_hash(self, token_hash: str) -> Principal | None:
        if self.seconds <= 0:
            return self.principals.by_token_hash(token_hash)
        generation = self._generation  # read before asking: a later revocation bumps it
        fresh = self.remembered(token_hash)
        if fresh is not None:
            return fresh
        now = self.clock()
        principal = self.principals.by_token_hash(token_hash)
        with self._lock:
            if principal is None or generation != self._generation:
                # unknown, or a revocation happened while we asked: remember nothing
                self._known.pop(token_hash, None)
            else:
                if len(self._known) >= self.max_entries:
                    self._known.clear()
                self._known[token_hash] = (principal, now + self.seconds)
        return principal

    def forget(self) -> None:
        with self._lock:
            self._known.clear()
            self._generation += 1


class RoleGuard:
    """A dependency admitting principals whose role is one of ``roles``."""

    def __init__(self, *roles: Role) -> None:
        if not roles:
            raise ValueError("a guard needs at least one role")
        self.roles = frozenset(roles)

    def __repr__(self) -> str:
        return f"RoleGuard({', '.join(sorted(self.roles))})"

    async def __call__(
        self,
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Security(_bearer),  # noqa: B008
    ) -> Principal:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise UNAUTHENTICATED
        token = credentials.credentials
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            raise UNAUTHENTICATED
        # Async, so a request is not handed to a worker thread just to be let in: a cached
        # token costs a dict lookup; a miss asks the database in a worker thread.
        cache: PrincipalCache = request.app.state.principal_cache
        token_hash = hash_token(token)
        principal = cache.remembered(token_hash)
        if principal is None:
            principal = await run_in_threadpool(cache.by_token_hash, token_hash)
        if principal is None:
            raise UNAUTHENTICATED
        if principal.role not in self.roles:
            raise FORBIDDEN
        request.state.principal = principal  # whose Idempotency-Key a request claims
        return principal


#: admits every role: for routes any signed-in principal may call (e.g. /me)
ANY_ROLE = RoleGuard(*Role)
