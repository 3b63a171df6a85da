"""While a window is open a scout learns nothing about price or fills, through any response; a
market's creator learns nothing of whether anyone ordered in it."""

import json
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from marketcraft.kernel import SimulatedClock
from marketcraft.roles import Role
from marketcraft.service.app import create_app
from marketcraft.store import Database
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW, SIGNER, bearer

VOLATILE = re.compile(
    r"^(order_id|order_hash|leaf_hash|commitment|merge_by|signature|receipt|key_id)$"
)
#: what would tell a scout how busy the program is: no reply to it may hold any of these
POSITIONS = ("sequence", "tree_size", "leaf_index", "checkpoint", "inclusion")


@pytest.fixture
def world(database):
    clock = SimulatedClock(NOW)
    tokens = {
        name: issue_token(database.principals, name, role, NOW)[1]
        for name, role in [("label", Role.SPONSOR), ("rival", Role.SPONSOR), ("early", Role.SCOUT),
                           ("late", Role.SCOUT), ("whale", Role.SCOUT)]
    }  # fmt: skip
    with TestClient(create_app(database=database, clock=clock, signer=SIGNER)) as client:
        h = {k: bearer(v) for k, v in tokens.items()}
        program = client.post("/programs", headers=h["label"], json={
            "title": "Label X scouting", "deposit": "100000",
            "terms": {"market_budget": "1000", "window_seconds": 86400, "fee_rate": "0.01"},
        })  # fmt: skip
        assert program.status_code == 201, program.text
        pid = program.json()["program_id"]
        market = client.post(
            f"/programs/{pid}/markets", headers=h["label"], json={"title": "Sign XYZ?"}
        )
        mid = market.json()["market_id"]
        for scout in ("early", "late", "whale"):
            assert (
                client.post(
                    f"/programs/{pid}/deposits", headers=h[scout], json={"amount": "500"}
                ).status_code
                == 200
            )
        yield client, h, pid, mid, clock


def order(client, headers, pid, mid, key, spend):
    body = {"market_id": mid, "side": "buy", "max_spend": spend}
    return client.post(
        f"/programs/{pid}/orders", headers={**headers, "Idempotency-Key": key}, json=body
    )


