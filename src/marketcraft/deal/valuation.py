"""What the project gives away: the calls and, where the loan may be repaid in cash, the right
to repay at ``cash_strike`` (a call on the tokens owed), each at several volatilities.

**Fair value.** The tokens pay nothing and r = b = 0 (the crypto convention), so exercising a
call before expiry never pays: an American call is worth the European one, Black-Scholes for a
fixed strike. A TWAP-struck tranche has no closed form; its fair value is the Monte Carlo held
to expiry (its Black-Scholes column uses the strike it would fix at if the price stayed at
listing, for reference). The cash-repayment option is ``owed at maturity x C(listing price,
cash_strike)``.

**The desk's exercise rule.** The market maker exercises an American tranche at the first
touch of strike x (1 + ``desk.exercise_buffer``), which gives away time value: the Monte Carlo
values the calls both ways on the same paths, and the difference (with its own standard error,
the paths being paired) is what the rule costs the desk.

The Monte Carlo is risk neutral: driftless paths (jumps compensated), stepped like the
strategy's, ``paths`` per volatility."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from marketcraft.deal.greeks import black_scholes
from marketcraft.deal.options import OptionBook
from marketcraft.deal.returns import BLOCK, JumpDiffusion
from marketcraft.deal.strategy import price_model
from marketcraft.deal.terms import Terms, Tranche
from marketcraft.deal.time_grid import TimeGrid

__all__ = [
    "MC_CHUNK", "VOL_SCALES", "OptionValues", "Payoffs", "mean_se", "monte_carlo_calls",
    "option_chunk", "option_chunks", "option_values",
]  # fmt: skip

#: the volatilities of the sensitivity table, as multiples of the deal's
VOL_SCALES = (0.5, 0.75, 1.0, 1.25, 1.5)


def mean_se(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mean over the last axis (paths) and its standard error (0 for one path)."""
    paths = values.shape[-1]
    se = values.std(axis=-1, ddof=1) / np.sqrt(paths) if paths > 1 else 0.0 * values[..., 0]
    return values.mean(axis=-1), se


@dataclass
class Payoffs:
    """Monte Carlo payoffs per path, the same paths for all: per tranche x its tokens, shaped
    (tranches, vols, paths); the cash-repayment option's per token owed, (vols, paths)."""

    rule: np.ndarray  # under the deal's exercise rule
    expiry: np.ndarray  # held to expiry: the fair value
    cash: np.ndarray  # max(P_T - cash_strike, 0); 0 without cash repayment


@dataclass
class OptionValues:
    vols: np.ndarray  # (scales,) per year
    by_vol_bs: np.ndarray  # (scales, tranches) stablecoin, Black-Scholes at signing
    payoffs: Payoffs
    fixed: np.ndarray  # (tranches,) bool: a fixed strike, whose fair value is Black-Scholes
    owed: float  # tokens owed at maturity
    cash_bs: np.ndarray  # (scales,) the cash-repayment option, Black-Scholes; 0 if none

    @property
    def base(self) -> int:
        return VOL_SCALES.index(1.0)

    @property
    def black_scholes(self) -> np.ndarray:
        out: np.ndarray = self.by_vol_bs[self.base]
        return out

    def by_vol(self, rule: bool) -> tuple[np.ndarray, np.ndarray]:
        """Monte Carlo (mean, s.e.) per (vol, tranche): under the rule, or held to expiry."""
        mean, se = mean_se(self.payoffs.rule if rule else self.payoffs.expiry)
        return mean.T, se.T

    def fair(self) -> tuple[np.ndarray, np.ndarray]:
        """Each tranche's fair value at the deal's vol and its s.e.: Black-Scholes for a fixed
        strike (exact), the Monte Carlo held to expiry for a TWAP strike."""
        mean, se = self.by_vol(rule=False)
        fair = np.where(self.fixed, self.black_scholes, mean[self.base])
        return fair, np.where(self.fixed, 0.0, se[self.base])

    def totals(self) -> dict[str, float]:
        """The headline values at the deal's vol (stablecoin), each mean with its s.e.
        (``_se``) where it is a Monte Carlo; sums over tranches keep the paths paired."""
        p, at = self.payoffs, self.base
        out: dict[str, float] = {"options_bs": float(self.black_scholes.sum())}
        fair, _ = self.fair()
        out["options_fair"] = float(fair.sum())
        out["options_fair_se"] = float(mean_se(p.expiry[~self.fixed, at].sum(axis=0))[1])
        for name, values in (
            ("options_mc_expiry", p.expiry[:, at].sum(axis=0)),
            ("options_mc_rule", p.rule[:, at].sum(axis=0)),
            ("exercise_rule_cost", (p.expiry - p.rule)[:, at].sum(axis=0)),
            ("cash_option_mc", self.owed * p.cash[at]),
        ):
            mean, se = mean_se(values)
            out[name], out[f"{name}_se"] = float(mean), float(se)
        out["cash_option_bs"] = float(self.cash_bs[at])
        out["given_away"] = out["options_fair"] + out["cash_option_bs"]
        out["given_away_se"] = out["options_fair_se"]
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
    cash_strike: float = 0.0,
    chunk: int = 0,
    progress: Callable[[int], None] | None = None,
) -> Payoffs:
    """Payoffs per path (per tranche: x its tokens), ``paths`` paths per vol, under the deal's
    exercise rule and held to expiry on the same driftless paths; and, if ``cash_strike``,
    the cash-repayment option's payoff per token owed. Chunk ``chunk`` of a run seeded with
    ``seed``; ``progress`` hears the steps done about once a simulated day."""
    clock = TimeGrid.span(years * 365.0, step_hours)
    steps = clock.steps
    every = np.repeat(np.asarray(vols, dtype=float), paths)
    rate, mean, spread = jumps
    model = JumpDiffusion(
        drift=0.0, vol=every, step_hours=step_hours, jumps_per_year=rate, jump_mean=mean,
        jump_vol=spread,
    )  # fmt: skip
    rng = np.random.default_rng([seed, 1 << 20, chunk])
    book = OptionBook(calls, every.size, start, clock.per_day, buffer)
    rule = np.zeros((len(calls), every.size))
    log_price = np.full(every.size, np.log(start))
    price = np.exp(log_price)
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
            rule += np.where(now, (price - book.strike) * book.tokens, 0.0)
            book.retire(now, step)
        if progress and (step % clock.per_day == 0 or step == steps):
            progress(step)
    expiry = np.maximum(price - book.strike, 0.0) * book.tokens
    cash = np.maximum(price - cash_strike, 0.0) if cash_strike else np.zeros_like(price)
    shape = (len(calls), len(vols), paths)
    return Payoffs(rule.reshape(shape), expiry.reshape(shape), cash.reshape(len(vols), paths))


