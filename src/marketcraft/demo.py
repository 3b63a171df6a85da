"""Demo data for ``make run``: one user per role, and each mechanism's demo content (a demo
opportunity program with blind trading, so the sponsor's dashboard has prices to show).

Loading is idempotent: what exists is kept. Demo tokens are written once, to a file readable
only by its owner, because a token cannot be recovered from its stored hash.
"""

from __future__ import annotations

import os
import secrets
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
from marketcraft.service.auth import issue_token
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
    return bool(lines) or created_program


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
