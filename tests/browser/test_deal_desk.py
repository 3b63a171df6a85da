"""The deal desk in a real browser against the real server: an analyst signs in, uploads a
deal's terms, watches the analysis run and reads the report with its plots."""

from pathlib import Path

from marketcraft.roles import Role
from marketcraft.store import Database
from marketcraft.store.tokens import issue_token
from tests.browser.test_opportunity_flow import sign_in, submit
from tests.e2e.conftest import NOW
from tests.support.server import Server

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "deals"


def test_an_analyst_uploads_terms_and_reads_the_report(browser, tmp_path):
    url = f"sqlite:///{tmp_path / 'b.db'}"
    db = Database.open(url, migrate=True)
    token = issue_token(db.principals, "desk", Role.ANALYST, NOW)[1]
    db.close()
    terms = tmp_path / "deal.toml"
    terms.write_text(
        (EXAMPLES / "twap-strike.toml").read_text().replace("tenor_days = 548", "tenor_days = 40")
    )
    server = Server(url, tmp_path / "var")
    server.start()
    try:
        page = sign_in(browser.new_context(), server.url, token)
        assert page.url.endswith("/ui/analyst") and "Analyse a deal" in page.inner_text("main")
        page.set_input_files("input[name=terms]", str(terms))
        page.fill("input[name=paths]", "60")
        page.fill("input[name=step]", "2h")
        submit(page, "button:has-text('Run the analysis')")
        assert "/ui/analyst/jobs/" in page.url
        page.wait_for_selector("#report", timeout=180_000)  # the page refreshes until done
        assert page.inner_text("#status") == "done"
        with page.expect_navigation():
            page.click("#report")
        assert "Deal analysis: twap-strike" in page.inner_text("h1")
        images = page.eval_on_selector_all(
            "img", "all => all.map(i => i.complete && i.naturalWidth)"
        )
        assert len(images) == 9 and all(width > 300 for width in images)
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        page.go_back()
        page.goto(server.url + "/ui/analyst")
        assert "twap-strike" in page.inner_text("table") and "done" in page.inner_text("table")
    finally:
        server.stop()
