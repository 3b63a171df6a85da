"""The JSON API and the pages issue each opportunity command through the same application
function, so a page gets what the API gets: the same ids, the same idempotency, the same
refusals."""

import functools

import pytest
from fastapi.testclient import TestClient

from marketcraft.app import opportunity_actions as actions
from marketcraft.kernel import SimulatedClock
from marketcraft.roles import Role
from marketcraft.service.app import create_app
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW, SIGNER, bearer
from tests.support.pages import flash_after, sign_in
from tests.support.problems import problem

ACTIONS = (
    "open_program", "list_market", "deposit_cash", "place_order", "withdraw_cash",
    "withdraw_collateral", "close_program",
)  # fmt: skip


@pytest.fixture
def web(database):
    tokens = {
        name: issue_token(database.principals, name, role, NOW)[1]
        for name, role in [("label", Role.SPONSOR), ("fan", Role.SCOUT)]
    }
    app = create_app(database=database, clock=SimulatedClock(NOW), signer=SIGNER)
    with TestClient(app) as client:
        yield client, tokens


@pytest.fixture
def calls(monkeypatch):
    """Every call of the watched application functions, by name, as they are made."""
    seen: list[str] = []
    for name in ACTIONS:
        real = getattr(actions, name)

        def watched(*args, _real=real, _name=name, **kwargs):
            seen.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(actions, name, functools.wraps(real)(watched))
    return seen


def api_program(client, tokens) -> tuple[str, str]:
    label = bearer(tokens["label"])
    program = client.post("/programs", headers=label, json={
        "title": "Scouting", "deposit": "100000",
        "terms": {"market_budget": "1000", "window_seconds": 86400, "fee_rate": "0.01"},
    })  # fmt: skip
    assert program.status_code == 201, program.text
    pid = program.json()["program_id"]
    market = client.post(f"/programs/{pid}/markets", headers=label, json={"title": "Sign Ada?"})
    assert market.status_code == 201, market.text
    return pid, market.json()["market_id"]


def orders_of(client, pid: str) -> dict:
    return client.app.state.programs.journal(pid).state.orders


def page_order(client, pid, mid, key, spend):
    data = {"market_id": mid, "max_spend": spend, "key": key}
    return client.post(f"/ui/scout/programs/{pid}/orders", data=data, follow_redirects=False)


def test_the_api_and_the_pages_call_the_same_functions(web, calls):
    client, tokens = web
    pid, mid = api_program(client, tokens)
    fan = bearer(tokens["fan"])
    assert client.post(f"/programs/{pid}/deposits", headers=fan, json={"amount": "100"}).json() == {
        "available": "100.00"
    }
    body = {"market_id": mid, "side": "buy", "max_spend": "10"}
    placed = client.post(
        f"/programs/{pid}/orders", headers={**fan, "Idempotency-Key": "api"}, json=body
    )
    assert placed.status_code == 201
    api_calls = list(calls)
    calls.clear()

    sign_in(client, tokens["label"])
    opened = client.post(
        "/ui/sponsor/programs", data={"title": "Again", "deposit": "50000", "budget": "1000"},
        follow_redirects=False,
    )  # fmt: skip
    assert flash_after(client, opened) == "program opened"
    client.post(f"/ui/sponsor/programs/{pid}/markets", data={"title": "Sign Bo?"})
    sign_in(client, tokens["fan"])
    client.post(f"/ui/scout/programs/{pid}/deposit", data={"amount": "100"})
    assert flash_after(client, page_order(client, pid, mid, "page", "10")).startswith(
        "order accepted"
    )
    page_calls = list(calls)

    assert api_calls == page_calls == ["open_program", "list_market", "deposit_cash", "place_order"]
    state = client.app.state.programs.journal(pid).state
    assert state.available("fan") == 200 - 10 - 10
    # the same ids from either path: the order's from the scout and the key, the rest random
    assert set(orders_of(client, pid)) == {
        actions.order_id_for("fan", "api"),
        actions.order_id_for("fan", "page"),
    }
    assert len(state.markets) == 2 and all(m.startswith("m-") for m in state.markets)


