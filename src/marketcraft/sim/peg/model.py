"""The vectorised peg model: every array holds one value per run; the loop runs over time.

It is the exact engine's (``marketcraft.peg``) rules in float64: the same relay trades and
fees, the same median feed, the same paced and capped corrections, the same modes. Traders
are simple and fixed by the scenario, in this order within each step:

1. the feed reports the outside price on its schedule (unless an outage says otherwise);
2. demand: holders buy PEG to keep (the scenario's demand waves);
3. a run: holders sell a share of the circulating PEG into the relay;
4. arbitrage: one arbitrageur trades the relay towards the outside price when the gap pays
   more than the fee (it can sell only PEG that circulates), closing ``arbitrage_share`` of the
   gap, at most ``arbitrage_cap`` of C per step;
5. in recovery, buyers put COL into discounted MMS while the pool has positive net value;
6. the tick: feed, band, correction, mode.

Trade amounts are floored to 6 decimals, trades under 0.01 are skipped and no trade brings
more than the market's ``max_trade_fraction`` of its reserve, as the engine would refuse them
(a trader wanting more gets that much this step); ``trace`` records them so the engine can
replay a run (the differential test). Modes switch as the engine's do, leaving recovery after
the buy-back when ``swan_exit_after_burn`` is on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from marketcraft.sim.paths import GbmBlocks, shock_increments
from marketcraft.sim.peg.metrics import Collector
from marketcraft.sim.peg.scenario import Scenario

__all__ = ["DUST", "MIN_TRADE", "Trace", "reporting_steps", "simulate_peg_scenario", "wave_shares"]

MIN_TRADE = 0.01
DUST = 1e-5
_UNITS = 1e6


class _Constants:
    """The scalars of the hot loop as arrays of the runs' length: NumPy multiplies two arrays
    faster than an array by a Python float, and the loop runs half a million times."""

    def __init__(self, runs: int, s: Scenario) -> None:
        m, t = s.market, s.traders

        def full(value: float) -> np.ndarray:
            return np.full(runs, value)

        self.units, self.min_trade = full(_UNITS), full(MIN_TRADE)
        self.zero, self.one, self.dust = full(0.0), full(1.0), full(DUST)
        self.fee, self.keep, self.root_keep = full(m.fee), full(1 - m.fee), full((1 - m.fee) ** 0.5)
        self.share, self.cap = full(t.arbitrage_share), full(t.arbitrage_cap)
        self.band = full(m.band)
        #: what one trade may put into the pool, as a share of its reserve: a hair under the
        #: term, so a float cap never passes the engine's exact one
        self.max_trade = full(m.max_trade_fraction * (1 - 1e-9))
        #: fees stay in the connector (the spec) or go to excess, as the market's fees_to says
        self.fees_to_connector = m.fees_to == "connector"

    def trade(self, a: np.ndarray) -> np.ndarray:
        """Amounts as the engine takes them: floored to 6 places, zero when under MIN_TRADE."""
        q: np.ndarray = np.floor(a * self.units)
        q /= self.units  # division: the float nearest the 6-place decimal
        q *= q >= self.min_trade
        return q

    def down(self, a: np.ndarray) -> np.ndarray:
        """What the pool pays, floored to 6 places as the engine does."""
        q: np.ndarray = np.floor(a * self.units)
        q /= self.units  # division: the float nearest the 6-place decimal
        return q

    def up(self, a: np.ndarray) -> np.ndarray:
        """What the pool collects (fees), raised to 6 places as the engine does."""
        q: np.ndarray = np.ceil(a * self.units)
        q /= self.units  # division: the float nearest the 6-place decimal
        return q


@dataclass
class Trace:
    """What run 0 of a chunk did, step by step, for replay through the engine."""

    reports: list[tuple[int, float]] = field(default_factory=list)  # (step, price)
    trades: list[tuple[int, str, float]] = field(default_factory=list)  # (step, kind, amount)
    states: list[tuple[int, dict[str, float]]] = field(default_factory=list)


@dataclass
class Pool:
    c: np.ndarray
    u: np.ndarray
    x: np.ndarray
    dc: np.ndarray
    mms: np.ndarray
    fees: np.ndarray
    recovery: np.ndarray
    since: np.ndarray  # step when SPOT went outside the band; -1 inside
    u_min: np.ndarray
    stale: bool = False
    volumes: dict[str, np.ndarray] = field(default_factory=dict)

    def state(self, i: int) -> dict[str, float]:
        return {
            "connector_col": float(self.c[i]),
            "connector_peg": float(self.u[i]),
            "excess_col": float(self.x[i]),
            "circulating_peg": float(self.dc[i]),
            "mms_supply": float(self.mms[i]),
            "recovery": float(self.recovery[i]),
        }


class _Model:
    def __init__(self, s: Scenario, runs: int, feed0: np.ndarray) -> None:
        m = s.market
        self.s, self.m = s, m
        self.dt = float(s.step_seconds)
        self.delay = m.delay_hours * 3_600
        self.span = m.correction_hours * 3_600
        self.k = _Constants(runs, s)
        c = np.full(runs, m.deposit / m.ratio)
        u = c / feed0
        zeros = np.zeros(runs)
        self.pool = Pool(
            c=c, u=u, x=np.full(runs, m.deposit) - c, dc=zeros.copy(),
            mms=np.full(runs, m.deposit), fees=zeros.copy(),
            recovery=np.zeros(runs, dtype=bool), since=np.full(runs, -1, dtype=np.int64),
            u_min=u.copy(),
            volumes={k: zeros.copy() for k in ("to_excess", "minted", "bought_back", "burnt")},
        )  # fmt: skip

    # -- fees and relay trades ---------------------------------------------------------------

    def rates(self, feed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(fee to buy PEG, fee to sell PEG) now: the dynamic fee only for trades away from
        the feed."""
        m, p = self.m, self.pool
        if m.fee_slope == 0:
            return self.k.fee, self.k.fee
        dev = p.c / p.u / feed - 1.0
        dear = np.minimum(m.max_fee, m.fee + m.fee_slope * np.abs(dev))
        return np.where(dev > 0, dear, m.fee), np.where(dev < 0, dear, m.fee)

    def keep_fee(self, fee: np.ndarray) -> None:
        p = self.pool
        if self.k.fees_to_connector:
            p.c += fee
        else:
            p.x += fee
        p.fees += fee

    def buy_peg(self, col_in: np.ndarray, rate: np.ndarray) -> None:
        p, k = self.pool, self.k
        fee = k.up(rate * col_in)
        net = col_in - fee
        out = k.down(p.u * net / (p.c + net))
        p.c += net
        self.keep_fee(fee)
        p.u -= out
        p.dc += out
        np.minimum(p.u_min, p.u, out=p.u_min)

    def sell_peg(self, peg_in: np.ndarray, rate: np.ndarray) -> None:
        p, k = self.pool, self.k
        out = k.down(p.c * peg_in / (p.u + peg_in))
        fee = k.up(rate * out)
        p.c -= out
        self.keep_fee(fee)
        p.u += peg_in
        p.dc -= peg_in

    # -- traders -----------------------------------------------------------------------------

    def demand(self, share: float, feed: np.ndarray, trace: Trace | None, t: int) -> None:
        p = self.pool
        buy_rate, _ = self.rates(feed)
        net = p.c * share / (1.0 - share)
        col_in = self.k.trade(np.minimum(net / (1.0 - buy_rate), self.k.max_trade * p.c))
        self.buy_peg(col_in, buy_rate)
        if trace is not None and col_in[0] > 0:
            trace.trades.append((t, "buy_peg", float(col_in[0])))

    def run(self, share: float, feed: np.ndarray, trace: Trace | None, t: int) -> None:
        p = self.pool
        peg_in = self.k.trade(np.minimum(p.dc * share, self.k.max_trade * p.u))
        _, sell_rate = self.rates(feed)
        self.sell_peg(peg_in, sell_rate)
        if trace is not None and peg_in[0] > 0:
            trace.trades.append((t, "sell_peg", float(peg_in[0])))

    def arbitrage(
        self,
        price: np.ndarray,
        root_price: np.ndarray,
        feed: np.ndarray,
        trace: Trace | None,
        t: int,
    ) -> None:
        """Trade until the marginal price net of the fee meets the outside price ``price``
        (COL per PEG): buying, ``(C + net)^2 = (1 - f) P C U``; selling,
        ``(U + q)^2 = (1 - f) C U / P`` (one square root of C U serves both)."""
        p, k = self.pool, self.k
        buy_rate, sell_rate = self.rates(feed)
        fixed = buy_rate is k.fee
        root_cu = np.sqrt(p.c * p.u)
        keep_b = k.keep if fixed else 1.0 - buy_rate
        root_b = k.root_keep if fixed else np.sqrt(keep_b)
        root_s = k.root_keep if fixed else np.sqrt(1.0 - sell_rate)
        net = root_b * root_price
        net *= root_cu
        net -= p.c
        net *= k.share
        np.maximum(net, k.zero, out=net)
        np.minimum(net, k.cap * p.c, out=net)
        net /= keep_b
        col_in = k.trade(np.minimum(net, k.max_trade * p.c))
        q = root_s * root_cu
        q /= root_price
        q -= p.u
        q *= k.share
        np.maximum(q, k.zero, out=q)
        # it can only sell circulating PEG; ten units of dust stay out, as the engine's exact
        # balances can sit a unit or two below the floats' after many roundings
        np.minimum(q, k.cap * p.u, out=q)
        np.minimum(q, p.dc - k.dust, out=q)
        np.minimum(q, k.max_trade * p.u, out=q)
        peg_in = k.trade(q)
        if np.count_nonzero(col_in):
            self.buy_peg(col_in, buy_rate)
        if np.count_nonzero(peg_in):
            self.sell_peg(peg_in, sell_rate)
        if trace is not None:
            if col_in[0] > 0:
                trace.trades.append((t, "buy_peg", float(col_in[0])))
            if peg_in[0] > 0:
                trace.trades.append((t, "sell_peg", float(peg_in[0])))

    def rescue(self, feed: np.ndarray, trace: Trace | None, t: int) -> None:
        """Recovery purchases: all COL to excess, MMS at a discount to net value per MMS."""
        p, m = self.pool, self.m
        nav = p.c + p.x - p.dc * feed
        per_step = self.s.traders.recovery_buy_per_day * self.dt / 86_400
        k = self.k
        wanted = np.minimum(per_step * (m.ratio - 1) * p.c, k.max_trade * (p.c + p.x))
        col_in = k.trade(np.where(p.recovery & (nav > 0), wanted, 0.0))
        if not np.count_nonzero(col_in):
            return
        fee = k.up(m.fee * col_in)
        net = col_in - fee
        issued = np.where(col_in > 0, k.down(net * p.mms / ((1 - m.recovery_discount) * nav)), 0.0)
        p.x += net
        self.keep_fee(fee)
        p.mms += issued
        if trace is not None and col_in[0] > 0:
            trace.trades.append((t, "buy_mms", float(col_in[0])))

    # -- the tick ----------------------------------------------------------------------------

    def tick(self, t: int, feed: np.ndarray) -> np.ndarray:
        """One tick at step ``t``; returns the 'outside the band' flags."""
        p, m = self.pool, self.m
        spot = p.c / p.u
        gap = spot / feed
        gap -= self.k.one
        outside: np.ndarray = np.abs(gap) > self.k.band
        p.since[~outside] = -1
        p.since[outside & (p.since < 0)] = t
        now = t * self.dt
        start = p.since * self.dt + self.delay
        due = outside & (now > start)
        if np.count_nonzero(due) and not p.stale and m.fee > 0:
            before = p.u.copy()
            self.correct(due, now, start, spot, feed)
            p.u_min = np.minimum(before, p.u)  # as the engine: U at the tick, then any lower
        else:
            p.u_min = p.u.copy()
        if m.ratio > 1:
            level = p.x / ((m.ratio - 1) * p.c)
            if np.count_nonzero(p.recovery):
                exit_level = self.level_after_buy_back(feed) if m.swan_exit_after_burn else level
                p.recovery = np.where(p.recovery, exit_level < m.swan_exit, level <= m.swan_enter)
            else:
                p.recovery = level <= m.swan_enter
        return outside

    def level_after_buy_back(self, feed: np.ndarray) -> np.ndarray:
        """The excess ratio once the PEG that takes SPOT to the feed is bought back and burnt
        (``marketcraft.peg.modes.buy_back_gap``): a = sqrt(F C U) - C while SPOT is below the
        band, else 0; the ratio is (X - a) / ((r - 1) (C + a))."""
        p, m = self.pool, self.m
        below = p.c < feed * (1.0 - m.band) * p.u
        gap = np.where(below, np.maximum(np.sqrt(feed * p.c * p.u) - p.c, 0.0), 0.0)
        level: np.ndarray = (p.x - gap) / ((m.ratio - 1) * (p.c + gap))
        return level

    def correct(
        self, due: np.ndarray, now: float, start: np.ndarray, spot: np.ndarray, feed: np.ndarray
    ) -> None:
        """The three branches of ``marketcraft.peg.correction.plan_correction``, capped at one
        fee's worth per tick and floored to 6 places."""
        p, m, k = self.pool, self.m, self.k
        f = k.fee
        deadline = start + self.span
        previous = np.maximum((now - self.dt), start)
        with np.errstate(divide="ignore", invalid="ignore"):
            pace = np.where(now >= deadline, 1.0, (now - previous) / (deadline - previous))
        v = p.volumes
        above = due & (spot > feed)
        if np.count_nonzero(above):
            # in whole minor units, as the engine: a shortfall below one unit cannot move, so
            # it counts as none and the mint branch runs (else corrections stop for good)
            room = k.down(((m.ratio - 1) * p.c - p.x) / m.ratio)
            to_excess = above & (room > 0)
            if np.count_nonzero(to_excess):
                move = np.minimum((p.c - feed * p.u) * pace, f * p.c)
                move = k.down(np.minimum(move, room)) * to_excess
                p.c -= move
                p.x += move
                v["to_excess"] += move
            mint = above & ~to_excess
            if np.count_nonzero(mint):
                minted = k.down(np.minimum((p.c / feed - p.u) * pace, f * p.u_min)) * mint
                p.u += minted
                v["minted"] += minted
        below = due & (spot < feed) & ~p.recovery & (p.x > 0)
        if np.count_nonzero(below):
            spend = np.minimum((np.sqrt(feed * p.c * p.u) - p.c) * pace, f * p.c)
            spend = k.down(np.minimum(spend, p.x)) * below
            burnt = k.down(p.u * spend / (p.c + spend))
            spend *= burnt > 0
            p.c += spend
            p.x -= spend
            p.u -= burnt
            v["bought_back"] += spend
            v["burnt"] += burnt


