"""One peg market's state never breaks another's views or the list. The whole MMS supply
cannot be sold (400, nothing written); a stored market whose relay is already empty, or whose
stream does not fold, is quarantined: listed as unavailable, its own routes answer 423 (the
command that found it 500, with the cause logged), until an operator releases it."""

import logging
from decimal import Decimal as D

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from marketcraft.cli import app as cli
from marketcraft.kernel import SimulatedClock
from marketcraft.peg.events import MmsSold
from marketcraft.roles import Role
from marketcraft.service.app import create_app
from marketcraft.store import NewEvent, new_event
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW, SIGNER, bearer
from tests.e2e.test_peg_service import OPEN

LOGGER = "marketcraft.app.peg_markets"


@pytest.fixture
def people(database):
    return {
        name: bearer(issue_token(database.principals, name, role, NOW)[1])
        for name, role in (("ops", Role.ADMIN), ("founder", Role.TRADER), ("ann", Role.TRADER))
    }


@pytest.fixture
def client(database, people):
    app = create_app(database=database, clock=SimulatedClock(NOW), signer=SIGNER)
    with TestClient(app) as c:
        for name in ("usd", "eur"):
            assert c.post(
                "/peg/markets", json={**OPEN, "name": name}, headers=people["ops"]
            ).is_success
            credit = {"user": "ann", "amount": "100000"}
            assert c.post(
                f"/peg/markets/{name}/credits", json=credit, headers=people["ops"]
            ).is_success
        yield c


def buy_peg(client, people, name):
    return client.post(
        f"/peg/markets/{name}/buy-peg", json={"amount": "100"}, headers=people["ann"]
    )


def test_the_whole_mms_supply_cannot_be_sold_and_nothing_is_written(client, people, database):
    """The opening locks 0.001 MMS (1000 minor units) that no one holds: the opener holds the
    supply less that, so selling the whole supply is refused as more than it holds, and
    selling all it holds leaves the locked MMS and a relay that can be shown."""
    stream_before = database.events.stream_version("peg/market/usd")
    before = client.get("/peg/markets/usd").json()
    supply = before["mms_supply"]
    r = client.post("/peg/markets/usd/sell-mms", json={"amount": supply}, headers=people["founder"])
    assert r.status_code == 400
    assert r.json()["code"] == "insufficient_funds"
    assert database.events.stream_version("peg/market/usd") == stream_before
    assert client.get("/peg/markets/usd").json() == before
    listed = client.get("/peg/markets")
    assert listed.status_code == 200 and [m["status"] for m in listed.json()["items"]] == [
        "open",
        "open",
    ]
    assert client.get("/ui/peg").status_code == 200
    # all the opener holds (the supply less the locked MMS) sells, and leaves a market that
    # can be shown
    rest = str(D(supply) - D("0.001"))
    r = client.post("/peg/markets/usd/sell-mms", json={"amount": rest}, headers=people["founder"])
    assert r.status_code == 200, r.text
    left = client.get("/peg/markets/usd")
    assert left.status_code == 200 and D(left.json()["mms_supply"]) == D("0.001")
    assert D(left.json()["connector_col"]) > 0 and D(left.json()["connector_peg"]) > 0
    assert client.get("/peg/markets").status_code == 200


def empty_the_relay(database, name):
    """A stored sale that empties the relay, as the old engine stored for the sale of the
    whole supply (here of all the opener holds, the supply less the locked MMS)."""
    stream = f"peg/market/{name}"
    old_sale = MmsSold("founder", D("9999999.999"), D(0), D(5_000_000), D(2_500_000),
                       D(7_500_000), D(0))  # fmt: skip
    database.events.append(stream, database.events.stream_version(stream), [new_event(old_sale)])


def test_a_stored_market_with_an_empty_relay_is_listed_as_unavailable_and_hides_no_other(
    client, people, database, caplog
):
    assert buy_peg(client, people, "eur").status_code == 200
    empty_the_relay(database, "usd")
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        listed = client.get("/peg/markets")
    assert listed.status_code == 200
    usd, eur = listed.json()["items"]
    assert usd == {
        "name": "usd", "status": "unavailable", "error": "market_quarantined",
        "reason": usd["reason"],
    }  # fmt: skip
    assert eur["status"] == "open" and eur == client.get("/peg/markets/eur").json()
    (logged,) = [rec for rec in caplog.records if rec.name == LOGGER]
    assert "usd" in logged.getMessage() and "empty_relay" in logged.getMessage()
    page = client.get("/ui/peg")
    assert (
        page.status_code == 200 and 'href="/ui/peg/eur"' in page.text and "unavailable" in page.text
    )
    for path in ("/peg/markets/usd", "/peg/markets/usd/history", "/ui/peg/usd"):
        r = client.get(path)
        assert r.status_code == 423, path
        if path.startswith("/ui/"):  # a page: its refusal is a page saying why
            assert "423 Locked" in r.text and r.headers["content-type"].startswith("text/html")
        else:
            assert r.json()["code"] == "market_quarantined", path
    assert buy_peg(client, people, "usd").status_code == 423
    assert buy_peg(client, people, "eur").status_code == 200
    assert client.get("/ui/peg/eur").status_code == 200


def test_a_quarantined_market_that_can_be_shown_is_read_but_not_traded(client, people, database):
    database.quarantine.add("peg", "usd", "an operator's hold")
    shown = client.get("/peg/markets/usd")
    assert shown.status_code == 200 and shown.json()["status"] == "quarantined"
    assert [m["status"] for m in client.get("/peg/markets").json()["items"]] == [
        "quarantined", "open",
    ]  # fmt: skip
    assert "(quarantined)" in client.get("/ui/peg").text
    r = buy_peg(client, people, "usd")
    assert r.status_code == 423 and r.json()["code"] == "market_quarantined"
    assert client.post("/peg/markets/usd/tick", headers=people["ops"]).status_code == 423
    assert buy_peg(client, people, "eur").status_code == 200


def quarantine_cli(*args):
    return CliRunner().invoke(cli, ["peg", "quarantine", *args], env={"COLUMNS": "250"})


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_stream_that_does_not_fold_answers_500_once_then_423_until_released(
    client, people, database, caplog
):
    stream = "peg/market/usd"
    garbage = NewEvent("peg.peg_bought", b'{"type": "peg.peg_bought", "data": {}}')
    database.events.append(stream, database.events.stream_version(stream), [garbage])
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        assert buy_peg(client, people, "usd").status_code == 500
    (logged,) = [rec for rec in caplog.records if rec.name == LOGGER]
    assert "usd" in logged.getMessage() and "bad_event" in logged.getMessage()
    assert buy_peg(client, people, "usd").status_code == 423
    assert client.get("/peg/markets").status_code == 200
    listing = quarantine_cli("list", "--database-url", database.url)
    assert listing.exit_code == 0 and "usd" in listing.stdout and "eur" not in listing.stdout
    with database.engine.begin() as conn:  # the operator removes the bad event ...
        conn.execute(
            text("DELETE FROM events WHERE stream_id = :s AND version = :v"),
            {"s": stream, "v": database.events.stream_version(stream)},
        )
    assert quarantine_cli("release", "usd", "--database-url", database.url).exit_code == 0
    assert buy_peg(client, people, "usd").status_code == 200  # ... and releases the market
    assert client.get("/peg/markets/usd").json()["status"] == "open"
