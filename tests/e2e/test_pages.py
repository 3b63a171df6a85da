"""Pages enforce roles like the API: no session -> sign-in page; wrong role -> 403."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from marketcraft.kernel import SimulatedClock
from marketcraft.opportunity.receipts import receipt_from_json, verify_receipt
from marketcraft.opportunity.transcript import verify_transcript
from marketcraft.roles import Role
from marketcraft.service.app import create_app
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW, SIGNER
from tests.support.pages import flash_after, sign_in

PAGES = {
    "/ui/sponsor": {Role.SPONSOR},
    "/ui/scout": {Role.SCOUT},
    "/ui/audit": {Role.AUDITOR, Role.SPONSOR, Role.ADMIN},
}


def test_pages_redirect_to_sign_in_without_a_session(client):
    for path in PAGES:
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.get("/login").status_code == 200


@pytest.mark.parametrize(("path", "allowed"), PAGES.items())
def test_pages_refuse_other_roles(client, tokens, path, allowed):
    for role in Role:
        r = sign_in(client, tokens[role])
        assert r.status_code == 303
        page = client.get(path, follow_redirects=False)
        assert page.status_code == (200 if role in allowed else 403), (path, role)


def test_a_bad_token_does_not_sign_in(client):
    r = sign_in(client, "mc_nope")
    assert r.status_code == 401
    assert "mc_session" not in r.cookies


def test_the_session_cookie_is_http_only_and_same_site_strict(client, tokens):
    r = sign_in(client, tokens[Role.SCOUT])
    (cookie,) = [c.lower() for c in r.headers.get_list("set-cookie") if "mc_session" in c]
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_scout_pages_receipts_positions_csv_and_the_auditors_transcript(database):
    clock = SimulatedClock(NOW)
    tok = {n: issue_token(database.principals, n, r, NOW)[1]
           for n, r in [("label", Role.SPONSOR), ("fan", Role.SCOUT), ("other", Role.SCOUT),
                        ("aud", Role.AUDITOR)]}  # fmt: skip
    with TestClient(create_app(database=database, clock=clock, signer=SIGNER)) as web:

        def as_(name):
            sign_in(web, tok[name])

        as_("label")
        program = {
            "title": "P",
            "deposit": "50000",
            "budget": "1000",
            "window": "1",
            "window_unit": "hours",
        }
        r = web.post("/ui/sponsor/programs", data=program, follow_redirects=False)
        pid = r.headers["location"].split("/")[-1]
        web.post(f"/ui/sponsor/programs/{pid}/markets", data={"title": "Sign XYZ?"})
        (mid,) = web.app.state.programs.journal(pid).state.markets  # type: ignore[attr-defined]

        as_("fan")
        web.post(f"/ui/scout/programs/{pid}/deposit", data={"amount": "300"})
        order = {"market_id": mid, "max_spend": "50", "key": "k1"}
        web.post(f"/ui/scout/programs/{pid}/orders", data=order)
        again = web.post(f"/ui/scout/programs/{pid}/orders", data=order, follow_redirects=False)
        assert "order accepted" in flash_after(web, again)  # resubmitted: placed once
        close = web.post(f"/ui/scout/programs/{pid}/close-orders",
                         data={"market_id": mid, "trigger_price": "0.2", "max_shares": "10"},
                         follow_redirects=False)  # fmt: skip
        assert flash_after(web, close) == "done"
        page = web.get(f"/ui/scout/programs/{pid}").text
        (order_id,) = [o for o in web.app.state.programs.journal(pid).state.orders]  # type: ignore[attr-defined]
        assert "sealed until the reveal" in page and "Positions" not in page
        receipt = web.get(f"/ui/scout/programs/{pid}/receipts/{order_id}.json")
        assert verify_receipt(receipt_from_json(receipt.content), SIGNER.public_key) == []
        csv_text = web.get(f"/ui/scout/programs/{pid}/orders.csv").text
        header, row = csv_text.splitlines()[:2]
        assert header.startswith("placed_at,order_id")  # the time first: a history reads by it
        assert row.startswith(f"2026-05-01T12:00:00+00:00,{order_id},") and row.endswith(",,")

        download = json.loads(receipt.content)
        assert download["order"]["data"]["order_id"] == order_id
        assert "salt" not in download["order"]["data"] and download["inclusion"] is None

        as_("other")  # another scout gets the same answer as for an order that does not exist
        assert web.get(f"/ui/scout/programs/{pid}/receipts/{order_id}.json").status_code == 404

        as_("aud")  # a checkpoint now (the cadence's would come within a minute)
        web.post(f"/ui/audit/programs/{pid}/checkpoint")
        as_("fan")
        receipt = web.get(f"/ui/scout/programs/{pid}/receipts/{order_id}.json")
        assert json.loads(receipt.content)["inclusion"]["leaf_index"] >= 0
        clock.advance(timedelta(hours=2))
        as_("label")
        web.post(
            f"/ui/sponsor/programs/{pid}/markets/{mid}/resolve",
            data={"outcome": "yes", "evidence": "signed"},
        )
        web.post(f"/ui/sponsor/programs/{pid}/settle")
        board = web.get(f"/ui/sponsor/programs/{pid}").text
        state = web.app.state.programs.journal(pid).state  # type: ignore[attr-defined]
        (market,) = state.markets.values()
        assert market.sponsor_cost > 0  # the one YES market paid out more than was paid in
        assert f'id="cost">{market.sponsor_cost:,.2f} USD<' in board and "resolved: yes" in board
        assert "Settle program" not in board and "Add market" not in board
        as_("fan")
        page = web.get(f"/ui/scout/programs/{pid}").text
        assert "Positions after the reveal" in page and "yes" in page
        assert 'id="no-open"' in page and "Place order" not in page  # nothing left to trade
        (held, _) = market.retired["fan"]
        assert held > 0 and f'<td class="num">{held:,.2f}</td>' in page  # held at resolution

        as_("aud")
        audit = web.get(f"/ui/audit/programs/{pid}").text
        assert "Replayed and verified here" in audit
        doc = json.loads(web.get(f"/ui/audit/programs/{pid}/transcript.json").content)
        assert verify_transcript(doc, [receipt_from_json(receipt.content)], SIGNER.public_key) == []


def test_a_sponsor_opens_a_program_with_every_term_from_the_form(client, tokens):
    sign_in(client, tokens[Role.SPONSOR])
    form = {
        "title": "First-N season", "deposit": "30000", "budget": "10000", "pa": "0.02",
        "pb": "0.2", "window": "36", "window_unit": "hours", "amm": "range", "fee_rate": "0.02",
        "fee_policy": "roll", "reveal_policy": "size_threshold", "reveal_threshold": "500",
        "collateral": "first_n", "first_n": "3", "creation_bond": "40", "approval_required": "on",
    }  # fmt: skip
    r = client.post("/ui/sponsor/programs", data=form, follow_redirects=False)
    pid = r.headers["location"].split("/")[-1]
    assert flash_after(client, r) == "program opened"
    terms = client.app.state.programs.journal(pid).state.require_terms()  # type: ignore[attr-defined]
    assert (terms.window_seconds, terms.amm.value, terms.first_n) == (36 * 3600, "range", 3)
    assert (terms.collateral.value, terms.fee_policy.value) == ("first_n", "roll")
    assert (terms.reveal_policy.value, str(terms.reveal_threshold)) == ("size_threshold", "500")
    assert (str(terms.pa), str(terms.fee_rate), str(terms.creation_bond)) == ("0.02", "0.02", "40")
    assert terms.approval_required
    for field, bad in [("window_unit", "fortnights"), ("amm", "magic"), ("pa", "0.5"),
                       ("first_n", "0"), ("window", "-1")]:  # fmt: skip
        r = client.post("/ui/sponsor/programs", data={**form, field: bad}, follow_redirects=False)
        assert r.headers["location"] == "/ui/sponsor", field
        assert flash_after(client, r) not in ("", "program opened"), field
    r = client.post(
        "/ui/sponsor/programs", data={**form, "fee_rate": "lots"}, follow_redirects=False
    )
    assert flash_after(client, r).startswith("check the fee rate: ")  # names the field, then why


def test_the_dashboard_flags_markets_above_the_sponsors_alert_price(database):
    clock = SimulatedClock(NOW)
    sponsor = issue_token(database.principals, "label", Role.SPONSOR, NOW)[1]
    scout = issue_token(database.principals, "fan", Role.SCOUT, NOW)[1]
    with TestClient(create_app(database=database, clock=clock, signer=SIGNER)) as web:
        sign_in(web, sponsor)
        program = {"title": "P", "deposit": "50000", "budget": "1000"}
        r = web.post("/ui/sponsor/programs", data=program, follow_redirects=False)
        pid = r.headers["location"].split("/")[-1]
        for title in ("Hot?", "Cold?"):
            web.post(f"/ui/sponsor/programs/{pid}/markets", data={"title": title})
        hot = next(m for m in web.app.state.programs.journal(pid).state.markets.values()  # type: ignore[attr-defined]
                   if m.title == "Hot?")  # fmt: skip
        sign_in(web, scout)
        web.post(f"/ui/scout/programs/{pid}/deposit", data={"amount": "300"})
        clock.advance(timedelta(hours=5))
        web.post(f"/ui/scout/programs/{pid}/orders",
                 data={"market_id": hot.market_id, "max_spend": "40", "key": "k"})  # fmt: skip
        sign_in(web, sponsor)
        price = web.app.state.programs.journal(pid).state.markets[hot.market_id]  # type: ignore[attr-defined]
        price = price.curve.price(price.amm_state)
        assert price > Decimal("0.02")
        board = web.get(f"/ui/sponsor/programs/{pid}").text  # default: twice the floor
        assert (
            board.count('class="alert"') == 1
            and f"since {(NOW + timedelta(hours=5)):%b %d}" in board
        )
        above = web.get(f"/ui/sponsor/programs/{pid}?alert={price + Decimal('0.001'):.4f}").text
        assert 'class="alert"' not in above
        page = web.get(f"/ui/sponsor/programs/{pid}/markets/{hot.market_id}").text
        assert 'role="img" aria-label="YES price (probability)"' in page and "polyline" in page
        assert f"{price * 100:.2f}%" in page and "<td>1</td>" in page  # one trade
        assert web.get(f"/ui/sponsor/programs/{pid}/markets/nope").status_code == 404
        sign_in(web, scout)
        assert web.get(f"/ui/sponsor/programs/{pid}/markets/{hot.market_id}").status_code == 403
        sign_in(web, sponsor)
        for junk in ("abc", "NaN", "2", "-1", "Infinity"):  # the default, and the page says so
            board = web.get(f"/ui/sponsor/programs/{pid}?alert={junk}").text
            assert board.count('class="alert"') == 1, junk
            assert 'id="alert-note">alert: ' in board and "showing the default" in board, junk
        assert 'id="alert-note"' not in web.get(f"/ui/sponsor/programs/{pid}").text
