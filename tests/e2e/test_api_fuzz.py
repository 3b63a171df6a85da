"""schemathesis against the OpenAPI spec, as each role: no 5xx, and every response (status
code, content type, headers, body) is one the schema declares."""

from datetime import UTC, datetime

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from marketcraft.kernel import FixedClock, Signer
from marketcraft.service.app import create_app
from marketcraft.service.auth import issue_token
from marketcraft.service.roles import Role
from marketcraft.store import Database

NOW = datetime(2026, 6, 1, tzinfo=UTC)
DB = Database.open("memory://")
TOKENS = {role: issue_token(DB.principals, f"fuzz-{role.value}", role, NOW)[1] for role in Role}
APP = create_app(database=DB, clock=FixedClock(NOW), signer=Signer(bytes(range(3, 35))))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)

# Accepting or refusing a well-formed request is the business rules' call (a duplicate name,
# insufficient cash); what is checked here is that every response is sound and declared.
EXCLUDED = [positive_data_acceptance, negative_data_rejection]


@pytest.fixture(scope="module", autouse=True)
def a_live_program():
    """Give the fuzzer real resources to hit, not only 404s."""
    from fastapi.testclient import TestClient

    with TestClient(APP) as client:
        sponsor = {"Authorization": f"Bearer {TOKENS[Role.SPONSOR]}"}
        r = client.post("/programs", headers=sponsor, json={
            "title": "Fuzzed", "deposit": "100000", "terms": {"market_budget": "1000"},
        })  # fmt: skip
        assert r.status_code == 201
        yield


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SPONSOR, Role.SCOUT, Role.AUDITOR])
@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_response_is_declared_and_none_is_a_server_error(case, role):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {TOKENS[role]}"}, excluded_checks=EXCLUDED
    )
