"""SIZE_THRESHOLD over HTTP: at the reveal, small orders in aggregate and nothing of the large
ones (no field, count or status code differs from a program without them); at the late reveal,
each large order one by one and the final price."""

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from marketcraft.kernel import SimulatedClock
from marketcraft.roles import Role
from marketcraft.service.app import create_app
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW, SIGNER, bearer
from tests.support.pages import sign_in

WINDOW = timedelta(days=1)
LATE = timedelta(days=2)  # after the window closes
IDS = re.compile(r"\b[pmo]-[0-9a-f]{12,24}\b")
PEOPLE = [("label", Role.SPONSOR), ("small1", Role.SCOUT), ("small2", Role.SCOUT),
          ("whale", Role.SCOUT), ("watcher", Role.SCOUT), ("aud", Role.AUDITOR)]  # fmt: skip


@pytest.fixture
def site(database):
    clock = SimulatedClock(NOW)
    tokens = {name: issue_token(database.principals, name, role, NOW)[1] for name, role in PEOPLE}
    with TestClient(create_app(database=database, clock=clock, signer=SIGNER)) as client:
        yield client, {k: bearer(v) for k, v in tokens.items()}, tokens, clock


def open_world(client, h, *, whale_orders: bool):
    """A SIZE_THRESHOLD program (threshold 50): two small buys, and in one world the whale's
    two large ones between them."""
    r = client.post("/programs", headers=h["label"], json={
        "title": "Scouting", "deposit": "100000",
        "terms": {"market_budget": "5000", "window_seconds": int(WINDOW.total_seconds()),
                  "reveal_policy": "size_threshold", "reveal_threshold": "50",
                  "late_reveal_seconds": int(LATE.total_seconds())},
    })  # fmt: skip
    assert r.status_code == 201, r.text
    pid = r.json()["program_id"]
    assert r.json()["terms"]["late_reveal_seconds"] == LATE.total_seconds()
    mid = client.post(f"/programs/{pid}/markets", headers=h["label"],
                      json={"title": "Sign XYZ?"}).json()["market_id"]  # fmt: skip
    for scout in ("small1", "small2", "whale", "watcher"):
        client.post(f"/programs/{pid}/deposits", headers=h[scout], json={"amount": "1000"})
    order(client, h["small1"], pid, mid, "a", "20")
    if whale_orders:
        order(client, h["whale"], pid, mid, "w1", "400")
        order(client, h["whale"], pid, mid, "w2", "150")
    order(client, h["small2"], pid, mid, "b", "30")
    return pid, mid


def order(client, headers, pid, mid, key, spend):
    r = client.post(f"/programs/{pid}/orders", headers={**headers, "Idempotency-Key": key},
                    json={"market_id": mid, "side": "buy", "max_spend": spend})  # fmt: skip
    assert r.status_code == 201, r.text
    return r.json()["order_id"]


def seen(client, h, tokens, pid, mid, who):
    """Everything ``who`` can fetch about the market's results, ids scrubbed."""
    out = {}
    for path in (f"/markets/{mid}/results", "/markets", ""):
        r = client.get(f"/programs/{pid}{path}", headers=h[who])
        out[path.replace(mid, "M")] = (r.status_code, IDS.sub("*", r.text))
    if who != "aud":
        for path in ("/orders", "/balance"):
            r = client.get(f"/programs/{pid}{path}", headers=h[who])
            out[path] = (r.status_code, IDS.sub("*", r.text))
        browser = TestClient(client.app)
        sign_in(browser, tokens[who])
        page = browser.get(f"/ui/scout/programs/{pid}").text
        table = re.search(r'<table id="results">.*?</table>', page, re.S)
        out["page"] = IDS.sub("*", table.group(0)) if table else None
    return out


