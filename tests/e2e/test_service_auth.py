"""Every route enforces its roles; 401/403 carry nothing about the resource; tokens are hashed."""

import re

from fastapi.routing import APIRoute
from sqlalchemy import text

from marketcraft.roles import Role
from marketcraft.service.app import API_ROUTERS, PUBLIC_PATHS, create_app
from marketcraft.service.auth import RoleGuard
from marketcraft.store import Database
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW, bearer
from tests.support.problems import FORBIDDEN, NOT_AUTHENTICATED


def guards_of(dependant) -> list[RoleGuard]:
    found = [d.call for d in dependant.dependencies if isinstance(d.call, RoleGuard)]
    for d in dependant.dependencies:
        found.extend(guards_of(d))
    return found


def api_routes() -> list[APIRoute]:
    return [r for router in API_ROUTERS for r in router.routes if isinstance(r, APIRoute)]


def protected_routes():
    for route in api_routes():
        if route.path not in PUBLIC_PATHS:
            for method in sorted(route.methods):
                yield route, method


def test_the_routers_walked_here_are_all_the_app_serves():
    served = set(create_app().openapi()["paths"])
    walked = {r.path for r in api_routes() if r.include_in_schema}
    assert served == walked


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_non_public_route_declares_roles():
    routes = list(protected_routes())
    assert routes, "no protected routes found"
    for route, method in routes:
        assert guards_of(route.dependant), f"{method} {route.path} has no RoleGuard"


def test_every_protected_route_answers_401_without_a_token_and_403_for_other_roles(client, tokens):
    for route, method in protected_routes():
        allowed = set.intersection(*(set(g.roles) for g in guards_of(route.dependant)))
        path = concrete(route.path)
        for headers in ({}, bearer("mc_not-a-real-token"), {"Authorization": "Basic abc"}):
            r = client.request(method, path, headers=headers, json={"junk": True})
            assert r.status_code == 401, (method, path, r.status_code)
            assert r.json() == NOT_AUTHENTICATED
        for role in Role:
            r = client.request(method, path, headers=bearer(tokens[role]), json={"junk": True})
            if role in allowed:
                assert r.status_code not in (401, 403), (method, path, role)
            else:
                assert r.status_code == 403, (method, path, role, r.status_code)
                assert r.json() == FORBIDDEN


def test_denials_are_identical_for_existing_and_missing_resources(client, tokens):
    for headers in ({}, bearer(tokens[Role.SCOUT])):
        real = client.post("/admin/users/user-scout/revoke", headers=headers)
        missing = client.post("/admin/users/no-such-user/revoke", headers=headers)
        assert real.status_code == missing.status_code
        assert real.content == missing.content
        drop = {"date", "content-length", "x-request-id"}  # x-request-id: per request
        assert {k: v for k, v in real.headers.items() if k not in drop} == {
            k: v for k, v in missing.headers.items() if k not in drop
        }


def test_auth_runs_before_body_validation(client):
    r = client.post("/admin/users", json={"bad": "body"})
    assert r.status_code == 401


def test_public_routes(client):
    assert client.get("/health").json()["status"] == "ok"
    assert "marketcraft" in client.get("/").text
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 200


def test_token_lifecycle_through_the_api(client, tokens, database):
    admin = bearer(tokens[Role.ADMIN])
    r = client.post("/admin/users", headers=admin, json={"name": "carol", "role": "scout"})
    assert r.status_code == 201
    token = r.json()["token"]
    assert token.startswith("mc_")
    assert client.get("/me", headers=bearer(token)).json() == {"name": "carol", "role": "scout"}
    listed = client.get("/admin/users", headers=admin).json()["items"]
    assert "carol" in {u["name"] for u in listed}
    assert all("token" not in u for u in listed)
    dup = client.post("/admin/users", headers=admin, json={"name": "carol", "role": "scout"})
    assert dup.status_code == 400
    assert dup.json()["code"] == "name_taken"
    bad_role = client.post("/admin/users", headers=admin, json={"name": "dan", "role": "king"})
    assert bad_role.status_code == 422
    assert client.post("/admin/users/carol/revoke", headers=admin).status_code == 204
    assert client.get("/me", headers=bearer(token)).status_code == 401
    assert client.post("/admin/users/nobody/revoke", headers=admin).status_code == 404


def test_tokens_are_stored_only_as_hashes(tmp_path):
    database = Database.open(f"sqlite:///{tmp_path / 'h.db'}", migrate=True)
    tokens = {r: issue_token(database.principals, f"u-{r.value}", r, NOW)[1] for r in Role}
    assert database.engine is not None
    with database.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM principals")).all()
    dump = repr(rows)
    for token in tokens.values():
        assert token not in dump
        assert token.removeprefix("mc_") not in dump


def test_user_names_are_plain_ascii_that_no_other_name_looks_like(client, tokens):
    admin = bearer(tokens[Role.ADMIN])
    for name in ["a/b", "\uff21\uff22\uff23", "<b>u</b>", "two words", "-dash-first", "x" * 101]:
        r = client.post("/admin/users", headers=admin, json={"name": name, "role": "scout"})
        assert r.status_code == 422, (name, r.text)
        assert r.json()["errors"][0]["loc"] == ["body", "name"], name
    r = client.post("/admin/users", headers=admin, json={"name": "ana.m-1@desk", "role": "scout"})
    assert r.status_code == 201, r.text
