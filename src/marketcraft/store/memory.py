"""The in-memory event store: the reference backend, and the fastest one for tests and
simulations. Thread-safe; holds nothing across processes."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext

from marketcraft.kernel.errors import ConcurrencyConflict
from marketcraft.store.records import NewEvent, StoredEvent
from marketcraft.store.validation import check_append, check_read

__all__ = ["InMemoryEventStore"]


class InMemoryEventStore:
    backend = "memory"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._all: list[StoredEvent] = []
        self._streams: dict[str, list[StoredEvent]] = {}

    def append(
        self, stream_id: str, expected_version: int, events: Sequence[NewEvent]
    ) -> list[StoredEvent]:
        check_append(stream_id, expected_version, events)
        with self._lock:
            stream = self._streams.get(stream_id, [])
            if len(stream) != expected_version:
                raise ConcurrencyConflict(
                    "conflict", f"stream {stream_id!r} is at another version; reload and retry"
                )
            stored = [
                StoredEvent(
                    len(self._all) + i + 1, stream_id, expected_version + i + 1, e.type, e.data
                )
                for i, e in enumerate(events)
            ]
            self._streams[stream_id] = [*stream, *stored]
            self._all.extend(stored)
            return stored

    def stream_lock(self, stream_id: str) -> AbstractContextManager[None]:
        """Nothing to hold: one process owns an in-memory store."""
        return nullcontext()

    def stream_version(self, stream_id: str) -> int:
        with self._lock:
            return len(self._streams.get(stream_id, ()))

    def read_stream(
        self, stream_id: str, from_version: int = 1, limit: int | None = None
    ) -> list[StoredEvent]:
        check_read(from_version, limit)
        start = max(from_version, 1) - 1
        with self._lock:
            return list(
                self._streams.get(stream_id, ())[start : None if limit is None else start + limit]
            )

    def read_all(self, after_position: int = 0, limit: int | None = None) -> list[StoredEvent]:
        check_read(after_position, limit)
        with self._lock:
            end = None if limit is None else after_position + limit
            return self._all[after_position:end]

    def last_position(self) -> int:
        with self._lock:
            return len(self._all)

    def close(self) -> None:
        pass
