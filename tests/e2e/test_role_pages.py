"""Every role has a page of its own and no dead end: sign-in lands each on its page; a trader
trades, the operator manages users and credits COL, a dealer sees its own repo sessions; a
page a role may not open answers an HTML page with a way back; a refused form comes back as
it was typed with the bad field marked; irreversible actions ask first, saying what they do."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from marketcraft.app import repo_sessions
from marketcraft.config import Settings
from marketcraft.kernel import SimulatedClock
from marketcraft.roles import Role
from marketcraft.service.app import create_app
from marketcraft.service.kept_forms import NOT_KEPT
from marketcraft.service.page_security import FORM_FIELD
from marketcraft.service.sessions import HOMES
from marketcraft.store import Database
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW, SIGNER, bearer
from tests.support.pages import flash_after, sign_in

PEOPLE = {"label": Role.SPONSOR, "fan": Role.SCOUT, "aud": Role.AUDITOR, "ops": Role.ADMIN,
          "mia": Role.DEALER, "rex": Role.DEALER, "otto": Role.DEALER, "desk": Role.ANALYST,
          "tia": Role.TRADER}  # fmt: skip


@pytest.fixture
def site(tmp_path):
    db = Database.open("memory://")
    clock = SimulatedClock(NOW)
    tokens = {n: issue_token(db.principals, n, r, NOW)[1] for n, r in PEOPLE.items()}
    app = create_app(Settings(data_dir=tmp_path), database=db, clock=clock, signer=SIGNER)
    with pytest.MonkeyPatch.context() as patch, TestClient(app) as web:
        # a proof setup is only needed to settle; the session here never gets that far
        patch.setattr(
            repo_sessions, "setup_for", lambda k, *_, **__: SimpleNamespace(id="stub", k=k)
        )
        api = TestClient(app)
        ops = bearer(tokens["ops"])
        assert api.post("/peg/markets", headers=ops, json={
            "name": "usd", "opener": "founder", "deposit": "1000000", "feed": "0.5",
        }).status_code == 201  # fmt: skip
        assert api.post("/peg/markets/usd/credits", headers=ops,
                        json={"user": "tia", "amount": "1000"}).status_code == 200  # fmt: skip
        assert api.post("/repo/sessions", headers=ops, json={
            "name": "week-1", "volumes": [0, 100, 200], "mm_dealer": "mia", "rm_dealer": "rex",
            "deadline": (NOW + timedelta(days=3)).isoformat(),
        }).status_code == 201  # fmt: skip
        program = api.post("/programs", headers=bearer(tokens["label"]), json={
            "title": "Scouting", "deposit": "10000", "terms": {"market_budget": "1000"},
        }).json()["program_id"]  # fmt: skip
        market = api.post(f"/programs/{program}/markets", headers=bearer(tokens["label"]),
                          json={"title": "Sign them?"}).json()["market_id"]  # fmt: skip
        yield SimpleNamespace(web=web, api=api, tokens=tokens, clock=clock, program=program,
                              market=market)  # fmt: skip
    db.close()


def _as(site, name: str) -> TestClient:
    assert sign_in(site.web, site.tokens[name]).status_code == 303
    return site.web


def test_every_role_lands_on_a_page_of_its_own(site):
    for name, role in PEOPLE.items():
        r = sign_in(site.web, site.tokens[name])
        assert r.headers["location"] == HOMES[role], name
        page = site.web.get(HOMES[role])
        assert page.status_code == 200 and 'id="nav-home"' in page.text, name


def test_a_page_a_role_may_not_open_is_html_with_a_way_back(site):
    web = _as(site, "tia")
    for path in ("/ui/sponsor", "/ui/admin", "/ui/dealer", "/ui/no-such-page"):
        r = web.get(path)
        assert r.status_code in (403, 404) and r.headers["content-type"].startswith("text/html")
        assert '<a id="home" href="/ui/trade">Back to your page</a>' in r.text, path
        assert "{" not in r.text.split("<main>")[1]  # no raw JSON
    web.cookies.clear()
    r = web.get("/ui/no-such-page")  # nobody signed in: the way in
    assert r.status_code == 404 and '<a id="home" href="/login">Sign in</a>' in r.text


def test_a_trader_trades_from_its_page_as_through_the_api(site):
    web = _as(site, "tia")
    page = web.get("/ui/trade").text
    assert re.search(r'class="num col">1,000\.00<', page)  # the wallet, with separators
    r = web.post("/ui/trade/usd", data={"verb": "buy-peg", "amount": "100"},
                 follow_redirects=False)  # fmt: skip
    message = unescape(flash_after(web, r))
    assert message.startswith("Buy PEG with COL in usd: received")
    wallet = site.api.get("/peg/markets/usd/balance", headers=bearer(site.tokens["tia"])).json()
    assert Decimal(wallet["col"]) == 900 and Decimal(wallet["peg"]) > 0
    # slippage: refused whole, the form back as typed, nothing moved
    greedy = {"verb": "buy-peg", "amount": "50", "min_return": "1000000"}
    r = web.post("/ui/trade/usd", data=greedy, follow_redirects=False)
    page = web.get(r.headers["location"]).text
    assert 'value="50"' in page and 'value="1000000"' in page
    after = site.api.get("/peg/markets/usd/balance", headers=bearer(site.tokens["tia"])).json()
    assert after == wallet


def test_the_operator_creates_revokes_and_credits_from_its_page(site):
    web = _as(site, "ops")
    r = web.post("/ui/admin/users", data={"name": "newbie", "role": "trader"})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    token = re.search(r'<code id="new-token">(mc_[^<]+)</code>', r.text).group(1)  # type: ignore[union-attr]
    assert site.api.get("/me", headers=bearer(token)).json()["name"] == "newbie"
    assert "new-token" not in web.get("/ui/admin").text  # shown once
    r = web.post("/ui/admin/peg/usd/credits", data={"user": "newbie", "amount": "25"},
                 follow_redirects=False)  # fmt: skip
    assert flash_after(web, r) == "credited 25 COL to newbie in usd"
    wallet = site.api.get("/peg/markets/usd/balance", headers=bearer(token)).json()
    assert Decimal(wallet["col"]) == 25
    r = web.post("/ui/admin/peg/usd/credits", data={"user": "fan", "amount": "25"},
                 follow_redirects=False)  # fmt: skip
    assert "is not a trader" in unescape(flash_after(web, r))
    r = web.post("/ui/admin/users/newbie/revoke", follow_redirects=False)
    assert "revoked" in unescape(flash_after(web, r))
    assert site.api.get("/me", headers=bearer(token)).status_code == 401
    page = web.get("/ui/admin").text
    assert 'data-confirm="Revoke' in page  # asks first, saying what revoking does
    assert "Label" not in page or "Scouting" in page  # the programs' checkpoints are listed


def test_a_dealer_sees_its_own_sessions_and_no_others(site):
    page = _as(site, "mia").get("/ui/dealer").text
    assert 'data-session="week-1"' in page and "<td>mm</td>" in page
    page = _as(site, "otto").get("/ui/dealer").text
    assert "week-1" not in page and "You are in no session yet" in page


def test_a_refused_order_comes_back_as_typed_with_the_bad_field_marked(site):
    web = _as(site, "fan")
    url = f"/ui/scout/programs/{site.program}"
    web.post(url + "/deposit", data={"amount": "100"})
    form = {"market_id": site.market, "side": "buy", "outcome": "no", "max_spend": "-5",
            "limit_price": "0.2", "key": "k-1"}  # fmt: skip
    r = web.post(url + "/orders", data=form, follow_redirects=False)
    page = web.get(r.headers["location"]).text
    assert "max spend" in unescape(page)  # the message names the field
    assert re.search(r'name="max_spend"[^>]*value="-5" aria-invalid="true"', page)
    assert re.search(r'name="limit_price"[^>]*value="0.2"', page)
    assert "<option selected>no</option>" in page  # the choices too
    assert 'name="key" value="k-1"' not in page  # a fresh idempotency key, never the old one
    assert {FORM_FIELD, "key"} <= NOT_KEPT
    again = web.get(url).text  # shown once
    assert 'value="-5"' not in again and 'aria-invalid="true"' not in again, again[-3000:]


def test_irreversible_actions_ask_first_saying_what_they_do(site):
    page = _as(site, "label").get(f"/ui/sponsor/programs/{site.program}").text
    assert "resolve after the window" in page and 'id="settle-later"' in page  # not yet
    assert 'data-confirm="Withdraw this collateral' in page
    site.clock.advance(timedelta(days=15))  # the window has closed: resolve and settle
    page = _as(site, "label").get(f"/ui/sponsor/programs/{site.program}").text  # signed in anew
    for action, says in (("acted-on", "cannot be undone"), ("resolve", "never be resolved again"),
                         ("settle", "cannot be undone")):  # fmt: skip
        form = re.search(rf'<form[^>]*action="[^"]*/{action}"[^>]*>', page)
        assert form is not None, action
        assert "data-confirm=" in form.group(0) and says in unescape(form.group(0)), action
    assert "/ui/assets/pages.js" in page
    script = site.web.get("/ui/assets/pages.js")
    assert script.status_code == 200 and "confirm(" in script.text
    assert site.web.get("/ui/assets/..%2Fapp.py").status_code == 404


def test_a_scouts_orders_read_oldest_first_with_their_times(site):
    web = _as(site, "fan")
    url = f"/ui/scout/programs/{site.program}"
    web.post(url + "/deposit", data={"amount": "100"})
    for i in range(3):
        web.post(url + "/orders", data={"market_id": site.market, "max_spend": "5", "key": f"o{i}"})
        site.clock.advance(timedelta(minutes=7))
    page = web.get(url).text
    times = re.findall(r'<td class="when">([^<]+)</td>', page)
    assert times == [f"{NOW + timedelta(minutes=7 * i):%Y-%m-%d %H:%M} UTC" for i in range(3)]
    rows = web.get(url + "/orders.csv").text.splitlines()[1:]
    assert [r.split(",")[0] for r in rows] == [
        (NOW + timedelta(minutes=7 * i)).isoformat() for i in range(3)
    ]
    api = site.api.get(f"/programs/{site.program}/orders", headers=bearer(site.tokens["fan"]))
    assert [o["placed_at"] for o in api.json()["items"]] == [
        (NOW + timedelta(minutes=7 * i)).isoformat().replace("+00:00", "Z") for i in range(3)
    ]


def test_a_refused_withdrawal_comes_back_in_the_withdraw_form(site):
    web = _as(site, "fan")
    url = f"/ui/scout/programs/{site.program}"
    web.post(url + "/deposit", data={"amount": "100"})
    r = web.post(url + "/withdraw", data={"form": "withdraw", "amount": "5000"},
                 follow_redirects=False)  # fmt: skip
    page = web.get(r.headers["location"]).text
    withdraw = page[page.index('id="withdraw-form"') :].split("</form>")[0]
    deposit = page[page.index('id="deposit-form"') :].split("</form>")[0]
    assert 'value="5000"' in withdraw and 'aria-invalid="true"' in withdraw
    assert 'value="5000"' not in deposit and "aria-invalid" not in deposit


def test_a_scout_sees_its_close_orders_but_not_whether_they_fired_before_the_reveal(site):
    web = _as(site, "fan")
    url = f"/ui/scout/programs/{site.program}"
    web.post(url + "/deposit", data={"amount": "100"})
    web.post(url + "/orders", data={"market_id": site.market, "max_spend": "20", "key": "k"})
    web.post(url + "/close-orders", data={"market_id": site.market, "trigger_price": "0.011",
                                          "max_shares": "5"})  # fmt: skip
    page = web.get(url).text
    (row,) = re.findall(r'<tr data-close="[^"]+">.*?</tr>', page, re.S)
    assert "sell yes to close" in row and "1.10%" in row and "at the reveal" in row
    assert "fired" not in row and "pending" not in row  # a fill: told at the reveal only


def test_the_operator_must_choose_a_role_and_missing_addresses_answer_a_browser_in_html(site):
    page = _as(site, "ops").get("/ui/admin").text
    assert '<option value="" selected disabled>choose a role</option>' in page
    html = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    r = site.web.get("/no-such-thing", headers=html)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert 'id="home"' in r.text and '<a href="/">marketcraft</a>' in r.text  # a way back
    api = site.api.get("/no-such-thing")  # an API client still gets a problem document
    assert api.status_code == 404 and api.json()["code"] == "not_found"


def test_a_form_sent_without_its_csrf_token_answers_a_page_with_a_way_back(site):
    web = _as(site, "fan")
    web.headers.pop("x-csrftoken")
    r = web.post(f"/ui/scout/programs/{site.program}/deposit", data={"amount": "1"})
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
    assert "This form has expired" in r.text and 'id="home"' in r.text


def test_a_revoked_sponsors_live_stream_ends(site, monkeypatch):
    web = _as(site, "label")
    site.web.app.state.settings.live_interval_seconds = 0.05
    site.web.app.state.settings.live_stream_seconds = 30
    site.api.post("/admin/users/label/revoke", headers=bearer(site.tokens["ops"]))
    with web.stream("GET", f"/ui/sponsor/programs/{site.program}/live") as stream:
        body = b"".join(stream.iter_bytes())  # ends at once: the session's token is revoked
    assert b"price-" not in body


def test_every_page_forbids_framing_sniffing_foreign_scripts_and_caching(site):
    web = _as(site, "label")
    for path in (f"/ui/sponsor/programs/{site.program}", "/ui/peg", "/ui/no-such-page"):
        r = web.get(path)
        policy = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy, path
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["cache-control"] == "no-store"  # the sponsor's prices stay off disks
    asset = web.get("/ui/assets/pages.js")
    assert asset.headers["cache-control"].startswith("public")  # its own, kept
