"""Demo data for ``make run``: one user per role, and each mechanism's demo content (a demo
opportunity program with blind trading, so the sponsor's dashboard has prices to show).

Loading is idempotent: what exists is kept. Demo tokens are written once, to a file readable
only by its owner, because a token cannot be recovered from its stored hash.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from marketcraft.kernel.clock import Clock
from marketcraft.kernel.messages import Command
from marketcraft.kernel.signing import Signer
from marketcraft.opportunity.commands import (
    Context,
    DepositCash,
    ListMarket,
    OpenProgram,
    PlaceOrder,
)
from marketcraft.opportunity.repository import ProgramRepository
from marketcraft.opportunity.terms import (
    ProgramTerms,
    Side,
)
from marketcraft.peg.commands import BuyPeg, FundCol, OpenMarket, ReportPrice, SellPeg, Tick
from marketcraft.peg.terms import PegTerms
from marketcraft.service.auth import issue_token
from marketcraft.service.peg_markets import PegMarkets
from marketcraft.service.roles import Role
from marketcraft.store.database import Database

__all__ = ["DEMO_USERS", "load_demo"]

DEMO_USERS: list[tuple[str, Role]] = [
    ("demo-admin", Role.ADMIN),
    ("demo-sponsor", Role.SPONSOR),
    ("demo-scout", Role.SCOUT),
    ("demo-scout-2", Role.SCOUT),
    ("demo-auditor", Role.AUDITOR),
    ("demo-dealer-mm", Role.DEALER),
    ("demo-dealer-rm", Role.DEALER),
    ("demo-analyst", Role.ANALYST),
    ("demo-trader", Role.TRADER),
]


def load_demo(db: Database, tokens_file: Path, clock: Clock, signer: Signer | None = None) -> bool:
    """Create missing demo users (appending their tokens to ``tokens_file``) and, if there is
    no program yet, a demo opportunity program with a little blind trading. True if anything
    was created."""
    lines: list[str] = []
    for name, role in DEMO_USERS:
        if db.principals.get(name) is None:
            _, token = issue_token(db.principals, name, role, clock.now())
            lines.append(f"{name}\t{role.value}\t{token}\n")
    if lines:
        tokens_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tokens_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            if f.tell() == 0:
                f.write(
                    "# name\trole\ttoken  (demo only; use with Authorization: Bearer <token>)\n"
                )
            f.writelines(lines)
    created_program = signer is not None and _demo_program(db, signer, clock)
    created_peg = _demo_peg_market(db, clock)
    return bool(lines) or created_program or created_peg


def _demo_peg_market(db: Database, clock: Clock) -> bool:
    """A pegged-token market with a day of history: the outside price drifts, a trader buys
    and sells PEG, ticks correct SPOT towards the median feed (the dashboard's charts)."""
    markets = PegMarkets(db.events)
    if "demo-usd" in markets.names():
        return False
    now = clock.now()
    start = now - timedelta(days=1)
    terms = PegTerms(delay_seconds=3600, correction_seconds=3600, feed_window_seconds=6 * 3600)
    markets.open(
        "demo-usd", OpenMarket(Decimal(10_000_000), Decimal("0.5"), terms), "demo-admin", start
    )
    markets.handle("demo-usd", FundCol(Decimal(1_000_000)), "demo-trader", start)
    for quarter in range(1, 96):
        at = start + timedelta(minutes=15 * quarter)
        # the collateral drifts down 6% over the day, with a wobble: the feed rises
        price = Decimal("0.5") * (1 + Decimal(quarter) / 1600) + Decimal(quarter % 7) / 4000
        markets.handle(
            "demo-usd", ReportPrice(price.quantize(Decimal("0.000001"))), "demo-admin", at
        )
        if quarter % 4 == 1:
            markets.handle("demo-usd", BuyPeg(Decimal(5_000)), "demo-trader", at)
        if quarter % 12 == 5:
            markets.handle("demo-usd", SellPeg(Decimal(4_000)), "demo-trader", at)
        markets.handle("demo-usd", Tick(), "demo-admin", at)
    return True


DEMO_MARKETS = [
    ("Will we sign Ada Lovelace Trio in 2026?", [("demo-scout", "60"), ("demo-scout-2", "45")]),
    ("Will we sign The Analytical Engines in 2026?", [("demo-scout-2", "8")]),
    ("Will we sign Babbage & Sons in 2026?", []),
]


def _demo_program(db: Database, signer: Signer, clock: Clock) -> bool:
    repo = ProgramRepository(db.events, signer)
    if repo.program_ids():
        return False
    now = clock.now()
    terms = ProgramTerms(market_budget=Decimal(25000), creation_bond=Decimal(25))
    pid = "demo-label-x-2026"

    def run(actor: str, command: Command) -> None:
        repo.handle(pid, command, Context(actor, now))

    run("demo-sponsor", OpenProgram(pid, "Label X scouting 2026", Decimal(100_000), terms))
    for scout in ("demo-scout", "demo-scout-2"):
        run(scout, DepositCash(Decimal(1000)))
    for i, (title, orders) in enumerate(DEMO_MARKETS):
        market_id = f"demo-m{i + 1}"
        run("demo-sponsor", ListMarket(market_id, title))
        for j, (scout, spend) in enumerate(orders):
            run(scout, PlaceOrder(f"demo-o{i}{j}", market_id, Side.BUY, secrets.token_bytes(32),
                                  max_spend=Decimal(spend)))  # fmt: skip
    return True
