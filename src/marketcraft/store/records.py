"""What the event store holds: opaque, canonically encoded events in named streams.

A stream (one market, one program, one user's account...) is versioned from 1; the store also
gives every event a global position (1, 2, 3, ...) in commit order, which is the order of the
verifiable log. The store never interprets ``data``; :func:`new_event` and :func:`load` convert
to and from kernel messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from marketcraft.kernel.messages import Message, decode, encode

__all__ = ["EventStore", "NewEvent", "StoredEvent", "load", "new_event"]

MAX_STREAM_ID = 200
MAX_TYPE = 200


@dataclass(frozen=True, slots=True)
class NewEvent:
    type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class StoredEvent:
    position: int
    stream_id: str
    version: int
    type: str
    data: bytes


def new_event(message: Message) -> NewEvent:
    return NewEvent(message.type_name, encode(message))


def load(stored: StoredEvent) -> Message:
    return decode(stored.data)


class EventStore(Protocol):
    """The contract every backend passes (tests/integration/test_event_store_contract.py)."""

    backend: str

    def append(
        self, stream_id: str, expected_version: int, events: Sequence[NewEvent]
    ) -> list[StoredEvent]:
        """Append ``events`` to ``stream_id`` if its current version is ``expected_version``
        (0 for a new stream); they get versions ``expected_version + 1, ...`` and the next
        global positions. Raises ConcurrencyConflict (writing nothing) if the version moved,
        ValidationError (writing nothing) for an empty batch or bad names."""
        ...

    def stream_lock(self, stream_id: str) -> AbstractContextManager[None]:
        """Hold the right to append to ``stream_id`` against every other process sharing the
        store until the block ends. Writers that read the stream, decide and append inside it
        take turns instead of racing, so their appends do not conflict. Re-entrant within a
        process only through the caller's own lock (the repositories hold theirs around it)."""
        ...

    def stream_version(self, stream_id: str) -> int:
        """The stream's current version (0 if it has no events)."""
        ...

    def read_stream(
        self, stream_id: str, from_version: int = 1, limit: int | None = None
    ) -> list[StoredEvent]:
        """The stream's events with version >= ``from_version``, in version order, at most
        ``limit``."""
        ...

    def read_all(self, after_position: int = 0, limit: int | None = None) -> list[StoredEvent]:
        """Events with position > ``after_position`` in global order, at most ``limit``."""
        ...

    def last_position(self) -> int:
        """The highest global position (0 when empty)."""
        ...

    def close(self) -> None: ...
