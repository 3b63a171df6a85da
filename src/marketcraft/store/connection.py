"""Database URLs and engines: one URL setting chooses the backend.

* ``memory://`` — in-process, nothing persisted (tests, simulations);
* ``sqlite:///path/to/file.db`` — the embedded default, WAL journal, full fsync on commit;
* ``postgresql://user@host:port/db`` — PostgreSQL through psycopg 3 (extra ``postgres``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from marketcraft.kernel.errors import ValidationError

__all__ = ["MEMORY_URL", "backend_of", "make_engine", "normalise_url"]

MEMORY_URL = "memory://"


def normalise_url(url: str) -> str:
    """Pick the driver we support for each backend (psycopg 3 for PostgreSQL)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def backend_of(url: str) -> str:
    """``memory``, ``sqlite`` or ``postgresql``; ValidationError for anything else."""
    if url == MEMORY_URL:
        return "memory"
    try:
        name = make_url(normalise_url(url)).get_backend_name()
    except Exception:
        raise ValidationError("bad_database_url", "the database URL is not valid") from None
    if name not in ("sqlite", "postgresql"):
        raise ValidationError(
            "bad_database_url", "supported databases: memory://, sqlite:///FILE, postgresql://..."
        )
    return name


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for a SQLite or PostgreSQL URL, configured for the event store."""
    url = normalise_url(url)
    backend = backend_of(url)
    if backend == "sqlite":
        return _sqlite_engine(url, **kwargs)
    if backend == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)
    raise ValidationError("bad_database_url", "memory:// has no SQL engine")


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    database = parsed.database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's BEGIN below control transactions instead of the driver's own.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if database and database != ":memory:":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # Writers take the write lock up front, so a read-then-insert cannot be overtaken by
        # another process between the read and the insert (no SQLITE_BUSY on lock upgrade).
        if connection.get_execution_options().get("write"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")

    return engine
