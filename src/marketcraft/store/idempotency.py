"""Idempotency keys: the first answer to each request a principal sent with an
``Idempotency-Key``, kept so that a retry gets it again instead of acting twice.

A request first *claims* its key (a row with the request's fingerprint and no answer yet), then
runs, then *keeps* its answer in that row; a request that failed *releases* the key (the row
goes), so it may be retried. The claim is one insert on the primary key (principal, key), so of
two requests racing with one key exactly one runs. A claim whose request was cut off (a crash
between the work and keeping its answer) stays claimed: the key is not reused, since whether
the work happened is not known here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from marketcraft.store.schema import idempotency_keys

__all__ = [
    "Claimed",
    "IdempotencyStore",
    "InMemoryIdempotencyStore",
    "SqlIdempotencyStore",
]


@dataclass(frozen=True, slots=True)
class Claimed:
    """What a key holds: the fingerprint of the request that claimed it, and its answer once
    that request finished (``status`` None while it runs)."""

    fingerprint: str
    status: int | None = None
    media_type: str | None = None
    body: bytes | None = None


class IdempotencyStore(Protocol):
    def claim(self, principal: str, key: str, fingerprint: str) -> Claimed | None:
        """Claim ``key`` for a request with ``fingerprint``: None if it is now this request's,
        else what the key already holds."""
        ...

    def keep(self, principal: str, key: str, status: int, media_type: str, body: bytes) -> None:
        """Keep the answer of the request that claimed ``key``."""
        ...

    def release(self, principal: str, key: str) -> None:
        """Free ``key`` (its request failed; nothing is kept)."""
        ...


class InMemoryIdempotencyStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[tuple[str, str], Claimed] = {}

    def claim(self, principal: str, key: str, fingerprint: str) -> Claimed | None:
        with self._lock:
            found = self._keys.get((principal, key))
            if found is None:
                self._keys[(principal, key)] = Claimed(fingerprint)
            return found

    def keep(self, principal: str, key: str, status: int, media_type: str, body: bytes) -> None:
        with self._lock:
            claimed = self._keys[(principal, key)]
            self._keys[(principal, key)] = Claimed(claimed.fingerprint, status, media_type, body)

    def release(self, principal: str, key: str) -> None:
        with self._lock:
            self._keys.pop((principal, key), None)


class SqlIdempotencyStore:
    """The table ``idempotency_keys``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim(self, principal: str, key: str, fingerprint: str) -> Claimed | None:
        t = idempotency_keys
        try:
            with self.engine.connect().execution_options(write=True) as conn, conn.begin():
                conn.execute(
                    insert(t).values(
                        principal=principal, key=key, fingerprint=fingerprint,
                        created_at=datetime.now(UTC),
                    )
                )  # fmt: skip
        except IntegrityError:
            pass
        else:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t.c.fingerprint, t.c.status, t.c.media_type, t.c.body).where(
                    t.c.principal == principal, t.c.key == key
                )
            ).first()
        if row is None:  # released between the insert and the read: claim it again
            return self.claim(principal, key, fingerprint)
        return Claimed(row.fingerprint, row.status, row.media_type, row.body)

    def keep(self, principal: str, key: str, status: int, media_type: str, body: bytes) -> None:
        t = idempotency_keys
        with self.engine.connect().execution_options(write=True) as conn, conn.begin():
            conn.execute(
                update(t)
                .where(t.c.principal == principal, t.c.key == key)
                .values(status=status, media_type=media_type, body=body)
            )

    def release(self, principal: str, key: str) -> None:
        t = idempotency_keys
        with self.engine.connect().execution_options(write=True) as conn, conn.begin():
            conn.execute(delete(t).where(t.c.principal == principal, t.c.key == key))
