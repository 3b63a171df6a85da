"""Signing in to the pages as a browser does: the sign-in form with its CSRF token."""

from __future__ import annotations

from fastapi.testclient import TestClient
from httpx import Response

CSRF_COOKIE = "csrftoken"


def sign_in(client: TestClient, token: str) -> Response:
    """Open the sign-in page, post the token with the page's CSRF token, and have every later
    request of ``client`` carry that token (as X-CSRFToken, which asgi-csrf takes as a form's
    field) so tests can post forms without reading each page first."""
    client.cookies.clear()
    client.headers.pop("x-csrftoken", None)
    client.get("/login")
    csrf = client.cookies[CSRF_COOKIE]
    response = client.post(
        "/login", data={"token": token, CSRF_COOKIE: csrf}, follow_redirects=False
    )
    client.headers["x-csrftoken"] = csrf
    return response


def flash_after(client: TestClient, response: Response) -> str:
    """The message the page a form redirected to shows (its flash box), "" if none."""
    assert response.status_code == 303, response.status_code
    page = client.get(response.headers["location"]).text
    start = page.find('<p class="flash" role="status"')
    if start < 0:
        return ""
    start = page.index(">", start) + 1
    return page[start : page.index("</p>", start)]