def test_large_orders_leave_no_trace_until_the_late_reveal(site):
    client, h, tokens, clock = site
    plain = open_world(client, h, whale_orders=False)
    whaled = open_world(client, h, whale_orders=True)
    clock.advance(WINDOW + timedelta(minutes=1))
    for pid, mid in (plain, whaled):
        assert client.post(f"/programs/{pid}/markets/{mid}/reveal",
                           headers=h["watcher"]).status_code == 204  # fmt: skip

    # Revealed: the small orders in aggregate, the same in both worlds for everyone but the
    # sponsor and the whale: no field, count, total or status code tells the whale was there.
    early = {}
    for who in ("watcher", "small1", "aud"):
        early[who] = [seen(client, h, tokens, pid, mid, who) for pid, mid in (plain, whaled)]
        assert early[who][0] == early[who][1], who
    results = client.get(f"/programs/{whaled[0]}/markets/{whaled[1]}/results",
                         headers=h["watcher"]).json()  # fmt: skip
    assert results["revealed"] and not results["complete"]
    assert (results["final_price"], results["fills"]) == (None, [])
    assert (results["aggregated_count"], results["aggregated_size"]) == (2, "50.00")
    assert early["watcher"][0]["page"] is not None and "2 orders" in early["watcher"][0]["page"]
    # another scout's large order: as missing as one that never existed
    whale_order = next(o["order_id"] for o in client.get(
        f"/programs/{whaled[0]}/orders", headers=h["whale"]).json()["items"])  # fmt: skip
    browser = TestClient(client.app)
    sign_in(browser, tokens["watcher"])
    probes = [browser.get(f"/ui/scout/programs/{whaled[0]}/receipts/{oid}.json")
              for oid in (whale_order, "o-" + "0" * 24)]  # fmt: skip
    assert [p.status_code for p in probes] == [404, 404] and probes[0].text == probes[1].text
    # the whale and the sponsor see the large fills, as before
    mine = client.get(f"/programs/{whaled[0]}/orders", headers=h["whale"]).json()["items"]
    assert all(o["revealed"] and o["fill"] for o in mine)

    # One second before the late reveal: still nothing.
    clock.advance(LATE - timedelta(minutes=1, seconds=1))
    for who in ("watcher", "aud"):
        now_seen = [seen(client, h, tokens, pid, mid, who) for pid, mid in (plain, whaled)]
        assert now_seen == early[who]

    # The late reveal: each large order one by one, and the final price.
    clock.advance(timedelta(seconds=1))
    late = client.get(f"/programs/{whaled[0]}/markets/{whaled[1]}/results",
                      headers=h["watcher"]).json()  # fmt: skip
    assert late["complete"] and late["final_price"] is not None
    assert [f["cash"] for f in late["fills"]] == [o["fill"]["cash"] for o in mine]
    assert (late["aggregated_count"], late["aggregated_size"]) == (2, "50.00")
    dashboard = client.get(f"/programs/{whaled[0]}/dashboard", headers=h["label"]).json()
    assert late["final_price"] == dashboard["items"][0]["price"]
    quiet = client.get(f"/programs/{plain[0]}/markets/{plain[1]}/results",
                       headers=h["watcher"]).json()  # fmt: skip
    assert quiet["complete"] and quiet["fills"] == [] and quiet["final_price"] is not None
    page = seen(client, h, tokens, *whaled, "watcher")["page"]
    assert page.count("shares for") == 2


def test_results_of_an_unknown_market_or_another_sponsors_program_are_not_found(site):
    client, h, _, _ = site
    pid, mid = open_world(client, h, whale_orders=False)
    unknown = client.get(f"/programs/{pid}/markets/m-000000000000/results", headers=h["watcher"])
    assert unknown.status_code == 404
    before = client.get(f"/programs/{pid}/markets/{mid}/results", headers=h["watcher"]).json()
    assert before["revealed"] is False and before["aggregated_count"] == 0
    assert before["late_reveal_at"] is not None  # from the terms and the window alone
