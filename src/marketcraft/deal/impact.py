"""Market impact of the market maker's own trades, vectorised over paths: a temporary part by
the square-root law and a permanent part linear in size (Almgren-Chriss).

A trade of notional ``q`` (stablecoin) in a market that trades ``V`` stablecoin a day, with
daily volatility ``sigma_d``:

- **temporary**: the price moves at its peak by the fraction ``I(q) = Y sigma_d sqrt(q / V)``
  (the square-root law: Toth et al. 2011; Bouchaud et al. 2018, ch. 12), at most
  :data:`MAX_PEAK`. Executed along that square-root profile, the trade's average price is
  ``2/3 x I(q)`` worse than the mid before it: its cost, ``notional x 2/3 x I(q)``, is booked
  to the ``impact`` bucket. The cost grows as ``q^1.5``.
- **permanent**: the mid moves by ``gamma sigma_d q / V`` in log price, with the trade's sign,
  at most :data:`MAX_PEAK`, for the rest of the path (Almgren, Thum, Hauptmann & Li 2005,
  gamma = 0.314). It is linear in size, as the absence of price manipulation requires
  (Huberman & Stanzl 2004; Gatheral 2010): a round trip leaves the price where it was, and
  many small trades move it as far as one trade of their sum. (A square-root permanent part
  would not: the hourly hedges' many small buys would outweigh one large sale.)

Both parts are zero for a zero trade and grow with its size. The volume is held in
stablecoin, as the venues' depth and the pool's organic volume are: a market that has fallen
80% trades five times the tokens for the same stablecoin."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from marketcraft.deal.terms import Terms

__all__ = ["AVERAGE", "MAX_PEAK", "ImpactModel", "daily_volume", "derived_volume", "peak"]

#: the average of sqrt(x) over x in [0, 1]: a square-root profile's mean against its peak
AVERAGE = 2.0 / 3.0
#: the largest peak impact of one trade, as a move in log price
MAX_PEAK = 1.0


def peak(
    notional: np.ndarray, daily_volume: float, sigma_daily: float, coefficient: float
) -> np.ndarray:
    """The peak impact ``Y sigma_d sqrt(q / V)`` (a fraction of the price) of a trade of
    ``notional`` q >= 0, capped at :data:`MAX_PEAK`. ``daily_volume`` V > 0 (terms without
    any are refused by :mod:`marketcraft.deal.bounds`)."""
    out: np.ndarray = np.minimum(
        coefficient * sigma_daily * np.sqrt(notional / daily_volume), MAX_PEAK
    )
    return out


class ImpactModel:
    """Impact at one deal's parameters: ``daily_volume`` (the market's volume, stablecoin a
    day), ``sigma_daily`` the token's daily volatility, ``coefficient`` Y of the temporary
    part and ``permanent`` gamma of the permanent part."""

    def __init__(
        self, daily_volume: float, sigma_daily: float, coefficient: float, permanent: float
    ) -> None:
        self.daily_volume = daily_volume
        self.sigma_daily = sigma_daily
        self.coefficient = coefficient
        self.permanent = permanent
        self.on = (coefficient > 0 or permanent > 0) and daily_volume > 0

    @staticmethod
    def at(vol: float, daily_volume: float, coefficient: float, permanent: float) -> ImpactModel:
        """The model for a token of yearly ``vol`` whose market trades ``daily_volume``
        (stablecoin a day)."""
        return ImpactModel(daily_volume, vol / math.sqrt(365.0), coefficient, permanent)

    def trade(self, tokens: np.ndarray, price: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Trading ``tokens`` (positive: buy) at mid ``price``: the temporary cost (stablecoin,
        >= 0) and the permanent move of the log price (the trade's sign)."""
        if not self.on:
            zero = np.zeros_like(price)
            return zero, zero
        notional = np.abs(tokens) * price
        moved = peak(notional, self.daily_volume, self.sigma_daily, self.coefficient)
        cost: np.ndarray = notional * AVERAGE * moved
        linear = np.minimum(self.permanent * self.sigma_daily * notional / self.daily_volume,
                            MAX_PEAK)  # fmt: skip
        shift: np.ndarray = np.sign(tokens) * linear
        return cost, shift


def derived_volume(terms: Terms) -> float:
    """The market's daily volume (stablecoin) that the terms already describe, for
    ``impact.daily_volume = 0``: the takers who reach the venues' quotes (both sides,
    ``intensity x exp(-decay x half-spread in bp)`` fills an hour, each ``clip`` of the depth)
    and the pool's organic volume."""
    venues = sum(
        2.0 * 24.0 * v.intensity * math.exp(-v.decay * v.spread / 2.0 * 1e4) * v.clip * v.depth
        for v in terms.venues
    )
    return venues + terms.pool.organic_volume * terms.pool.value


def daily_volume(terms: Terms) -> float:
    """``impact.daily_volume``, or the volume the terms describe where it is 0."""
    return terms.impact.daily_volume or derived_volume(terms)
