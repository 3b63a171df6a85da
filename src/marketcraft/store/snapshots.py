"""Snapshots: an aggregate's folded state at one version of its stream, so loading it folds
only the events after that version. A snapshot is a cache, never the truth: the events are.
One row per aggregate, replaced by a newer one; the bytes are opaque here (the application
layer signs and checks them)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine, bindparam, delete, insert, select, update

from marketcraft.store.schema import snapshots

__all__ = ["InMemorySnapshotStore", "Snapshot", "SnapshotStore", "SqlSnapshotStore"]


@dataclass(frozen=True, slots=True)
class Snapshot:
    stream_id: str
    version: int
    data: bytes


class SnapshotStore(Protocol):
    def get(self, stream_id: str) -> Snapshot | None:
        """The newest snapshot of ``stream_id``, if any."""
        ...

    def put(self, snapshot: Snapshot) -> None:
        """Keep ``snapshot`` unless one at the same or a later version is there already."""
        ...

    def drop(self, stream_id: str) -> None:
        """Forget the stream's snapshot (it failed a check: the next load folds every event)."""
        ...


class InMemorySnapshotStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[str, Snapshot] = {}

    def get(self, stream_id: str) -> Snapshot | None:
        with self._lock:
            return self._rows.get(stream_id)

    def put(self, snapshot: Snapshot) -> None:
        with self._lock:
            held = self._rows.get(snapshot.stream_id)
            if held is None or held.version < snapshot.version:
                self._rows[snapshot.stream_id] = snapshot

    def drop(self, stream_id: str) -> None:
        with self._lock:
            self._rows.pop(stream_id, None)


class SqlSnapshotStore:
    """The table ``snapshots``: one row per stream, replaced only by a later version (two
    processes writing at once keep the later one)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, stream_id: str) -> Snapshot | None:
        with self.engine.connect() as conn:
            row = conn.execute(_GET, {"stream_id": stream_id}).first()
        if row is None:
            return None
        return Snapshot(stream_id, int(row.version), bytes(row.data))

    def put(self, snapshot: Snapshot) -> None:
        s = snapshots
        values = {"version": snapshot.version, "data": snapshot.data}
        with self.engine.connect().execution_options(write=True) as conn, conn.begin():
            changed = conn.execute(
                update(s)
                .where(s.c.stream_id == snapshot.stream_id, s.c.version < snapshot.version)
                .values(**values)
            ).rowcount
            if changed:
                return
            held = conn.execute(select(s.c.version).where(s.c.stream_id == snapshot.stream_id))
            if held.first() is None:
                conn.execute(insert(s).values(stream_id=snapshot.stream_id, **values))

    def drop(self, stream_id: str) -> None:
        with self.engine.connect().execution_options(write=True) as conn, conn.begin():
            conn.execute(delete(snapshots).where(snapshots.c.stream_id == stream_id))


_GET = select(snapshots.c.version, snapshots.c.data).where(
    snapshots.c.stream_id == bindparam("stream_id")
)