def simulate_peg_scenario(
    s: Scenario,
    run_ids: Sequence[int] | None = None,
    *,
    progress: Callable[[int], None] | None = None,
    trace: bool = False,
    series_every: int | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], Trace | None]:
    """Run ``s`` for the runs ``run_ids`` (default all); returns per-run metrics, hourly
    series (``series_every`` steps, default one hour) and, with ``trace``, run 0's trace.
    ``progress(steps_done)`` is called about once a simulated day."""
    ids = list(range(s.runs)) if run_ids is None else list(run_ids)
    steps, every = s.steps, s.report_steps
    shocks = shock_increments(
        steps, s.step_seconds, [(k.at_day, k.move, k.hours) for k in s.price.shocks]
    )
    paths = GbmBlocks(
        s.seed, ids, start=s.price.start, vol=s.price.vol, drift=s.price.drift,
        step_seconds=s.step_seconds, shocks=shocks,
    )  # fmt: skip
    price0 = np.full(len(ids), 1.0 / s.price.start)  # COL per PEG
    model = _Model(s, len(ids), price0)
    pool = model.pool
    sample = series_every or max(1, round(3_600 / s.step_seconds))
    collector = Collector(s, len(ids), sample)
    the_trace = Trace() if trace else None
    window = _FeedWindow(s, price0)
    demand = wave_shares(s, s.traders.demand)
    runs = wave_shares(s, s.traders.runs)
    block = max(1, round(86_400 / s.step_seconds))
    t = 0
    while t < steps:
        size = min(block, steps - t)
        prices = np.ascontiguousarray((1.0 / paths.block(size)).T)  # (step, run), COL per PEG
        roots = np.sqrt(prices)
        for j in range(size):
            t += 1
            price = prices[j]
            trade_feed = window.feed
            if t % every == 0 and window.report(t, price):
                trade_feed = window.feed
                if the_trace is not None:
                    the_trace.reports.append((t, float(price[0])))
            pool.stale = window.stale
            if demand[t]:
                model.demand(demand[t], trade_feed, the_trace, t)
            if runs[t]:
                model.run(runs[t], trade_feed, the_trace, t)
            model.arbitrage(price, roots[j], trade_feed, the_trace, t)
            if np.count_nonzero(pool.recovery):
                model.rescue(trade_feed, the_trace, t)
            outside = model.tick(t, window.feed)
            collector.record(t, pool, price, window.feed, outside)
            if the_trace is not None and t % sample == 0:
                the_trace.states.append((t, pool.state(0)))
        if progress is not None:
            progress(t)
    return collector.finish(pool, price), collector.series(), the_trace


