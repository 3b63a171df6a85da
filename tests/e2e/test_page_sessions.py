"""The pages' sessions and their defences against other sites: the session cookie is signed,
expiring and never holds the token; a revoked token ends its sessions; forms need their CSRF
token and a same-origin post; sign-in itself is protected; no URL puts text on a page;
cookies are Secure over https; hostile input answers 4xx, never 500."""

from __future__ import annotations

import base64
import json
import re
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import params
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from marketcraft.config import Settings
from marketcraft.kernel import SimulatedClock
from marketcraft.roles import Role
from marketcraft.service.app import create_app
from marketcraft.service.page_security import MULTIPART_PATHS, is_page, multipart_token
from marketcraft.service.sessions import COOKIE, PageGuard
from marketcraft.store import Database
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW, SIGNER, bearer
from tests.support.pages import CSRF_COOKIE, flash_after, sign_in

TEMPLATES = Path(__file__).resolve().parents[2] / "src/marketcraft/service/templates"
EVIL = "https://evil.example"


class Site:
    """An app with a sponsor's program, a scout and an admin; its clock can be moved."""

    def __init__(self, tmp_path: Path, **settings: object) -> None:
        self.db = Database.open("memory://", migrate=True)
        self.clock = SimulatedClock(NOW)
        self.tokens = {
            name: issue_token(self.db.principals, name, role, NOW)[1]
            for name, role in (("label", Role.SPONSOR), ("fan", Role.SCOUT),
                               ("root", Role.ADMIN), ("desk", Role.ANALYST))
        }  # fmt: skip
        self.settings = Settings(data_dir=tmp_path / "var", **settings)  # type: ignore[arg-type]
        self.app = create_app(self.settings, database=self.db, clock=self.clock, signer=SIGNER)

    def client(self, base_url: str = "http://testserver") -> TestClient:
        return TestClient(self.app, base_url=base_url)

    def program(self, client: TestClient) -> str:
        body = {"title": "P", "deposit": "5000", "terms": {"market_budget": "1000"}}
        r = client.post("/programs", json=body, headers=bearer(self.tokens["label"]))
        return str(r.json()["program_id"])

    def available(self, program_id: str) -> str:
        return str(self.app.state.programs.journal(program_id).state.available("fan"))


@pytest.fixture
def site(tmp_path):
    s = Site(tmp_path)
    yield s
    s.db.close()


def session_payload(cookie: str) -> dict[str, object]:
    """What a browser (or anyone holding the cookie) can read in it: it is signed, not sealed."""
    data = cookie.rsplit(".", 2)[0]
    return json.loads(base64.b64decode(data + "=" * (-len(data) % 4)))  # type: ignore[no-any-return]


# -- the session cookie --------------------------------------------------------------------------
def test_the_session_cookie_is_signed_and_never_holds_the_token(site):
    with site.client() as web:
        token = site.tokens["fan"]
        r = sign_in(web, token)
        assert r.status_code == 303 and r.headers["location"] == "/ui/scout"
        cookie = web.cookies[COOKIE]
        assert token not in cookie and token.removeprefix("mc_") not in cookie
        payload = session_payload(cookie)
        assert payload["name"] == "fan" and token not in json.dumps(payload)
        assert web.get("/ui/scout").status_code == 200
        (header,) = [h for h in r.headers.get_list("set-cookie") if h.startswith(COOKIE)]
        assert "httponly" in header.lower() and "samesite=strict" in header.lower()
        assert f"max-age={site.settings.session_seconds}" in header.lower()


