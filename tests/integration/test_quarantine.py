"""The quarantine store on every backend (memory, SQLite, PostgreSQL), and what sends a
program there: a stored record changed so that its replay still matches but the published
checkpoint no longer describes the log (a broken hash chain), or records lost under one."""

import dataclasses
import json
from datetime import UTC, timedelta

import pytest
from sqlalchemy import text

from marketcraft.app.programs import QUARANTINE_KIND, ProgramRepository
from marketcraft.kernel import NotFound
from marketcraft.kernel.errors import Quarantined
from marketcraft.kernel.messages import canonical_json
from marketcraft.store import Database
from marketcraft.store.quarantine import MAX_REASON
from tests.integration.test_opportunity_repository import copy_into
from tests.support.opportunity_fixtures import SIGNER, T0

STREAM = "opportunity/program-demo"


def test_entries_are_added_once_listed_and_released(database):
    q = database.quarantine
    assert q.get("opportunity", "p-1") is None and q.list() == []
    first = q.add("opportunity", "p-1", "replay_mismatch: record 3")
    again = q.add("opportunity", "p-1", "something later")
    assert again.reason == first.reason == "replay_mismatch: record 3"  # the first cause stays
    q.add("peg", "p-1", "x" * (MAX_REASON + 50))  # the same name in another kind is another
    assert [(e.kind, e.name) for e in q.list()] == [("opportunity", "p-1"), ("peg", "p-1")]
    got = q.get("peg", "p-1")
    assert got is not None and len(got.reason) == MAX_REASON
    assert got.since.tzinfo is not None and got.since.utcoffset() == timedelta(0)
    q.release("opportunity", "p-1")
    assert q.get("opportunity", "p-1") is None and q.get("peg", "p-1") is not None
    with pytest.raises(NotFound):
        q.release("opportunity", "p-1")


def test_entries_outlive_the_process(tmp_path):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    db = Database.open(url, migrate=True)
    db.quarantine.add("peg", "usd", "empty_relay: the relay's connector holds no COL or no PEG")
    db.close()
    db = Database.open(url)
    entry = db.quarantine.get("peg", "usd")
    assert entry is not None and entry.reason.startswith("empty_relay")
    assert entry.since.tzinfo == UTC
    db.close()


def rewrite(database, version, change):
    """Replace stored record ``version`` of the program with ``change(record)``, behind the
    store's back (as a disk fault or a hand edit would)."""
    (item,) = [e for e in database.events.read_stream(STREAM) if e.version == version]
    data = canonical_json(change(json.loads(item.data)))
    if database.engine is None:  # the in-memory store: its lists are the storage
        store = database.events
        stream = store._streams[STREAM]
        stream[version - 1] = dataclasses.replace(item, data=data)
        store._all[item.position - 1] = stream[version - 1]
        return
    with database.engine.begin() as conn:
        conn.execute(
            text("UPDATE events SET data = :d WHERE stream_id = :s AND version = :v"),
            {"d": data, "s": STREAM, "v": version},
        )


def drop_last(database):
    if database.engine is None:
        database.events._streams[STREAM].pop()
        return
    with database.engine.begin() as conn:
        version = database.events.stream_version(STREAM)
        conn.execute(
            text("DELETE FROM events WHERE stream_id = :s AND version = :v"),
            {"s": STREAM, "v": version},
        )


def later(record):
    """The command a minute later: its events are the same, its log entry is not."""
    command = json.loads(record["command"])
    assert command["command"]["type"] == "opportunity.deposit_cash"
    at = command["at"].replace(":00.000000Z", ":59.000000Z")
    assert at != command["at"]
    return {**record, "command": canonical_json({**command, "at": at}).decode()}


@pytest.mark.parametrize("damage", ["edit", "loss"])
def test_a_log_that_a_published_checkpoint_does_not_describe_is_quarantined(database, damage):
    repo = ProgramRepository(database.events, SIGNER, database.quarantine)
    copy_into(repo)
    repo.publish_checkpoint("program-demo", T0 + timedelta(days=1))
    deposit = next(
        e.version for e in database.events.read_stream(STREAM) if b"deposit_cash" in e.data
    )
    if damage == "edit":
        rewrite(database, deposit, later)
    else:
        drop_last(database)
    fresh = ProgramRepository(database.events, SIGNER, database.quarantine)
    with pytest.raises(Quarantined) as stopped:
        fresh.journal("program-demo")
    assert stopped.value.code == "program_quarantined"
    entry = database.quarantine.get(QUARANTINE_KIND, "program-demo")
    assert entry is not None and entry.reason.startswith("checkpoint_mismatch")