class _FeedWindow:
    """The median feed over the last ``window_reports`` report slots (a ring; a slot with no
    report, in an outage, is empty); stale when every slot is empty."""

    def __init__(self, s: Scenario, price0: np.ndarray) -> None:
        self.every, self.size = s.report_steps, s.window_reports
        self.prices = np.full((len(price0), self.size), np.nan)
        self.prices[:, 0] = price0  # the opening report
        self.valid = np.zeros(self.size, dtype=bool)
        self.valid[0] = True
        self.made = reporting_steps(s)
        self.feed, self.stale = price0, False

    def report(self, t: int, price: np.ndarray) -> bool:
        """Slot time ``t``: take the report if one is made; whether one was."""
        slot = (t // self.every) % self.size
        made = bool(self.made[t])
        self.prices[:, slot] = price if made else np.nan
        self.valid[slot] = made
        if self.valid.all():
            self.feed, self.stale = np.median(self.prices, axis=1), False
        elif self.valid.any():
            self.feed, self.stale = np.median(self.prices[:, self.valid], axis=1), False
        else:
            self.stale = True  # the last feed stays
        return made


def reporting_steps(s: Scenario) -> np.ndarray:
    """Per step: whether the feed reports (report times outside every outage)."""
    made = np.zeros(s.steps + 1, dtype=bool)
    made[:: s.report_steps] = True
    for outage in s.feed.outages:
        first = round(outage.at_day * 86_400 / s.step_seconds)
        last = first + round(outage.hours * 3_600 / s.step_seconds)
        made[first:last] = False
    return made


def wave_shares(s: Scenario, waves: Sequence[object]) -> np.ndarray:
    """Per step: the share a wave trades that step (hourly share spread over the steps)."""
    out = np.zeros(s.steps + 1)
    per_step = s.step_seconds / 3_600
    for wave in waves:
        first = max(1, round(wave.at_day * 86_400 / s.step_seconds))  # type: ignore[attr-defined]
        last = first + round(wave.hours * 3_600 / s.step_seconds)  # type: ignore[attr-defined]
        out[first:last] += wave.per_hour * per_step  # type: ignore[attr-defined]
    return np.minimum(out, 0.5)
