"""The price feed: a robust median of recent reports (COL per PEG).

A report is ``(time, price)``. The feed at ``now`` is the median of the reports younger than
the window; the median of an even count is the mean of the two middle reports (exact in the
40-digit money context for any price that fits it). Pure: the caller passes the time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

__all__ = ["Report", "median", "recent"]

Report = tuple[datetime, Decimal]

_TWO = Decimal(2)


def recent(reports: Sequence[Report], now: datetime, window_seconds: int) -> tuple[Report, ...]:
    """The reports made in the half-open window ``(now - window_seconds, now]``, oldest first:
    with reports every ``k`` seconds and a window of ``n * k`` seconds it holds exactly ``n``."""
    oldest = now - timedelta(seconds=window_seconds)
    return tuple(r for r in reports if oldest < r[0] <= now)


def median(prices: Sequence[Decimal]) -> Decimal:
    """The median of ``prices`` (at least one)."""
    if not prices:
        raise ValueError("the median of no prices")
    ordered = sorted(prices)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / _TWO
