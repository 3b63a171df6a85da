"""Loading a program folds its stored events from its signed snapshot on; deciding every stored
command again is the audit, not the load."""

import dataclasses
from datetime import timedelta

import pytest

from marketcraft.app import snapshots as snapshot_codec
from marketcraft.app.programs import ProgramRepository, snapshot_due
from marketcraft.kernel import Signer
from marketcraft.kernel.errors import InvariantViolation, Quarantined
from marketcraft.kernel.messages import canonical_json
from marketcraft.opportunity.invariants import check_all
from marketcraft.opportunity.journal import ProgramJournal, parse_command_record
from marketcraft.store.snapshots import Snapshot
from tests.support.opportunity_fixtures import SIGNER, T0, settled_journal

PROGRAM = "program-demo"
STREAM = f"opportunity/{PROGRAM}"


def run_into(repo: ProgramRepository, records) -> None:
    for record in records:
        command, ctx = parse_command_record(record.command)
        repo.handle(PROGRAM, command, ctx)


def same_program(a: ProgramJournal, b: ProgramJournal) -> None:
    assert (a.size, a.log.root(), a.log.chain_head()) == (b.size, b.log.root(), b.log.chain_head())
    assert a.state.ledger.balances() == b.state.ledger.balances()
    assert a.receipt_sequence == b.receipt_sequence
    assert a.history.prices(a.state) == b.history.prices(b.state)
    assert a.history.collateral_returned == b.history.collateral_returned


@pytest.fixture
def program():
    journal, receipts, _ = settled_journal()
    return journal, receipts


def test_a_load_starts_at_the_snapshot_and_folds_only_the_records_after_it(database, program):
    journal, receipts = program
    half = journal.size // 2
    writer = ProgramRepository(database.events, SIGNER, snapshots=database.snapshots)
    run_into(writer, journal.records[:half])
    assert writer.snapshot(PROGRAM) == half
    run_into(writer, journal.records[half:])

    folded = []
    reader = ProgramRepository(database.events, SIGNER, snapshots=database.snapshots)
    real_fold = ProgramJournal.fold

    def counting_fold(self, record):
        folded.append(record)
        return real_fold(self, record)

    ProgramJournal.fold = counting_fold
    try:
        loaded = reader.journal(PROGRAM)
    finally:
        ProgramJournal.fold = real_fold
    assert folded == journal.records[half:]
    same_program(loaded, journal)
    check_all(loaded.state)
    # receipts re-issued after the load are the ones first issued, byte for byte
    for receipt in receipts:
        again, record = reader.receipt(PROGRAM, receipt.order_id)
        assert again == receipt
        assert record == journal.records[journal.receipt_sequence[receipt.order_id]]


def test_a_load_decides_nothing_and_signs_nothing(database, program):
    journal, _ = program
    run_into(ProgramRepository(database.events, SIGNER), journal.records)
    signing = []

    class CountingSigner(Signer):
        def sign(self, message: bytes) -> bytes:
            signing.append(message)
            return super().sign(message)

    reader = ProgramRepository(database.events, CountingSigner(bytes(range(1, 33))))
    loaded = reader.journal(PROGRAM)
    assert signing == []
    same_program(loaded, journal)


def test_a_tampered_or_foreign_snapshot_is_ignored_and_the_events_are_folded(database, program):
    journal, _ = program
    writer = ProgramRepository(database.events, SIGNER, snapshots=database.snapshots)
    run_into(writer, journal.records)
    writer.snapshot(PROGRAM)
    good = database.snapshots.get(STREAM)
    bad_byte = bytearray(good.data)
    bad_byte[-10] ^= 1
    foreign = snapshot_codec.seal_snapshot(Signer(bytes(32)), STREAM, good.version, ("x",))
    for stored in (Snapshot(STREAM, good.version, bytes(bad_byte)), foreign):
        database.snapshots.drop(STREAM)
        database.snapshots.put(stored)
        loaded = ProgramRepository(database.events, SIGNER, snapshots=database.snapshots)
        same_program(loaded.journal(PROGRAM), journal)


def test_a_snapshot_from_another_version_is_ignored(database, program, monkeypatch):
    journal, _ = program
    writer = ProgramRepository(database.events, SIGNER, snapshots=database.snapshots)
    run_into(writer, journal.records[:10])
    writer.snapshot(PROGRAM)
    run_into(writer, journal.records[10:])
    monkeypatch.setattr(snapshot_codec, "__version__", "0.0.0-other")
    folded = []
    real_fold = ProgramJournal.fold
    monkeypatch.setattr(
        ProgramJournal, "fold", lambda self, r: (folded.append(r), real_fold(self, r))
    )
    loaded = ProgramRepository(database.events, SIGNER, snapshots=database.snapshots)
    same_program(loaded.journal(PROGRAM), journal)
    assert len(folded) == journal.size  # everything, from the first record


