"""A journal that keeps no records (the repository's), snapshots of it, and what it refuses."""

import pytest

from marketcraft.kernel.errors import InvariantViolation
from marketcraft.kernel.log import AppendOnlyLog
from marketcraft.opportunity.journal import (
    JournalRecord,
    ProgramJournal,
    parse_events_record,
    sealed_id,
)
from tests.support.opportunity_fixtures import SIGNER, T0, settled_journal


def test_a_journal_that_keeps_no_records_says_so():
    journal = ProgramJournal("p", SIGNER, keep_records=False)
    with pytest.raises(InvariantViolation, match="in the store"):
        _ = journal.records
    assert ProgramJournal("p", SIGNER).records == []


def test_a_thawed_journal_is_the_frozen_one_and_keeps_no_records():
    original, _, _ = settled_journal()
    thawed = ProgramJournal.thaw("program-demo", SIGNER, original.freeze())
    assert (thawed.size, thawed.log.root()) == (original.size, original.log.root())
    assert thawed.receipt_sequence == original.receipt_sequence
    with pytest.raises(InvariantViolation):
        _ = thawed.records
    parts = original.freeze()
    shorter = ProgramJournal("program-demo", SIGNER, original.records[:-1]).freeze()
    wrong = [
        (1, 2, 3),
        (parts[0], AppendOnlyLog("another"), parts[2]),
        (parts[0], parts[1], None),
        (None, *parts[1:]),
        (shorter[0], *parts[1:]),  # a state of fewer records than the log holds
    ]
    for bad in wrong:
        with pytest.raises(InvariantViolation, match="not a program journal"):
            ProgramJournal.thaw("program-demo", SIGNER, bad)
    with pytest.raises(ValueError):  # the shape of format 1 snapshots
        ProgramJournal.thaw("program-demo", SIGNER, (parts[0], parts[1], {}, parts[2]))


def test_a_replay_refuses_a_record_whose_stored_events_differ():
    original, _, _ = settled_journal()
    records = original.records
    again = ProgramJournal("program-demo", SIGNER, records[:3])
    changed = JournalRecord(records[3].command, records[3].events.replace(b"500", b"499"))
    with pytest.raises(InvariantViolation, match="record 3: the stored events differ"):
        again.replay(changed)


def test_checkpoints_of_another_log_or_a_longer_one_are_refused():
    original, _, _ = settled_journal()
    journal = ProgramJournal("program-demo", SIGNER, original.records[:6])
    journal.check_checkpoints([journal.signed_checkpoint(T0)])
    other = AppendOnlyLog("other")
    other.append(b"x")
    longer = ProgramJournal("program-demo", SIGNER, original.records[:7])
    same_records_other_name = ProgramJournal("program-demo-2", SIGNER, original.records[:6])
    for foreign in (
        other.signed_checkpoint(T0, SIGNER, origin=journal.origin),
        longer.signed_checkpoint(T0),
        same_records_other_name.signed_checkpoint(T0),
    ):
        with pytest.raises(InvariantViolation, match="checkpoint"):
            journal.check_checkpoints([foreign])


def test_a_sealed_id_is_named_only_for_what_placed_an_order():
    original, _, _ = settled_journal()
    for record, events in zip(original.records, _events(original), strict=True):
        kinds = {type(e).__name__ for e in events}
        found = sealed_id(record.command, events)
        assert (found is not None) == bool(
            kinds & {"OrderExecuted", "CloseOrderPlaced", "AgentRegistered"}
        )
        if b"opportunity.place_order" in record.command:
            assert sealed_id(record.command, []) is None  # no fill: nothing sealed


def _events(journal):
    return [parse_events_record(r.events) for r in journal.records]


def test_a_receipt_is_reissued_only_from_its_own_orders_record():
    original, receipts, _ = settled_journal()
    first = receipts[0]
    own = original.records[original.receipt_sequence[first.order_id]]
    assert original.receipt_for(first.order_id, own) == first
    second = original.records[original.receipt_sequence[receipts[1].order_id]]
    for other in (original.records[0], second):
        with pytest.raises(InvariantViolation, match="is not order"):
            original.receipt_for(first.order_id, other)
