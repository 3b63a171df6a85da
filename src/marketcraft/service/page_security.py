"""The pages' defences against other sites: signed sessions, CSRF tokens, origin checks.

They apply to the pages only (``/``, ``/login``, ``/logout`` and ``/ui/...``): the API takes
bearer tokens, which a browser never attaches by itself, so another site cannot ride on them.
For each page request, outermost first:

1. input the layers below would choke on is refused with 400, so it never becomes a 500: a
   Cookie header that is not UTF-8 or not a cookie list, a form body that is not UTF-8 or whose
   ``csrftoken`` is not ASCII, a non-ASCII X-CSRFToken header (asgi-csrf 0.11 raises on each);
2. a state-changing request (any method but GET, HEAD, OPTIONS, TRACE) whose ``Origin`` -- or
   ``Referer`` when there is no Origin -- is not this server's own (the request's scheme and
   Host header: a proxy in front must pass the Host on and the scheme in X-Forwarded-Proto) is
   refused with 403; one with neither is left to the token;
3. asgi-csrf: a state-changing request must carry the token of its ``csrftoken`` cookie in the
   ``csrftoken`` form field (every form template has it) or the X-CSRFToken header, else 403.
   ``/login`` (login CSRF) and ``/logout`` are checked even when the browser sends no cookie.
   A multipart form is checked by its route (:func:`multipart_token`): asgi-csrf 0.11's
   multipart parser does not run with python-multipart >= 0.0.26 (asgi-csrf issue #38), so a
   multipart post to any path not in ``MULTIPART_PATHS`` is refused here;
4. Starlette's SessionMiddleware: the signed session of :mod:`marketcraft.service.sessions`.

Cookies are Secure when ``Settings.secure_cookies`` says so or, unset, when the request came
over https. The secret signing both cookies is ``Settings.session_secret`` or the one kept in
``DATA_DIR/keys/session.key``; each cookie gets its own key derived from it.
"""

from __future__ import annotations

import hashlib
import hmac
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qsl, urlsplit

from asgi_csrf import asgi_csrf  # type: ignore[import-untyped]  # no stubs
from fastapi import HTTPException, Request, status
from markupsafe import Markup
from starlette.datastructures import Headers
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from marketcraft.config import Settings
from marketcraft.service.errors import problem_response
from marketcraft.service.sessions import COOKIE
from marketcraft.store.keys import load_or_create_secret

__all__ = [
    "MULTIPART_PATHS",
    "PageSecurity",
    "csrf_field",
    "csrf_token",
    "is_page",
    "multipart_token",
]

