"""``Idempotency-Key`` on the routes that move money or start work: the same key with the same
request gets the first answer again and acts once; with another request, 422; while the first
runs, 409; a refused request frees its key; keys are per user and survive a restart."""

from __future__ import annotations

import json
from decimal import Decimal
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from marketcraft.config import Settings
from marketcraft.kernel import FixedClock
from marketcraft.roles import Role
from marketcraft.service.app import create_app
from marketcraft.service.idempotency import REPLAYED_HEADER, _fingerprint
from marketcraft.store import Database
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW, SIGNER, bearer
from tests.e2e.test_deal_service import short_terms

PEOPLE = {"label": Role.SPONSOR, "fan": Role.SCOUT, "other": Role.SCOUT, "ops": Role.ADMIN,
          "tia": Role.TRADER, "ana": Role.ANALYST}  # fmt: skip


def _app(database: Database, data_dir):
    settings = Settings(data_dir=data_dir, deal_jobs_per_analyst=5)
    return create_app(settings, database=database, clock=FixedClock(NOW), signer=SIGNER)


@pytest.fixture
def world(database, tmp_path):
    tokens = {n: issue_token(database.principals, n, r, NOW)[1] for n, r in PEOPLE.items()}
    who = {n: bearer(t) for n, t in tokens.items()}
    with TestClient(_app(database, tmp_path / "var")) as client:
        r = client.post("/programs", headers=who["label"], json={
            "title": "P", "deposit": "10000", "terms": {"market_budget": "100"}})  # fmt: skip
        assert r.status_code == 201, r.text
        yield client, who, r.json()["program_id"]


def keyed(who: dict[str, str], key: str) -> dict[str, str]:
    return {**who, "Idempotency-Key": key}


def test_a_retried_deposit_is_answered_again_and_deposits_once(world):
    client, who, pid = world
    first = client.post(f"/programs/{pid}/deposits", headers=keyed(who["fan"], "dep-1"),
                        json={"amount": "100"})  # fmt: skip
    again = client.post(f"/programs/{pid}/deposits", headers=keyed(who["fan"], "dep-1"),
                        json={"amount": "100"})  # fmt: skip
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again.headers[REPLAYED_HEADER] == "true"
    assert REPLAYED_HEADER not in first.headers
    assert client.get(f"/programs/{pid}/balance", headers=who["fan"]).json()["available"] == (
        "100.00"
    )
    # the same request without a key, or with another key, deposits again
    client.post(f"/programs/{pid}/deposits", headers=who["fan"], json={"amount": "100"})
    client.post(f"/programs/{pid}/deposits", headers=keyed(who["fan"], "dep-2"),
                json={"amount": "100"})  # fmt: skip
    assert client.get(f"/programs/{pid}/balance", headers=who["fan"]).json()["available"] == (
        "300.00"
    )


def test_a_key_reused_for_another_request_is_refused_and_changes_nothing(world):
    client, who, pid = world
    client.post(f"/programs/{pid}/deposits", headers=keyed(who["fan"], "k"), json={"amount": "5"})
    for path, body in [
        (f"/programs/{pid}/deposits", {"amount": "6"}),  # another amount
        (f"/programs/{pid}/withdrawals", {"amount": "5"}),  # another route
    ]:
        r = client.post(path, headers=keyed(who["fan"], "k"), json=body)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "idempotency_key_reused"
    assert client.get(f"/programs/{pid}/balance", headers=who["fan"]).json()["available"] == "5.00"
    # keys are per user: another scout's "k" is its own
    other = client.post(f"/programs/{pid}/deposits", headers=keyed(who["other"], "k"),
                        json={"amount": "7"})  # fmt: skip
    assert other.status_code == 200 and other.json() == {"available": "7.00"}


def test_a_refused_request_frees_its_key(world):
    client, who, pid = world
    refused = client.post(f"/programs/{pid}/withdrawals", headers=keyed(who["fan"], "w"),
                          json={"amount": "50"})  # fmt: skip
    assert refused.status_code == 400 and refused.json()["code"] == "insufficient_cash"
    client.post(f"/programs/{pid}/deposits", headers=who["fan"], json={"amount": "80"})
    taken = client.post(f"/programs/{pid}/withdrawals", headers=keyed(who["fan"], "w"),
                        json={"amount": "50"})  # fmt: skip
    assert taken.status_code == 200 and taken.json() == {"available": "30.00"}
    invalid = client.post(f"/programs/{pid}/deposits", headers=keyed(who["fan"], "v"),
                          json={"amount": "-1"})  # fmt: skip
    assert invalid.status_code == 422 and invalid.json()["code"] == "invalid_request"
    ok = client.post(f"/programs/{pid}/deposits", headers=keyed(who["fan"], "v"),
                     json={"amount": "1"})  # fmt: skip
    assert ok.status_code == 200


