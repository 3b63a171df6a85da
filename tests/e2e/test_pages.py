"""Pages enforce roles like the API: no session -> sign-in page; wrong role -> 403."""

from urllib.parse import unquote

import pytest

from marketcraft.service.roles import Role

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
        client.cookies.clear()
        r = client.post("/login", data={"token": tokens[role]}, follow_redirects=False)
        assert r.status_code == 303
        page = client.get(path, follow_redirects=False)
        assert page.status_code == (200 if role in allowed else 403), (path, role)


def test_a_bad_token_does_not_sign_in(client):
    r = client.post("/login", data={"token": "mc_nope"}, follow_redirects=False)
    assert r.status_code == 401
    assert "mc_session" not in r.cookies


def test_the_session_cookie_is_http_only_and_same_site_strict(client, tokens):
    r = client.post("/login", data={"token": tokens[Role.SCOUT]}, follow_redirects=False)
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_scout_pages_receipts_positions_csv_and_the_auditors_transcript(database):
    import json
    from datetime import timedelta

    from fastapi.testclient import TestClient

    from marketcraft.kernel import SimulatedClock
    from marketcraft.opportunity.receipts import receipt_from_json, verify_receipt
    from marketcraft.opportunity.transcript import verify_transcript
    from marketcraft.service.app import create_app
    from marketcraft.service.auth import issue_token
    from tests.e2e.conftest import NOW, SIGNER

    clock = SimulatedClock(NOW)
    tok = {n: issue_token(database.principals, n, r, NOW)[1]
           for n, r in [("label", Role.SPONSOR), ("fan", Role.SCOUT), ("other", Role.SCOUT),
                        ("aud", Role.AUDITOR)]}  # fmt: skip
    with TestClient(create_app(database=database, clock=clock, signer=SIGNER)) as web:

        def as_(name):
            web.cookies.clear()
            web.post("/login", data={"token": tok[name]})

        as_("label")
        program = {"title": "P", "deposit": "50000", "budget": "1000", "window_seconds": "3600"}
        r = web.post("/ui/sponsor/programs", data=program, follow_redirects=False)
        pid = r.headers["location"].split("/")[-1].split("?")[0]
        web.post(f"/ui/sponsor/programs/{pid}/markets", data={"title": "Sign XYZ?"})
        (mid,) = web.app.state.programs.journal(pid).state.markets  # type: ignore[attr-defined]

        as_("fan")
        web.post(f"/ui/scout/programs/{pid}/deposit", data={"amount": "300"})
        order = {"market_id": mid, "max_spend": "50", "key": "k1"}
        web.post(f"/ui/scout/programs/{pid}/orders", data=order)
        again = web.post(f"/ui/scout/programs/{pid}/orders", data=order, follow_redirects=False)
        assert "order accepted" in unquote(again.headers["location"])  # resubmitted: once
        close = web.post(f"/ui/scout/programs/{pid}/close-orders",
                         data={"market_id": mid, "trigger_price": "0.2", "max_shares": "10"},
                         follow_redirects=False)  # fmt: skip
        assert "done" in close.headers["location"]
        page = web.get(f"/ui/scout/programs/{pid}").text
        (order_id,) = [o for o in web.app.state.programs.journal(pid).state.orders]  # type: ignore[attr-defined]
        assert "sealed until the reveal" in page and "Positions" not in page
        receipt = web.get(f"/ui/scout/programs/{pid}/receipts/{order_id}.json")
        assert verify_receipt(receipt_from_json(receipt.content), SIGNER.public_key) == []
        csv_text = web.get(f"/ui/scout/programs/{pid}/orders.csv").text
        assert csv_text.splitlines()[1].startswith(order_id) and csv_text.splitlines()[1].endswith(
            ",,"
        )

        as_("other")  # another scout gets the same answer as for an order that does not exist
        assert web.get(f"/ui/scout/programs/{pid}/receipts/{order_id}.json").status_code == 404

        clock.advance(timedelta(hours=2))
        as_("label")
        web.post(
            f"/ui/sponsor/programs/{pid}/markets/{mid}/resolve",
            data={"outcome": "yes", "evidence": "signed"},
        )
        web.post(f"/ui/sponsor/programs/{pid}/settle")
        as_("fan")
        page = web.get(f"/ui/scout/programs/{pid}").text
        assert "Positions after the reveal" in page and "yes" in page

        as_("aud")
        audit = web.get(f"/ui/audit/programs/{pid}").text
        assert "Replayed and verified here" in audit
        doc = json.loads(web.get(f"/ui/audit/programs/{pid}/transcript.json").content)
        assert verify_transcript(doc, [receipt_from_json(receipt.content)], SIGNER.public_key) == []
