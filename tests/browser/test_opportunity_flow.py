"""The whole opportunity flow in a real browser against the real server: the sponsor opens a
program and a market, a scout orders blind, the sponsor sees the price move, the scout never
sees a price, the window closes, and after the reveal the scout sees its fill."""

import re
import time

from marketcraft.roles import Role
from marketcraft.store import Database
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW
from tests.support.server import Server

WINDOW = 8  # seconds: the test waits for the window to close


def submit(page, selector):
    """Click a form's button and wait for the page it leads to."""
    with page.expect_navigation():
        page.click(selector)


def sign_in(context, url, token):
    page = context.new_page()
    page.goto(url + "/login")
    page.fill("input[name=token]", token)
    submit(page, "button:has-text('Sign in')")
    return page


def test_sponsor_and_scout_see_their_two_worlds(browser, tmp_path):
    url = f"sqlite:///{tmp_path / 'b.db'}"
    db = Database.open(url, migrate=True)
    sponsor_token = issue_token(db.principals, "label", Role.SPONSOR, NOW)[1]
    scout_token = issue_token(db.principals, "fan", Role.SCOUT, NOW)[1]
    db.close()
    server = Server(url, tmp_path / "var")
    server.start()
    try:
        sponsor = sign_in(browser.new_context(), server.url, sponsor_token)
        sponsor.fill("input[name=title]", "Label X scouting")
        sponsor.fill("input[name=window]", str(WINDOW))
        sponsor.select_option("select[name=window_unit]", "seconds")
        submit(sponsor, "button:has-text('Open program')")
        sponsor.fill("input[name=title]", "Will we sign XYZ?")
        submit(sponsor, "button:has-text('Add market')")
        opened = time.monotonic()
        assert sponsor.inner_text("#markets td.price") == "1.00%"  # the band's floor
        dashboard = sponsor.url.split("?")[0]

        scout = sign_in(browser.new_context(), server.url, scout_token)
        submit(scout, "a:has-text('Label X scouting')")
        scout.fill("input[name=amount]", "500")
        submit(scout, "button:has-text('Deposit')")
        assert scout.inner_text("#available") == "500.00 USD"
        scout.fill("input[name=max_spend]", "100")
        submit(scout, "button:has-text('Place order')")
        assert "order accepted" in scout.inner_text(".flash")
        assert scout.inner_text("#orders td.fill") == "sealed until the reveal"
        assert scout.inner_text("#available") == "400.00 USD"

        sponsor.goto(dashboard)
        price = sponsor.inner_text("#markets td.price")
        assert float(price.removesuffix("%")) > 1.0  # the sponsor sees the move
        scout_text = scout.inner_text("main")
        assert price not in scout_text and "Price" not in scout_text  # the scout never does
        sponsor.screenshot(path=str(tmp_path / "sponsor.png"), full_page=True)
        scout.screenshot(path=str(tmp_path / "scout.png"), full_page=True)

        time.sleep(max(0.0, WINDOW + 1 - (time.monotonic() - opened)))
        sponsor.goto(dashboard)
        asked: list[str] = []
        sponsor.once("dialog", lambda d: (asked.append(d.message), d.accept()))
        submit(sponsor, "#markets button:has-text('Reveal')")
        assert "cannot be undone" in asked[0]  # asked first, saying what it does
        scout.reload()
        fill = scout.inner_text("#orders td.fill")
        assert re.match(r"[\d.,]+ shares for [\d.,]+ USD", fill), fill
    finally:
        server.stop()