#: paths per vol in one Monte Carlo job: arrays of 5 vols x 2,000 paths stay in cache
MC_CHUNK = 2_000


def option_chunks(paths: int) -> list[int]:
    """The sizes of the Monte Carlo jobs for ``paths`` paths per vol."""
    return [min(MC_CHUNK, paths - start) for start in range(0, paths, MC_CHUNK)]


def option_chunk(  # noqa: PLR0917 (a job's arguments travel as one tuple)
    terms: Terms,
    paths: int,
    seed: int,
    chunk: int,
    step_hours: float,
    base: str,
    progress: Callable[[int], None] | None = None,
) -> Payoffs:
    """One Monte Carlo job of :func:`option_values`: ``paths`` paths per vol."""
    _, vol = price_model(terms, Path(base), step_hours)
    m = terms.market
    jumps = (m.jumps_per_year, m.jump_mean, m.jump_vol) if m.model == "gbm" else (0.0, 0.0, 0.0)
    return monte_carlo_calls(
        terms.calls, start=terms.token.listing_price, vols=np.array(VOL_SCALES) * vol,
        years=terms.loan.tenor_days / 365.0, step_hours=step_hours, paths=paths, seed=seed,
        buffer=terms.desk.exercise_buffer, jumps=jumps, cash_strike=_cash_strike(terms),
        chunk=chunk, progress=progress,
    )  # fmt: skip


def _cash_strike(terms: Terms) -> float:
    return terms.repayment.cash_strike if terms.repayment.mode == "cash" else 0.0


def option_values(
    terms: Terms, *, base: Path = Path(), step_hours: float = 1.0, seed: int = 1,
    paths: int = 2_000, chunks: list[Payoffs] | None = None,
) -> OptionValues:  # fmt: skip
    """Every tranche's and the cash-repayment option's values at each of
    :data:`VOL_SCALES` x the deal's vol: ``paths`` Monte Carlo paths per vol, in the jobs of
    :func:`option_chunks` (``chunks``: their results, if already run; else run here). The
    values depend on the seed and the paths only, not on which process ran which job."""
    _, vol = price_model(terms, base, step_hours)
    vols = np.array(VOL_SCALES) * vol
    p0 = terms.token.listing_price
    years = terms.loan.tenor_days / 365.0
    strikes = np.array([c.strike or c.strike_multiple * p0 for c in terms.calls])
    tokens = np.array([c.tokens for c in terms.calls])
    bs = black_scholes(p0, strikes[None, :], years, vols[:, None]).price * tokens
    bs = bs.reshape(len(vols), len(terms.calls))
    cash_strike = _cash_strike(terms)
    owed = terms.loan.tokens * (1.0 + terms.loan.interest * years)  # at maturity
    if chunks is None:
        chunks = [
            option_chunk(terms, n, seed, i, step_hours, str(base))
            for i, n in enumerate(option_chunks(paths))
        ]
    mc = Payoffs(*(np.concatenate([getattr(c, k) for c in chunks], axis=-1)
                   for k in ("rule", "expiry", "cash")))  # fmt: skip
    cash_bs = owed * black_scholes(p0, cash_strike, years, vols).price if cash_strike else 0 * vols
    fixed = np.array([c.strike > 0 for c in terms.calls], dtype=bool)
    return OptionValues(vols, bs, mc, fixed, owed, cash_bs)
