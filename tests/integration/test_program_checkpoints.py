"""Programs' checkpoints in the store: published on a cadence, one growing sequence whoever
publishes, a log that keeps its name, and checkpoints stored before they were notes still
checked against the log."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketcraft.app import programs as programs_module
from marketcraft.app.checkpoints import LEGACY_CHECKPOINT_TYPE
from marketcraft.app.programs import ProgramRepository, checkpoint_due
from marketcraft.kernel.checkpoints import open_checkpoint
from marketcraft.kernel.errors import NotFound, Quarantined
from marketcraft.kernel.merkle import verify_consistency
from marketcraft.kernel.messages import canonical_json
from marketcraft.opportunity.journal import parse_command_record
from marketcraft.store.records import NewEvent
from tests.support.opportunity_fixtures import SIGNER, T0, settled_journal

PROGRAM = "program-demo"


@pytest.fixture
def records():
    journal, _, _ = settled_journal()
    return journal.records


def run_into(repo: ProgramRepository, records) -> None:
    for record in records:
        command, ctx = parse_command_record(record.command)
        repo.handle(PROGRAM, command, ctx)


def test_checkpoints_are_due_after_so_many_commands_or_at_a_slot_boundary(
    database, records, monkeypatch
):
    clock = [1000.0]
    monkeypatch.setattr(programs_module.time, "monotonic", lambda: clock[0])
    repo = ProgramRepository(database.events, SIGNER)
    run_into(repo, records[:5])
    assert repo.checkpoints_due(every=5, seconds=60) == [PROGRAM]  # by count
    assert repo.checkpoints_due(every=6, seconds=60) == []  # 1000 s: same slot as the start
    clock[0] = 1019.0  # [960, 1020): still the start's slot
    assert repo.checkpoints_due(every=6, seconds=60) == []
    clock[0] = 1020.0  # a boundary crossed: due, however recent the commands
    assert repo.checkpoints_due(every=6, seconds=60) == [PROGRAM]
    assert checkpoint_due(repo, 6, 60, T0 + timedelta(hours=1)) == [PROGRAM]
    assert repo.checkpoints_due(every=1, seconds=0) == []  # nothing new since
    run_into(repo, records[5:7])
    clock[0] = 1079.0  # two new commands in the slot [1020, 1080): not yet
    assert repo.checkpoints_due(every=6, seconds=60) == []
    assert repo.checkpoints_due(every=2, seconds=60) == [PROGRAM]
    assert repo.checkpoints_due(every=6, seconds=0) == [PROGRAM]  # no grid: whenever uncovered
    clock[0] = 1080.0
    assert repo.checkpoints_due(every=6, seconds=60) == [PROGRAM]
    (first,) = repo.checkpoints(PROGRAM)
    assert first.checkpoint.tree_size == 5
    assert first.checkpoint.origin == f"marketcraft.localhost/opportunity/{PROGRAM}"


def test_publishers_in_several_processes_make_one_growing_sequence(database, records):
    one = ProgramRepository(database.events, SIGNER)
    two = ProgramRepository(database.events, SIGNER)
    run_into(one, records[:6])
    a = one.publish_checkpoint(PROGRAM, T0 + timedelta(hours=2))
    # the other process has seen the same records: publishing again gives the same checkpoint
    assert two.publish_checkpoint(PROGRAM, T0 + timedelta(hours=3)) == a
    run_into(two, records[6:9])
    # a clock that went back is overruled: time never goes back
    b = two.publish_checkpoint(PROGRAM, T0)
    assert b.checkpoint.tree_size == 9 and b.checkpoint.timestamp == a.checkpoint.timestamp
    assert one.checkpoints(PROGRAM) == two.checkpoints(PROGRAM) == [a, b]
    proof = one.consistency(PROGRAM, 6, 9)
    assert verify_consistency(6, 9, a.checkpoint.root_hash, b.checkpoint.root_hash, proof)
    for first, second in [(5, 9), (6, 8), (9, 6)]:
        with pytest.raises(NotFound):
            one.consistency(PROGRAM, first, second)
    assert open_checkpoint(b.note, SIGNER.public_key) == b


def test_an_inclusion_proof_is_against_the_first_checkpoint_that_covers_the_order(
    database, records
):
    repo = ProgramRepository(database.events, SIGNER)
    run_into(repo, records)
    order_id = next(iter(repo.journal(PROGRAM).receipt_sequence))
    assert repo.inclusion(PROGRAM, order_id) is None  # nothing published yet
    first = repo.publish_checkpoint(PROGRAM, T0 + timedelta(days=20))
    run_into_more = repo.inclusion(PROGRAM, order_id)
    assert run_into_more is not None and run_into_more.checkpoint == first
    assert repo.inclusion(PROGRAM, "o-none") is None


def test_a_log_keeps_its_name_when_the_configured_origin_changes(database, records):
    before = ProgramRepository(database.events, SIGNER, origin_prefix="old.example")
    run_into(before, records[:4])
    before.publish_checkpoint(PROGRAM, T0 + timedelta(hours=1))
    after = ProgramRepository(database.events, SIGNER, origin_prefix="new.example")
    assert after.journal(PROGRAM).origin == f"old.example/opportunity/{PROGRAM}"
    run_into(after, records[4:6])
    second = after.publish_checkpoint(PROGRAM, T0 + timedelta(hours=2))
    assert second.checkpoint.origin == f"old.example/opportunity/{PROGRAM}"
    fresh = ProgramRepository(database.events, SIGNER, origin_prefix="new.example")
    assert fresh.origin("p-unborn") == "new.example/opportunity/p-unborn"


def legacy(tree_size: int, root: bytes) -> NewEvent:
    """A checkpoint as stored before checkpoints were notes."""
    plain = {
        "checkpoint": {
            "log_id": PROGRAM, "tree_size": tree_size, "root_hash": root.hex(),
            "chain_head": "00" * 32, "timestamp": "2026-03-01T00:00:00.000000Z",
        },
        "key_id": SIGNER.key_id, "signature": "00" * 64,
    }  # fmt: skip
    return NewEvent(LEGACY_CHECKPOINT_TYPE, canonical_json(plain))


def test_checkpoints_stored_before_notes_are_still_checked(database, records):
    journal, _, _ = settled_journal()
    writer = ProgramRepository(database.events, SIGNER)
    run_into(writer, records[:8])
    stream = f"opportunity/{PROGRAM}/checkpoints"
    database.events.append(stream, 0, [legacy(8, journal.log.root(8))])
    reader = ProgramRepository(database.events, SIGNER)
    assert reader.journal(PROGRAM).size == 8  # loads: the legacy checkpoint matches
    (old,) = reader.checkpoints(PROGRAM)
    assert old.note == "" and old.checkpoint.tree_size == 8
    assert reader.publish_checkpoint(PROGRAM, T0 + timedelta(days=1)) == old  # covers all
    run_into(reader, records[8:10])
    newer = reader.publish_checkpoint(PROGRAM, T0 + timedelta(days=1))
    assert newer.note and reader.checkpoints(PROGRAM) == [old, newer]
    database.events.append(stream, 2, [legacy(9, bytes(32))])  # another root at size 9
    with pytest.raises(Quarantined):
        ProgramRepository(database.events, SIGNER).journal(PROGRAM)
