"""The demo programs: a live one with days of history, and a settled one that verifies."""

from datetime import UTC, datetime, timedelta

import pytest

from marketcraft.app.programs import ProgramRepository
from marketcraft.demo.opportunity import LIVE_PROGRAM, SETTLED_PROGRAM, load_programs
from marketcraft.kernel import Signer
from marketcraft.opportunity.collateral import free_collateral, left_in
from marketcraft.opportunity.events import CollateralWithdrawn, ProgramOpened, ProgramSettled
from marketcraft.opportunity.invariants import check_all
from marketcraft.opportunity.journal import parse_events_record
from marketcraft.opportunity.state import MarketStatus
from marketcraft.opportunity.transcript import export_transcript, verify_transcript
from marketcraft.store import Database

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
SIGNER = Signer(b"d" * 32)


@pytest.fixture(scope="module")
def repo():
    db = Database.open("memory://")
    assert load_programs(db, SIGNER, NOW)
    assert not load_programs(db, SIGNER, NOW)  # loaded once
    yield ProgramRepository(db.events, SIGNER)
    db.close()


def test_the_live_program_has_a_week_of_history_and_a_market_heating_up(repo):
    journal = repo.journal(LIVE_PROGRAM)
    state = journal.state
    assert not state.settled
    assert all(m.status is MarketStatus.OPEN for m in state.markets.values())
    history = journal.history.prices(state)
    times = sorted(t for points in history.values() for t, _ in points[1:])
    assert times[0] < NOW - timedelta(days=7) and NOW - timedelta(days=1) < times[-1] < NOW
    hot = history["demo-m1"]
    assert hot[-1][1] > max(points[-1][1] for mid, points in history.items() if mid != "demo-m1")
    day_ago = [p for t, p in hot if t <= NOW - timedelta(days=1)][-1]
    assert hot[-1][1] > day_ago  # it rose over the last day
    assert "demo-close-1" in state.close_orders
    check_all(state)


def test_the_settled_program_verifies_and_its_costs_reconcile(repo):
    journal = repo.journal(SETTLED_PROGRAM)
    state = journal.state
    assert state.settled and {m.outcome.value for m in state.markets.values()} == {"yes", "no"}
    checkpoints = repo.checkpoints(SETTLED_PROGRAM)
    assert [c.checkpoint.tree_size for c in checkpoints] == sorted(
        {c.checkpoint.tree_size for c in checkpoints}
    )
    assert 0 < checkpoints[0].checkpoint.tree_size < journal.size  # one mid-window
    records = repo.records(SETTLED_PROGRAM)
    doc = export_transcript(journal.origin, records, checkpoints, SIGNER, NOW)
    found = [repo.receipt(SETTLED_PROGRAM, order_id) for order_id in state.orders]
    assert len(found) > 30 and None not in found
    receipts = [receipt for receipt, _ in found]
    assert verify_transcript(doc, receipts, SIGNER.public_key) == []
    terms = state.require_terms()
    costs = [m.sponsor_cost for m in state.markets.values()]
    assert all(cost <= terms.market_budget for cost in costs)
    assert costs[0] > 0  # the YES market paid out more than scouts put in
    events = [e for record in records for e in parse_events_record(record.events)]
    (settled,) = [e for e in events if isinstance(e, ProgramSettled)]
    (opened,) = [e for e in events if isinstance(e, ProgramOpened)]
    (withdrawn,) = [e for e in events if isinstance(e, CollateralWithdrawn)]
    assert settled.collateral_returned == 0  # settlement left it for the sponsor to withdraw
    assert journal.history.collateral_returned == withdrawn.amount
    assert free_collateral(state) == 0 and state.available("demo-scout") > 0
    # the demo scout's cash is all that is left: once it is withdrawn, the program can close
    assert left_in(state) == {("cash:demo-scout", "CASH"): state.available("demo-scout")}
    deposit = opened.deposit + opened.rolled_in
    # what the sponsor is out of pocket is what its markets cost, less the fee dust it kept
    assert deposit - withdrawn.amount == sum(costs) - settled.dust_to_sponsor
    check_all(state)
