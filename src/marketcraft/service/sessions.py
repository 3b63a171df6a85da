"""Browser sessions for the pages: the bearer token in an HttpOnly, SameSite=Strict cookie.

Pages check roles exactly as the API does: no session -> redirect to the login page; a session
whose role may not see the page -> 403. SameSite=Strict keeps other sites' pages from posting
forms with the cookie.
"""

from __future__ import annotations

from fastapi import HTTPException, Request, status

from marketcraft.service.auth import TOKEN_PREFIX, hash_token
from marketcraft.service.roles import Role
from marketcraft.store.principals import Principal

__all__ = ["COOKIE", "LoginRequired", "PageGuard"]

COOKIE = "mc_session"


class LoginRequired(Exception):
    """Raised by a page guard without a valid session; answered with a redirect to /login."""


class PageGuard:
    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    def __call__(self, request: Request) -> Principal:
        token = request.cookies.get(COOKIE, "")
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            raise LoginRequired
        principal = request.app.state.principal_cache.by_token_hash(hash_token(token))
        if principal is None:
            raise LoginRequired
        if principal.role not in self.roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "forbidden")
        return principal  # type: ignore[no-any-return]
