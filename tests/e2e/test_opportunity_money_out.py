"""Money out over HTTP and on the pages: scouts withdraw after settlement, the sponsor withdraws
its free collateral and then all of it, the program closes at zero and refuses everything
after; the pages offer only the forms that can apply."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from marketcraft.kernel import SimulatedClock
from marketcraft.opportunity.transcript import verify_transcript
from marketcraft.roles import Role
from marketcraft.service.app import create_app
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW, SIGNER, bearer
from tests.support.pages import flash_after, sign_in


@pytest.fixture
def site(database):
    clock = SimulatedClock(NOW)
    tokens = {
        name: issue_token(database.principals, name, role, NOW)[1]
        for name, role in [("label", Role.SPONSOR), ("fan", Role.SCOUT), ("b", Role.SCOUT)]
    }
    with TestClient(create_app(database=database, clock=clock, signer=SIGNER)) as client:
        h = {name: bearer(token) for name, token in tokens.items()}
        program = client.post("/programs", headers=h["label"], json={
            "title": "Label X", "deposit": "10000",
            "terms": {"market_budget": "1000", "window_seconds": 3600},
        })  # fmt: skip
        assert program.status_code == 201, program.text
        pid = program.json()["program_id"]
        market = client.post(f"/programs/{pid}/markets", headers=h["label"], json={"title": "X?"})
        mid = market.json()["market_id"]
        for scout in ("fan", "b"):
            client.post(f"/programs/{pid}/deposits", headers=h[scout], json={"amount": "500"})
            placed = client.post(
                f"/programs/{pid}/orders", headers={**h[scout], "Idempotency-Key": scout},
                json={"market_id": mid, "side": "buy", "max_spend": "50"},
            )  # fmt: skip
            assert placed.status_code == 201, placed.text
        yield client, h, tokens, pid, mid, clock


def settle(client, h, pid, mid, clock):
    clock.advance(timedelta(hours=2))
    resolved = client.post(f"/programs/{pid}/markets/{mid}/resolve", headers=h["label"],
                           json={"outcome": "yes", "evidence": "signed"})  # fmt: skip
    assert resolved.status_code == 204, resolved.text
    assert client.post(f"/programs/{pid}/settle", headers=h["label"]).status_code == 204


def test_after_settlement_all_the_money_leaves_and_the_program_closes(site):
    client, h, _, pid, mid, clock = site
    sponsor, fan = h["label"], h["fan"]
    before = client.get(f"/programs/{pid}/collateral", headers=sponsor).json()
    assert before == {"held": "9000.00", "free": "9000.00", "withdrawn": "0.00"}
    taken = client.post(f"/programs/{pid}/collateral/withdrawals", headers=sponsor,
                        json={"amount": "4000"})  # fmt: skip
    assert taken.json() == {"held": "5000.00", "free": "5000.00", "withdrawn": "4000.00"}
    # while open, a scout takes out its free cash, never its escrow
    assert client.post(f"/programs/{pid}/withdrawals", headers=fan,
                       json={"amount": "451"}).json()["code"] == "insufficient_cash"  # fmt: skip
    assert client.post(f"/programs/{pid}/withdrawals", headers=fan,
                       json={"amount": "50"}).json() == {"available": "400.00"}  # fmt: skip
    settle(client, h, pid, mid, clock)

    refused = client.post(f"/programs/{pid}/deposits", headers=fan, json={"amount": "1"})
    assert refused.status_code == 400 and refused.json()["code"] == "program_settled"
    early = client.post(f"/programs/{pid}/close", headers=sponsor)
    assert early.status_code == 400 and early.json()["code"] == "money_left"
    for scout in ("fan", "b"):
        available = client.get(f"/programs/{pid}/balance", headers=h[scout]).json()["available"]
        assert float(available) > 400  # the payout of its YES shares, and its fee refund
        out = client.post(f"/programs/{pid}/withdrawals", headers=h[scout],
                          json={"amount": available})  # fmt: skip
        assert out.json() == {"available": "0.00"}
    left = client.get(f"/programs/{pid}/collateral", headers=sponsor).json()
    assert left["free"] == left["held"] and float(left["free"]) > 4000
    assert client.post(f"/programs/{pid}/close", headers=sponsor).json()["code"] == "money_left"
    out = client.post(f"/programs/{pid}/collateral/withdrawals", headers=sponsor,
                      json={"amount": left["free"]})  # fmt: skip
    assert out.json()["held"] == "0.00" and out.json()["free"] == "0.00"
    assert client.post(f"/programs/{pid}/close", headers=sponsor).status_code == 204
    assert client.get(f"/programs/{pid}", headers=fan).json()["closed"] is True

    for who, path, body in [
        ("fan", "/withdrawals", {"amount": "1"}), ("fan", "/deposits", {"amount": "1"}),
        ("label", "/collateral/withdrawals", {"amount": "1"}), ("label", "/close", None),
        ("label", "/settle", None),
    ]:  # fmt: skip
        r = client.post(f"/programs/{pid}{path}", headers=h[who], json=body)
        assert r.status_code == 400 and r.json()["code"] == "program_closed", (path, r.text)
    assert client.get(f"/programs/{pid}/balance", headers=fan).json() == {"available": "0.00"}
    transcript = client.get(f"/programs/{pid}/transcript", headers=sponsor).json()
    assert verify_transcript(transcript, public_key=SIGNER.public_key) == []


def test_the_sponsor_never_takes_what_a_payout_may_need(site):
    client, h, _, pid, _, _ = site
    free = client.get(f"/programs/{pid}/collateral", headers=h["label"]).json()["free"]
    r = client.post(f"/programs/{pid}/collateral/withdrawals", headers=h["label"],
                    json={"amount": str(float(free) + 0.01)})  # fmt: skip
    assert r.status_code == 400 and r.json()["code"] == "collateral_needed"
    listed = client.post(f"/programs/{pid}/markets", headers=h["label"], json={"title": "Y?"})
    assert listed.status_code == 201  # its budget came out of the free collateral
    after = client.get(f"/programs/{pid}/collateral", headers=h["label"]).json()
    assert float(after["free"]) == float(free) - 1000


def test_the_pages_offer_withdrawing_and_closing_where_they_apply(site):
    client, h, tokens, pid, mid, clock = site
    scout_page = f"/ui/scout/programs/{pid}"
    sponsor_page = f"/ui/sponsor/programs/{pid}"
    sign_in(client, tokens["fan"])
    page = client.get(scout_page).text
    assert 'id="deposit-form"' in page and 'id="withdraw-form"' in page
    r = client.post(f"{scout_page}/withdraw", data={"amount": "50"}, follow_redirects=False)
    assert flash_after(client, r) == "withdrawn"
    settle(client, h, pid, mid, clock)
    page = client.get(scout_page).text
    assert 'id="deposit-form"' not in page and 'id="withdraw-form"' in page
    assert 'id="settled-note"' in page
    available = client.get(f"/programs/{pid}/balance", headers=h["fan"]).json()["available"]
    r = client.post(f"{scout_page}/withdraw", data={"amount": available}, follow_redirects=False)
    assert flash_after(client, r) == "withdrawn"
    b = client.get(f"/programs/{pid}/balance", headers=h["b"]).json()["available"]
    client.post(f"/programs/{pid}/withdrawals", headers=h["b"], json={"amount": b})

    sign_in(client, tokens["label"])
    page = client.get(sponsor_page).text
    assert 'id="withdraw-collateral-form"' in page and 'id="close-form"' in page
    r = client.post(f"{sponsor_page}/close", follow_redirects=False)
    assert "still hold money" in flash_after(client, r)
    free = client.get(f"/programs/{pid}/collateral", headers=h["label"]).json()["free"]
    r = client.post(f"{sponsor_page}/collateral/withdraw", data={"amount": free},
                    follow_redirects=False)  # fmt: skip
    assert flash_after(client, r) == "collateral withdrawn"
    r = client.post(f"{sponsor_page}/close", follow_redirects=False)
    assert flash_after(client, r) == "program closed"
    page = client.get(sponsor_page).text
    assert 'id="closed"' in page
    assert 'id="withdraw-collateral-form"' not in page and 'id="close-form"' not in page

    sign_in(client, tokens["fan"])
    page = client.get(scout_page).text
    assert 'id="closed"' in page
    assert 'id="deposit-form"' not in page and 'id="withdraw-form"' not in page
    r = client.post(f"{scout_page}/withdraw", data={"amount": "1"}, follow_redirects=False)
    assert flash_after(client, r).startswith("the program is closed")


def test_a_market_reads_closed_once_its_window_has_ended(site):
    """Before the command that records the close runs, the market already reads closed, as
    it already takes no order."""
    client, h, _, pid, mid, clock = site

    def statuses():
        listed = client.get(f"/programs/{pid}/markets", headers=h["fan"]).json()["items"]
        shown = client.get(f"/programs/{pid}/dashboard", headers=h["label"]).json()["items"]
        one = client.get(f"/programs/{pid}/markets/{mid}", headers=h["fan"])
        return {m["status"] for m in listed + shown + ([one.json()] if one.is_success else [])}

    assert statuses() == {"open"}
    clock.advance(timedelta(minutes=59, seconds=59))
    assert statuses() == {"open"}
    clock.advance(timedelta(seconds=1))
    assert statuses() == {"closed"}
    late = client.post(
        f"/programs/{pid}/orders", headers={**h["fan"], "Idempotency-Key": "late"},
        json={"market_id": mid, "side": "buy", "max_spend": "5"},
    )  # fmt: skip
    assert late.status_code == 400
