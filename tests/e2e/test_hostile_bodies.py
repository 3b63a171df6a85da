"""Nested, oversized and badly encoded bodies on every route of a real server process: each is
refused with a 4xx before anything parses it, and the server answers the next request.

Bounded: one server, every route x every hostile body, anonymous and signed in (a few seconds).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Route

from marketcraft.config import Settings
from marketcraft.roles import Role
from marketcraft.service.app import create_app
from marketcraft.store import Database
from marketcraft.store.tokens import issue_token
from tests.support.server import Server

LIMIT = Settings().max_body_bytes
DEPTH = Settings().max_json_depth
NOW = datetime(2026, 6, 1, tzinfo=UTC)

JSON = {"content-type": "application/json"}
FORM = {"content-type": "application/x-www-form-urlencoded"}

#: name -> (headers, body, the status that must answer it)
HOSTILE: dict[str, tuple[dict[str, str], bytes, int]] = {
    "nested arrays, 100,000 deep": (JSON, b"[" * 100_000 + b"]" * 100_000, 400),
    "nested objects, 50,000 deep": (JSON, b'{"a":' * 50_000 + b"1" + b"}" * 50_000, 400),
    "one level past the limit": (JSON, b"[" * (DEPTH + 1) + b"]" * (DEPTH + 1), 400),
    "nested, unclosed": (JSON, b"[" * 70_000, 400),
    "nested under a vendor JSON type": (
        {"content-type": "application/problem+json"}, b"[" * 5_000 + b"]" * 5_000, 400,
    ),
    "over the size limit": (JSON, b'"' + b"a" * LIMIT + b'"', 413),
    "invalid UTF-8 JSON": (JSON, b'{"title": "\xff\xfe", "amount": "1"}', 400),
    "invalid UTF-8 form": (FORM, b"title=\xc3\x28&amount=1", 400),
    "JSON in UTF-16": (JSON, '{"title": "x", "amount": "1"}'.encode("utf-16-le"), 400),
    "a raw control character in JSON": (JSON, b'{"title": "a\x01b", "amount": "1"}', 400),
    "a lone surrogate escaped in JSON": (JSON, b'{"title": "\\ud800", "amount": "1"}', 400),
    "multipart without a boundary": (
        {"content-type": "multipart/form-data"}, b"--x\r\n\r\nabc\r\n--x--\r\n", 400,
    ),
}  # fmt: skip


def routes() -> Iterator[tuple[str, str]]:
    """Every (method, path) the app serves, API and pages, with each path parameter filled."""
    for route in create_app().routes:
        if isinstance(route, APIRoute | Route) and route.methods:
            path = re.sub(r"\{[^}]+\}", "x", route.path)
            for method in sorted(route.methods - {"HEAD"}):
                yield method, path


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[Server, dict[Role, str]]]:
    root = tmp_path_factory.mktemp("hostile")
    url = f"sqlite:///{root / 'h.db'}"
    db = Database.open(url, migrate=True)
    tokens = {role: issue_token(db.principals, f"h-{role.value}", role, NOW)[1] for role in Role}
    db.close()
    # the upload route's own limit at its least (the usual limit), so every route refuses the
    # same bodies here; test_an_upload_route_has_its_own_limit checks it apart
    server = Server(url, root / "var", env={"MARKETCRAFT_MAX_ZKEY_BYTES": str(LIMIT)})
    server.start()
    try:
        yield server, tokens
    finally:
        server.stop()


def test_the_walk_covers_the_api_and_the_pages():
    walked = set(routes())
    assert ("POST", "/programs") in walked
    assert ("POST", "/ui/scout/programs/x/orders") in walked
    assert ("POST", "/login") in walked
    assert len(walked) > 50


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_every_route_refuses_the_body_and_the_server_lives_on(server, kind):
    srv, tokens = server
    headers, body, expected = HOSTILE[kind]
    callers = [{}, {"Authorization": f"Bearer {tokens[Role.ADMIN]}"}]
    with httpx.Client(base_url=srv.url, timeout=30.0) as client:
        for method, path in routes():
            for caller in callers:
                r = client.request(method, path, headers={**headers, **caller}, content=body)
                assert r.status_code == expected, (kind, method, path, r.status_code, r.text)
                assert r.json()["code"], (method, path)
            assert client.get("/health").status_code == 200, (kind, method, path)
    assert srv.process is not None and srv.process.poll() is None


def test_a_chunked_body_is_cut_off_at_the_limit(server):
    srv, tokens = server
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        for _ in range(4 * LIMIT // 65536):
            sent += 65536
            yield b" " * 65536

    with httpx.Client(base_url=srv.url, timeout=30.0) as client:
        r = client.post(
            "/programs",
            headers={**JSON, "Authorization": f"Bearer {tokens[Role.SPONSOR]}"},
            content=chunks(),
        )
        assert r.status_code == 413
        assert r.json()["code"] == "body_too_large"
        assert client.get("/health").status_code == 200


def test_a_body_inside_every_limit_still_works(server):
    srv, tokens = server
    sponsor = {"Authorization": f"Bearer {tokens[Role.SPONSOR]}"}
    nested_rules = "[" * 100 + "]" * 100  # brackets inside a string are not nesting
    with httpx.Client(base_url=srv.url, timeout=30.0) as client:
        r = client.post("/programs", headers=sponsor, json={
            "title": "Inside the limits \u00e9", "deposit": "1000",
            "terms": {"market_budget": "100"},
        })  # fmt: skip
        assert r.status_code == 201, r.text
        pid = r.json()["program_id"]
        r = client.post(
            f"/programs/{pid}/markets", headers=sponsor, json={"title": "M", "rules": nested_rules}
        )
        assert r.status_code == 201, r.text
        assert r.json()["rules"] == nested_rules


def test_only_json_is_judged_as_json(server):
    """Brackets and control bytes are fine in what is not JSON: the checks above are JSON's."""
    srv, _ = server
    deep = "[" * (DEPTH + 10)
    with httpx.Client(base_url=srv.url, timeout=30.0) as client:
        form = client.post("/login", headers=FORM, content=f"token={deep}".encode())
        assert form.status_code == 403, form.text  # the sign-in's CSRF check, not a JSON refusal
        for media in ("application/octet-stream", "text/plain", "application/x-ndjson"):
            r = client.post("/programs", headers={"content-type": media}, content=deep.encode())
            assert r.status_code == 401, (media, r.text)  # on to the token check


def test_an_upload_route_has_its_own_limit(tmp_path):
    """A dealer's circuit key (megabytes) goes to its route under that route's own limit, and
    only there: the same body anywhere else is over the usual limit."""
    own = 2 * LIMIT
    settings = Settings(data_dir=tmp_path, max_zkey_bytes=own)
    with TestClient(create_app(settings, database=Database.open("memory://"))) as client:
        upload = "/repo/sessions/x/ceremony/contributions"
        between = b"z" * (LIMIT + 10)
        assert client.post(upload, content=between).status_code == 401  # on to the token check
        r = client.post("/repo/sessions/x/commitment", content=between)
        assert r.status_code == 413 and r.json()["code"] == "body_too_large"
        r = client.post(upload, content=b"z" * (own + 1))
        assert r.status_code == 413 and r.json()["code"] == "body_too_large"
        assert client.get(upload).status_code == 405  # only its POST
