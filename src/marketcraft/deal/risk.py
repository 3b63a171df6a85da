"""The risk a desk reads: value at risk and expected shortfall of the book's PnL over 1 and 10
days, the distribution's tail of the maximum drawdown, and the probability of a margin call,
each with a standard error.

**Definitions.** Losses are positive (a loss is minus the PnL). At confidence level ``a``
(0.95, 0.99), VaR is the empirical quantile of the losses by the inverted CDF (the smallest
loss ``x`` with at least a share ``a`` of the losses at or below it: numpy's
``method="inverted_cdf"``); CVaR (expected shortfall) is Rockafellar-Uryasev's
``VaR + E[(L - VaR)+] / (1 - a)``, the mean of the worst ``1 - a`` of the losses with the atom
at VaR split. Both are at least VaR by construction, and VaR never falls as ``a`` rises.

**Horizons.** An ``h``-day loss is the fall in the book's PnL (NAV less capital) from the end
of one day to the end of ``h`` days later: every overlapping window of ``h`` days across the
deal's life, on every path, pooled (each path gives the same number of windows).

**Standard errors.** Windows on one path overlap and share the path's market, so they are not
independent; paths are. The standard error is a bootstrap over paths (:data:`REPLICATES`
resamples of whole paths, every window of a path kept together), from a generator seeded with
the run's seed, so a re-run gives the same figures. A share of paths (a margin call, a
liquidation) gets the binomial ``sqrt(p (1 - p) / n)``."""

from __future__ import annotations

import numpy as np

__all__ = [
    "HORIZONS", "LEVELS", "REPLICATES", "share_se", "tail", "tail_se", "windows",
]  # fmt: skip

#: confidence levels of VaR and CVaR
LEVELS = (0.95, 0.99)
#: horizons in days
HORIZONS = (1, 10)
#: bootstrap resamples of the paths behind a standard error
REPLICATES = 200


def windows(pnl: np.ndarray, days: int) -> np.ndarray:
    """The loss over every overlapping window of ``days`` rows of ``pnl`` (rows: the end of
    each day; columns: paths), shaped (windows, paths); no rows if the deal is shorter."""
    if pnl.shape[0] <= days:
        return np.empty((0, pnl.shape[1]))
    return np.asarray(pnl[:-days] - pnl[days:], dtype=np.float64)


def _weighted_tail(
    losses: np.ndarray, weights: np.ndarray, level: float, total: float
) -> tuple[float, float]:
    """VaR and CVaR at ``level`` of ``losses`` sorted from the largest down, with
    ``weights`` (their total weight is ``total``; the sorted prefix given must hold more
    than ``1 - level`` of it)."""
    budget = total - level * total  # as numpy's inverted_cdf counts: n - n a
    cum = np.cumsum(weights)
    k = int(np.searchsorted(cum, budget, side="right"))  # first index with cum > budget
    var = float(losses[k])
    excess = float(np.dot(weights[:k], losses[:k] - var))
    return var, var + excess / budget


def tail(losses: np.ndarray, level: float) -> tuple[float, float]:
    """VaR and CVaR at ``level`` (in (0, 1)) of ``losses`` (any shape, pooled); NaN for
    none."""
    flat = np.asarray(losses, dtype=np.float64).ravel()
    if flat.size == 0:
        return float("nan"), float("nan")
    down = -np.sort(-flat)
    return _weighted_tail(down, np.ones(down.size), level, float(down.size))


def tail_se(
    losses: np.ndarray, levels: tuple[float, ...], seed: int, replicates: int = REPLICATES
) -> dict[float, tuple[float, float, float, float]]:
    """For each level: VaR, CVaR and their bootstrap standard errors over the columns
    (paths) of ``losses`` (rows: the windows of one path, kept together); standard errors 0
    for one path, everything NaN for no windows."""
    losses = np.asarray(losses, dtype=np.float64)
    if losses.ndim == 1:
        losses = losses[None, :]
    rows, paths = losses.shape
    if losses.size == 0:
        return {a: (float("nan"),) * 4 for a in levels}
    flat = losses.ravel()
    order = np.argsort(-flat, kind="stable")
    down = flat[order]
    owner = order % paths  # the path of each sorted loss
    total = float(flat.size)
    found = {a: _weighted_tail(down, np.ones(down.size), a, total) for a in levels}
    if paths < 2:
        return {a: (*found[a], 0.0, 0.0) for a in levels}
    # a resample's tail lies in the largest losses: keep a prefix well past the widest tail
    keep = min(flat.size, int(2 * (1.0 - min(levels)) * flat.size) + 2 * rows)
    rng = np.random.default_rng([seed, rows, paths, 0x7215])
    draws = np.empty((replicates, len(levels), 2))
    for r in range(replicates):
        counts = np.bincount(rng.integers(0, paths, paths), minlength=paths).astype(np.float64)
        weights = counts[owner[:keep]]
        if weights.sum() <= total - min(levels) * total:  # a thin prefix: use every loss
            weights = counts[owner]
        cum = np.cumsum(weights)
        cum_loss = np.cumsum(weights * down[: weights.size])
        for i, a in enumerate(levels):
            budget = total - a * total
            k = int(np.searchsorted(cum, budget, side="right"))
            var = float(down[k])
            excess = cum_loss[k - 1] - var * cum[k - 1] if k else 0.0
            draws[r, i] = var, var + excess / budget
    spread = draws.std(axis=0, ddof=1)
    return {a: (*found[a], float(spread[i, 0]), float(spread[i, 1])) for i, a in enumerate(levels)}


def share_se(flags: np.ndarray) -> tuple[float, float]:
    """The share of paths flagged and its binomial standard error ``sqrt(p (1 - p) / n)``."""
    n = flags.size
    p = float(np.count_nonzero(flags)) / n
    return p, float(np.sqrt(p * (1.0 - p) / n))
