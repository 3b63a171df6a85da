"""The pegged-token service: the operator opens a market, credits deposits, reports the feed
and ticks; traders buy and sell PEG and MMS; anyone reads the market, its history and its
dashboard; every refusal is a 4xx with a reason, and the state survives a restart."""

import time
from datetime import timedelta
from decimal import Decimal as D

import pytest
from fastapi.testclient import TestClient

from marketcraft.config import Settings
from marketcraft.kernel import SimulatedClock
from marketcraft.roles import Role
from marketcraft.service.app import create_app
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW, SIGNER, bearer
from tests.support.problems import problem

OPEN = {
    "name": "usd",
    "opener": "founder",
    "deposit": "10000000",
    "feed": "0.5",
    "delay_seconds": 0,
    "correction_seconds": 600,
    "feed_window_seconds": 3600,
}


@pytest.fixture
def clock():
    return SimulatedClock(NOW)


@pytest.fixture
def app(database, clock):
    return create_app(database=database, clock=clock, signer=SIGNER)


@pytest.fixture
def people(database):
    made = {}
    for name, role in (("ops", Role.ADMIN), ("ann", Role.TRADER), ("bob", Role.TRADER)):
        made[name] = bearer(issue_token(database.principals, name, role, NOW)[1])
    made["scout"] = bearer(issue_token(database.principals, "sam", Role.SCOUT, NOW)[1])
    return made


def opened(client, people):
    r = client.post("/peg/markets", json=OPEN, headers=people["ops"])
    assert r.status_code == 201, r.text
    for user in ("ann", "bob"):
        r = client.post(
            "/peg/markets/usd/credits", json={"user": user, "amount": "100000"},
            headers=people["ops"],
        )  # fmt: skip
        assert r.status_code == 200 and D(r.json()["col"]) == 100_000
    return r


def test_the_spec_opening_and_a_trade_round(app, people):
    with TestClient(app) as client:
        opened(client, people)
        market = client.get("/peg/markets/usd").json()  # public: no token
        assert D(market["connector_col"]) == 2_500_000
        assert D(market["excess_col"]) == 7_500_000
        assert D(market["connector_peg"]) == 5_000_000
        assert market["mode"] == "normal" and D(market["spot"]) == D("0.5")
        r = client.post("/peg/markets/usd/buy-peg", json={"amount": "1000"}, headers=people["ann"])
        assert r.status_code == 200, r.text
        bought = D(r.json()["received"])
        assert D(r.json()["fee"]) == 3 and D(r.json()["balance"]["peg"]) == bought
        r = client.post(
            "/peg/markets/usd/sell-peg", json={"amount": str(bought)}, headers=people["ann"]
        )
        assert D(r.json()["received"]) < 1000  # a round trip never profits
        r = client.post("/peg/markets/usd/buy-mms", json={"amount": "5000"}, headers=people["bob"])
        assert r.status_code == 200 and D(r.json()["received"]) > 0
        mms = r.json()["balance"]["mms"]
        r = client.post("/peg/markets/usd/sell-mms", json={"amount": mms}, headers=people["bob"])
        assert r.status_code == 200, r.text
        assert (
            client.get("/peg/markets/usd/balance", headers=people["bob"]).json()["mms"]
            == "0.000000"
        )
        assert D(client.get("/peg/markets/usd").json()["fees"]) > 0


