"""Close orders of both sides over the API and the scout's page, and the AMM choices a sponsor
has (the dynamic pm-AMM among them) over the API and the sponsor's page."""

import pytest
from fastapi.testclient import TestClient

from marketcraft.kernel import SimulatedClock
from marketcraft.opportunity.amms import AmmKind
from marketcraft.opportunity.state import CloseStatus
from marketcraft.opportunity.terms import Side, Token
from marketcraft.roles import Role
from marketcraft.service.app import create_app
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW, SIGNER, bearer
from tests.support.pages import flash_after, sign_in

RECEIPT_KEYS = {"order_id", "origin", "accepted_at", "merge_by", "order_hash", "leaf_hash",
                "commitment", "key_id", "signature", "order", "receipt"}  # fmt: skip


@pytest.fixture
def site(database):
    tokens = {
        name: issue_token(database.principals, name, role, NOW)[1]
        for name, role in [("label", Role.SPONSOR), ("fan", Role.SCOUT), ("whale", Role.SCOUT)]
    }
    app = create_app(database=database, clock=SimulatedClock(NOW), signer=SIGNER)
    with TestClient(app) as client:
        yield client, {k: bearer(v) for k, v in tokens.items()}, tokens


def program(client, h, amm="lmsr"):
    r = client.post("/programs", headers=h["label"], json={
        "title": "Scouting", "deposit": "10000",
        "terms": {"market_budget": "1000", "window_seconds": 86400, "fee_rate": "0.01",
                  "amm": amm},
    })  # fmt: skip
    assert r.status_code == 201, r.text
    pid = r.json()["program_id"]
    mid = client.post(f"/programs/{pid}/markets", headers=h["label"],
                      json={"title": "Sign XYZ?"}).json()["market_id"]  # fmt: skip
    for scout in ("fan", "whale"):
        client.post(f"/programs/{pid}/deposits", headers=h[scout], json={"amount": "500"})
    return pid, mid


def close(client, h, pid, body):
    return client.post(f"/programs/{pid}/close-orders", headers=h["fan"], json=body)


def balance(client, h, pid):
    return client.get(f"/programs/{pid}/balance", headers=h["fan"]).json()["available"]


def test_a_buy_to_close_over_the_api_escrows_its_cost_and_replies_the_same_fired_or_not(site):
    client, h, _ = site
    pid, mid = program(client, h)
    # YES opens at 0.01: a trigger of 0.2 is met at once, one of 0.005 cannot be
    at_once = close(client, h, pid, {"market_id": mid, "side": "buy", "token": "yes",
                                     "trigger_price": "0.2", "max_shares": "100"})  # fmt: skip
    waiting = close(client, h, pid, {"market_id": mid, "side": "buy", "token": "yes",
                                     "trigger_price": "0.005", "max_shares": "2000"})  # fmt: skip
    assert at_once.status_code == waiting.status_code == 201, at_once.text
    assert set(at_once.json()) == set(waiting.json()) == RECEIPT_KEYS
    # each escrows what its shares cost at the trigger with the fee, and a cent, fired or not:
    # 100 x 0.2 x 1.01 + 0.01 = 20.21 and 2000 x 0.005 x 1.01 + 0.01 = 10.11
    assert balance(client, h, pid) == "469.68"
    records = client.app.state.programs.journal(pid).state.close_orders
    fired = records[at_once.json()["order_id"]]
    pending = records[waiting.json()["order_id"]]
    assert (fired.side, fired.status, pending.status) == (
        Side.BUY, CloseStatus.FIRED, CloseStatus.PENDING,
    )  # fmt: skip
    sell = close(client, h, pid, {"market_id": mid, "token": "no", "trigger_price": "0.995",
                                  "max_shares": "5"})  # fmt: skip
    assert sell.status_code == 201 and balance(client, h, pid) == "469.68"  # a sell escrows 0
    assert records[sell.json()["order_id"]].side is Side.SELL


@pytest.mark.parametrize(
    "body",
    [{"side": "hold"}, {"trigger_price": "1"}, {"max_shares": "0"}, {"max_shares": "1e3"},
     {"token": "maybe"}, {"extra": 1}],
)  # fmt: skip
def test_a_malformed_close_order_is_refused_and_changes_nothing(site, body):
    client, h, _ = site
    pid, mid = program(client, h)
    base = {"market_id": mid, "side": "buy", "token": "yes", "trigger_price": "0.2",
            "max_shares": "10"}  # fmt: skip
    r = close(client, h, pid, {**base, **body})
    assert r.status_code == 422, r.text
    assert balance(client, h, pid) == "500.00"
    assert client.app.state.programs.journal(pid).state.close_orders == {}


def test_the_sponsor_cannot_place_a_close_order_and_one_it_cannot_afford_is_refused(site):
    client, h, _ = site
    pid, mid = program(client, h)
    body = {"market_id": mid, "side": "buy", "trigger_price": "0.5", "max_shares": "5000"}
    r = close(client, h, pid, body)
    assert r.status_code == 400 and r.json()["code"] == "insufficient_cash"
    r = client.post(f"/programs/{pid}/close-orders", headers=h["label"], json=body)
    assert r.status_code == 403


def test_the_scout_page_places_a_buy_to_close(site):
    client, h, tokens = site
    pid, mid = program(client, h)
    browser = TestClient(client.app)
    sign_in(browser, tokens["fan"])
    page = browser.get(f"/ui/scout/programs/{pid}").text
    assert 'name="side" aria-label="close side"' in page and 'value="buy"' in page
    r = browser.post(f"/ui/scout/programs/{pid}/close-orders", follow_redirects=False, data={
        "market_id": mid, "side": "buy", "outcome": "no", "trigger_price": "0.9",
        "max_shares": "10",
    })  # fmt: skip
    assert flash_after(browser, r) == "done"
    (record,) = client.app.state.programs.journal(pid).state.close_orders.values()
    assert (record.side, record.token) == (Side.BUY, Token.NO)
    assert str(record.escrow) == "9.10"  # 10 x 0.9 x 1.01 + 0.01
    r = browser.post(f"/ui/scout/programs/{pid}/close-orders", follow_redirects=False, data={
        "market_id": mid, "side": "short", "trigger_price": "0.9", "max_shares": "10",
    })  # fmt: skip
    assert flash_after(browser, r) == "side: choose sell to close or buy to close, yes or no"


@pytest.mark.parametrize("amm", list(AmmKind))
def test_every_amm_is_a_program_choice_over_the_api_and_the_sponsors_page(site, amm):
    client, h, tokens = site
    pid, mid = program(client, h, amm.value)
    assert client.get(f"/programs/{pid}", headers=h["fan"]).json()["terms"]["amm"] == amm.value
    r = client.post(f"/programs/{pid}/orders", headers={**h["fan"], "Idempotency-Key": "k"},
                    json={"market_id": mid, "side": "buy", "max_spend": "20"})  # fmt: skip
    assert r.status_code == 201
    browser = TestClient(client.app)
    sign_in(browser, tokens["label"])
    assert f'value="{amm.value}"' in browser.get("/ui/sponsor").text
    r = browser.post("/ui/sponsor/programs", follow_redirects=False, data={
        "title": f"By page {amm.value}", "deposit": "1000", "budget": "100", "window": "2",
        "window_unit": "days", "amm": amm.value, "late_reveal_days": "0.5",
    })  # fmt: skip
    assert flash_after(browser, r) == "program opened"
    opened = client.app.state.programs.journal(r.headers["location"].rsplit("/", 1)[1])
    terms = opened.state.require_terms()
    assert (terms.amm, terms.late_reveal_seconds) == (amm, 43200)
