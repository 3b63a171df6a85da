"""A token designer's questions of a peg simulation, answered from its hourly series.

* **Depeg episodes**: a stretch of samples where SPOT strays from the outside price by more
  than a threshold (the market's band unless told): when it starts, how long it lasts, its
  deepest deviation (signed: below the price is negative) and how long SPOT takes to come back
  from that deepest point. An episode still open at the end is marked so.
* **PEG holders**: what selling PEG into the relay pays, against the feed: a small sale's
  ``SPOT (1 - fee) / feed``, and a large one's (a tenth of the circulating PEG at once, the
  constant-product price it walks down), hour by hour.
* **MMS holders against holding COL**: the value of one MMS (net asset value at the outside
  price) and of one COL, both in PEG, hour by hour; their returns, maximum drawdowns and daily
  value at risk.
* **Confidence intervals across runs**: for a mean, the normal interval
  ``mean +- z sd / sqrt(n)``; for a probability, Wilson's score interval, which stays inside
  [0, 1] and is not empty when every run (or none) had the event.

Everything is computed at the series' resolution (an hour by default): an episode shorter
than a sample can fall between two samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Episodes",
    "depeg_episodes",
    "max_drawdown",
    "mean_interval",
    "redemption_values",
    "value_at_risk",
    "value_per_mms_and_col",
    "wilson_interval",
]

#: the normal quantile of a two-sided 95% interval
Z95 = 1.959963984540054
#: the large sale whose redemption value is reported: this share of the circulating PEG
LARGE_SALE = 0.10


@dataclass(frozen=True)
class Episodes:
    """Depeg episodes, one entry each, in run then time order."""

    run: np.ndarray  # int
    start: np.ndarray  # sample index where the episode starts
    length: np.ndarray  # samples outside the threshold
    deepest: np.ndarray  # signed deviation of SPOT from the price at its worst
    recover: np.ndarray  # samples from the deepest point back inside (to the end if open)
    ended: np.ndarray  # bool: back inside before the series ends

    def __len__(self) -> int:
        return len(self.run)


def depeg_episodes(deviation: np.ndarray, threshold: float) -> Episodes:
    """Episodes of ``|deviation| > threshold`` in ``deviation`` (samples, runs), the signed
    relative gap ``SPOT / price - 1``."""
    outside = np.abs(deviation) > threshold
    rows: list[tuple[int, int, int, float, int, bool]] = []
    count = len(deviation)
    for run in range(deviation.shape[1]):
        flags = outside[:, run]
        edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
        starts, stops = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
        for start, stop in zip(starts, stops, strict=True):
            part = deviation[start:stop, run]
            worst = int(np.argmax(np.abs(part)))
            rows.append((run, int(start), int(stop - start), float(part[worst]),
                         int(stop - start - worst), bool(stop < count)))  # fmt: skip
    table = np.array(rows, dtype=object).reshape(-1, 6)
    return Episodes(
        run=table[:, 0].astype(np.int64),
        start=table[:, 1].astype(np.int64),
        length=table[:, 2].astype(np.int64),
        deepest=table[:, 3].astype(float),
        recover=table[:, 4].astype(np.int64),
        ended=table[:, 5].astype(bool),
    )


def redemption_values(
    c: np.ndarray, u: np.ndarray, dc: np.ndarray, feed: np.ndarray, fee: float
) -> tuple[np.ndarray, np.ndarray]:
    """(small sale, large sale): COL a PEG holder receives per PEG sold into the relay, after
    the fee, over the feed (1 = the peg holds). The large sale is ``LARGE_SALE`` of the
    circulating PEG at once: ``C q / (U + q) (1 - f) / q``; with nothing circulating it is the
    small sale's."""
    small = c / u * (1.0 - fee) / feed
    q = LARGE_SALE * dc
    with np.errstate(divide="ignore", invalid="ignore"):
        large = np.where(q > 0, c / (u + q) * (1.0 - fee) / feed, small)
    return small, large


def value_per_mms_and_col(
    c: np.ndarray, x: np.ndarray, dc: np.ndarray, mms: np.ndarray, price: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(one MMS, one COL), both in PEG at the outside price ``price`` (COL per PEG): an MMS is
    its share of the pool's net assets ``(C + X - Dc price) / MMS``."""
    return (c + x - dc * price) / mms / price, 1.0 / price


def max_drawdown(values: np.ndarray) -> np.ndarray:
    """Per column of ``values`` (samples, runs): the largest fall from a running peak, as a
    share of the peak (0 = never fell; 1 = lost everything). A value at or below zero after a
    positive peak counts as everything lost."""
    peaks = np.maximum.accumulate(values, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        falls = np.where(peaks > 0, 1.0 - values / peaks, 0.0)
    out: np.ndarray = np.clip(falls, 0.0, 1.0).max(axis=0, initial=0.0)
    return out


def value_at_risk(returns: np.ndarray, level: float = 0.95) -> float:
    """The loss exceeded with probability ``1 - level`` (a positive number for a loss): minus
    the ``1 - level`` quantile of ``returns``. NaN with nothing to measure."""
    finite = returns[np.isfinite(returns)]
    if not len(finite):
        return math.nan
    return float(-np.quantile(finite, 1.0 - level))


def mean_interval(values: np.ndarray, z: float = Z95) -> tuple[float, float, float]:
    """(mean, low, high): the normal confidence interval of the mean of the finite
    ``values``; with one value the interval is that value, with none all three are NaN."""
    finite = values[np.isfinite(values)]
    n = len(finite)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(np.mean(finite))
    if n == 1:
        return mean, mean, mean
    half = z * float(np.std(finite, ddof=1)) / math.sqrt(n)
    return mean, mean - half, mean + half


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for a probability seen ``successes`` times in ``n`` runs."""
    if n <= 0:
        return math.nan, math.nan
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # at no events (or all) the bound is exactly 0 (or 1): rounding must not move it
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high
