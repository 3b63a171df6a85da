"""The time grid of a deal: steps of a whole number of seconds that divide a day, so a day, an
8-hour funding interval and a hedge interval each fall on known steps whatever the step.

A step must divide 24 hours (24h, 12h, 8h, 6h, 4h, 3h, 2h, 1h, 30m, 20m, 15m, 10m, ...): the
daily records, the TWAP averaging windows (whole days) and the exercise days are counted in
steps, and a tenor of whole days is then a whole number of steps. Anything else is refused
(``ValidationError``, code ``bad_step``) rather than rounded. Events on a fixed period (funding
every 8 hours, a hedge every ``interval_hours``) happen at the step in which each of their
marks falls: :meth:`TimeGrid.marks` counts them, in exact integer seconds, so over a tenor their
number is the tenor over the period whatever the step."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from marketcraft.kernel.errors import ValidationError

__all__ = [
    "DAY_SECONDS",
    "FUNDING_SECONDS",
    "STEP_PATTERN",
    "TimeGrid",
    "parse_step",
    "step_seconds",
]

DAY_SECONDS = 86_400
#: perpetual funding is paid every 8 hours
FUNDING_SECONDS = 8 * 3_600


def step_seconds(hours: float, where: str = "step") -> int:
    """``hours`` as a whole number of seconds dividing a day; ``ValidationError`` naming
    ``where`` otherwise."""
    seconds = round(hours * 3_600.0) if math.isfinite(hours) and hours > 0 else 0
    if seconds < 1 or abs(seconds - hours * 3_600.0) > 1e-6 or DAY_SECONDS % seconds:
        raise ValidationError(
            "bad_step",
            f"{where}: {hours:g}h cannot be simulated: the step must divide a day "
            "(24h, 12h, 8h, 6h, 4h, 3h, 2h, 1h, 30m, 20m, 15m, 10m, ...)",
        )
    return seconds


#: a time step as written: hours or minutes, ASCII digits (``\d`` would take other scripts')
STEP_PATTERN = r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(h|m|min)?\s*$"
_STEP = re.compile(STEP_PATTERN)


def parse_step(text: str) -> float:
    """``1h``, ``30m``, ``0.5h`` or a bare number of hours -> hours, as the command line's and the
    API's ``--step``/``step`` is written; ValidationError unless it divides a day."""
    found = _STEP.match(text)
    if not found:
        raise ValidationError("bad_step", f"{text!r}: write the step as 1h, 30m or 0.25h")
    hours = float(found.group(1)) / (60.0 if found.group(2) in ("m", "min") else 1.0)
    return step_seconds(hours, "--step") / 3_600.0


@dataclass(frozen=True)
class TimeGrid:
    """``steps`` of ``seconds`` each to maturity."""

    seconds: int
    steps: int

    @staticmethod
    def span(days: float, step_hours: float) -> TimeGrid:
        """The grid over ``days``; ``ValidationError`` if the step does not divide a day or
        the days are not a whole number of steps."""
        seconds = step_seconds(step_hours)
        steps = days * DAY_SECONDS / seconds
        if not (math.isfinite(steps) and steps >= 1 and abs(steps - round(steps)) < 1e-6):
            raise ValidationError(
                "bad_step",
                f"a tenor of {days:g} days is not a whole number of {step_hours:g}h steps",
            )
        return TimeGrid(seconds, round(steps))

    @property
    def step_hours(self) -> float:
        return self.seconds / 3_600.0

    @property
    def per_day(self) -> int:
        return DAY_SECONDS // self.seconds

    @property
    def dt(self) -> float:
        """A step in years (of 365 days)."""
        return self.seconds / (365.0 * DAY_SECONDS)

    @property
    def years(self) -> float:
        return self.steps * self.dt

    def marks(self, step: int, period: int) -> tuple[int, int]:
        """The marks of a ``period`` (seconds, from the start) that fall in step ``step``
        (which ends ``step x seconds`` after the start), as a range ``(first, end)`` of their
        indices: mark ``i`` is at ``(i + 1) x period``."""
        return ((step - 1) * self.seconds) // period, (step * self.seconds) // period

    def records(self) -> np.ndarray:
        """The steps kept in the daily series (0, the end of every day, and the last)."""
        return np.append(np.arange(0, self.steps, self.per_day), self.steps)
