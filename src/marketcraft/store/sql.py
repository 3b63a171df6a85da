"""The SQL event store (SQLite and PostgreSQL) on SQLAlchemy Core.

Appends are one transaction: check the stream's version, insert the batch, commit. Stream and
version are unique together, so a racing writer that passes the check still fails at insert,
and the transaction rolls back whole. On PostgreSQL appends also take one transaction-scoped
advisory lock, so global positions become visible in order: a reader that has seen position
n never later finds a committed event below n.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, bindparam, func, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from marketcraft.kernel.errors import ConcurrencyConflict
from marketcraft.store.records import NewEvent, StoredEvent
from marketcraft.store.schema import events
from marketcraft.store.validation import check_append, check_read

__all__ = ["SqlEventStore"]

_APPEND_LOCK_KEY = 0x6D63_6576  # "mcev": serialises appends on PostgreSQL

# Statements are built once; building them per call costs more than a SQLite commit.
_LOCK = text("SELECT pg_advisory_xact_lock(:k)").bindparams(k=_APPEND_LOCK_KEY)
_STREAM_VERSION = (
    select(func.coalesce(func.max(events.c.version), 0))
    .where(events.c.stream_id == bindparam("stream"))
    .scalar_subquery()
)
_HEAD = select(
    _STREAM_VERSION, select(func.coalesce(func.max(events.c.position), 0)).scalar_subquery()
)
_VERSION = select(_STREAM_VERSION)
_INSERT = insert(events)
_READ_STREAM = (
    select(events)
    .where(events.c.stream_id == bindparam("stream"), events.c.version >= bindparam("version"))
    .order_by(events.c.version)
)
_LAST = select(func.coalesce(func.max(events.c.position), 0))
#: streams' write locks: PostgreSQL's two-key advisory locks, a key space apart from the
#: single-key append lock above
_STREAM_LOCK_SPACE = 0x6D63  # "mc"
_STREAM_LOCK = text("SELECT pg_advisory_lock(:space, :key)")
_STREAM_UNLOCK = text("SELECT pg_advisory_unlock(:space, :key)")


class SqlEventStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.backend = engine.dialect.name

    def append(
        self, stream_id: str, expected_version: int, batch: Sequence[NewEvent]
    ) -> list[StoredEvent]:
        check_append(stream_id, expected_version, batch)
        try:
            with self.engine.connect().execution_options(write=True) as conn, conn.begin():
                if self.backend == "postgresql":
                    conn.execute(_LOCK)
                # One round trip for both: the stream's version and the last global position.
                current, last = conn.execute(_HEAD, {"stream": stream_id}).one()
                if current != expected_version:
                    raise ConcurrencyConflict(
                        "conflict", f"stream {stream_id!r} is at another version; reload and retry"
                    )
                # Positions are assigned here, under the write lock, not by a sequence: a
                # rolled-back append then never leaves a gap in the global order.
                first = last + 1
                rows = [
                    {
                        "position": first + i,
                        "stream_id": stream_id,
                        "version": expected_version + i + 1,
                        "type": e.type,
                        "data": e.data,
                    }
                    for i, e in enumerate(batch)
                ]
                conn.execute(_INSERT, rows)
        except IntegrityError:
            raise ConcurrencyConflict(
                "conflict", f"stream {stream_id!r} was written concurrently; reload and retry"
            ) from None
        except OperationalError as exc:
            if "locked" in str(exc).lower():
                raise ConcurrencyConflict("conflict", "the database is busy; retry") from None
            raise
        return [
            StoredEvent(row["position"], stream_id, row["version"], row["type"], row["data"])
            for row in rows
        ]

    @contextmanager
    def stream_lock(self, stream_id: str) -> Iterator[None]:
        """PostgreSQL: a session advisory lock on the stream, held on a connection of its own;
        SQLite: an exclusive ``flock`` on the stream's file in ``DATABASE.locks/`` beside the
        database (released by the kernel if the process dies); an in-memory SQLite database
        has one process."""
        if self.backend == "postgresql":
            key = int.from_bytes(
                hashlib.sha256(stream_id.encode()).digest()[:4], "big", signed=True
            )
            with self.engine.connect() as conn:
                conn.execute(_STREAM_LOCK, {"space": _STREAM_LOCK_SPACE, "key": key})
                conn.commit()
                try:
                    yield
                finally:
                    conn.execute(_STREAM_UNLOCK, {"space": _STREAM_LOCK_SPACE, "key": key})
                    conn.commit()
            return
        database = self.engine.url.database
        if not database or database == ":memory:":
            yield
            return
        locks = Path(f"{database}.locks")
        locks.mkdir(exist_ok=True)
        name = hashlib.sha256(stream_id.encode()).hexdigest()[:32]
        with open(locks / name, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def stream_version(self, stream_id: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(_VERSION, {"stream": stream_id}).scalar_one())

    def read_stream(
        self, stream_id: str, from_version: int = 1, limit: int | None = None
    ) -> list[StoredEvent]:
        check_read(from_version, limit)
        query = _READ_STREAM if limit is None else _READ_STREAM.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query, {"stream": stream_id, "version": from_version})
            return [_row(r) for r in rows]

    def read_all(self, after_position: int = 0, limit: int | None = None) -> list[StoredEvent]:
        check_read(after_position, limit)
        query = select(events).where(events.c.position > after_position).order_by(events.c.position)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(query)]

    def last_position(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(select(func.coalesce(func.max(events.c.position), 0))).scalar_one()
            )

    def close(self) -> None:
        self.engine.dispose()


def _row(r: object) -> StoredEvent:
    m = r._mapping  # type: ignore[attr-defined]
    return StoredEvent(m["position"], m["stream_id"], m["version"], m["type"], bytes(m["data"]))
