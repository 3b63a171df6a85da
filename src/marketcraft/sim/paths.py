"""Price paths: the scheduled shocks of a geometric Brownian motion's log price.

The peg simulator draws the Brownian part itself (:func:`marketcraft.sim.peg.kernel.prices`),
each run from its own generator seeded from ``(seed, run index)``, so a run's path is the same
whichever chunk or worker draws it, and a sweep's grid points share their paths (common random
numbers: differences between parameter sets are not sampling noise)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["SECONDS_PER_YEAR", "shock_increments"]

SECONDS_PER_YEAR = 365.0 * 86_400.0


def shock_increments(
    steps: int, step_seconds: float, shocks: Sequence[tuple[float, float, float]]
) -> np.ndarray:
    """Log-price increments per step (shape ``(steps + 1,)``, index = step) from shocks given
    as ``(at_day, move, hours)``: ``log(1 + move)`` at once, or spread evenly over ``hours``."""
    out = np.zeros(steps + 1)
    for at_day, move, hours in shocks:
        first = max(1, round(at_day * 86_400 / step_seconds))
        count = max(1, round(hours * 3_600 / step_seconds))
        last = min(steps, first + count - 1)
        if first <= steps:
            out[first : last + 1] += np.log1p(move) / count
    return out
