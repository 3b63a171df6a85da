"""The delta-neutral market-making strategy under a deal, simulated on many paths at once.

Vectorised over paths, looping over time steps only. Each step: the price moves (GBM with jumps
or a bootstrap, plus any adverse selection from the last step's fills) -> the options and the
loan are re-marked -> the DEX pool is arbitraged to the new price and earns its organic fees
-> the venues' quotes are filled -> the perps re-hedge per the policy -> funding at every
8-hour mark -> calls are exercised -> at the last step the loan matures and the book is unwound.

**Attribution.** Net asset value is ``cash + tokens x price + pool share + calls - loan``
(perps settle their variation margin into cash every step). Every change of state is booked
to exactly one bucket (:data:`BUCKETS`) as it happens, so on every path the buckets add up to
the change in NAV from the desk's starting capital; ``residual`` in the results is the largest
gap seen on any path, recomputing NAV from the state. The pool's tokens x the price move are in
``spot`` with the desk's other tokens; ``lp_divergence`` is only what arbitrage takes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from marketcraft.deal.book import BUCKETS, Book
from marketcraft.deal.funding import funding_rates
from marketcraft.deal.history import read_history
from marketcraft.deal.impact import ImpactModel, daily_volume
from marketcraft.deal.loan import loan_gamma, loan_value
from marketcraft.deal.options import OptionBook
from marketcraft.deal.pool import pool_gamma
from marketcraft.deal.returns import BLOCK, Bootstrap, JumpDiffusion, Returns
from marketcraft.deal.stress import Stressed
from marketcraft.deal.terms import Terms
from marketcraft.deal.time_grid import FUNDING_SECONDS, TimeGrid, step_seconds
from marketcraft.deal.venues import Venues

__all__ = ["BUCKETS", "SERIES", "ChunkResult", "simulate_deal_paths"]

#: daily series kept per path: price, NAV less capital, both deltas, perps, net gamma, tokens
#: sold into the market since the start (net of buybacks)
SERIES = ("price", "pnl", "delta_inventory", "delta_economic", "perp", "gamma", "sold")


@dataclass
class ChunkResult:
    metrics: dict[str, np.ndarray]  # one value per path
    series: dict[str, np.ndarray]  # (records, paths), float64: prices may span 1e+-99
    buckets_sum: np.ndarray  # (records, buckets): cumulative buckets summed over paths
    residual: float = 0.0


def price_model(terms: Terms, base: Path, step_hours: float) -> tuple[Returns, float]:
    """The increments generator and the vol the book is marked at (for a bootstrap: the
    data's at this step). ``ValidationError`` if a bootstrap's data cannot serve this step."""
    m = terms.market
    if m.model == "bootstrap":
        prices = read_history(base / m.csv).at_step(step_seconds(step_hours))
        boot = Bootstrap(prices, max(1, round(m.block_hours / step_hours)))
        return boot, boot.vol(step_hours)
    model = JumpDiffusion(
        drift=m.drift, vol=m.vol, step_hours=step_hours, jumps_per_year=m.jumps_per_year,
        jump_mean=m.jump_mean, jump_vol=m.jump_vol,
    )  # fmt: skip
    return model, m.vol


def simulate_deal_paths(  # noqa: C901, PLR0915 (the whole strategy, one step after another)
    terms: Terms,
    paths: int,
    *,
    seed: int,
    chunk: int = 0,
    step_hours: float = 1.0,
    base: Path = Path(),
    progress: Callable[[int], None] | None = None,
    scenario: str = "",
) -> ChunkResult:
    """Simulate ``paths`` paths (chunk ``chunk`` of a run seeded with ``seed``), under the
    stress ``scenario`` named (none: the base case); ``progress`` hears the number of steps
    done about once a simulated day."""
    rng = np.random.default_rng([seed, chunk])
    clock = TimeGrid.span(terms.loan.tenor_days, step_hours)
    model, vol = price_model(terms, base, step_hours)
    p0 = terms.token.listing_price
    price = np.full(paths, p0)
    venues = Venues(terms.venues, step_hours)
    options = OptionBook(terms.calls, paths, p0, clock.per_day, terms.desk.exercise_buffer)
    law = terms.impact
    impact = ImpactModel.at(vol, daily_volume(terms), law.coefficient, law.permanent)
    book = Book(terms, paths, venues.depth, impact)
    stress = Stressed(terms.scenario(scenario) if scenario else None, terms.venues, clock)
    intervals = clock.marks(clock.steps, FUNDING_SECONDS)[1]
    funding = funding_rates(terms.funding, intervals, paths, rng, base)
    # a hedge interval shorter than a step hedges every step
    hedge_period = max(clock.seconds, round(terms.hedge.interval_hours * 3_600.0))
    cash_strike = terms.repayment.cash_strike if terms.repayment.mode == "cash" else 0.0
    loan = terms.loan

    def owed(step: int) -> float:
        """Tokens owed at ``step``: the loan and its interest so far."""
        return loan.tokens * (1.0 + loan.interest * step * clock.dt)

    def liability(p: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray]:
        return loan_value(p, owed(step), cash_strike, clock.years - step * clock.dt, vol)

    # the start: the loan arrives (in cash mode the repayment option is a gain), calls granted
    book.liability, liability_delta = liability(price, 0)
    book.bucket["liability"] += loan.tokens * p0 - book.liability
    book.options = options.mark(price, clock.years, vol)
    book.bucket["options"] += book.options
    book.place(terms, price)
    delta = book.deltas(options, liability_delta)
    book.hedge_to(delta[terms.hedge.delta_mode], price, np.ones(paths, dtype=bool))
    book.keep_margin(price)
    book.watch(price, terms.desk.margin)
    delta = book.deltas(options, liability_delta)

    records = clock.records()
    series = {name: np.zeros((len(records), paths), dtype=np.float64) for name in SERIES}
    buckets_sum = np.zeros((len(records), len(BUCKETS)))
    lvr_scale = vol * vol / 8.0 * clock.dt
    log_price = np.log(price)
    log_start = log_price.copy()
    sum_sq = np.zeros(paths)
    flow: np.ndarray | float = np.zeros(paths)
    row = 0
    residual = 0.0

    def record(step: int, delta: dict[str, np.ndarray]) -> None:
        nonlocal row, residual
        residual = max(residual, book.residual(price))
        tenor = clock.years - step * clock.dt
        gamma = options.gamma(price, tenor, vol) + terms.pool.share * pool_gamma(book.k, price)
        gamma -= loan_gamma(price, loan.tokens, cash_strike, tenor, vol)
        nav = book.nav(price)
        book.drawdown(nav)
        values = {
            "price": price, "pnl": nav - book.capital,
            "delta_inventory": delta["inventory"], "delta_economic": delta["economic"],
            "perp": book.perp, "gamma": gamma, "sold": book.sold,
        }  # fmt: skip
        for name in SERIES:
            series[name][row] = values[name]
        buckets_sum[row] = [book.bucket[b].sum() for b in BUCKETS]
        row += 1

    record(0, delta)
    increments = np.empty((0, paths))
    for step in range(1, clock.steps + 1):
        at = (step - 1) % BLOCK
        if at == 0:
            increments = model.block(rng, min(BLOCK, clock.steps - step + 1), paths)
        move = increments[at] + flow
        sum_sq += move * move
        log_price += move + book.take_shift() + stress.jump(step)
        new_price = np.exp(log_price)
        book.accrue(clock.dt)
        book.move(price, new_price)
        price = new_price
        book.margin_test(price)
        delisted = stress.delisted(step)
        if stress.delists_at(step):
            book.liquidate(price, np.ones(paths, dtype=bool), 0.0)
        tenor = clock.years - step * clock.dt
        options.observe(step, price)
        marks = options.mark(price, tenor, vol, log_price)
        book.bucket["options"] += marks - book.options
        book.options = marks
        debt, liability_delta = liability(price, step)
        book.bucket["liability"] -= debt - book.liability
        book.liability = debt
        book.pool_step(terms.pool, price, clock.dt, lvr_scale)
        closed = stress.closed(step)
        fills = venues.trade(rng, book.inventory, book.target, book.cash, price, closed=closed)
        book.fill(fills)
        flow = fills.taker_flow
        delta = book.deltas(options, liability_delta)
        hedged = delta[terms.hedge.delta_mode]
        policy = terms.hedge.policy
        if policy == "per_fill":
            due = np.ones(paths, dtype=bool)
        elif policy == "band":
            due = np.abs(hedged) > terms.hedge.band_tokens
        else:
            first, end = clock.marks(step, hedge_period)
            due = np.full(paths, end > first)
        if delisted or stress.perp_down(step):
            due = np.zeros(paths, dtype=bool)
        if due.any():
            book.hedge_to(hedged, price, due)
        book.keep_margin(price)
        first, end = clock.marks(step, FUNDING_SECONDS)
        if end > first:  # every 8-hour mark in this step pays its interval's rate
            book.fund(price, funding[first:end].sum(axis=0))
        last = step == clock.steps
        now = options.due(step, price, last)
        if now.any():
            marks, tokens, paid = options.exercise(now, step)
            book.exercise(price, marks, tokens, paid)
        if last:
            book.mature(price, cash_strike, owed(step))
        book.watch(price, terms.desk.margin)
        if step % clock.per_day == 0 or last:
            record(step, book.deltas(options, liability_delta if not last else np.zeros(paths)))
            if progress:
                progress(step)

    realised_vol = np.sqrt(sum_sq / clock.steps / clock.dt)
    drift = (log_price - log_start) / clock.years
    metrics = book.metrics(price, venues.count, clock.steps)
    metrics.update(realised_vol=realised_vol, realised_drift=drift)
    for j in range(options.count):
        metrics[f"exercised_{j}"] = options.exercised_step[j] >= 0
        metrics[f"exercise_day_{j}"] = np.where(
            options.exercised_step[j] >= 0, options.exercised_step[j] / clock.per_day, np.nan
        )
        metrics[f"strike_{j}"] = options.strike[j].copy()
    daily = np.diff(series["pnl"].astype(np.float64), axis=0)
    spread = daily.std(axis=0)
    metrics["sharpe"] = np.where(
        spread > 0, daily.mean(axis=0) / np.where(spread > 0, spread, 1.0) * np.sqrt(365.0), 0.0
    )
    return ChunkResult(metrics, series, buckets_sum, residual)
