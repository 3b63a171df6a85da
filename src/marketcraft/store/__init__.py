"""Event store and projections on SQLAlchemy Core: in-memory, SQLite and PostgreSQL backends,
chosen by one URL (``MARKETCRAFT_DATABASE_URL``)."""

from marketcraft.store.connection import MEMORY_URL, backend_of, make_engine, normalise_url
from marketcraft.store.database import Database, SchemaOutOfDate
from marketcraft.store.memory import InMemoryEventStore
from marketcraft.store.records import EventStore, NewEvent, StoredEvent, load, new_event
from marketcraft.store.sql import SqlEventStore

__all__ = [
    "MEMORY_URL",
    "Database",
    "EventStore",
    "InMemoryEventStore",
    "NewEvent",
    "SchemaOutOfDate",
    "SqlEventStore",
    "StoredEvent",
    "backend_of",
    "load",
    "make_engine",
    "new_event",
    "normalise_url",
]
