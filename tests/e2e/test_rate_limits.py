"""Request rate limits: 429 with Retry-After past the limit; a principal (bearer token or
session) has its own allowance, anonymous requests share their address's, POST /login has a
stricter one; /health is never limited; the limits come from the settings and can be off."""

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from marketcraft.config import Settings
from marketcraft.kernel import FixedClock
from marketcraft.roles import Role
from marketcraft.service.app import create_app
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW, SIGNER, bearer
from tests.support.pages import CSRF_COOKIE, sign_in
from tests.support.problems import problem

LIMITS = Settings(
    rate_limit_enabled=True,
    rate_limit_default="5/minute",
    rate_limit_anonymous="3/minute",
    rate_limit_login="2/minute",
)


@pytest.fixture
def tokens(database):
    return {
        name: issue_token(database.principals, name, Role.TRADER, NOW)[1] for name in ("ann", "bob")
    }


def serve(database, settings=LIMITS):
    return TestClient(create_app(settings, database=database, clock=FixedClock(NOW), signer=SIGNER))


def statuses(client, n, path="/peg/markets", **kwargs):
    return [client.get(path, **kwargs).status_code for _ in range(n)]


def test_past_the_limit_a_request_gets_429_with_retry_after(database):
    with serve(database) as client:
        assert statuses(client, 3) == [200, 200, 200]
        refused = client.get("/peg/markets")
    assert refused.status_code == 429
    assert refused.json() == problem(429, "rate_limited", refused.json()["detail"])
    assert "3 per 1 minute" in refused.json()["detail"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_each_principal_has_its_own_allowance_over_every_route(database, tokens):
    ann, bob = bearer(tokens["ann"]), bearer(tokens["bob"])
    with serve(database) as client:
        assert statuses(client, 3, headers=ann) == [200] * 3
        assert statuses(client, 2, "/me", headers=ann) == [200] * 2  # one window for all routes
        assert client.get("/peg/markets", headers=ann).status_code == 429
        assert statuses(client, 5, headers=bob) == [200] * 5  # bob is not held back by ann
        # a page session signed in with ann's token is ann (signing in: one anonymous GET
        # of the form, one POST /login on the login allowance)
        assert sign_in(client, tokens["ann"]).status_code == 303
        assert client.get("/ui/peg").status_code == 429
        client.cookies.clear()
        client.headers.pop("x-csrftoken")
        # anonymous requests from the address have their own, smaller allowance
        assert statuses(client, 3) == [200, 200, 429]


def test_a_made_up_token_counts_as_anonymous(database, tokens):
    with serve(database) as client:
        assert statuses(client, 3) == [200] * 3
        made_up = bearer("mc_" + "x" * 43)
        assert client.get("/me", headers=made_up).status_code == 429  # not a fresh allowance
        assert client.get("/me", headers=bearer(tokens["ann"])).status_code == 200


def test_login_has_a_stricter_limit_and_health_none(database, tokens):
    with serve(database) as client:
        client.get("/login")
        form = {"token": "mc_not-a-token", CSRF_COOKIE: client.cookies[CSRF_COOKIE]}
        tries = [client.post("/login", data=form).status_code for _ in range(3)]
        assert tries == [401, 401, 429]
        assert client.get("/login").status_code == 200  # the form is an anonymous GET
        assert statuses(client, 20, "/health") == [200] * 20


def test_limits_can_be_turned_off_and_bad_limits_are_refused(database):
    off = Settings(rate_limit_enabled=False, rate_limit_anonymous="1/minute")
    with serve(database, off) as client:
        assert statuses(client, 20) == [200] * 20
    with pytest.raises(ValidationError, match="rate_limit_default"):
        Settings(rate_limit_default="often")
