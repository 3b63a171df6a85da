"""Price paths: geometric Brownian motion with scheduled shocks, drawn block by block.

Each run has its own generator seeded from ``(seed, run index)``, so a run's path is the same
whichever chunk or worker draws it, and a sweep's grid points share their paths (common random
numbers: differences between parameter sets are not sampling noise)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["GbmBlocks", "shock_increments"]

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


class GbmBlocks:
    """Collateral price (quote per unit) for runs ``run_ids``, handed out one block of steps
    at a time; step 0 is ``start``."""

    def __init__(
        self,
        seed: int,
        run_ids: Sequence[int],
        *,
        start: float,
        vol: float,
        drift: float,
        step_seconds: float,
        shocks: np.ndarray,
    ) -> None:
        self.generators = [np.random.default_rng([seed, int(i)]) for i in run_ids]
        dt = step_seconds / SECONDS_PER_YEAR
        self.mean = (drift - 0.5 * vol * vol) * dt
        self.scale = vol * np.sqrt(dt)
        self.shocks = shocks
        self.log_price = np.full(len(run_ids), np.log(start))
        self.next_step = 1

    def block(self, size: int) -> np.ndarray:
        """The prices for the next ``size`` steps, shape ``(runs, size)``."""
        normals = np.stack([g.standard_normal(size) for g in self.generators])
        first = self.next_step
        increments = self.mean + self.scale * normals + self.shocks[first : first + size]
        path = self.log_price[:, None] + np.cumsum(increments, axis=1)
        self.log_price = path[:, -1].copy()
        self.next_step += size
        prices: np.ndarray = np.exp(path)
        return prices