def test_the_feed_and_ticks_correct_the_price_and_the_dashboard_shows_it(app, people, clock):
    with TestClient(app) as client:
        opened(client, people)
        clock.advance(timedelta(seconds=3601))
        r = client.post("/peg/markets/usd/feed", json={"price": "0.45"}, headers=people["ops"])
        assert D(r.json()["feed"]) == D("0.45")
        for _ in range(12):
            clock.advance(timedelta(seconds=60))
            r = client.post("/peg/markets/usd/tick", headers=people["ops"])
            assert r.status_code == 200, r.text
        market = r.json()
        assert D("0.45") <= D(market["spot"]) < D("0.5")  # SPOT came down towards the feed
        history = client.get("/peg/markets/usd/history").json()["items"]
        assert len(history) >= 14 and history[0]["spot"] != history[-1]["spot"]
        # ?limit is honoured: the history comes a page at a time, oldest first, all of it
        paged, offset = [], 0
        while offset is not None:
            page = client.get("/peg/markets/usd/history", params={"offset": offset, "limit": 5})
            assert len(page.json()["items"]) <= 5
            paged += page.json()["items"]
            offset = page.json()["next_offset"]
        assert paged == history
        last = client.get("/peg/markets/usd/history", params={"offset": len(history) - 1,
                                                               "limit": 5}).json()  # fmt: skip
        assert last == {"items": history[-1:], "next_offset": None}
        too_many = client.get("/peg/markets/usd/history", params={"limit": 501})
        assert too_many.status_code == 422 and too_many.json()["errors"][0]["loc"] == [
            "query", "limit"]  # fmt: skip
        page = client.get("/ui/peg/usd")
        assert page.status_code == 200
        assert page.text.count("<svg") == 4 and "SPOT and feed" in page.text
        assert "usd" in client.get("/ui/peg").text


@pytest.mark.parametrize(
    ("who", "path", "body", "status", "error"),
    [
        ("ann", "/peg/markets/usd/buy-peg", {"amount": "999999999"}, 400, "insufficient_funds"),
        ("ann", "/peg/markets/usd/sell-mms", {"amount": "1"}, 400, "insufficient_funds"),
        # finer than any asset's minor unit: refused by the body's schema, before the engine
        ("ann", "/peg/markets/usd/buy-peg", {"amount": "0.0000001"}, 422, None),
        ("ann", "/peg/markets/nowhere/buy-peg", {"amount": "1"}, 404, "no_market"),
        ("ops", "/peg/markets", {**OPEN, "name": "Bad Name"}, 422, None),
        ("ops", "/peg/markets", OPEN, 400, "already_open"),
        ("ops", "/peg/markets/usd/feed", {"price": "-1"}, 422, None),
        ("scout", "/peg/markets/usd/buy-peg", {"amount": "1"}, 403, None),
        ("ann", "/peg/markets/usd/feed", {"price": "1"}, 403, None),
    ],
)
def test_refusals_are_4xx_with_reasons_and_change_nothing(
    app, people, who, path, body, status, error
):
    with TestClient(app) as client:
        opened(client, people)
        before = client.get("/peg/markets/usd").json()
        r = client.post(path, json=body, headers=people[who])
        assert r.status_code == status, r.text
        if error:
            assert r.json()["code"] == error
        assert client.get("/peg/markets/usd").json() == before


def test_a_restarted_service_reads_the_same_market(database, people, clock):
    with TestClient(create_app(database=database, clock=clock, signer=SIGNER)) as client:
        opened(client, people)
        client.post("/peg/markets/usd/buy-peg", json={"amount": "1000"}, headers=people["ann"])
        before = client.get("/peg/markets/usd").json()
    with TestClient(create_app(database=database, clock=clock, signer=SIGNER)) as client:
        assert client.get("/peg/markets/usd").json() == before
        assert client.get("/peg/markets").json()["items"][0]["name"] == "usd"


