"""schemathesis against the OpenAPI spec, as every role: no 5xx, and every response (status
code, content type, headers, body) is one the schema declares.

Each operation is fuzzed twice: with the ids schemathesis makes up (mostly 404s), and with the
ids of live resources (a program with a market and a funded scout, a peg market with a funded
trader, a user to revoke), so the generated bodies reach the engines' rules.
"""

from datetime import UTC, datetime

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from marketcraft.kernel import FixedClock, Signer
from marketcraft.roles import Role
from marketcraft.service.app import create_app
from marketcraft.store import Database
from marketcraft.store.tokens import issue_token

NOW = datetime(2026, 6, 1, tzinfo=UTC)
DB = Database.open("memory://")
TOKENS = {role: issue_token(DB.principals, f"fuzz-{role.value}", role, NOW)[1] for role in Role}
issue_token(DB.principals, "fuzz-victim", Role.SCOUT, NOW)  # the one user the fuzzer may revoke
APP = create_app(database=DB, clock=FixedClock(NOW), signer=Signer(bytes(range(3, 35))))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)

# Accepting or refusing a well-formed request is the business rules' call (a duplicate name,
# insufficient cash); what is checked here is that every response is sound and declared.
EXCLUDED = [positive_data_acceptance, negative_data_rejection]

#: (path prefix, parameter) -> the live id put in its place; filled by ``live_resources``
LIVE: dict[tuple[str, str], str] = {}
#: the status codes answered to the live half, by path template
LIVE_STATUSES: dict[str, set[int]] = {}


def bearer(role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[role]}"}


@pytest.fixture(scope="module", autouse=True)
def live_resources():
    """Real resources for the fuzzer to hit, owned by the fuzzing principals."""
    with TestClient(APP) as client:
        r = client.post("/programs", headers=bearer(Role.SPONSOR), json={
            "title": "Fuzzed", "deposit": "100000",
            "terms": {"market_budget": "1000", "window_seconds": 10**8},
        })  # fmt: skip
        assert r.status_code == 201, r.text
        program = r.json()["program_id"]
        r = client.post(
            f"/programs/{program}/markets", headers=bearer(Role.SPONSOR), json={"title": "M"}
        )
        assert r.status_code == 201, r.text
        market = r.json()["market_id"]
        r = client.post(
            f"/programs/{program}/deposits", headers=bearer(Role.SCOUT), json={"amount": "500"}
        )
        assert r.status_code == 200, r.text
        r = client.post("/peg/markets", headers=bearer(Role.ADMIN), json={
            "name": "fuzz-peg", "opener": "fuzz-admin", "deposit": "100000", "feed": "1",
        })  # fmt: skip
        assert r.status_code == 201, r.text
        r = client.post(
            "/peg/markets/fuzz-peg/credits",
            headers=bearer(Role.ADMIN),
            json={"user": "fuzz-trader", "amount": "10000"},
        )
        assert r.status_code == 200, r.text
        LIVE.update({
            ("/programs", "program_id"): program,
            ("/programs", "market_id"): market,
            ("/peg/markets", "name"): "fuzz-peg",
            ("/admin/users", "name"): "fuzz-victim",
        })  # fmt: skip
        yield
        LIVE.clear()


def with_live_ids(case) -> None:
    for (prefix, name), value in LIVE.items():
        if case.path.startswith(prefix) and case.path_parameters and name in case.path_parameters:
            case.path_parameters[name] = value


@pytest.mark.parametrize("ids", ["generated", "live"])
@pytest.mark.parametrize("role", list(Role))
@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_response_is_declared_and_none_is_a_server_error(case, role, ids):
    if ids == "live":
        with_live_ids(case)
    response = case.call_and_validate(headers=bearer(role), excluded_checks=EXCLUDED)
    if ids == "live":
        LIVE_STATUSES.setdefault(case.operation.path, set()).add(response.status_code)


def test_live_ids_reach_live_resources():
    """Without this the live half would silently fuzz 404s."""
    if LIVE_STATUSES:  # after the fuzz run (not when this test runs alone)
        reached = {path for path, codes in LIVE_STATUSES.items() if codes & {200, 201, 204}}
        for path in ("/programs/{program_id}", "/programs/{program_id}/markets",
                     "/programs/{program_id}/orders", "/peg/markets/{name}"):  # fmt: skip
            assert path in reached, (path, LIVE_STATUSES.get(path))
    with TestClient(APP) as client:
        program = LIVE[("/programs", "program_id")]
        assert client.get(f"/programs/{program}", headers=bearer(Role.SCOUT)).status_code == 200
        assert client.get("/peg/markets/fuzz-peg", headers=bearer(Role.TRADER)).status_code == 200
