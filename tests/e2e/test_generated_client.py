"""A client generated from the running server's /openapi.json by the standard generator
(``openapi-python-client --fail-on-warning``) works: every role drives a short flow through it
against a real server, with typed answers (the schemas' models) and typed refusals (``Problem``,
RFC 9457)."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from marketcraft.opportunity.transcript import verify_transcript
from marketcraft.roles import Role
from marketcraft.store import Database
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW
from tests.e2e.test_deal_service import short_terms
from tests.support.server import Server

PACKAGE = "marketcraft_api_client"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("generated")
    url = f"sqlite:///{root / 'api.db'}"
    database = Database.open(url, migrate=True)
    admin = issue_token(database.principals, "ops", Role.ADMIN, NOW)[1]
    database.close()
    server = Server(url, root / "var", env={"MARKETCRAFT_RATE_LIMIT_ENABLED": "false"})
    server.start()
    try:
        yield server, admin, root
    finally:
        server.stop()


@pytest.fixture(scope="module")
def api(server) -> Any:
    """The client package, generated into a temporary folder and imported."""
    running, _, root = server
    spec = root / "openapi.json"
    spec.write_bytes(httpx.get(running.url + "/openapi.json", timeout=10).content)
    config = root / "generator.yaml"
    config.write_text("post_hooks: []\n")  # no formatter run on the generated code
    out = root / "client" / PACKAGE
    done = subprocess.run(
        [str(GENERATOR), "generate", "--path", str(spec), "--output-path", str(out),
         "--meta", "none", "--fail-on-warning", "--config", str(config)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout + done.stderr
    sys.path.insert(0, str(out.parent))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out.parent))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_the_running_servers_docs_load_everything_from_it(server):
    running, _, _ = server
    for page in ("/docs", "/redoc"):
        html = httpx.get(running.url + page, timeout=10)
        assert html.status_code == 200 and "http" not in html.text.replace(running.url, "")
        assets = re.findall(r'(?:src|href)="(/docs/assets/[^"]+)"', html.text)
        assert assets, page
        for asset in assets:
            assert httpx.get(running.url + asset, timeout=10).status_code == 200, asset


def op(api: Any, tag: str, name: str) -> Any:
    """The generated module of operation ``name`` (its ``sync`` / ``sync_detailed``)."""
    return importlib.import_module(f"{api.__name__}.api.{tag}.{name}")


def test_every_role_drives_its_flow_through_the_generated_client(server, api):
    running, admin_token, _ = server
    models = importlib.import_module(f"{api.__name__}.models")
    Problem = models.Problem
    started = time.monotonic()

    def as_user(token: str) -> Any:
        return api.AuthenticatedClient(base_url=running.url, token=token, timeout=30.0)

    anonymous = api.Client(base_url=running.url, timeout=30.0)
    admin = as_user(admin_token)

    # anyone: health and the public peg markets; a made-up token is a typed 401
    health = op(api, "system", "get_health").sync(client=anonymous)
    assert isinstance(health, models.Health) and health.status == "ok"
    refused = op(api, "system", "get_me").sync_detailed(client=as_user("mc_not-a-token"))
    assert refused.status_code == 401 and isinstance(refused.parsed, Problem)
    assert refused.parsed.code == "not_authenticated" and refused.parsed.status == 401

    # admin: users (a page), a peg market
    tokens = {}
    for name, role in [("label", "sponsor"), ("fan", "scout"), ("aud", "auditor"),
                       ("tia", "trader"), ("ana", "analyst"), ("mia", "dealer")]:  # fmt: skip
        created = op(api, "admin", "create_user").sync(
            client=admin, body=models.UserIn(name=name, role=models.Role(role))
        )
        assert isinstance(created, models.UserCreated) and created.token.startswith("mc_")
        tokens[name] = created.token
    users = op(api, "admin", "list_users").sync(client=admin, limit=3)
    assert isinstance(users, models.UserOutPage) and len(users.items) == 3
    assert users.next_offset == 3
    market = op(api, "pegged_token", "open_peg_market").sync(
        client=admin, idempotency_key="open-usd",
        body=models.PegMarketIn(name="usd", opener="ops", deposit="1000000", feed="0.5"),
    )  # fmt: skip
    assert isinstance(market, models.PegMarketOut) and market.name == "usd"
    credited = op(api, "pegged_token", "credit_col").sync(
        "usd", client=admin, body=models.CreditIn(user="tia", amount="100")
    )
    assert isinstance(credited, models.PegBalanceOut) and Decimal(credited.col) == 100

    # trader: a trade, retried with its key (answered once)
    trader = as_user(tokens["tia"])
    buy = op(api, "pegged_token", "buy_peg")
    trades = [buy.sync_detailed("usd", client=trader, idempotency_key="t1",
                                body=models.TradeIn(amount="40")) for _ in range(2)]  # fmt: skip
    assert [t.status_code for t in trades] == [200, 200]
    assert isinstance(trades[0].parsed, models.TradeOut)
    assert trades[0].content == trades[1].content
    assert trades[1].headers["idempotent-replayed"] == "true"
    wallet = op(api, "pegged_token", "get_peg_balance").sync("usd", client=trader)
    assert isinstance(wallet, models.PegBalanceOut) and Decimal(wallet.col) == 60
    markets = op(api, "pegged_token", "list_peg_markets").sync(client=anonymous)
    assert isinstance(markets, models.PegMarketPage) and markets.items[0].name == "usd"
    history = op(api, "pegged_token", "get_peg_history").sync("usd", client=anonymous, limit=1)
    assert isinstance(history, models.PointOutPage) and len(history.items) == 1

    # sponsor: a program with a one-second window, a market
    sponsor = as_user(tokens["label"])
    terms = models.TermsIn(market_budget="100", window_seconds=1)
    program = op(api, "opportunity_markets", "open_program").sync(
        client=sponsor, body=models.ProgramIn(title="P", deposit="10000", terms=terms)
    )
    assert isinstance(program, models.ProgramOut) and program.sponsor == "label"
    pid = program.program_id
    listed = op(api, "opportunity_markets", "create_market").sync(
        pid, client=sponsor, body=models.MarketIn(title="Will it?")
    )
    assert isinstance(listed, models.MarketOut)

    # scout: deposit, a blind order (its typed receipt), a typed refusal
    scout = as_user(tokens["fan"])
    balance = op(api, "opportunity_markets", "deposit_cash").sync(
        pid, client=scout, body=models.CashIn(amount="50"), idempotency_key="d1"
    )
    assert isinstance(balance, models.BalanceOut) and balance.available == "50.00"
    receipt = op(api, "opportunity_markets", "place_order").sync(
        pid, client=scout, idempotency_key="o1",
        body=models.OrderIn(market_id=listed.market_id, side=models.Side.BUY, max_spend="10"),
    )  # fmt: skip
    assert isinstance(receipt, models.ReceiptOut)
    assert isinstance(receipt.receipt, models.SignedReceipt)
    assert receipt.receipt.order_id == receipt.order_id and receipt.receipt.scout == "fan"
    again = op(api, "opportunity_transparency_log", "get_receipt").sync(
        pid, receipt.order_id, client=scout
    )
    assert isinstance(again, models.ReceiptOut) and again.to_dict() == receipt.to_dict()
    too_much = op(api, "opportunity_markets", "withdraw_cash").sync(
        pid, client=scout, body=models.CashIn(amount="1000")
    )
    assert isinstance(too_much, Problem) and too_much.code == "insufficient_cash"
    invalid = op(api, "opportunity_markets", "deposit_cash").sync(
        pid, client=scout, body=models.CashIn(amount="-1")
    )
    assert isinstance(invalid, Problem) and invalid.status == 422
    assert invalid.errors[0].loc == ["body", "amount"]
    orders = op(api, "opportunity_markets", "list_orders").sync(pid, client=scout)
    assert isinstance(orders, models.OrderOutPage) and len(orders.items) == 1

    # sponsor again: resolve and settle once the window closed
    time.sleep(1.2)
    resolved = op(api, "opportunity_markets", "resolve_market").sync_detailed(
        pid, listed.market_id, client=sponsor,
        body=models.ResolveIn(outcome=models.Outcome.YES, evidence="signed"),
    )  # fmt: skip
    assert resolved.status_code == 204, resolved.content
    settled = op(api, "opportunity_markets", "settle_program").sync_detailed(
        pid, client=sponsor, idempotency_key="settle"
    )
    assert settled.status_code == 204, settled.content

    # auditor: the program, its transcript (typed), which verifies
    auditor = as_user(tokens["aud"])
    seen = op(api, "opportunity_markets", "get_program").sync(pid, client=auditor)
    assert isinstance(seen, models.ProgramOut) and seen.settled
    transcript = op(api, "opportunity_markets", "get_transcript").sync(pid, client=auditor)
    assert isinstance(transcript, models.TranscriptOut) and transcript.records
    assert verify_transcript(transcript.to_dict()) == []
    checkpoints = op(api, "opportunity_transparency_log", "list_checkpoints").sync(
        pid, client=auditor
    )
    assert isinstance(checkpoints, models.CheckpointOutPage)
    forbidden = op(api, "opportunity_markets", "place_order").sync_detailed(
        pid, client=auditor, idempotency_key="x",
        body=models.OrderIn(market_id=listed.market_id, side=models.Side.BUY, max_spend="1"),
    )  # fmt: skip
    assert forbidden.status_code == 403 and isinstance(forbidden.parsed, Problem)
    assert forbidden.parsed.code == "forbidden"

    # analyst: a deal job, queued once for its key
    analyst = as_user(tokens["ana"])
    job = op(api, "deal_desk", "submit_deal_job").sync(
        client=analyst, idempotency_key="j1", body=models.JobIn(terms=short_terms(1), paths=10)
    )
    assert isinstance(job, models.JobOut) and job.status in ("queued", "running", "done")
    jobs = op(api, "deal_desk", "list_deal_jobs").sync(client=analyst)
    assert isinstance(jobs, models.JobOutPage) and [j.id for j in jobs.items] == [job.id]
    missing = op(api, "deal_desk", "get_deal_job").sync("0123456789abcdef", client=analyst)
    assert isinstance(missing, Problem) and missing.code == "no_job"

    # dealer: the contract's key, the sessions it may see (none)
    dealer = as_user(tokens["mia"])
    key = op(api, "sealed_repo_trades", "get_repo_key").sync(client=dealer)
    assert isinstance(key, models.KeyOut) and len(key.public_key) == 64
    sessions = op(api, "sealed_repo_trades", "list_repo_sessions").sync(client=dealer)
    assert isinstance(sessions, models.SessionOutPage) and sessions.items == []
    me = op(api, "system", "get_me").sync(client=dealer)
    assert isinstance(me, models.Me) and (me.name, me.role) == ("mia", "dealer")

    assert time.monotonic() - started < 30
