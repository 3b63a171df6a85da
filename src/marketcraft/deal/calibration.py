"""Fill intensity calibrated from trades: the venues' ``intensity`` (A, fills per hour at the
mid) and ``decay`` (k, per basis point) of the Avellaneda-Stoikov model the simulation uses,
``A exp(-k delta)``, fitted to a CSV of trades.

A trades CSV has a header with ``time`` (ISO 8601 or Unix seconds), ``price`` and ``mid`` (the
mid price when the trade printed). A trade's distance is ``|price - mid| / mid`` in basis points:
under the model, market orders reaching at least ``delta`` from mid arrive at ``A exp(-k delta)``
an hour, so the distances are exponential with rate ``k`` and the trades arrive at ``A`` an hour.
The maximum-likelihood fit is then ``k = n / sum(delta)`` and ``A = n / T`` over the ``T`` hours
the file spans, each with its standard error (``k / sqrt(n)``, ``A / sqrt(n)``). Beside it, the
classic check (Guéant): the empirical rate of trades at least ``delta`` away, on a grid of
distances, against the fitted curve (its R^2 on the log scale), and the Kolmogorov-Smirnov
distance between the distances and the fitted exponential.

``synthetic_trades`` draws trades from known A and k: the shipped sample
(``examples/deals/trades-sample.csv``) is one such draw, with its answer in its header.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from marketcraft.deal.history import unix_seconds
from marketcraft.kernel.errors import ValidationError

__all__ = ["FillFit", "fit_fills", "read_trades", "synthetic_trades", "write_trades"]

CODE = "bad_trades"
BP = 1e4
MIN_TRADES = 30  # fewer, and the standard errors are not worth printing


@dataclass(frozen=True)
class FillFit:
    trades: int
    hours: float
    intensity: float  # A: fills per hour at the mid
    intensity_se: float
    decay: float  # k: per basis point
    decay_se: float
    grid_r2: float  # the empirical rate's fit on the log scale, over a grid of distances
    ks: float  # Kolmogorov-Smirnov distance of the distances to the fitted exponential
    grid: tuple[tuple[float, float, float], ...]  # (delta bp, trades per hour beyond, fitted)

    def summary(self) -> dict[str, float]:
        return {
            "trades": self.trades, "hours": self.hours, "intensity": self.intensity,
            "intensity_se": self.intensity_se, "decay": self.decay, "decay_se": self.decay_se,
            "grid_r2": self.grid_r2, "ks": self.ks,
        }  # fmt: skip


def fit_fills(hours: float, distances_bp: np.ndarray) -> FillFit:
    """The maximum-likelihood A and k of trades at ``distances_bp`` from mid over ``hours``
    hours, with standard errors and the grid check. ValidationError for fewer than
    :data:`MIN_TRADES` trades, no time span, or distances that are all zero."""
    d = np.asarray(distances_bp, dtype=float)
    n = int(d.size)
    if n < MIN_TRADES:
        raise ValidationError(CODE, f"trades: {n} trades; a fit needs at least {MIN_TRADES}")
    if not (math.isfinite(hours) and hours > 0):
        raise ValidationError(CODE, "trades: the times must span more than an instant")
    if not (np.all(np.isfinite(d)) and np.all(d >= 0)) or float(d.sum()) <= 0:
        raise ValidationError(CODE, "trades: every distance from mid must be finite, not all 0")
    decay = n / float(d.sum())
    intensity = n / hours
    ordered = np.sort(d)
    fitted_cdf = 1.0 - np.exp(-decay * ordered)
    above = np.arange(1, n + 1) / n - fitted_cdf
    below = fitted_cdf - np.arange(0, n) / n
    ks = float(max(above.max(), below.max()))
    # the empirical rate of trades at least delta away, at the deciles of the distances
    deltas = np.unique(np.quantile(d, np.linspace(0.0, 0.9, 10)))
    rate = np.array([(d >= x).sum() / hours for x in deltas])
    fitted = intensity * np.exp(-decay * deltas)
    logs, fits = np.log(rate), np.log(fitted)
    spread = float(((logs - logs.mean()) ** 2).sum())
    r2 = 1.0 - float(((logs - fits) ** 2).sum()) / spread if spread > 0 else 1.0
    grid = tuple(
        (float(x), float(r), float(f)) for x, r, f in zip(deltas, rate, fitted, strict=True)
    )
    return FillFit(n, hours, intensity, intensity / math.sqrt(n), decay, decay / math.sqrt(n),
                   r2, ks, grid)  # fmt: skip


def _fail(path: Path, message: str) -> ValidationError:
    return ValidationError(CODE, f"trades ({path.name}): {message}")


def read_trades(path: Path) -> tuple[float, np.ndarray]:
    """The hours a trades CSV spans and each trade's distance from mid in basis points;
    ValidationError naming the file and the line for anything unreadable."""
    try:
        with path.open(newline="") as f:
            rows = list(csv.DictReader(row for row in f if not row.startswith("#")))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise _fail(path, f"cannot read: {exc}") from None
    if not rows or not {"time", "price", "mid"} <= set(rows[0]):
        raise _fail(path, "needs a header with 'time', 'price' and 'mid'")
    times, distances = [], []
    for line, row in enumerate(rows, start=2):
        try:
            at, price, mid = unix_seconds(row["time"] or ""), float(row["price"]), float(row["mid"])
        except (TypeError, ValueError, OverflowError):
            raise _fail(path, f"line {line}: time, price or mid is not readable") from None
        if not (math.isfinite(at) and math.isfinite(price) and math.isfinite(mid) and mid > 0):
            raise _fail(path, f"line {line}: the mid must be positive and every value finite")
        times.append(at)
        distances.append(abs(price - mid) / mid * BP)
    span = (max(times) - min(times)) / 3600.0
    return span, np.array(distances)


def synthetic_trades(
    intensity: float, decay: float, hours: float, seed: int, start: float = 1_767_225_600.0
) -> list[tuple[str, float, float]]:
    """Trades drawn from the model: Poisson arrivals at ``intensity`` an hour over ``hours``,
    distances exponential with rate ``decay`` per bp, around a mid that walks 20 bp an hour
    (time ISO 8601, price, mid; in time order)."""
    rng = np.random.default_rng(seed)
    count = int(rng.poisson(intensity * hours))
    at = np.sort(rng.uniform(0.0, hours, count))
    at[0], at[-1] = 0.0, hours  # the file spans exactly ``hours``
    mid = 1.0 * np.exp(np.cumsum(rng.normal(0.0, 0.002 * np.sqrt(np.diff(at, prepend=0.0)))))
    side = rng.choice([-1.0, 1.0], count)
    price = mid * (1.0 + side * rng.exponential(1.0 / decay, count) / BP)
    return [
        (datetime.fromtimestamp(start + t * 3600.0, UTC).isoformat(timespec="seconds"), p, m)
        for t, p, m in zip(at, price, mid, strict=True)
    ]


def write_trades(path: Path, trades: list[tuple[str, float, float]], note: str) -> None:
    """Write trades as a CSV, ``note`` as a ``#`` line first."""
    with path.open("w", newline="") as f:
        f.write(f"# {note}\n")
        out = csv.writer(f)
        out.writerow(["time", "price", "mid"])
        out.writerows((t, f"{p:.8f}", f"{m:.8f}") for t, p, m in trades)
