"""Every page of every role, in a real browser at 1280 and 400 px wide, on the demo data
(`make run`'s): each role lands on a page of its own, no page scrolls sideways (wide tables
scroll inside their own box, charts scale to their card), and a page a role may not open is
an HTML page with a way back to the role's own page."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlparse

from marketcraft.demo import load_demo
from marketcraft.kernel import SystemClock
from marketcraft.service.sessions import HOMES
from marketcraft.store import Database
from marketcraft.store.keys import load_or_create_signer
from tests.support.server import Server

WIDTHS = (1280, 400)
#: downloads and API documents: not pages to lay out
NOT_PAGES = re.compile(r"\.(json|csv|parquet|png|svg)$|/report$|/files/|^/docs|^/redoc|^/openapi"
                       r"|^/metrics|^/health|^/ready|^/peg/markets|^/repo/|^/programs")  # fmt: skip
MAX_PAGES = 30  # per role and width: the demo has fewer


def _pages_of(page, base: str, start: str, width: int, seen_errors: list[str]) -> list[str]:
    """Walk the same-origin links from ``start``; every page must fit ``width``."""
    seen: set[str] = set()
    queue = [start]
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(base + path)
        assert response is not None and "text/html" in response.headers["content-type"], path
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{path} is {wide} px wide at {width} px"
        if response.status >= 400:  # a page this role may not open: HTML, with a way back
            seen_errors.append(path)
            assert page.locator("a#home").count() == 1, path
            continue
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            url = urlparse(urljoin(base + path, href))
            if url.netloc == urlparse(base).netloc and not NOT_PAGES.search(url.path):
                queue.append(url.path)
    return sorted(seen)


def test_every_page_of_every_role_fits_both_widths_and_each_role_lands_at_home(browser, tmp_path):
    url, data = f"sqlite:///{tmp_path / 'demo.db'}", tmp_path / "var"
    db = Database.open(url, migrate=True)
    assert load_demo(db, data / "demo-tokens.txt", SystemClock(), load_or_create_signer(data))
    db.close()
    users = [line.split("\t") for line in (data / "demo-tokens.txt").read_text().splitlines()[1:]]
    server = Server(url, data)
    server.start()
    walked: dict[str, list[str]] = {}
    try:
        for name, role, token in users:
            for width in WIDTHS:
                context = browser.new_context(viewport={"width": width, "height": 900})
                page = context.new_page()
                page.goto(server.url + "/login")
                page.fill("input[name=token]", token)
                with page.expect_navigation():
                    page.click("button:has-text('Sign in')")
                home = urlparse(page.url).path
                assert home == HOMES[role], (name, home)  # a page of its own, no dead end
                errors: list[str] = []
                walked[f"{name}@{width}"] = _pages_of(page, server.url, home, width, errors)
                missing = page.goto(server.url + "/ui/no-such-page")
                assert missing is not None and missing.status == 404
                page.click("a#home")
                assert urlparse(page.url).path == home  # the way back from a dead link
                context.close()
    finally:
        server.stop()
    pages = {path for paths in walked.values() for path in paths}
    # the walk reached every role's pages, not only the homes
    for expected in (
        "/ui/sponsor/programs/",
        "/ui/scout/programs/",
        "/ui/audit/programs/",
        "/ui/peg/",
        "/ui/trade",
        "/ui/dealer",
        "/ui/admin",
        "/ui/analyst",
    ):
        assert any(p.startswith(expected) for p in pages), expected
