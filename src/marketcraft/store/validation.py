"""Checks every backend applies before writing, so they refuse the same things the same way."""

from __future__ import annotations

from collections.abc import Sequence

from marketcraft.kernel.errors import ValidationError
from marketcraft.store.records import MAX_STREAM_ID, MAX_TYPE, NewEvent


def check_append(stream_id: str, expected_version: int, events: Sequence[NewEvent]) -> None:
    if not isinstance(stream_id, str) or not 0 < len(stream_id) <= MAX_STREAM_ID:
        raise ValidationError("bad_stream", f"stream id must be 1..{MAX_STREAM_ID} characters")
    if isinstance(expected_version, bool) or not isinstance(expected_version, int):
        raise ValidationError("bad_version", "expected version must be an integer")
    if expected_version < 0:
        raise ValidationError("bad_version", "expected version must be >= 0")
    if not events:
        raise ValidationError("empty_append", "append needs at least one event")
    for event in events:
        if not isinstance(event.type, str) or not 0 < len(event.type) <= MAX_TYPE:
            raise ValidationError("bad_type", f"event type must be 1..{MAX_TYPE} characters")
        if not isinstance(event.data, bytes):
            raise ValidationError("bad_data", "event data must be bytes")


def check_read(after_or_from: int, limit: int | None) -> None:
    if after_or_from < 0:
        raise ValidationError("bad_position", "positions and versions are >= 0")
    if limit is not None and limit < 0:
        raise ValidationError("bad_limit", "limit must be >= 0")