def test_the_served_app_ticks_every_market_on_its_own(database, people, clock):
    """``marketcraft serve`` ticks each peg_tick_seconds: SPOT off the feed gets corrected
    without anyone calling /tick."""
    settings = Settings(peg_tick_seconds=0.02)
    app = create_app(settings, database=database, clock=clock, signer=SIGNER, tick_pegs=True)
    with TestClient(app) as client:
        opened(client, people)
        clock.advance(timedelta(seconds=3601))
        client.post("/peg/markets/usd/feed", json={"price": "0.45"}, headers=people["ops"])
        spot = D(client.get("/peg/markets/usd").json()["spot"])
        for _ in range(200):
            clock.advance(timedelta(seconds=60))
            time.sleep(0.02)
            now = D(client.get("/peg/markets/usd").json()["spot"])
            if now < spot:
                break
        assert now < spot  # corrected by the service's own ticks
    version = database.events.stream_version("peg/market/usd")
    time.sleep(0.1)
    assert database.events.stream_version("peg/market/usd") == version  # stopped with the app


def test_col_is_credited_only_to_a_trader(app, people):
    with TestClient(app) as client:
        opened(client, people)
        for user in ("nobody", "sam", "ops"):  # no such user, a scout, an admin
            r = client.post(
                "/peg/markets/usd/credits", json={"user": user, "amount": "10"},
                headers=people["ops"],
            )  # fmt: skip
            assert r.status_code == 400, (user, r.text)
            assert r.json() == problem(400, "not_a_trader", f"user: {user!r} is not a trader")
        assert client.get("/peg/markets/usd/balance", headers=people["scout"]).status_code == 403


def test_trades_take_slippage_limits_and_the_market_caps_their_size(app, people):
    """min_return on every trade and max_cost on an MMS sale are checked by the engine: a
    trade that would break one is refused whole (400 slippage) naming the limit; the market's
    max_trade_fraction caps what one trade may bring (400 too_large)."""
    with TestClient(app) as client:
        opened(client, people)
        r = client.post(
            "/peg/markets", headers=people["ops"],
            json={**OPEN, "name": "thin", "max_trade_fraction": "0.01"},
        )  # fmt: skip
        assert r.status_code == 201, r.text
        assert r.json()["max_trade_fraction"] == "0.01" and r.json()["swan_exit_after_burn"]
        client.post(
            "/peg/markets/thin/credits", json={"user": "ann", "amount": "100000"},
            headers=people["ops"],
        )  # fmt: skip
        before = client.get("/peg/markets/thin").json()
        r = client.post(
            "/peg/markets/thin/buy-peg", json={"amount": "30000"}, headers=people["ann"]
        )
        assert r.status_code == 400 and r.json()["code"] == "too_large", r.text
        assert "col_in" in r.json()["detail"]
        assert client.get("/peg/markets/thin").json() == before

        def post(path, body):
            return client.post(f"/peg/markets/usd/{path}", json=body, headers=people["ann"])

        before = client.get("/peg/markets/usd").json()
        r = post("buy-peg", {"amount": "1000", "min_return": "1994"})  # about 1988 at SPOT 0.5
        assert r.status_code == 400 and r.json()["code"] == "slippage", r.text
        assert "min_return" in r.json()["detail"] and "1994" in r.json()["detail"]
        assert client.get("/peg/markets/usd").json() == before
        r = post("buy-peg", {"amount": "1000", "min_return": "1980"})
        assert r.status_code == 200 and D(r.json()["received"]) >= 1980
        r = post("buy-mms", {"amount": "1000", "min_return": "990"})
        assert r.status_code == 200, r.text
        mms = r.json()["balance"]["mms"]
        r = post("sell-mms", {"amount": mms, "max_cost": "0.000001"})
        assert r.status_code == 400 and r.json()["code"] == "slippage"
        assert "max_cost" in r.json()["detail"]
        r = post("sell-mms", {"amount": mms, "min_return": "900", "max_cost": "1000"})
        assert r.status_code == 200 and D(r.json()["received"]) >= 900
        r = post("sell-peg", {"amount": "100", "min_return": "60"})  # 100 PEG is about 50 COL
        assert r.status_code == 400 and r.json()["code"] == "slippage"
        # max_cost is only an MMS sale's (the PEG it hands in): elsewhere it is refused
        assert post("buy-peg", {"amount": "1", "max_cost": "1"}).status_code == 422
