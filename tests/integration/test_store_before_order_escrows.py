"""A store written while every order had its own escrow account and the state kept every
order (snapshot format 1) loads, verifies and answers as it did; its snapshots are ignored
(their events are folded), and what is decided next is what that code decided."""

import json
import logging
import shutil
from pathlib import Path

import pytest

from marketcraft.app.programs import ProgramRepository
from marketcraft.opportunity.commands import Context, RevealMarket
from marketcraft.opportunity.invariants import check_all
from marketcraft.store import Database
from tests.support.make_store_before_order_escrows import ANSWERS, DB, REVEAL_AT
from tests.support.opportunity_fixtures import SIGNER

PROGRAMS = ("program-demo", "program-open")


@pytest.fixture
def repo(tmp_path: Path):
    shutil.copy(DB, tmp_path / "old.db")
    db = Database.open(f"sqlite:///{tmp_path / 'old.db'}")
    yield ProgramRepository(db.events, SIGNER, db.quarantine, db.snapshots)
    db.close()


def test_old_programs_load_past_their_snapshots_and_reissue_the_same_receipts(repo, caplog):
    answers = json.loads(ANSWERS.read_text())
    assert repo.snapshots.get("opportunity/program-demo") is not None  # one is there ...
    with caplog.at_level(logging.INFO):
        for program_id in PROGRAMS:
            journal = repo.journal(program_id)
            expected = answers[program_id]
            assert (journal.size, journal.log.root().hex()) == (expected["size"], expected["root"])
            assert expected["receipts"]  # orders, close orders and agents
            for order_id, download in expected["receipts"].items():
                assert json.loads(json.dumps(repo.receipt_download(program_id, order_id))) == (
                    download
                )
            check_all(journal.state)
    for program_id in PROGRAMS:  # ... and ignored (unreadable now, or of an older format)
        assert f"snapshot of opportunity/{program_id} ignored" in caplog.text


def test_old_programs_pass_the_audit(repo):
    for program_id in PROGRAMS:
        audited = repo.audit(program_id)
        assert audited.log.root() == repo.journal(program_id).log.root()


def test_revealing_an_old_program_decides_what_the_old_code_decided(repo):
    answers = json.loads(ANSWERS.read_text())
    for market, expected in zip(("a", "b"), answers["reveals"], strict=True):
        handled = repo.handle("program-open", RevealMarket(market), Context("label", REVEAL_AT))
        assert handled.record.events.decode() == expected
    state = repo.journal("program-open").state
    check_all(state)
    assert repo.audit("program-open").log.root() == repo.journal("program-open").log.root()
    escrows = [
        v for (a, _), v in state.ledger.balances().items() if a.startswith(("orders:", "escrow:"))
    ]
    assert escrows and not any(escrows)