PAGE_PATHS = frozenset({"/", "/login", "/logout"})
#: checked by asgi-csrf even when the request has no cookie at all
ALWAYS_PROTECT = frozenset({"/login", "/logout"})
#: page routes taking a multipart form, each checking its token with :func:`multipart_token`
MULTIPART_PATHS = frozenset({"/ui/analyst/jobs"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
#: a page's urlencoded form is read whole to check it; no form of ours comes near this
MAX_FORM_BYTES = 1 << 20
FORM_FIELD = "csrftoken"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_page(path: str) -> bool:
    return path in PAGE_PATHS or path.startswith("/ui/")


def csrf_token(request: Request) -> str:
    """This browser's CSRF token, for a form's hidden ``csrftoken`` field."""
    token: str = request.scope["csrftoken"]()
    return token


def csrf_field(request: Request) -> Markup:
    """Template global: the hidden field every POST form starts with."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        FORM_FIELD, csrf_token(request)
    )


async def multipart_token(request: Request) -> None:
    """Dependency of the routes in ``MULTIPART_PATHS``: the form's ``csrftoken`` field (or the
    X-CSRFToken header) must be this browser's token, as asgi-csrf checks every other form.
    403 otherwise."""
    sent = request.headers.get("x-csrftoken") or (await request.form()).get(FORM_FIELD)
    expected = csrf_token(request).encode()
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), expected):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the form's CSRF token is missing or stale")


def _key(secret: bytes, purpose: bytes) -> str:
    return hmac.new(secret, purpose, hashlib.sha256).hexdigest()


class PageSecurity:
    """ASGI middleware: steps 1-4 above for the pages; everything else passes straight on."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        if settings.session_secret is not None:
            secret = settings.session_secret.get_secret_value().encode()
        else:
            secret = load_or_create_secret(settings.data_dir)
        self.app = app
        self.secure_cookies = settings.secure_cookies
        self.stacks = {on: self._stack(app, secret, settings, on) for on in (False, True)}

    @staticmethod
    def _stack(app: ASGIApp, secret: bytes, settings: Settings, secure: bool) -> ASGIApp:
        sessions = SessionMiddleware(
            app, secret_key=_key(secret, b"session"), session_cookie=COOKIE,
            max_age=settings.session_seconds, same_site="strict", https_only=secure,
        )  # fmt: skip
        protected: ASGIApp = asgi_csrf(
            sessions, signing_secret=_key(secret, b"csrf"), always_protect=ALWAYS_PROTECT,
            skip_if_scope=_multipart, cookie_secure=secure, cookie_samesite="Strict",
            send_csrf_failed=_csrf_failed_page,
        )  # fmt: skip
        return protected

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_page(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        refusal = _bad_headers(headers)
        if refusal is None and scope["method"] not in SAFE_METHODS:
            refusal = _foreign(scope, headers) or _unchecked_multipart(scope, headers)
            if refusal is None and _content_type(headers) == "application/x-www-form-urlencoded":
                refusal, receive = await _read_form(receive)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        secure = self.secure_cookies
        if secure is None:
            secure = scope.get("scheme") == "https"
        await self.stacks[secure](scope, receive, _with_page_headers(send))


_CSRF_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport"
content="width=device-width, initial-scale=1"><title>Form expired · marketcraft</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:40rem;padding:0 1rem;
color:#1d2430}</style></head><body><h1>This form has expired</h1>
<p>The page it came from was opened before your browser's security cookie was set or renewed
(or it was sent from another site). Nothing was done.</p>
<p><a id="home" href="/">Go back</a>, reload the page and send the form again.</p></body></html>
"""


async def _csrf_failed_page(scope: Scope, send: Send, _message_id: int) -> None:
    """asgi-csrf's refusal as a page of the site with a way back (not its bare text)."""
    await send({
        "type": "http.response.start", "status": 403,
        "headers": [(b"content-type", b"text/html; charset=utf-8"),
                    (b"cache-control", b"no-store")],
    })  # fmt: skip
    await send({"type": "http.response.body", "body": _CSRF_PAGE.encode()})


#: every page's answer carries these (unless it set its own): no page runs another site's
#: script or is framed by one, no type is sniffed, no private figure is kept by a cache
PAGE_HEADERS: dict[bytes, bytes] = {
    b"content-security-policy": b"default-src 'self'; img-src 'self' data:; style-src 'self' "
    b"'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    b"base-uri 'none'",
    b"x-frame-options": b"DENY",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
    b"cache-control": b"no-store",
}


def _with_page_headers(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {bytes(name).lower() for name, _ in headers}
            headers += [(k, v) for k, v in PAGE_HEADERS.items() if k not in present]
            message = {**message, "headers": headers}
        await send(message)

    return sending


def _refuse(status_code: int, error: str, reason: str) -> Response:
    return problem_response(status_code, error, reason)


def _content_type(headers: Headers) -> str:
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _multipart(scope: Scope) -> bool:
    """asgi-csrf's skip: multipart forms, checked by their routes (only MULTIPART_PATHS get
    this far)."""
    return _content_type(Headers(scope=scope)) == "multipart/form-data"


def _bad_headers(headers: Headers) -> Response | None:
    for raw in headers.getlist("cookie"):
        try:
            SimpleCookie().load(raw.encode("latin-1").decode("utf-8"))
        except (UnicodeDecodeError, CookieError):
            return _refuse(400, "bad_cookie", "the Cookie header is not a UTF-8 cookie list")
    if not headers.get("x-csrftoken", "").isascii():
        return _refuse(400, "bad_csrf_token", "the X-CSRFToken header is not ASCII")
    return None


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of ``url``; None if it names no http(s) origin."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return scheme, host, port or _DEFAULT_PORTS[scheme]


def _foreign(scope: Scope, headers: Headers) -> Response | None:
    """403 if the request says it comes from a page of another origin (or an opaque one)."""
    claimed = headers.get("origin") or headers.get("referer")
    if claimed is None:
        return None
    host = headers.get("host") or "{}:{}".format(*(scope.get("server") or ("", 0)))
    own = _origin(f"{scope.get('scheme', 'http')}://{host}")
    if own is None or _origin(claimed) != own:
        return _refuse(403, "foreign_origin", "the form was posted from another site")
    return None


def _unchecked_multipart(scope: Scope, headers: Headers) -> Response | None:
    if _content_type(headers) == "multipart/form-data" and scope["path"] not in MULTIPART_PATHS:
        return _refuse(403, "csrf", "this page takes no multipart form")
    return None


async def _read_form(
    receive: Receive,
) -> tuple[Response | None, Receive]:
    """Read a urlencoded body whole and check what asgi-csrf will read from it; a receive
    that replays it."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return _refuse(400, "bad_request", "the client went away"), receive
        messages.append(message)
        size += len(message.get("body", b""))
        if size > MAX_FORM_BYTES:
            return _refuse(413, "too_large", f"a form is at most {MAX_FORM_BYTES} bytes"), receive
        if not message.get("more_body", False):
            break
    try:
        fields = dict(parse_qsl(b"".join(m.get("body", b"") for m in messages).decode("utf-8")))
    except UnicodeDecodeError:
        return _refuse(400, "bad_form", "the form is not UTF-8"), receive
    if not fields.get(FORM_FIELD, "").isascii():
        return _refuse(400, "bad_csrf_token", "the form's csrftoken is not ASCII"), receive

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return None, replay
