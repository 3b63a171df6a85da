"""Write ``store_before_order_escrows.db`` and ``.json``: a SQLite store as marketcraft wrote it
while each order had its own escrow account and every order's facts lived in the program's
state (snapshot format 1), and what that code answered from it.

Run once with that release's code (commit 4c23106) on the path:

    PYTHONPATH=<that checkout>/src:. python tests/support/make_store_before_order_escrows.py

Two programs: ``program-demo`` (settled_journal's commands; snapshotted before its markets
were resolved) and ``program-open`` (orders, close orders and an agent, snapshotted while its
markets are open: the test reveals them with today's code and expects the same records).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path

from marketcraft.app.programs import ProgramRepository
from marketcraft.kernel.messages import canonical_json, to_plain
from marketcraft.opportunity.commands import (
    Context,
    DepositCash,
    ListMarket,
    OpenProgram,
    PlaceCloseOrder,
    PlaceOrder,
    RegisterAgent,
    RevealMarket,
)
from marketcraft.opportunity.journal import parse_command_record
from marketcraft.opportunity.terms import ProgramTerms, Side, Token
from marketcraft.store import Database
from tests.support.opportunity_fixtures import SIGNER, T0, settled_journal

HERE = Path(__file__).parent
DB = HERE / "store_before_order_escrows.db"
ANSWERS = HERE / "store_before_order_escrows.json"
OPEN_COMMANDS = 14  # program-open's records before the reveals
REVEAL_AT = T0 + timedelta(days=9)


def open_program_commands() -> list[tuple[str, object]]:
    terms = ProgramTerms(market_budget=D(1000), window_seconds=7 * 86400)
    commands: list[tuple[str, object]] = [
        ("label", OpenProgram("program-open", "Open scouting", D(5000), terms)),
        ("label", ListMarket("a", "Will we sign Ann?")),
        ("label", ListMarket("b", "Will we sign Ben?")),
    ]
    commands += [(s, DepositCash(D(800))) for s in ("s1", "s2", "s3")]
    salts = iter(range(1, 100))

    def pepper() -> bytes:
        return bytes([next(salts)]) * 32

    commands += [
        ("s1", PlaceOrder("k1", "a", Side.BUY, pepper(), max_spend=D(45))),
        ("s2", PlaceCloseOrder("k-close", "a", Token.YES, D("0.05"), D(40), pepper())),
        ("s2", PlaceOrder("k2", "a", Side.BUY, pepper(), max_spend=D("12.34"))),
        ("s3", RegisterAgent("k-bot", "b", D(40), D(10), D("0.03"), pepper(), D("0.2"))),
        ("s1", PlaceOrder("k3", "a", Side.SELL, pepper(), max_shares=D(50))),
        ("s3", PlaceOrder("k4", "b", Side.BUY, pepper(), max_spend=D(70))),
        ("s1", PlaceOrder("k5", "a", Side.BUY, pepper(), max_shares=D(30))),
        ("s2", PlaceOrder("k6", "b", Side.BUY, pepper(), max_spend=D(9), token=Token.NO)),
    ]  # fmt: skip
    assert len(commands) == OPEN_COMMANDS
    return commands


def main() -> None:
    DB.unlink(missing_ok=True)
    db = Database.open(f"sqlite:///{DB}", migrate=True)
    repo = ProgramRepository(db.events, SIGNER, db.quarantine, db.snapshots)
    demo, _, _ = settled_journal()
    for n, record in enumerate(demo.records):
        repo.handle("program-demo", *parse_command_record(record.command))
        if n in (6, 12):
            repo.publish_checkpoint("program-demo", T0 + timedelta(hours=n))
        if n == 13:
            repo.snapshot("program-demo")  # before the resolutions
    repo.publish_checkpoint("program-demo", T0 + timedelta(days=30))
    at = T0
    for actor, command in open_program_commands():
        at += timedelta(minutes=5)
        repo.handle("program-open", command, Context(actor, at))
    repo.publish_checkpoint("program-open", at + timedelta(minutes=1))
    repo.snapshot("program-open")
    answers: dict[str, object] = {}
    for program_id in ("program-demo", "program-open"):
        journal = repo.journal(program_id)
        receipts = {
            order_id: repo.receipt_download(program_id, order_id)
            for order_id in sorted(journal.receipt_sequence)
        }
        answers[program_id] = {
            "size": journal.size,
            "root": journal.log.root().hex(),
            "receipts": receipts,
        }
    db.close()
    # what that code decides next, in a copy of the store: both markets revealed
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(DB, Path(tmp) / "copy.db")
        answers["reveals"] = _reveals(f"sqlite:///{Path(tmp) / 'copy.db'}")
    ANSWERS.write_text(json.dumps(json.loads(canonical_json(to_plain(answers))), indent=1) + "\n")


def _reveals(url: str) -> list[str]:
    copy = Database.open(url)
    reveals = []
    try:
        repo = ProgramRepository(copy.events, SIGNER, copy.quarantine, copy.snapshots)
        for market in ("a", "b"):
            handled = repo.handle("program-open", RevealMarket(market), Context("label", REVEAL_AT))
            reveals.append(handled.record.events.decode())
    finally:
        copy.close()
    return reveals


if __name__ == "__main__":
    sys.exit(main())