def test_a_page_honours_the_order_key_as_the_api_does(web):
    client, tokens = web
    pid, mid = api_program(client, tokens)
    sign_in(client, tokens["fan"])
    client.post(f"/ui/scout/programs/{pid}/deposit", data={"amount": "100"})
    first = page_order(client, pid, mid, "form-1", "25")
    assert flash_after(client, first) == "order accepted; its receipt is in your orders"
    # the same form sent again: placed once
    again = page_order(client, pid, mid, "form-1", "25")
    assert flash_after(client, again) == "order accepted; its receipt is in your orders"
    # the same key for another order: refused, as the API refuses it
    other = page_order(client, pid, mid, "form-1", "30")
    assert flash_after(client, other) == "this key was used for another order"
    (order,) = orders_of(client, pid).values()
    assert order.order_id == actions.order_id_for("fan", "form-1") and order.escrow == 25
    balance = client.app.state.programs.journal(pid).state.available("fan")
    assert balance == 75


def test_an_api_retry_of_a_page_order_gets_its_receipt(web):
    client, tokens = web
    pid, mid = api_program(client, tokens)
    fan = bearer(tokens["fan"])
    client.post(f"/programs/{pid}/deposits", headers=fan, json={"amount": "100"})
    sign_in(client, tokens["fan"])
    page_order(client, pid, mid, "shared", "25")
    receipt, _ = client.app.state.programs.receipt(pid, actions.order_id_for("fan", "shared"))
    body = {"market_id": mid, "side": "buy", "max_spend": "25"}
    retry = client.post(
        f"/programs/{pid}/orders", headers={**fan, "Idempotency-Key": "shared"}, json=body
    )
    assert retry.status_code == 201
    assert retry.json()["order_id"] == receipt.order_id
    assert retry.json()["signature"] == receipt.signature.hex()
    other = client.post(
        f"/programs/{pid}/orders",
        headers={**fan, "Idempotency-Key": "shared"},
        json={**body, "max_spend": "26"},
    )
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert len(orders_of(client, pid)) == 1


def test_money_goes_out_through_the_same_functions_from_the_api_and_the_pages(web, calls):
    client, tokens = web
    pid, _ = api_program(client, tokens)
    fan, label = bearer(tokens["fan"]), bearer(tokens["label"])
    client.post(f"/programs/{pid}/deposits", headers=fan, json={"amount": "100"})
    calls.clear()
    assert client.post(f"/programs/{pid}/withdrawals", headers=fan,
                       json={"amount": "10"}).json() == {"available": "90.00"}  # fmt: skip
    taken = client.post(f"/programs/{pid}/collateral/withdrawals", headers=label,
                        json={"amount": "10"})  # fmt: skip
    assert taken.json()["withdrawn"] == "10.00"
    refused = client.post(f"/programs/{pid}/close", headers=label)
    assert refused.json() == problem(400, "not_settled", "only a settled program can be closed")
    api_calls = list(calls)
    calls.clear()

    sign_in(client, tokens["fan"])
    r = client.post(f"/ui/scout/programs/{pid}/withdraw", data={"amount": "10"})
    assert r.status_code == 200
    sign_in(client, tokens["label"])
    page = f"/ui/sponsor/programs/{pid}"
    client.post(f"{page}/collateral/withdraw", data={"amount": "10"})
    closing = client.post(f"{page}/close", follow_redirects=False)
    assert flash_after(client, closing) == "only a settled program can be closed"
    page_calls = list(calls)

    assert api_calls == page_calls == ["withdraw_cash", "withdraw_collateral", "close_program"]
    state = client.app.state.programs.journal(pid).state
    assert state.available("fan") == 80
    assert client.get(f"/programs/{pid}/collateral", headers=label).json()["withdrawn"] == "20.00"
