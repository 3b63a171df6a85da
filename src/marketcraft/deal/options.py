"""The market maker's call tranches on every path: strikes (fixed, or a multiple of the average
price over the first days after launch), Black-Scholes marks and deltas, and exercise.

A TWAP-struck tranche is marked before its fixing at the strike the average would give if the
price stayed where it is: ``K = multiple x (sum so far + price x steps left) / steps``. That
strike moves with the price, ``dK/dP = multiple x steps left / steps``, so until the fixing
the tranche's delta is ``N(d1) - N(d2) dK/dP`` and its gamma ``phi(d1) / (P vol sqrt(t)) x
(1 - P (dK/dP) / K)^2`` (r = b = 0; at signing, with ``K = multiple x P``, the value is
proportional to the price and the gamma 0). An American tranche is exercised at the first
touch of ``strike x (1 + buffer)`` once its strike is fixed; every tranche still alive at
expiry is exercised if it is in the money."""

from __future__ import annotations

import numpy as np

from marketcraft.deal.greeks import black_scholes, call_parts
from marketcraft.deal.terms import Tranche

__all__ = ["OptionBook"]


class OptionBook:
    def __init__(
        self,
        calls: tuple[Tranche, ...],
        paths: int,
        start: float,
        steps_per_day: float,
        buffer: float,
    ) -> None:
        self.count = len(calls)
        self.tokens = np.array([c.tokens for c in calls], dtype=float).reshape(-1, 1)
        self.multiple = np.array([c.strike_multiple for c in calls], dtype=float).reshape(-1, 1)
        self.fix_step = np.array(
            [round(c.average_days * steps_per_day) if c.strike_multiple else 0 for c in calls],
            dtype=np.int64,
        )
        self.american = np.array([c.style == "american" for c in calls]).reshape(-1, 1)
        fixed = np.array([c.strike for c in calls], dtype=float).reshape(-1, 1)
        self.strike = np.where(self.multiple > 0, self.multiple * start, fixed) * np.ones(paths)
        self.log_strike = np.log(self.strike)
        self.price_sum = np.zeros((self.count, paths))
        self.alive = np.ones((self.count, paths), dtype=bool)
        self.live_tokens = self.tokens * np.ones(paths)  # 0 once exercised
        self.exercised_step = np.full((self.count, paths), -1, dtype=np.int64)
        self.value = np.zeros((self.count, paths))
        self.delta = np.zeros((self.count, paths))
        self.buffer = buffer
        self.step = 0  # the last step observed

    def strike_slope(self) -> np.ndarray:
        """dK/dP per tranche, (tranches, 1): nonzero for a TWAP strike not yet fixed."""
        left = np.maximum(self.fix_step - self.step, 0) / np.maximum(self.fix_step, 1)
        out: np.ndarray = self.multiple * left.reshape(-1, 1)
        return out

    def observe(self, step: int, price: np.ndarray) -> None:
        """Step ``step``'s price into every average still being taken."""
        self.step = step
        for j in np.flatnonzero(step <= self.fix_step):
            self.price_sum[j] += price
            self.strike[j] = (
                self.multiple[j] * (self.price_sum[j] + price * (self.fix_step[j] - step))
            ) / self.fix_step[j]
            self.log_strike[j] = np.log(self.strike[j])

    def mark(
        self, price: np.ndarray, tenor: float, vol: float, log_price: np.ndarray | None = None
    ) -> np.ndarray:
        """Re-mark every live tranche; the book's value per path (stablecoin)."""
        if not self.count:
            return np.zeros_like(price)
        moneyness = None if log_price is None else log_price - self.log_strike
        value, n1, n2 = call_parts(price, self.strike, tenor, vol, moneyness)
        self.value = value * self.live_tokens
        self.delta = (n1 - n2 * self.strike_slope()) * self.live_tokens
        total: np.ndarray = self.value.sum(axis=0)
        return total

    def gamma(self, price: np.ndarray, tenor: float, vol: float) -> np.ndarray:
        """The live tranches' gamma per path (tokens per unit of price)."""
        if not self.count or tenor <= 0:
            return np.zeros_like(price)
        g = black_scholes(price, self.strike, tenor, vol).gamma
        g = g * (1.0 - price * self.strike_slope() / self.strike) ** 2
        out: np.ndarray = (g * self.live_tokens).sum(axis=0)
        return out

    def due(self, step: int, price: np.ndarray, expiry: bool) -> np.ndarray:
        """Which tranches (tranches, paths) are exercised now."""
        if not self.count:
            return np.zeros((0, price.size), dtype=bool)
        if expiry:
            return self.alive & (price > self.strike)
        fixed = (step >= self.fix_step).reshape(-1, 1)
        touch = price >= self.strike * (1.0 + self.buffer)
        out: np.ndarray = self.alive & self.american & fixed & touch
        return out

    def retire(self, now: np.ndarray, step: int) -> None:
        """Mark the tranches in ``now`` exercised at ``step`` (a valuation needs no more)."""
        self.alive &= ~now
        self.live_tokens[now] = 0.0
        self.exercised_step[now] = step

    def exercise(self, now: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Close the tranches in ``now``: (their marks, tokens bought, stablecoin paid) per
        path."""
        tokens = np.where(now, self.tokens, 0.0)
        marks = np.where(now, self.value, 0.0).sum(axis=0)
        paid = (tokens * self.strike).sum(axis=0)
        self.retire(now, step)
        self.value = np.where(now, 0.0, self.value)
        self.delta = np.where(now, 0.0, self.delta)
        return marks, tokens.sum(axis=0), paid