def test_a_tampered_session_is_refused(site):
    with site.client() as web:
        sign_in(web, site.tokens["fan"])
        cookie = web.cookies[COOKIE]
        forged = dict(session_payload(cookie), name="label")  # claims another principal
        data = base64.b64encode(json.dumps(forged).encode()).decode()
        for bad in (data + "." + cookie.rsplit(".", 2)[1] + "." + cookie.rsplit(".", 1)[1],
                    cookie[:-3] + ("AAA" if not cookie.endswith("AAA") else "BBB")):  # fmt: skip
            web.cookies.set(COOKIE, bad)
            r = web.get("/ui/scout", follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"] == "/login"


def test_a_session_expires_after_the_configured_time_however_busy(site):
    with site.client() as web:
        sign_in(web, site.tokens["fan"])
        for _ in range(3):  # in use all along: each answer re-signs the cookie
            site.clock.advance(timedelta(seconds=site.settings.session_seconds // 3 - 5))
            assert web.get("/ui/scout", follow_redirects=False).status_code == 200
        site.clock.advance(timedelta(seconds=30))
        r = web.get("/ui/scout", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
        assert COOKIE not in web.cookies  # the dead session's cookie is cleared


def test_revoking_a_token_ends_its_sessions(site):
    with site.client() as web:
        sign_in(web, site.tokens["fan"])
        assert web.get("/ui/scout", follow_redirects=False).status_code == 200
        r = web.post("/admin/users/fan/revoke", headers=bearer(site.tokens["root"]))
        assert r.status_code == 204
        r = web.get("/ui/scout", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"


def test_signing_out_ends_the_session(site):
    with site.client() as web:
        sign_in(web, site.tokens["fan"])
        assert web.post("/logout", follow_redirects=False).headers["location"] == "/login"
        assert web.get("/ui/scout", follow_redirects=False).status_code == 303
        assert COOKIE not in web.cookies


def test_the_session_secret_is_kept_readable_by_its_owner_only(site):
    with site.client():
        pass
    key = site.settings.data_dir / "keys" / "session.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_text().strip()) == 64


def test_a_session_made_with_another_secret_is_refused(site, tmp_path):
    with site.client() as web:
        sign_in(web, site.tokens["fan"])
        cookie = web.cookies[COOKIE]
    other = Site(tmp_path / "other", session_secret="x" * 40)
    with other.client() as web:
        web.cookies.set(COOKIE, cookie)
        assert web.get("/ui/scout", follow_redirects=False).status_code == 303
        assert sign_in(web, other.tokens["fan"]).status_code == 303  # its own secret works


# -- CSRF and origins ----------------------------------------------------------------------------
def test_a_cross_origin_form_post_is_refused_and_changes_nothing(site):
    with site.client() as web:
        pid = site.program(web)
        sign_in(web, site.tokens["fan"])
        url = f"/ui/scout/programs/{pid}/deposit"
        foreign = [EVIL, "null", "http://testserver:8080", "https://testserver"]
        for headers in [{"Referer": EVIL + "/page"}, *({"Origin": o} for o in foreign)]:
            r = web.post(url, data={"amount": "300"}, headers=headers, follow_redirects=False)
            assert r.status_code == 403, headers
            assert site.available(pid) == "0"
        same = {"Origin": "http://testserver", "Referer": "http://testserver/ui/scout"}
        r = web.post(url, data={"amount": "300"}, headers=same, follow_redirects=False)
        assert r.status_code == 303 and site.available(pid) == "300"


def test_a_form_post_without_its_csrf_token_is_refused_and_changes_nothing(site):
    with site.client() as web:
        pid = site.program(web)
        sign_in(web, site.tokens["fan"])
        token = web.headers.pop("x-csrftoken")
        url = f"/ui/scout/programs/{pid}/deposit"
        for data in ({"amount": "300"}, {"amount": "300", "csrftoken": token[:-2] + "xx"}):
            r = web.post(url, data=data, follow_redirects=False)
            assert r.status_code == 403 and site.available(pid) == "0"
        web.cookies.delete(CSRF_COOKIE)  # the token without the cookie it belongs to
        r = web.post(url, data={"amount": "300", "csrftoken": token}, follow_redirects=False)
        assert r.status_code == 403 and site.available(pid) == "0"
        page = web.get(f"/ui/scout/programs/{pid}").text  # the form carries a fresh token
        field = re.search(r'name="csrftoken" value="([^"]+)"', page)
        assert field is not None
        r = web.post(url, data={"amount": "300", "csrftoken": field[1]}, follow_redirects=False)
        assert r.status_code == 303 and site.available(pid) == "300"


def test_a_multipart_form_needs_its_csrf_token_too(site):
    with site.client() as web:
        sign_in(web, site.tokens["desk"])
        token = web.headers.pop("x-csrftoken")
        files = {"terms": ("deal.toml", b"[loan]\ntokens = -1\n")}
        refused = web.post("/ui/analyst/jobs", files=files, follow_redirects=False)
        assert refused.status_code == 403
        taken = web.post("/ui/analyst/jobs", files=files, data={"csrftoken": token},
                         follow_redirects=False)  # fmt: skip
        assert "loan.tokens" in flash_after(web, taken)  # read and refused by the desk itself
        r = web.post("/ui/scout", files=files, data={"csrftoken": token})
        assert r.status_code == 403  # no other page takes a multipart form


def test_signing_in_needs_the_sign_in_pages_token_and_origin(site):
    with site.client() as web:  # login CSRF: another site signs the browser in as someone
        r = web.post("/login", data={"token": site.tokens["fan"]}, follow_redirects=False)
        assert r.status_code == 403 and COOKIE not in web.cookies
        web.get("/login")
        csrf = web.cookies[CSRF_COOKIE]
        r = web.post("/login", data={"token": site.tokens["fan"], "csrftoken": csrf},
                     headers={"Origin": EVIL}, follow_redirects=False)  # fmt: skip
        assert r.status_code == 403 and COOKIE not in web.cookies
        r = web.post("/login", data={"token": site.tokens["fan"], "csrftoken": csrf},
                     follow_redirects=False)  # fmt: skip
        assert r.status_code == 303 and COOKIE in web.cookies


def test_the_api_is_not_affected_by_cookies_or_origins(site):
    with site.client() as web:
        sign_in(web, site.tokens["fan"])
        web.headers.pop("x-csrftoken")
        r = web.get("/me", headers={**bearer(site.tokens["fan"]), "Origin": EVIL})
        assert r.status_code == 200
        assert web.get("/me").status_code == 401  # a page session is no API credential


# -- flash messages ------------------------------------------------------------------------------
@pytest.mark.parametrize("page", ["/ui/sponsor", "/ui/scout", "/ui/analyst", "/login", "/"])
def test_no_url_puts_text_on_a_page(site, page):
    text = "Session expired: re-enter your token at evil.example"
    with site.client() as web:
        who = {"/ui/sponsor": "label", "/ui/analyst": "desk"}.get(page, "fan")
        sign_in(web, site.tokens[who])
        r = web.get(page, params={"msg": text, "error": text, "message": text})
        assert r.status_code == 200 and "evil.example" not in r.text


def test_a_forms_outcome_shows_once_on_the_next_page(site):
    with site.client() as web:
        pid = site.program(web)
        sign_in(web, site.tokens["fan"])
        r = web.post(f"/ui/scout/programs/{pid}/deposit", data={"amount": "lots"},
                     follow_redirects=False)  # fmt: skip
        assert r.headers["location"] == f"/ui/scout/programs/{pid}"  # nothing in the URL
        assert flash_after(web, r).startswith("amount: not a number")  # names the field
        assert 'class="flash"' not in web.get(f"/ui/scout/programs/{pid}").text  # once


# -- Secure cookies ------------------------------------------------------------------------------
def cookie_headers(response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.get_list("set-cookie")}


@pytest.mark.parametrize(
    ("base_url", "setting", "secure"),
    [("https://testserver", None, True), ("http://testserver", None, False),
     ("http://testserver", True, True), ("https://testserver", False, False)],
)  # fmt: skip
def test_cookies_are_secure_over_https(tmp_path, base_url, setting, secure):
    s = Site(tmp_path, secure_cookies=setting)
    with s.client(base_url) as web:
        form = web.get("/login")
        csrf = cookie_headers(form)[CSRF_COOKIE].split("=", 1)[1].split(";")[0]
        # sent by hand: a client keeps a Secure cookie from plain http, as a browser should
        r = web.post("/login", follow_redirects=False, headers={"cookie": f"csrftoken={csrf}"},
                     data={"token": s.tokens["fan"], "csrftoken": csrf})  # fmt: skip
        cookies = {**cookie_headers(form), **cookie_headers(r)}
        assert r.status_code == 303 and {COOKIE, CSRF_COOKIE} <= set(cookies)
        for name in (COOKIE, CSRF_COOKIE):
            assert ("; secure" in cookies[name].lower()) is secure, (name, cookies[name])


# -- hostile input -------------------------------------------------------------------------------
FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"content-type": "multipart/form-data"}, b"x"),
        ({"content-type": "multipart/form-data;boundary=x"}, b"--x\r\n"),
        ({"content-type": "multipart/form-data; boundary="}, b"x"),
        ({"content-type": FORM}, b"amount=\xff\xfe"),
        ({"content-type": FORM}, "csrftoken=\u00e9".encode()),
        ({"content-type": FORM}, b"csrftoken=%C3%A9"),
        ({"content-type": FORM, "x-csrftoken": b"\xe9"}, b"amount=1"),
        ({"content-type": FORM, "cookie": "a,b=1"}, b"amount=1"),
        ({"content-type": FORM, "cookie": b"mc_session=\xff"}, b"amount=1"),
        ({"content-type": "application/json"}, b"{}"),
        ({}, b"amount=1"),
    ],
)
@pytest.mark.parametrize("path", ["/login", "/ui/scout/programs/x/deposit", "/ui/analyst/jobs"])
def test_hostile_page_posts_answer_4xx(site, headers, body, path):
    with site.client() as web:
        sign_in(web, site.tokens["fan"])
        web.headers.pop("x-csrftoken")
        r = web.post(path, content=body, headers=headers, follow_redirects=False)
        assert 400 <= r.status_code < 500 or r.status_code == 303, (r.status_code, r.text)
        assert r.status_code != 303 or r.headers["location"] == "/login"


@pytest.fixture(scope="module")
def fuzz_site(tmp_path_factory):
    s = Site(tmp_path_factory.mktemp("fuzz"))
    with s.client() as web:
        yield web
    s.db.close()


@given(
    cookie=st.binary(max_size=40),
    content_type=st.sampled_from([b"", FORM.encode(), b"multipart/form-data",
                                  b"multipart/form-data; boundary=b", b"text/plain"]),
    body=st.binary(max_size=80),
    token=st.binary(max_size=12),
)  # fmt: skip
def test_no_page_post_is_a_500_whatever_its_bytes(fuzz_site, cookie, content_type, body, token):
    headers = [(b"content-type", content_type), (b"cookie", cookie), (b"x-csrftoken", token)]
    fuzz_site.cookies.clear()
    for path in ("/login", "/ui/analyst/jobs", "/logout"):
        r = fuzz_site.post(path, content=body, headers=[(k, v) for k, v in headers if v])
        assert r.status_code < 500, (path, r.status_code, r.text)


# -- every form, every page route ----------------------------------------------------------------
def test_every_post_form_starts_with_its_csrf_field():
    forms = 0
    for template in sorted(TEMPLATES.glob("*.html")):
        for match in re.finditer(r"<form[^>]*>", template.read_text()):
            if 'method="post"' in match[0]:
                forms += 1
                after = template.read_text()[match.end() :]
                assert after.startswith("{{ csrf_field(request) }}"), (template.name, match[0])
    assert forms >= 12


def _depends_on(dependant, call) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)


def _guards(dependant) -> bool:
    return any(isinstance(d.call, PageGuard) or _guards(d) for d in dependant.dependencies)


def test_every_page_route_is_behind_the_page_defences(site):
    routes = [r for r in site.app.routes if isinstance(r, APIRoute)]
    pages = [r for r in routes if _guards(r.dependant) or not r.include_in_schema]
    assert len(pages) > 20
    for route in pages:  # sessions, CSRF and origin checks cover every page
        # the API's docs pages (/docs, /redoc and their files) are no pages of ours
        assert is_page(route.path) or route.path.startswith(("/docs", "/redoc")), route.path
    # a multipart form is accepted only where its route checks the token
    multipart = {
        route.path
        for route in routes
        if any(isinstance(f.field_info, params.File) for f in route.dependant.body_params)
    }
    assert multipart == MULTIPART_PATHS
    for route in routes:
        if route.path in MULTIPART_PATHS:
            assert _depends_on(route.dependant, multipart_token), route.path
