"""A journal written before programs had ``rules`` (by commit 014ea3d: the bond came back on the
market's first order, settlement paid the collateral out) still replays, decided again record
by record, verifies as a transcript, and its money can all leave: the program then closes."""

import json
from datetime import UTC, datetime
from pathlib import Path

from marketcraft.opportunity.collateral import free_collateral, left_in
from marketcraft.opportunity.commands import CloseProgram, Context, WithdrawCash
from marketcraft.opportunity.events import OrderExecuted, ProgramClosed, ProgramSettled
from marketcraft.opportunity.journal import JournalRecord, ProgramJournal
from marketcraft.opportunity.transcript import export_transcript, verify_transcript
from tests.support.opportunity_fixtures import SIGNER

STORED = Path(__file__).parents[1] / "support" / "journal_before_rules.json"
LATER = datetime(2026, 3, 1, tzinfo=UTC)


def stored_records() -> list[JournalRecord]:
    return [
        JournalRecord(r["command"].encode(), r["events"].encode())
        for r in json.loads(STORED.read_text())
    ]


def test_a_journal_stored_before_rules_replays_verifies_and_closes():
    records = stored_records()
    journal = ProgramJournal("old-program", SIGNER, records)  # decides every record again
    state = journal.state
    assert state.require_terms().rules == 1 and state.settled
    events = journal.runner.events
    first = next(e for e in events if isinstance(e, OrderExecuted) and e.market_id == "m2")
    assert first.bond_refund == 25  # rules 1: on the market's first order
    (settled,) = [e for e in events if isinstance(e, ProgramSettled)]
    assert settled.collateral_returned > 0 and free_collateral(state) == 0  # paid out

    doc = export_transcript("old-program", records, [], SIGNER, LATER)
    assert verify_transcript(doc, public_key=SIGNER.public_key) == []

    for scout in ("fan", "s2"):
        journal.handle(WithdrawCash(state.available(scout)), Context(scout, LATER))
    assert left_in(state) == {}
    closed = journal.handle(CloseProgram(), Context("label", LATER))
    assert isinstance(journal.runner.events[-1], ProgramClosed) and closed.receipt is None
