"""Separate OS processes racing on one database: no duplicate versions, no gaps, no lost events."""

import multiprocessing as mp

import pytest

from marketcraft.kernel import ConcurrencyConflict
from marketcraft.store import Database, NewEvent

WRITERS = 4
EACH = 15


def _append_retrying(db: Database, stream: str, data: bytes) -> int:
    conflicts = 0
    while True:
        version = db.events.stream_version(stream)
        try:
            db.events.append(stream, version, [NewEvent("w", data)])
            return conflicts
        except ConcurrencyConflict:
            conflicts += 1


def _writer(url: str, writer: int) -> int:
    db = Database.open(url)
    conflicts = 0
    try:
        for i in range(EACH):
            conflicts += _append_retrying(db, "contested", f"{writer}:{i}".encode())
            conflicts += _append_retrying(db, f"own-{writer}", b"mine")
    finally:
        db.close()
    return conflicts


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'race.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    Database.open(url, migrate=True).close()
    return url


def test_processes_racing_on_one_stream_stay_consistent(url):
    ctx = mp.get_context("spawn")
    with ctx.Pool(WRITERS) as pool:
        pool.starmap(_writer, [(url, w) for w in range(WRITERS)])
    db = Database.open(url)
    try:
        contested = db.events.read_stream("contested")
        assert [e.version for e in contested] == list(range(1, WRITERS * EACH + 1))
        payloads = sorted(e.data for e in contested)
        assert payloads == sorted(f"{w}:{i}".encode() for w in range(WRITERS) for i in range(EACH))
        for w in range(WRITERS):
            assert db.events.stream_version(f"own-{w}") == EACH
        everything = db.events.read_all()
        assert [e.position for e in everything] == list(range(1, 2 * WRITERS * EACH + 1))
    finally:
        db.close()
