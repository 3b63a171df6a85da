"""ONE contract every event store backend passes: memory, SQLite and PostgreSQL."""

import subprocess
import sys
import threading
import time

import pytest

from marketcraft.kernel import ConcurrencyConflict, ValidationError
from marketcraft.store import NewEvent, load, new_event
from marketcraft.store.records import MAX_STREAM_ID
from tests.unit.test_messages import sample


def ev(i: int, kind: str = "t") -> NewEvent:
    return NewEvent(kind, f"payload-{i}".encode())


def test_new_store_is_empty(store):
    assert store.read_all() == []
    assert store.last_position() == 0
    assert store.stream_version("nope") == 0
    assert store.read_stream("nope") == []


def test_append_assigns_versions_and_global_positions(store):
    a = store.append("market-1", 0, [ev(1), ev(2)])
    b = store.append("market-2", 0, [ev(3)])
    c = store.append("market-1", 2, [ev(4)])
    assert [(e.stream_id, e.version, e.position) for e in a + b + c] == [
        ("market-1", 1, 1),
        ("market-1", 2, 2),
        ("market-2", 1, 3),
        ("market-1", 3, 4),
    ]
    assert store.stream_version("market-1") == 3
    assert store.last_position() == 4
    assert [e.data for e in store.read_stream("market-1")] == [
        b"payload-1",
        b"payload-2",
        b"payload-4",
    ]
    assert [e.version for e in store.read_stream("market-1", from_version=2)] == [2, 3]
    assert [e.version for e in store.read_stream("market-1", from_version=2, limit=1)] == [2]
    assert [e.version for e in store.read_stream("market-1", limit=0)] == []
    assert [e.version for e in store.read_stream("market-1", limit=9)] == [1, 2, 3]
    assert store.read_all() == a + b + c


def test_read_all_pages_in_global_order(store):
    for i in range(7):
        store.append(f"s{i % 3}", store.stream_version(f"s{i % 3}"), [ev(i)])
    everything = store.read_all()
    assert [e.position for e in everything] == list(range(1, 8))
    assert store.read_all(after_position=3, limit=2) == everything[3:5]
    assert store.read_all(after_position=7) == []
    assert store.read_all(limit=0) == []


@pytest.mark.parametrize("expected", [0, 1, 3])
def test_conflicting_append_raises_and_writes_nothing(store, expected):
    store.append("s", 0, [ev(1), ev(2)])
    with pytest.raises(ConcurrencyConflict):
        store.append("s", expected, [ev(3), ev(4), ev(5)])
    assert store.stream_version("s") == 2
    assert store.last_position() == 2
    assert store.append("s", 2, [ev(6)])[0].position == 3


@pytest.mark.parametrize(
    ("stream", "expected", "batch"),
    [
        ("", 0, [ev(1)]),
        ("x" * (MAX_STREAM_ID + 1), 0, [ev(1)]),
        ("s", -1, [ev(1)]),
        ("s", 0, []),
        ("s", 0, [NewEvent("", b"")]),
    ],
)
def test_bad_appends_are_refused(store, stream, expected, batch):
    with pytest.raises(ValidationError):
        store.append(stream, expected, batch)
    assert store.last_position() == 0


def test_bytes_survive_exactly(store):
    blob = bytes(range(256)) * 4
    store.append("bin", 0, [NewEvent("blob", blob), NewEvent("empty", b"")])
    assert [e.data for e in store.read_stream("bin")] == [blob, b""]


def test_messages_round_trip_through_the_store(store):
    store.append("orders", 0, [new_event(sample())])
    (stored,) = store.read_stream("orders")
    assert stored.type == "test.order_placed"
    assert load(stored) == sample()


def test_concurrent_writers_to_one_stream_never_duplicate_or_gap(store):
    """Eight threads race to extend one stream; every success is unique and contiguous."""
    wins: list[int] = []
    lock = threading.Lock()

    def writer(n: int) -> None:
        for i in range(10):
            while True:
                version = store.stream_version("hot")
                try:
                    out = store.append("hot", version, [ev(n * 100 + i)])
                except ConcurrencyConflict:
                    continue
                with lock:
                    wins.append(out[0].version)
                break

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == list(range(1, 81))
    events = store.read_stream("hot")
    assert [e.version for e in events] == list(range(1, 81))
    assert [e.position for e in store.read_all()] == list(range(1, 81))


_TAKE_LOCK = """
import sys, time
from marketcraft.store import Database
db = Database.open(sys.argv[1])
with db.events.stream_lock(sys.argv[2]):
    print(time.monotonic(), flush=True)
db.close()
"""


def test_a_stream_lock_makes_another_process_wait_for_that_stream_only(database):
    """Held here, a stream's lock keeps another process out of that stream until released,
    and never out of another stream."""
    if database.backend == "memory":  # one process: nothing to hold, nothing waits
        with (
            database.events.stream_lock("opportunity/p1"),
            database.events.stream_lock("opportunity/p1"),
        ):
            database.events.append("opportunity/p1", 0, [ev(1)])
        assert database.events.stream_version("opportunity/p1") == 1
        return

    def other(stream):
        return subprocess.Popen(
            [sys.executable, "-c", _TAKE_LOCK, database.url, stream],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip

    with database.events.stream_lock("opportunity/p1"):
        elsewhere = other("opportunity/p2")
        assert elsewhere.wait(timeout=60) == 0  # not held up by p1's lock
        waiting = other("opportunity/p1")
        time.sleep(1.0)
        assert waiting.poll() is None  # still waiting
        released = time.monotonic()
    out, _ = waiting.communicate(timeout=60)
    assert waiting.returncode == 0
    assert float(out.strip()) >= released
