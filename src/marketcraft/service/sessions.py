"""Browser sessions for the pages: a signed, expiring cookie that names the principal, never
holds its token.

The cookie (``mc_session``) is Starlette's ``SessionMiddleware`` (installed with the CSRF and
origin checks by :mod:`marketcraft.service.page_security`): JSON signed with itsdangerous,
HttpOnly, SameSite=Strict, Secure over https. It holds

* the principal's name and the SHA-256 of its token (what the database keeps: not the token,
  and useless as a bearer token); every page request looks the hash up (through the token
  cache), so **revoking the token ends every session made with it**, at once through this
  server's API, within ``token_cache_seconds`` when revoked elsewhere;
* the sign-in time: a session older than ``Settings.session_seconds`` is refused whatever the
  cookie's own age says (the cookie is re-signed on every response, so only this bounds it);
* a flash message: the outcome of a form, written by the server and shown once on the next
  page, so no URL can put text on a page.

Signing out clears the browser's cookie; a copy of the cookie taken before stays valid until it
expires (nothing is kept on the server), so a token suspected stolen is revoked, not signed out.

Pages check roles exactly as the API does: no valid session -> the sign-in page; a session
whose role may not see the page -> 403.
"""

from __future__ import annotations

from fastapi import HTTPException, Request, status

from marketcraft.roles import Role
from marketcraft.service.kept_forms import SESSION_KEY as KEPT_FORM
from marketcraft.store.principals import Principal
from marketcraft.store.tokens import hash_token

__all__ = [
    "COOKIE",
    "HOMES",
    "LoginRequired",
    "PageGuard",
    "flash",
    "home_of",
    "session_token_hash",
    "sign_in",
    "sign_out",
    "signed_in",
    "take_flash",
]

COOKIE = "mc_session"
_NAME, _TOKEN_HASH, _AT, _FLASH = "name", "token_hash", "at", "flash"


#: where each role's pages start: signing in lands there, and every error page links back to it
HOMES: dict[str, str] = {
    Role.SPONSOR: "/ui/sponsor",
    Role.SCOUT: "/ui/scout",
    Role.ANALYST: "/ui/analyst",
    Role.AUDITOR: "/ui/audit",
    Role.TRADER: "/ui/trade",
    Role.DEALER: "/ui/dealer",
    Role.ADMIN: "/ui/admin",
}


def home_of(principal: Principal) -> str:
    """The page a principal's role starts on."""
    return HOMES.get(principal.role, "/")


class LoginRequired(Exception):
    """Raised by a page guard without a valid session; answered with a redirect to /login."""


def sign_in(request: Request, principal: Principal, token: str) -> None:
    """Start a new session for ``principal`` (whatever the old one held is dropped)."""
    request.session.clear()
    request.session.update(
        {_NAME: principal.name, _TOKEN_HASH: hash_token(token), _AT: _now(request)}
    )


def sign_out(request: Request) -> None:
    request.session.clear()


def signed_in(request: Request) -> Principal | None:
    """The session's principal, if the session is signed in, not expired and its token not
    revoked; otherwise None (and the session is cleared, so its cookie goes)."""
    session = request.session
    name, token_hash, at = session.get(_NAME), session.get(_TOKEN_HASH), session.get(_AT)
    if not (isinstance(token_hash, str) and isinstance(at, int | float)):
        if session.keys() - {_FLASH, KEPT_FORM}:
            session.clear()
        return None
    max_age: int = request.app.state.settings.session_seconds
    principal = None
    if 0 <= _now(request) - at <= max_age:
        principal = request.app.state.principal_cache.by_token_hash(token_hash)
    if principal is None or principal.name != name:
        session.clear()
        return None
    return principal  # type: ignore[no-any-return]


def session_token_hash(request: Request) -> str | None:
    """The SHA-256 of the token the request's page session was signed in with, if any; whether
    that session is still valid is :func:`signed_in`'s question."""
    if "session" not in request.scope:
        return None
    token_hash = request.session.get(_TOKEN_HASH)
    return token_hash if isinstance(token_hash, str) else None


def flash(request: Request, message: str) -> None:
    """Show ``message`` on the next page this browser opens (once)."""
    request.session[_FLASH] = message[:500]


def take_flash(request: Request) -> str:
    """The message left for this page, removed so it shows once ("" if none)."""
    if "session" not in request.scope:
        return ""
    message = request.session.pop(_FLASH, "")
    return message if isinstance(message, str) else ""


def _now(request: Request) -> float:
    return float(request.app.state.clock.now().timestamp())


class PageGuard:
    def __init__(self, *roles: Role) -> None:
        if not roles:
            raise ValueError("a guard needs at least one role")
        self.roles = frozenset(roles)

    def __repr__(self) -> str:
        return f"PageGuard({', '.join(sorted(self.roles))})"

    def __call__(self, request: Request) -> Principal:
        principal = signed_in(request)
        if principal is None:
            raise LoginRequired
        if principal.role not in self.roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "forbidden")
        return principal
