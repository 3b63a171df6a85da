"""Pages enforce roles like the API: no session -> sign-in page; wrong role -> 403."""

import pytest

from marketcraft.service.roles import Role

PAGES = {
    "/ui/sponsor": {Role.SPONSOR},
    "/ui/scout": {Role.SCOUT},
    "/ui/audit": {Role.AUDITOR, Role.SPONSOR, Role.ADMIN},
}


def test_pages_redirect_to_sign_in_without_a_session(client):
    for path in PAGES:
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.get("/login").status_code == 200


@pytest.mark.parametrize(("path", "allowed"), PAGES.items())
def test_pages_refuse_other_roles(client, tokens, path, allowed):
    for role in Role:
        client.cookies.clear()
        r = client.post("/login", data={"token": tokens[role]}, follow_redirects=False)
        assert r.status_code == 303
        page = client.get(path, follow_redirects=False)
        assert page.status_code == (200 if role in allowed else 403), (path, role)


def test_a_bad_token_does_not_sign_in(client):
    r = client.post("/login", data={"token": "mc_nope"}, follow_redirects=False)
    assert r.status_code == 401
    assert "mc_session" not in r.cookies


def test_the_session_cookie_is_http_only_and_same_site_strict(client, tokens):
    r = client.post("/login", data={"token": tokens[Role.SCOUT]}, follow_redirects=False)
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