def test_a_key_whose_first_request_has_not_finished_is_in_use(world, database):
    client, who, pid = world
    path = f"/programs/{pid}/deposits"
    request = SimpleNamespace(method="POST", url=SimpleNamespace(path=path))
    # as a request that claimed the key and is still running (or was cut off by a crash)
    assert (
        database.idempotency.claim("fan", "busy", _fingerprint(request, b'{"amount":"9"}')) is None
    )
    r = client.post(path, headers=keyed(who["fan"], "busy"), json={"amount": "9"})
    assert r.status_code == 409 and r.json()["code"] == "idempotency_key_in_use"
    assert client.get(f"/programs/{pid}/balance", headers=who["fan"]).json()["available"] == "0.00"


def test_an_order_key_is_honoured_by_the_engine_per_program(world):
    """An order's key names the order in its program: a retry gets the first receipt, another
    order with the key is refused, and the same key in another program is another order."""
    client, who, pid = world
    opened = client.post("/programs", headers=who["label"], json={
        "title": "Q", "deposit": "10000", "terms": {"market_budget": "100"}})  # fmt: skip
    other = opened.json()["program_id"]
    receipts = []
    for i, program in enumerate((pid, pid, other)):
        market = client.post(f"/programs/{program}/markets", headers=who["label"],
                             json={"title": f"X{i}?"}).json()["market_id"]  # fmt: skip
        client.post(f"/programs/{program}/deposits", headers=who["fan"], json={"amount": "100"})
        body = {"market_id": market, "side": "buy", "max_spend": "10"}
        receipts.append(client.post(f"/programs/{program}/orders",
                                    headers=keyed(who["fan"], "o"), json=body))  # fmt: skip
    first, another_market, other_program = receipts
    assert first.status_code == 201 and other_program.status_code == 201
    assert another_market.status_code == 422
    assert another_market.json()["code"] == "idempotency_key_reused"
    assert other_program.json()["order_id"] == first.json()["order_id"]  # the key's id
    retry = client.post(f"/programs/{pid}/orders", headers=keyed(who["fan"], "o"),
                        json=json.loads(first.request.content))  # fmt: skip
    assert retry.status_code == 201 and retry.json()["receipt"] == first.json()["receipt"]


def test_peg_trades_credits_and_deal_jobs_act_once_per_key(world):
    client, who, _ = world
    opened = {"name": "usd", "opener": "ops", "deposit": "1000000", "feed": "0.5"}
    for _ in range(2):
        r = client.post("/peg/markets", headers=keyed(who["ops"], "open"), json=opened)
        assert r.status_code == 201, r.text
    for _ in range(2):
        r = client.post("/peg/markets/usd/credits", headers=keyed(who["ops"], "credit"),
                        json={"user": "tia", "amount": "100"})  # fmt: skip
        assert r.status_code == 200 and Decimal(r.json()["col"]) == 100
    trades = [client.post("/peg/markets/usd/buy-peg", headers=keyed(who["tia"], "buy"),
                          json={"amount": "40"}) for _ in range(2)]  # fmt: skip
    assert trades[0].status_code == 200 and trades[0].content == trades[1].content
    assert Decimal(client.get("/peg/markets/usd/balance", headers=who["tia"]).json()["col"]) == 60
    jobs = [client.post("/deal/jobs", headers=keyed(who["ana"], "job"),
                        json={"terms": short_terms(1), "paths": 10}) for _ in range(2)]  # fmt: skip
    assert jobs[0].status_code == 202 and jobs[0].json()["id"] == jobs[1].json()["id"]
    assert len(client.get("/deal/jobs", headers=who["ana"]).json()["items"]) == 1


def test_keys_survive_a_restart(tmp_path):
    database = Database.open(f"sqlite:///{tmp_path / 'k.db'}", migrate=True)
    tokens = {n: issue_token(database.principals, n, r, NOW)[1] for n, r in PEOPLE.items()}
    fan, label = bearer(tokens["fan"]), bearer(tokens["label"])
    with TestClient(_app(database, tmp_path / "var")) as client:
        opened = client.post("/programs", headers=label, json={
            "title": "P", "deposit": "10000", "terms": {"market_budget": "100"}})  # fmt: skip
        pid = opened.json()["program_id"]
        first = client.post(f"/programs/{pid}/deposits", headers=keyed(fan, "d"),
                            json={"amount": "3"})  # fmt: skip
    database.close()
    database = Database.open(f"sqlite:///{tmp_path / 'k.db'}")
    with TestClient(_app(database, tmp_path / "var")) as client:
        again = client.post(f"/programs/{pid}/deposits", headers=keyed(fan, "d"),
                            json={"amount": "3"})  # fmt: skip
        assert again.content == first.content and again.headers[REPLAYED_HEADER] == "true"
        assert client.get(f"/programs/{pid}/balance", headers=fan).json()["available"] == "3.00"
    database.close()


def test_a_key_is_at_most_100_printable_characters(world):
    client, who, pid = world
    for key in ("x" * 101, "with space", ""):
        r = client.post(f"/programs/{pid}/deposits", headers=keyed(who["fan"], key),
                        json={"amount": "1"})  # fmt: skip
        assert r.status_code == 422, key
        assert r.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"], key
