"""One handle on the configured database: the event store, the principals, the quarantine, the
snapshots and the idempotency keys, chosen by URL."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from marketcraft.kernel.errors import ValidationError
from marketcraft.store.connection import backend_of, make_engine
from marketcraft.store.idempotency import (
    IdempotencyStore,
    InMemoryIdempotencyStore,
    SqlIdempotencyStore,
)
from marketcraft.store.memory import InMemoryEventStore
from marketcraft.store.migrate import is_current, upgrade
from marketcraft.store.principals import InMemoryPrincipalStore, PrincipalStore, SqlPrincipalStore
from marketcraft.store.quarantine import (
    InMemoryQuarantineStore,
    QuarantineStore,
    SqlQuarantineStore,
)
from marketcraft.store.records import EventStore
from marketcraft.store.snapshots import InMemorySnapshotStore, SnapshotStore, SqlSnapshotStore
from marketcraft.store.sql import SqlEventStore

__all__ = ["Database", "SchemaOutOfDate"]


class SchemaOutOfDate(ValidationError):
    code = "schema_out_of_date"


@dataclass
class Database:
    url: str
    backend: str
    events: EventStore
    principals: PrincipalStore
    engine: Engine | None = None
    quarantine: QuarantineStore = field(default_factory=InMemoryQuarantineStore)
    snapshots: SnapshotStore = field(default_factory=InMemorySnapshotStore)
    idempotency: IdempotencyStore = field(default_factory=InMemoryIdempotencyStore)

    @classmethod
    def open(cls, url: str, *, migrate: bool = False) -> Database:
        """Open the database at ``url``.

        With ``migrate`` the schema is brought up to date first; without it an out-of-date
        schema raises :class:`SchemaOutOfDate` naming the command that fixes it.
        """
        backend = backend_of(url)
        if backend == "memory":
            return cls(url, backend, InMemoryEventStore(), InMemoryPrincipalStore())
        engine = make_engine(url)
        if migrate:
            upgrade(engine)
        elif not is_current(engine):
            engine.dispose()
            raise SchemaOutOfDate(
                reason="the database schema is not current: run `marketcraft db upgrade`"
            )
        return cls(
            url, backend, SqlEventStore(engine), SqlPrincipalStore(engine), engine,
            SqlQuarantineStore(engine), SqlSnapshotStore(engine), SqlIdempotencyStore(engine),
        )  # fmt: skip

    def close(self) -> None:
        self.events.close()
        if self.engine is not None:
            self.engine.dispose()