def test_a_snapshot_of_an_older_format_is_ignored(database, program, monkeypatch):
    journal, _ = program
    writer = ProgramRepository(database.events, SIGNER, snapshots=database.snapshots)
    run_into(writer, journal.records[:10])
    monkeypatch.setattr(snapshot_codec, "FORMAT", 1)
    writer.snapshot(PROGRAM)
    monkeypatch.undo()
    run_into(writer, journal.records[10:])
    assert snapshot_codec.open_snapshot(SIGNER.public_key, database.snapshots.get(STREAM)) is None
    loaded = ProgramRepository(database.events, SIGNER, snapshots=database.snapshots)
    same_program(loaded.journal(PROGRAM), journal)


def test_a_snapshot_of_an_older_state_shape_is_ignored(database, program):
    """A snapshot written by the same version number before a field was added (here the
    state's ``closed``) is not loaded with the field missing: the events are folded."""
    journal, _ = program
    writer = ProgramRepository(database.events, SIGNER, snapshots=database.snapshots)
    run_into(writer, journal.records)
    state = writer.journal(PROGRAM).state
    del state.closed  # as a ProgramState pickled before the field existed
    writer.snapshot(PROGRAM)
    state.closed = False
    loaded = ProgramRepository(database.events, SIGNER, snapshots=database.snapshots)
    same_program(loaded.journal(PROGRAM), journal)
    assert loaded.journal(PROGRAM).state.closed is False


def test_the_store_keeps_the_newest_snapshot_of_each_stream(database):
    snapshots = database.snapshots
    assert snapshots.get("a") is None
    snapshots.put(Snapshot("a", 5, b"five"))
    snapshots.put(Snapshot("a", 3, b"three"))  # older: ignored
    snapshots.put(Snapshot("b", 1, b"one"))
    assert snapshots.get("a") == Snapshot("a", 5, b"five")
    snapshots.put(Snapshot("a", 9, b"nine"))
    assert snapshots.get("a") == Snapshot("a", 9, b"nine")
    snapshots.drop("a")
    assert snapshots.get("a") is None and snapshots.get("b") == Snapshot("b", 1, b"one")


def test_snapshots_are_due_after_enough_records_and_quiet(database, program):
    journal, _ = program
    repo = ProgramRepository(database.events, SIGNER, snapshots=database.snapshots)
    run_into(repo, journal.records[:12])
    assert repo.snapshots_due(13) == []
    assert repo.snapshots_due(12, idle_seconds=3600) == []  # not quiet for an hour
    assert snapshot_due(repo, 12, 0.0) == [PROGRAM]
    assert database.snapshots.get(STREAM).version == 12
    assert repo.snapshots_due(1) == []
    run_into(repo, journal.records[12:13])
    assert repo.snapshots_due(1) == [PROGRAM]


def salt_swapped(journal: ProgramJournal) -> tuple[int, bytes]:
    """The index of an order's record and that record, stored, with its salt changed: it still
    folds, but its fill commitment no longer opens."""
    index = next(
        i for i, r in enumerate(journal.records) if b"opportunity.order_executed" in r.events
    )
    record = journal.records[index]
    at = record.events.index(b'"salt":"') + len(b'"salt":"')
    flipped = b"1" if record.events[at : at + 1] == b"0" else b"0"
    changed = record.events[:at] + flipped + record.events[at + 1 :]
    return index, canonical_json({"command": record.command.decode(), "events": changed.decode()})


def rewritten(events, index: int, data: bytes):
    """``events`` (a store) read as if record ``index`` of the program had been rewritten."""
    tampered = type(events).__new__(type(events))
    tampered.__dict__.update(events.__dict__)

    def read_stream(stream_id, from_version=1, limit=None):
        items = events.read_stream(stream_id, from_version, limit)
        if stream_id != STREAM:
            return items
        return [
            dataclasses.replace(item, data=data) if item.version == index + 1 else item
            for item in items
        ]

    tampered.read_stream = read_stream
    return tampered


def test_load_trusts_the_store_and_the_audit_decides_again(database, program):
    """A rewritten record that still folds loads; the audit, deciding every command again,
    names it."""
    journal, _ = program
    run_into(ProgramRepository(database.events, SIGNER), journal.records)
    index, forged = salt_swapped(journal)
    repo = ProgramRepository(rewritten(database.events, index, forged), SIGNER)
    assert repo.journal(PROGRAM).size == journal.size
    with pytest.raises(InvariantViolation, match=f"record {index}"):
        repo.audit(PROGRAM)
    honest = ProgramRepository(database.events, SIGNER).audit(PROGRAM)
    assert honest.log.root() == journal.log.root()


def test_a_published_checkpoint_catches_a_rewritten_record_at_load(database, program):
    journal, _ = program
    repo = ProgramRepository(database.events, SIGNER)
    run_into(repo, journal.records)
    repo.publish_checkpoint(PROGRAM, T0 + timedelta(days=40))
    index, forged = salt_swapped(journal)
    reader = ProgramRepository(rewritten(database.events, index, forged), SIGNER)
    with pytest.raises(Quarantined):
        reader.journal(PROGRAM)
    assert "checkpoint_mismatch" in reader.quarantine.get("opportunity", PROGRAM).reason