def scrub(value):
    """Drop what may differ between two identical-looking orders: ids, times, commitments."""
    if isinstance(value, dict):
        return {
            k: ("*" if VOLATILE.match(k) or k.endswith("_at") else scrub(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def keys_of(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_of(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_of(v)}
    return set()


#: headers every response has its own of, whatever it answers
PER_RESPONSE = ("date", "content-length", "x-request-id")


def visible(client, headers, pid):
    """Everything a scout can fetch about the program."""
    out = {}
    for path in ("", "/markets", "/orders", "/balance"):
        r = client.get(f"/programs/{pid}{path}", headers=headers)
        out[path] = (
            r.status_code,
            scrub(r.json()),
            {k: v for k, v in r.headers.items() if k not in PER_RESPONSE},
        )
    return out


def test_very_different_fills_give_identical_scout_responses(world):
    client, h, pid, mid, _ = world
    first = order(client, h["early"], pid, mid, "k1", "10")  # fills at the bottom of the band
    order(client, h["whale"], pid, mid, "k2", "400")  # pushes the price to the top
    second = order(client, h["late"], pid, mid, "k3", "10")  # clipped: fills nothing
    assert first.status_code == second.status_code == 201
    assert set(first.json()) == set(second.json())
    assert scrub(first.json()) == scrub(second.json())
    assert {k: v for k, v in first.headers.items() if k not in PER_RESPONSE} == {
        k: v for k, v in second.headers.items() if k not in PER_RESPONSE
    }
    early, late = visible(client, h["early"], pid), visible(client, h["late"], pid)
    assert early == late
    # the sponsor sees what the scouts cannot
    board = client.get(f"/programs/{pid}/dashboard", headers=h["label"]).json()["items"][0]
    assert float(board["price"]) == pytest.approx(0.30, abs=1e-3)
    for body in (first.json(), second.json(), *[v[1] for v in early.values()]):
        # the scout's own order (its limit_price, max_shares) is echoed; nothing else priced
        assert not keys_of(body) & {"price", "shares", "state_after", "cash", "fee"}, body
    # a receipt names no log position: the whale's order between the two says nothing
    for reply in (first.json(), second.json()):
        assert not any(p in repr(reply) for p in POSITIONS), reply


def test_scouts_cannot_reach_sponsor_routes_and_sponsors_cannot_order(world):
    client, h, pid, mid, _ = world
    assert client.get(f"/programs/{pid}/dashboard", headers=h["early"]).status_code == 403
    assert client.post(f"/programs/{pid}/markets/{mid}/resolve", headers=h["early"],
                       json={"outcome": "yes", "evidence": "x"}).status_code == 403  # fmt: skip
    assert order(client, h["label"], pid, mid, "s1", "10").status_code == 403
    assert (
        client.post(
            f"/programs/{pid}/deposits", headers=h["label"], json={"amount": "5"}
        ).status_code
        == 403
    )
    # another sponsor cannot see or act on this program's dashboard
    assert client.get(f"/programs/{pid}/dashboard", headers=h["rival"]).status_code == 404


def test_a_retried_order_is_placed_once_and_gets_the_same_receipt(world):
    client, h, pid, mid, _ = world
    a = order(client, h["early"], pid, mid, "retry-me", "25")
    b = order(client, h["early"], pid, mid, "retry-me", "25")
    assert a.status_code == b.status_code == 201
    assert a.json() == b.json()
    assert (
        client.get(f"/programs/{pid}/balance", headers=h["early"]).json()["available"] == "475.00"
    )
    other = order(client, h["early"], pid, mid, "retry-me", "26")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"


def test_after_the_reveal_scouts_see_their_own_fills(world):
    client, h, pid, mid, clock = world
    order(client, h["early"], pid, mid, "a", "10")
    before = client.get(f"/programs/{pid}/orders", headers=h["early"]).json()["items"][0]
    assert before["fill"] is None and before["revealed"] is False
    clock.advance(timedelta(days=2))
    assert (
        client.post(f"/programs/{pid}/markets/{mid}/reveal", headers=h["late"]).status_code == 204
    )
    after = client.get(f"/programs/{pid}/orders", headers=h["early"]).json()["items"][0]
    assert after["revealed"] is True and float(after["fill"]["shares"]) > 0
    assert client.get(f"/programs/{pid}/orders", headers=h["late"]).json()["items"] == []


def creator_sees(ordered: bool) -> list[object]:
    """What a scout who listed a market sees, in a program where someone else did (or did not)
    order in that market: before the window ends, and after (ids made alike)."""
    database = Database.open("memory://", migrate=True)
    clock = SimulatedClock(NOW)
    tokens = {
        name: issue_token(database.principals, name, role, NOW)[1]
        for name, role in [("label", Role.SPONSOR), ("maker", Role.SCOUT), ("whale", Role.SCOUT)]
    }
    h = {k: bearer(v) for k, v in tokens.items()}
    seen: list[object] = []
    with TestClient(create_app(database=database, clock=clock, signer=SIGNER)) as client:
        pid = client.post("/programs", headers=h["label"], json={
            "title": "Open listing", "deposit": "100000",
            "terms": {"market_budget": "1000", "window_seconds": 86400, "creation_bond": "25"},
        }).json()["program_id"]  # fmt: skip
        for scout in ("maker", "whale"):
            client.post(f"/programs/{pid}/deposits", headers=h[scout], json={"amount": "500"})
        listed = client.post(
            f"/programs/{pid}/markets", headers=h["maker"], json={"title": "Mine?"}
        )
        mid = listed.json()["market_id"]

        def look() -> None:
            text = json.dumps(visible(client, h["maker"], pid), sort_keys=True)
            seen.append(json.loads(text.replace(pid, "P").replace(mid, "M")))

        look()
        if ordered:
            assert order(client, h["whale"], pid, mid, "w", "100").status_code == 201
        look()
        clock.advance(timedelta(days=2))
        client.post(f"/programs/{pid}/markets/{mid}/reveal", headers=h["whale"])  # the window ends
        look()
    database.close()
    return seen


def test_a_markets_creator_cannot_tell_whether_anyone_ordered_in_it():
    """The creation bond comes back when the window ends, whoever ordered: nothing the creator
    can fetch differs, before or after."""
    with_order, without = creator_sees(ordered=True), creator_sees(ordered=False)
    assert with_order == without
    balances = [view["/balance"][1]["available"] for view in with_order]
    assert balances == ["475.00", "475.00", "500.00"]  # the bond, held, then back
