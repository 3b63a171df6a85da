"""Clocks. Cores never read the time themselves: a handler asks a :class:`Clock` and passes the
instant in as data (a command field or the decision context), so replays are exact.

All instants are timezone-aware UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from marketcraft.kernel.errors import ValidationError

__all__ = ["Clock", "FixedClock", "SimulatedClock", "SystemClock", "require_utc"]


def require_utc(instant: datetime) -> datetime:
    """Return ``instant`` if it is timezone-aware UTC; raise :class:`ValidationError` if not."""
    if instant.tzinfo is None or instant.utcoffset() != timedelta(0):
        raise ValidationError("naive_time", "instants must be timezone-aware UTC")
    return instant.astimezone(UTC)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


class FixedClock:
    """Always the same instant."""

    def __init__(self, instant: datetime) -> None:
        self._instant = require_utc(instant)

    def now(self) -> datetime:
        return self._instant


class SimulatedClock:
    """A clock that moves only when told to, and never backwards."""

    def __init__(self, start: datetime) -> None:
        self._now = require_utc(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValidationError("clock_backwards", "a simulated clock cannot go backwards")
        self._now += delta
        return self._now

    def set(self, instant: datetime) -> datetime:
        instant = require_utc(instant)
        if instant < self._now:
            raise ValidationError("clock_backwards", "a simulated clock cannot go backwards")
        self._now = instant
        return self._now


class SystemClock:
    """The machine's clock, for adapters (service, CLI). Never used inside a core."""

    def now(self) -> datetime:
        return datetime.now(UTC)  # determinism-ok: the one adapter that reads the wall clock
