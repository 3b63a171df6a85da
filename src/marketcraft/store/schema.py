"""Table definitions (SQLAlchemy Core). Migrations in ``migrations/versions`` create exactly
these; a test compares the migrated schema with this metadata."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

from marketcraft.store.records import MAX_STREAM_ID, MAX_TYPE

metadata = MetaData()

# Positions are assigned by the store under its write lock (gapless, in commit order).
_Position = BigInteger()

events = Table(
    "events",
    metadata,
    Column("position", _Position, primary_key=True, autoincrement=False),
    Column("stream_id", String(MAX_STREAM_ID), nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", String(MAX_TYPE), nullable=False),
    Column("data", LargeBinary, nullable=False),
    UniqueConstraint("stream_id", "version", name="uq_events_stream_version"),
)

principals = Table(
    "principals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)

# Programs and peg markets stopped after their state failed a check (one row each, until an
# operator releases it).
quarantine = Table(
    "quarantine",
    metadata,
    Column("kind", String(20), primary_key=True),
    Column("name", String(200), primary_key=True),
    Column("reason", String(1000), nullable=False),
    Column("since", DateTime(timezone=True), nullable=False),
)

# An aggregate's folded state at one version of its stream (a cache of the events: loading
# folds only what came after it). One row per stream.
snapshots = Table(
    "snapshots",
    metadata,
    Column("stream_id", String(MAX_STREAM_ID), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

# The first answer to each request sent with an Idempotency-Key, by the principal that sent it:
# a retry with the same key gets it again. ``status`` is NULL while the first request runs.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("principal", String(100), primary_key=True),
    Column("key", String(100), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status", Integer, nullable=True),
    Column("media_type", String(100), nullable=True),
    Column("body", LargeBinary, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
