"""Quarantine: programs and peg markets stopped after their state failed a check (a stored
journal that does not replay, an event that does not fold, a broken invariant).

A quarantined aggregate refuses commands until an operator releases it
(``marketcraft opportunity|peg quarantine release NAME``); the entry survives restarts and is
seen by every process sharing the database. ``kind`` says which mechanism (``opportunity``,
``peg``); ``name`` is the program id or market name.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import Engine, bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError

from marketcraft.kernel.errors import NotFound
from marketcraft.store.schema import quarantine

__all__ = [
    "OPPORTUNITY", "PEG", "InMemoryQuarantineStore", "QuarantineEntry", "QuarantineStore",
    "SqlQuarantineStore",
]  # fmt: skip

#: the kinds of quarantined things: opportunity programs and peg markets
OPPORTUNITY, PEG = "opportunity", "peg"
MAX_REASON = 1000


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    kind: str
    name: str
    reason: str
    since: datetime


class QuarantineStore(Protocol):
    def add(self, kind: str, name: str, reason: str) -> QuarantineEntry:
        """Quarantine ``name`` now, saying why; an entry already there is kept (its first
        reason is the one that matters) and returned."""
        ...

    def get(self, kind: str, name: str) -> QuarantineEntry | None: ...

    def list(self) -> list[QuarantineEntry]:
        """Every entry, oldest first."""
        ...

    def release(self, kind: str, name: str) -> None:
        """Lift the quarantine; NotFound if ``name`` is not quarantined."""
        ...


def _entry(kind: str, name: str, reason: str) -> QuarantineEntry:
    # the store's own clock: the time an operator reads, not part of any replayed state
    return QuarantineEntry(kind, name, reason[:MAX_REASON], datetime.now(UTC))


def _not_found(kind: str, name: str) -> NotFound:
    return NotFound("not_quarantined", f"{kind} {name!r} is not quarantined")


class InMemoryQuarantineStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], QuarantineEntry] = {}

    def add(self, kind: str, name: str, reason: str) -> QuarantineEntry:
        with self._lock:
            return self._entries.setdefault((kind, name), _entry(kind, name, reason))

    def get(self, kind: str, name: str) -> QuarantineEntry | None:
        with self._lock:
            return self._entries.get((kind, name))

    def list(self) -> list[QuarantineEntry]:
        with self._lock:
            return sorted(self._entries.values(), key=lambda e: (e.since, e.kind, e.name))

    def release(self, kind: str, name: str) -> None:
        with self._lock:
            if self._entries.pop((kind, name), None) is None:
                raise _not_found(kind, name)


class SqlQuarantineStore:
    """The table ``quarantine``. Every command asks :meth:`get`, so a "not quarantined" answer
    is remembered for ``clear_seconds``: an entry another process adds is seen within that
    time, while one found (and its release) is always read from the database."""

    def __init__(self, engine: Engine, clear_seconds: float = 1.0) -> None:
        self.engine = engine
        self.clear_seconds = clear_seconds
        self._clear_until: dict[tuple[str, str], float] = {}

    def add(self, kind: str, name: str, reason: str) -> QuarantineEntry:
        self._clear_until.pop((kind, name), None)
        entry = _entry(kind, name, reason)
        try:
            with self.engine.connect().execution_options(write=True) as conn, conn.begin():
                conn.execute(
                    insert(quarantine).values(
                        kind=kind, name=name, reason=entry.reason, since=entry.since
                    )
                )
        except IntegrityError:  # quarantined already (here or by another process)
            found = self.get(kind, name)
            if found is not None:
                return found
            raise
        return entry

    def get(self, kind: str, name: str) -> QuarantineEntry | None:
        key = (kind, name)
        if self._clear_until.get(key, 0.0) > time.monotonic():
            return None
        with self.engine.connect() as conn:
            row = conn.execute(_GET, {"kind": kind, "name": name}).first()
        if row is None:
            self._clear_until[key] = time.monotonic() + self.clear_seconds
            return None
        self._clear_until.pop(key, None)
        return _from_row(row)

    def list(self) -> list[QuarantineEntry]:
        q = quarantine
        with self.engine.connect() as conn:
            rows = conn.execute(select(q).order_by(q.c.since, q.c.kind, q.c.name)).all()
        return [_from_row(r) for r in rows]

    def release(self, kind: str, name: str) -> None:
        q = quarantine
        with self.engine.connect().execution_options(write=True) as conn, conn.begin():
            result = conn.execute(delete(q).where(q.c.kind == kind, q.c.name == name))
            if result.rowcount == 0:
                raise _not_found(kind, name)


# built once: building a statement per call costs more than running it
_GET = select(quarantine).where(
    quarantine.c.kind == bindparam("kind"), quarantine.c.name == bindparam("name")
)


def _from_row(row: object) -> QuarantineEntry:
    r = row._mapping  # type: ignore[attr-defined]
    since = r["since"]
    # SQLite keeps no zone: every time written here is UTC, so read it back as UTC
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return QuarantineEntry(r["kind"], r["name"], r["reason"], since)
