"""Historical prices for a bootstrap, with their times, so the returns replayed at each step are
returns over that step.

A CSV with a header row, a ``time`` column and a ``price`` column. A time is ISO 8601
(``2024-03-01T00:00:00Z``, ``2024-03-01 08:00``; without a zone, UTC) or Unix seconds. The
rows must be in time order and evenly spaced (a price every ``interval``); the simulation step
must be a whole multiple of that interval, and the prices are then taken every step (hourly
data at a 4-hour step: every fourth price). Data coarser than the step, gaps, or rows out of
order are refused (``ValidationError`` naming ``market.csv``): returns over a day replayed as
returns over an hour would give sqrt(24) x the volatility."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from marketcraft.kernel.errors import ValidationError

__all__ = ["History", "read_history", "unix_seconds"]

CODE = "bad_prices"
HOURS_PER_YEAR = 365.0 * 24.0


def _fail(path: Path, message: str) -> ValidationError:
    return ValidationError(CODE, f"market.csv ({path.name}): {message}")


def unix_seconds(text: str) -> float:
    """A time as Unix seconds (ISO 8601 or a number); ValueError if it is neither."""
    try:
        return float(text)
    except ValueError:
        moment = datetime.fromisoformat(text.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()


@dataclass(frozen=True)
class History:
    prices: np.ndarray  # positive, finite
    interval: int  # seconds between rows
    name: str

    @property
    def interval_hours(self) -> float:
        return self.interval / 3600.0

    def at_step(self, step_seconds: int) -> np.ndarray:
        """The prices one step apart; ``ValidationError`` unless the step is a whole multiple
        of the data's interval and leaves at least 3 prices."""
        if step_seconds % self.interval:
            raise ValidationError(
                CODE,
                f"market.csv ({self.name}) holds a price every {self.interval_hours:g}h: the "
                f"step ({step_seconds / 3600:g}h) must be a whole multiple of it; use finer "
                "data or a longer step",
            )
        prices = self.prices[:: step_seconds // self.interval]
        if prices.size < 3:
            raise ValidationError(
                CODE,
                f"market.csv ({self.name}): fewer than 3 prices at a {step_seconds / 3600:g}h step",
            )
        return prices

    def yearly(self) -> tuple[float, float]:
        """The data's mean log return and volatility, both per year."""
        returns = np.diff(np.log(self.prices))
        per_year = HOURS_PER_YEAR / self.interval_hours
        return float(returns.mean() * per_year), float(returns.std(ddof=1) * math.sqrt(per_year))


def read_history(path: Path) -> History:
    """The prices of a CSV and their interval; ``ValidationError`` (naming ``market.csv`` and
    the row) if it cannot be read, a time or price is not a number, or the rows are not
    evenly spaced in time order."""
    try:
        with path.open(newline="") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise _fail(path, f"cannot read: {exc}") from None
    if not rows or not {"time", "price"} <= set(rows[0]):
        raise _fail(path, "needs a header with 'time' (ISO 8601 or Unix seconds) and 'price'")
    times, prices = [], []
    for n, row in enumerate(rows, start=2):  # the header is line 1
        try:
            times.append(unix_seconds(row["time"] or ""))
            prices.append(float(row["price"] or ""))
        except (TypeError, ValueError, OverflowError):
            raise _fail(path, f"line {n}: time or price is not readable") from None
        if not (math.isfinite(prices[-1]) and prices[-1] > 0 and math.isfinite(times[-1])):
            raise _fail(path, f"line {n}: the price must be positive and finite")
    if len(prices) < 3:
        raise _fail(path, "needs at least 3 prices")
    gaps = np.diff(np.array(times))
    interval = round(float(gaps[0]))
    if interval < 1:
        raise _fail(path, "line 3: times must increase")
    uneven = np.flatnonzero(np.abs(gaps - interval) > 1e-6)
    if uneven.size:
        n = int(uneven[0]) + 3
        raise _fail(
            path,
            f"line {n}: {gaps[uneven[0]] / 3600:g}h after the line before, not "
            f"{interval / 3600:g}h: the rows must be evenly spaced, in time order, without gaps",
        )
    return History(np.array(prices), interval, path.name)
