"""Perpetual-futures funding: the rate for every 8-hour interval on every path, and what a
position pays or receives.

A positive rate means longs pay shorts: a position of ``q`` tokens (negative = short) at mark
``m`` receives ``-q * m * rate`` each interval. Rates come from the terms' model: ``constant``;
``mean_reverting`` (an Ornstein-Uhlenbeck process stepped exactly per interval: it reverts to
``mean`` at ``speed`` per day with ``vol`` per sqrt(day)); or ``csv``, a column ``rate`` of
per-interval rates, repeated from the start when the deal outlasts it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from marketcraft.deal.terms import Funding
from marketcraft.tables import read_column

__all__ = ["INTERVAL_DAYS", "funding_rates", "funding_received", "read_rates"]

INTERVAL_DAYS = 1.0 / 3.0  # 8 hours


def funding_received(position: np.ndarray, mark: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """What each position receives for one interval (negative: it pays)."""
    out: np.ndarray = -position * mark * rate
    return out


def read_rates(path: Path) -> np.ndarray:
    return read_column(path, "rate", "bad_funding")


def funding_rates(
    model: Funding, intervals: int, paths: int, rng: np.random.Generator, base: Path = Path()
) -> np.ndarray:
    """Rates of shape ``(intervals, paths)``."""
    if model.model == "constant":
        return np.full((intervals, paths), model.rate)
    if model.model == "csv":
        rates = read_rates(base / model.csv)
        repeated = np.resize(rates, intervals)
        return np.repeat(repeated[:, None], paths, axis=1)
    # the OU process sampled exactly at the interval: AR(1) with these coefficients
    keep = np.exp(-model.speed * INTERVAL_DAYS)
    if model.speed > 0:
        spread = model.vol * np.sqrt((1 - keep * keep) / (2 * model.speed))
    else:
        spread = model.vol * np.sqrt(INTERVAL_DAYS)
    out = np.empty((intervals, paths))
    current = np.full(paths, model.rate)
    shocks = rng.standard_normal((intervals, paths))
    for i in range(intervals):
        current = model.mean + keep * (current - model.mean) + spread * shocks[i]
        out[i] = current
    return out
