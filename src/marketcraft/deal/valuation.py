"""What the calls the project grants are worth: Black-Scholes at signing and a risk-neutral
Monte Carlo that follows the deal's own exercise rule (first touch with a buffer for American
tranches, TWAP fixings), each at several volatilities.

Risk neutral here means r = b = 0 (the crypto convention): the price paths have no drift (jumps
are compensated), so the Monte Carlo value is the mean payoff. A TWAP-struck tranche's
Black-Scholes value uses the strike it would fix at if the price stayed at listing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from marketcraft.deal.clock import Clock
from marketcraft.deal.greeks import black_scholes
from marketcraft.deal.options import OptionBook
from marketcraft.deal.strategy import price_model
from marketcraft.deal.terms import Terms, Tranche
from marketcraft.sim.returns import BLOCK, JumpDiffusion

__all__ = ["VOL_SCALES", "OptionValues", "monte_carlo_calls", "option_values"]

#: the volatilities of the sensitivity table, as multiples of the deal's
VOL_SCALES = (0.5, 0.75, 1.0, 1.25, 1.5)


@dataclass
class OptionValues:
    vols: np.ndarray  # (scales,) per year
    by_vol_bs: np.ndarray  # (scales, tranches) stablecoin
    by_vol_mc: np.ndarray  # (scales, tranches)
    stderr_mc: np.ndarray  # (scales, tranches)

    @property
    def base(self) -> int:
        return VOL_SCALES.index(1.0)

    @property
    def black_scholes(self) -> np.ndarray:
        out: np.ndarray = self.by_vol_bs[self.base]
        return out

    @property
    def monte_carlo(self) -> np.ndarray:
        out: np.ndarray = self.by_vol_mc[self.base]
        return out


def monte_carlo_calls(
    calls: tuple[Tranche, ...],
    *,
    start: float,
    vols: np.ndarray,
    years: float,
    step_hours: float,
    paths: int,
    seed: int,
    buffer: float = 0.0,
    jumps: tuple[float, float, float] = (0.0, 0.0, 0.0),
) -> tuple[np.ndarray, np.ndarray]:
    """Mean payoff and its standard error per (vol, tranche), ``paths`` paths per vol, on
    driftless paths stepped like the strategy's."""
    clock = Clock.span(years * 365.0, step_hours)
    steps = clock.steps
    every = np.repeat(np.asarray(vols, dtype=float), paths)
    rate, mean, spread = jumps
    model = JumpDiffusion(
        drift=0.0, vol=every, step_hours=step_hours, jumps_per_year=rate, jump_mean=mean,
        jump_vol=spread,
    )  # fmt: skip
    rng = np.random.default_rng([seed, 1 << 20])
    book = OptionBook(calls, every.size, start, clock.per_day, buffer)
    payoff = np.zeros((len(calls), every.size))
    log_price = np.full(every.size, np.log(start))
    increments = np.empty(0)
    for step in range(1, steps + 1):
        at = (step - 1) % BLOCK
        if at == 0:
            increments = model.block(rng, min(BLOCK, steps - step + 1), every.size)
        log_price += increments[at]
        price = np.exp(log_price)
        book.observe(step, price)
        now = book.due(step, price, step == steps)
        if now.any():
            payoff += np.where(now, (price - book.strike) * book.tokens, 0.0)
            book.exercise(now, step)
    shaped = payoff.reshape(len(calls), len(vols), paths)
    value = shaped.mean(axis=2).T
    stderr = (shaped.std(axis=2, ddof=1) / np.sqrt(paths)).T
    return value, stderr


def option_values(
    terms: Terms, *, base: Path = Path(), step_hours: float = 1.0, seed: int = 1,
    paths: int = 2_000,
) -> OptionValues:  # fmt: skip
    """Both values of every tranche at each of :data:`VOL_SCALES` x the deal's vol."""
    _, vol = price_model(terms, base, step_hours)
    vols = np.array(VOL_SCALES) * vol
    p0 = terms.token.listing_price
    years = terms.loan.tenor_days / 365.0
    strikes = np.array([c.strike or c.strike_multiple * p0 for c in terms.calls])
    tokens = np.array([c.tokens for c in terms.calls])
    if not terms.calls:
        empty = np.zeros((len(vols), 0))
        return OptionValues(vols, empty, empty, empty)
    bs = black_scholes(p0, strikes[None, :], years, vols[:, None]).price * tokens
    m = terms.market
    jumps = (m.jumps_per_year, m.jump_mean, m.jump_vol) if m.model == "gbm" else (0.0, 0.0, 0.0)
    mc, stderr = monte_carlo_calls(
        terms.calls, start=p0, vols=vols, years=years, step_hours=step_hours, paths=paths,
        seed=seed, buffer=terms.desk.exercise_buffer, jumps=jumps,
    )  # fmt: skip
    return OptionValues(vols, bs, mc, stderr)
