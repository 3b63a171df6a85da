"""Log-price increments for many paths at once, drawn a block of steps at a time: geometric
Brownian motion with Poisson jumps (Merton), or a block bootstrap of historical returns.

Both hand out arrays of shape ``(steps, paths)`` from a caller's generator: a seeded
generator asked for the same blocks gives the same paths."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from marketcraft.kernel.errors import ValidationError
from marketcraft.tables import read_column

__all__ = ["BLOCK", "Bootstrap", "JumpDiffusion", "Returns", "read_prices"]

HOURS_PER_YEAR = 365.0 * 24.0
BLOCK = 256  # steps a simulator usually draws at once


class Returns(Protocol):
    def block(self, rng: np.random.Generator, steps: int, paths: int) -> np.ndarray:
        """The next ``steps`` log-price increments of every path, shape (steps, paths)."""
        ...


class JumpDiffusion:
    """GBM with ``drift`` (the expected return, per year) and ``vol`` (per sqrt(year)) plus
    jumps arriving ``jumps_per_year`` with normal log sizes (``jump_mean``, ``jump_vol``).
    The jumps are compensated, so the expected price still grows at ``drift``. ``vol`` may be
    an array, one per path."""

    def __init__(
        self,
        *,
        drift: float,
        vol: float | np.ndarray,
        step_hours: float,
        jumps_per_year: float = 0.0,
        jump_mean: float = 0.0,
        jump_vol: float = 0.0,
    ) -> None:
        dt = step_hours / HOURS_PER_YEAR
        compensator = jumps_per_year * (np.exp(jump_mean + 0.5 * jump_vol**2) - 1.0)
        self.mean = (drift - 0.5 * vol * vol - compensator) * dt
        self.scale = vol * np.sqrt(dt)
        self.jump_rate = jumps_per_year * dt
        self.jump_mean = jump_mean
        self.jump_vol = jump_vol

    def block(self, rng: np.random.Generator, steps: int, paths: int) -> np.ndarray:
        out = self.mean + self.scale * rng.standard_normal((steps, paths))
        if self.jump_rate > 0:
            count = rng.poisson(self.jump_rate, (steps, paths))
            # the sum of `count` normal jumps, drawn in one go
            out += count * self.jump_mean + np.sqrt(count) * self.jump_vol * rng.standard_normal(
                (steps, paths)
            )
        result: np.ndarray = out
        return result


class Bootstrap:
    """Historical log returns resampled in blocks of ``block`` consecutive steps (keeps a
    day's clustering of volatility), each block starting at a uniform random point."""

    def __init__(self, prices: np.ndarray, block: int) -> None:
        if len(prices) < 3 or np.any(prices <= 0) or not np.all(np.isfinite(prices)):
            raise ValidationError("bad_prices", "need at least 3 positive, finite prices")
        self.returns = np.diff(np.log(prices))
        self.block_steps = max(1, min(int(block), len(self.returns)))

    def vol(self, step_hours: float) -> float:
        """The data's volatility per sqrt(year)."""
        return float(np.std(self.returns, ddof=1) * np.sqrt(HOURS_PER_YEAR / step_hours))

    def block(self, rng: np.random.Generator, steps: int, paths: int) -> np.ndarray:
        size = self.block_steps
        blocks = -(-steps // size)
        starts = rng.integers(0, len(self.returns) - size + 1, (blocks, paths))
        index = (starts[:, None, :] + np.arange(size)[None, :, None]).reshape(blocks * size, paths)
        out: np.ndarray = self.returns[index[:steps]]
        return out


def read_prices(path: Path) -> np.ndarray:
    """The ``price`` column of a CSV file."""
    return read_column(path, "price", "bad_prices")
