"""Programs' published checkpoints in the event store: one stream per program, each entry a
C2SP signed note, appended with optimistic concurrency so that several service processes
publish one growing sequence (sizes and times never go back; see
:mod:`marketcraft.kernel.checkpoints`).

Read-through cache: a program's checkpoints are read once and then only the new ones, so a
monitor's or a scout's request costs a look-up, not a scan. Checkpoints stored before they
were notes (JSON) are read as unsigned checkpoints (``note == ""``): still compared with the
log on every load and audit, but not part of a transcript.
"""

from __future__ import annotations

import bisect
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from marketcraft.kernel.checkpoints import Checkpoint, SignedCheckpoint, open_checkpoint
from marketcraft.kernel.errors import ConcurrencyConflict, InvariantViolation, MarketcraftError
from marketcraft.kernel.messages import canonical_json, from_plain
from marketcraft.store.records import EventStore, NewEvent, StoredEvent

__all__ = ["CHECKPOINT_TYPE", "LEGACY_CHECKPOINT_TYPE", "CheckpointStore"]

CHECKPOINT_TYPE = "opportunity.checkpoint_note"
LEGACY_CHECKPOINT_TYPE = "opportunity.checkpoint"


def _stream(program_id: str) -> str:
    return f"opportunity/{program_id}/checkpoints"


def _legacy(plain: Any, origin: str) -> SignedCheckpoint:
    cp = plain["checkpoint"]
    checkpoint = Checkpoint(
        origin,
        from_plain(int, cp["tree_size"]),
        from_plain(bytes, cp["root_hash"]),
        from_plain(datetime, cp["timestamp"]),
    )
    return SignedCheckpoint(checkpoint, "")


@dataclass
class _Published:
    version: int = 0
    items: list[SignedCheckpoint] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    origin: str | None = None  # what the first signed checkpoint names


class CheckpointStore:
    """Each program's signed checkpoints, oldest first."""

    def __init__(self, events: EventStore, public_key: bytes) -> None:
        self.events = events
        self.public_key = public_key
        self._cache: dict[str, _Published] = {}
        self._lock = threading.Lock()

    def _read(self, item: StoredEvent, origin: str) -> SignedCheckpoint:
        plain = json.loads(item.data)
        if item.type == LEGACY_CHECKPOINT_TYPE:
            return _legacy(plain, origin)
        return open_checkpoint(plain["note"], self.public_key)

    def origin(self, program_id: str, default: str) -> str:
        """The origin the program's first signed checkpoint names; ``default`` if none does."""
        self.all(program_id, default)
        with self._lock:
            return self._cache[program_id].origin or default

    def all(self, program_id: str, origin: str) -> list[SignedCheckpoint]:
        """The program's checkpoints, caught up with the store; InvariantViolation if one is
        unreadable, not signed by the service's key, or of another log."""
        with self._lock:
            published = self._cache.setdefault(program_id, _Published())
            newer = self.events.read_stream(_stream(program_id), from_version=published.version + 1)
            try:
                for item in newer:
                    signed = self._read(item, origin)
                    if signed.note:
                        published.origin = published.origin or signed.checkpoint.origin
                        if signed.checkpoint.origin != published.origin:
                            raise ValueError("a stored checkpoint names another log")
                    published.items.append(signed)
                    published.sizes.append(signed.checkpoint.tree_size)
                    published.version = item.version
            except (MarketcraftError, ValueError, TypeError, KeyError) as exc:
                self._cache.pop(program_id, None)
                raise InvariantViolation(
                    "bad_checkpoint", f"a stored checkpoint is unreadable ({exc})"
                ) from None
            return list(published.items)

    def latest(self, program_id: str, origin: str) -> SignedCheckpoint | None:
        found = self.all(program_id, origin)
        return found[-1] if found else None

    def covering(self, program_id: str, origin: str, index: int) -> SignedCheckpoint | None:
        """The first checkpoint whose log holds entry ``index``."""
        self.all(program_id, origin)
        with self._lock:
            published = self._cache[program_id]
            at = bisect.bisect_right(published.sizes, index)
            return published.items[at] if at < len(published.items) else None

    def at_size(self, program_id: str, origin: str, size: int) -> SignedCheckpoint | None:
        """The published checkpoint of exactly ``size`` entries, if there is one."""
        self.all(program_id, origin)
        with self._lock:
            published = self._cache[program_id]
            at = bisect.bisect_left(published.sizes, size)
            if at < len(published.sizes) and published.sizes[at] == size:
                return published.items[at]
            return None

    def add(self, program_id: str, origin: str, signed: SignedCheckpoint) -> SignedCheckpoint:
        """Store ``signed`` after the latest checkpoint; if another process published one
        meanwhile, or the latest already covers as much, the latest instead."""
        latest = self.latest(program_id, origin)
        if latest is not None and latest.checkpoint.tree_size >= signed.checkpoint.tree_size:
            return latest
        version = self._cache[program_id].version
        data = canonical_json({"note": signed.note})
        try:
            self.events.append(_stream(program_id), version, [NewEvent(CHECKPOINT_TYPE, data)])
        except ConcurrencyConflict:
            latest = self.latest(program_id, origin)
            assert latest is not None
            return latest
        self.all(program_id, origin)
        return signed
