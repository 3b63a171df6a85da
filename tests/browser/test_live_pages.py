"""Live pages in a real browser: the sponsor's dashboard and a peg market's page show a price
move without a reload (server-sent events), and the charts read as a trader expects (ticks
with gridlines, the band shaded, values on hover)."""

from __future__ import annotations

import hashlib
import time

import httpx

from marketcraft.roles import Role
from marketcraft.store import Database
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW
from tests.support.server import Server


def _sign_in(browser, url: str, token: str):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(url + "/login")
    page.fill("input[name=token]", token)
    with page.expect_navigation():
        page.click("button:has-text('Sign in')")
    page.on("dialog", lambda d: d.accept())
    return page


def _wait_for_change(page, selector: str, before: str, seconds: float = 15.0) -> None:
    """Read the element until its text differs from ``before`` (no script is evaluated in
    the page: its policy allows none but its own)."""
    deadline = time.monotonic() + seconds
    while page.inner_text(selector) == before:
        assert time.monotonic() < deadline, f"{selector} still reads {before!r}"
        time.sleep(0.1)


def _unchanged_page(page) -> None:
    """Mark the page: a reload would lose the mark."""
    page.evaluate("() => { window.liveMark = 'same page'; }")


def test_the_dashboard_and_a_peg_page_move_without_a_reload(browser, tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    db = Database.open(url, migrate=True)
    tok = {n: issue_token(db.principals, n, r, NOW)[1] for n, r in
           [("label", Role.SPONSOR), ("fan", Role.SCOUT), ("ops", Role.ADMIN),
            ("tia", Role.TRADER)]}  # fmt: skip
    db.close()
    server = Server(url, tmp_path / "var", env={"MARKETCRAFT_LIVE_INTERVAL_SECONDS": "0.2"})
    server.start()
    try:
        api = httpx.Client(base_url=server.url, timeout=30)

        def post(who: str, path: str, body: dict) -> dict:
            key = hashlib.sha256((path + repr(body)).encode()).hexdigest()
            headers = {"Authorization": f"Bearer {tok[who]}", "Idempotency-Key": key}
            r = api.post(path, json=body, headers=headers)
            assert r.status_code < 300, r.text
            return r.json()

        program = {"title": "Live", "deposit": "10000", "terms": {"market_budget": "1000"}}
        pid = post("label", "/programs", program)["program_id"]
        mid = post("label", f"/programs/{pid}/markets", {"title": "Sign?"})["market_id"]
        post("fan", f"/programs/{pid}/deposits", {"amount": "500"})
        sponsor = _sign_in(browser, server.url, tok["label"])
        sponsor.goto(f"{server.url}/ui/sponsor/programs/{pid}")
        before = sponsor.inner_text(f"#price-{mid}")
        assert before == "1.00%"
        _unchanged_page(sponsor)
        headers = {"Authorization": f"Bearer {tok['fan']}", "Idempotency-Key": "order-1"}
        r = api.post(f"/programs/{pid}/orders", headers=headers,
                     json={"market_id": mid, "side": "buy", "max_spend": "200"})  # fmt: skip
        assert r.status_code == 201, r.text
        _wait_for_change(sponsor, f"#price-{mid}", before)
        assert sponsor.evaluate("window.liveMark") == "same page"  # moved in place
        assert sponsor.inner_text(f"#traders-{mid}") == "1"

        post("ops", "/peg/markets", {"name": "usd", "opener": "founder", "deposit": "1000000",
                                     "feed": "0.5"})  # fmt: skip
        post("ops", "/peg/markets/usd/credits", {"user": "tia", "amount": "50000"})
        anyone = browser.new_context(viewport={"width": 400, "height": 900}).new_page()
        anyone.goto(f"{server.url}/ui/peg/usd")
        spot = anyone.inner_text("#spot")
        _unchanged_page(anyone)
        post("tia", "/peg/markets/usd/buy-peg", {"amount": "20000"})
        _wait_for_change(anyone, "#spot", spot)
        assert anyone.evaluate("window.liveMark") == "same page"

        # a chart a trader reads: gridlines at labelled ticks, the band shaded, hover values
        anyone.reload()
        chart = anyone.locator("svg.chart").first
        assert chart.locator("line").count() >= 4 and chart.locator("polygon.band").count() == 1
        assert chart.locator("g.hover rect title").count() >= 2
        hover = chart.locator("g.hover rect title").last.text_content()
        assert "UTC: SPOT" in hover and "feed" in hover
        box = chart.bounding_box()
        assert box is not None and box["width"] <= 400  # scaled to its card
    finally:
        server.stop()
