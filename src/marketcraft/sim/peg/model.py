"""The peg model: every run of a scenario, stepped by the compiled kernel
(:mod:`marketcraft.sim.peg.kernel`), which holds the rules.

It is the exact engine's (``marketcraft.peg``) rules in float64: the same relay trades and
fees, the same median feed, the same paced and capped corrections, the same modes. Traders
are simple and set by the scenario, in this order within each step:

1. the feed reports the outside price (of ``feed.lag_minutes`` ago) on its schedule, unless an
   outage says otherwise;
2. demand: holders buy PEG to keep (the scenario's demand waves);
3. a run: holders sell a share of the circulating PEG into the relay; panic sellers join while
   SPOT is more than ``panic_at`` below the feed;
4. arbitrage: one arbitrageur trades the relay towards the outside price it sees
   (``arbitrage_latency_minutes`` late) when the gap pays more than the fee (it can sell only
   PEG that circulates), closing ``arbitrage_share`` of the gap, at most ``arbitrage_cap`` of C
   per step;
5. MMS speculators, in normal mode: they buy MMS while COL trades well above the feed and
   sell what they hold while it trades well below;
6. in recovery, buyers put COL into discounted MMS while the pool has positive net value;
7. the tick: feed, band, correction, mode.

Trade amounts are floored to 6 decimals, trades under 0.01 are skipped and no trade brings
more than the market's ``max_trade_fraction`` of its reserve, as the engine would refuse them
(a trader wanting more gets that much this step); ``trace`` records them so the engine can
replay a run (the differential test). Modes switch as the engine's do, leaving recovery after
the buy-back when ``swan_exit_after_burn`` is on.

The price paths are drawn a day at a time, each run from its own generator seeded from
``(seed, run index)``, so a run's path is the same whichever chunk or worker draws it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from marketcraft.sim.paths import SECONDS_PER_YEAR, shock_increments
from marketcraft.sim.peg import kernel as k
from marketcraft.sim.peg.metrics import BINS, REFALL_HOURS, finish, hourly_series
from marketcraft.sim.peg.scenario import Scenario

__all__ = [
    "DUST",
    "MIN_TRADE",
    "Trace",
    "parameters",
    "reporting_steps",
    "simulate_peg_scenario",
    "wave_shares",
]

MIN_TRADE = 0.01
DUST = 1e-5
_UNITS = 1e6
_KINDS = {
    k.BUY_PEG: "buy_peg",
    k.SELL_PEG: "sell_peg",
    k.BUY_MMS: "buy_mms",
    k.SPECULATOR_BUYS_MMS: "speculator_buys_mms",
    k.SPECULATOR_SELLS_MMS: "speculator_sells_mms",
}


@dataclass
class Trace:
    """What one run did, step by step, for replay through the engine."""

    reports: list[tuple[int, float]] = field(default_factory=list)  # (step, price)
    trades: list[tuple[int, str, float]] = field(default_factory=list)  # (step, kind, amount)
    states: list[tuple[int, dict[str, float]]] = field(default_factory=list)


def parameters(s: Scenario, sample_every: int) -> np.ndarray:
    """The kernel's parameter vector for ``s``."""
    m, t = s.market, s.traders
    dt = float(s.step_seconds)
    p = np.zeros(k.P_SIZE)
    p[k.P_FEE], p[k.P_KEEP], p[k.P_ROOT_KEEP] = m.fee, 1 - m.fee, (1 - m.fee) ** 0.5
    p[k.P_FEE_SLOPE], p[k.P_MAX_FEE], p[k.P_BAND] = m.fee_slope, m.max_fee, m.band
    p[k.P_SHARE], p[k.P_CAP] = t.arbitrage_share, t.arbitrage_cap
    #: a hair under the term, so a float cap never passes the engine's exact one
    p[k.P_MAX_TRADE] = m.max_trade_fraction * (1 - 1e-9)
    p[k.P_FEES_TO_CONNECTOR] = m.fees_to == "connector"
    p[k.P_RATIO], p[k.P_DELAY], p[k.P_SPAN] = (
        m.ratio,
        m.delay_hours * 3_600,
        m.correction_hours * 3_600,
    )
    p[k.P_DT], p[k.P_SWAN_ENTER], p[k.P_SWAN_EXIT] = dt, m.swan_enter, m.swan_exit
    p[k.P_AFTER_BURN], p[k.P_KEEP_DISCOUNT] = m.swan_exit_after_burn, 1 - m.recovery_discount
    p[k.P_RESCUE_PER_STEP] = t.recovery_buy_per_day * dt / 86_400
    step_years = s.step_seconds / SECONDS_PER_YEAR
    p[k.P_GBM_MEAN] = (s.price.drift - 0.5 * s.price.vol * s.price.vol) * step_years
    p[k.P_GBM_SCALE] = s.price.vol * np.sqrt(step_years)
    p[k.P_REPORT_STEPS], p[k.P_WINDOW], p[k.P_SAMPLE_EVERY] = (
        s.report_steps,
        s.window_reports,
        sample_every,
    )
    p[k.P_REFALL_STEPS] = round(REFALL_HOURS * 3_600 / s.step_seconds)
    p[k.P_LOW_BAND] = 1.0 - m.band
    p[k.P_ARB_LAG], p[k.P_FEED_LAG] = s.arbitrage_lag_steps, s.feed_lag_steps
    p[k.P_PANIC_AT], p[k.P_PANIC_SHARE] = t.panic_at, t.panic_per_hour * dt / 3_600
    p[k.P_DUST], p[k.P_MIN_TRADE], p[k.P_UNITS] = DUST, MIN_TRADE, _UNITS
    p[k.P_SPEC_SHARE] = t.speculator_per_hour * dt / 3_600
    p[k.P_SPEC_TRIGGER] = t.speculator_trigger
    return p


def _opening(s: Scenario, runs: int) -> tuple[np.ndarray, np.ndarray]:
    """The float and integer state rows of ``runs`` new markets."""
    m = s.market
    feed0 = 1.0 / s.price.start  # COL per PEG
    c = m.deposit / m.ratio
    u = c / feed0
    floats = np.zeros((runs, k.S_SIZE))
    floats[:, k.S_C], floats[:, k.S_U], floats[:, k.S_X] = c, u, m.deposit - c
    floats[:, k.S_MMS], floats[:, k.S_U_MIN], floats[:, k.S_FEED] = m.deposit, u, feed0
    floats[:, k.S_LOG_PRICE] = np.log(s.price.start)
    floats[:, k.S_MIN_RESERVE] = floats[:, k.S_MIN_SOLD] = np.inf
    ints = np.zeros((runs, k.I_SIZE), dtype=np.int64)
    ints[:, k.I_SINCE] = ints[:, k.I_EPISODE_START] = ints[:, k.I_LAST_EXIT] = -1
    return floats, ints


def simulate_peg_scenario(
    s: Scenario,
    run_ids: Sequence[int] | None = None,
    *,
    progress: Callable[[int], None] | None = None,
    trace: bool = False,
    series_every: int | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], Trace | None]:
    """Run ``s`` for the runs ``run_ids`` (default all); returns per-run metrics, hourly
    series (``series_every`` steps, default one hour) and, with ``trace``, the first run's
    trace. ``progress(steps_done)`` is called about once a simulated day."""
    ids = list(range(s.runs)) if run_ids is None else list(run_ids)
    runs, steps = len(ids), s.steps
    sample = series_every or max(1, round(3_600 / s.step_seconds))
    p = parameters(s, sample)
    floats, ints = _opening(s, runs)
    feed0 = 1.0 / s.price.start
    lagged = np.full((runs, max(s.feed_lag_steps, s.arbitrage_lag_steps) + 1), feed0)
    window = np.full((runs, s.window_reports), np.nan)
    window[:, 0] = feed0  # the opening report
    valid = np.zeros((runs, s.window_reports), dtype=bool)
    valid[:, 0] = True
    shocks = shock_increments(
        steps, s.step_seconds, [(h.at_day, h.move, h.hours) for h in s.price.shocks]
    )
    made, demand, waves = (
        reporting_steps(s),
        wave_shares(s, s.traders.demand),
        wave_shares(s, s.traders.runs),
    )
    hist = np.zeros(len(BINS), dtype=np.int64)  # the last: above the range, not counted
    samples = np.zeros((steps // sample, runs, k.F_SIZE))
    block = max(1, round(86_400 / s.step_seconds))
    flips = np.zeros((block * runs, 3), dtype=np.int64)
    trace_rows = np.zeros((6 * block if trace else 1, 3))
    counts = np.zeros(2, dtype=np.int64)
    generators = [np.random.default_rng([s.seed, int(i)]) for i in ids]
    normals, paths, scratch = (
        np.empty((runs, block)),
        np.empty((runs, block)),
        np.empty(s.window_reports),
    )
    flip_rows, the_trace = [], Trace() if trace else None
    t = 0
    while t < steps:
        size = min(block, steps - t)
        if size < block:  # the last, short block: contiguous buffers of its size
            normals, paths = np.empty((runs, size)), np.empty((runs, size))
        for row, g in enumerate(generators):
            g.standard_normal(out=normals[row])
        counts[:] = 0
        k.advance(
            t, normals, p, floats, ints, lagged, window, valid, shocks, made, demand, waves,
            BINS, hist, samples, flips, trace_rows, counts, 0 if trace else -1, paths, scratch,
        )  # fmt: skip
        flip_rows.append(flips[: counts[0]].copy())
        if the_trace is not None:
            _take_trace(the_trace, trace_rows[: counts[1]])
        t += size
        if progress is not None:
            progress(t)
    table = np.concatenate(flip_rows) if flip_rows else np.zeros((0, 3), dtype=np.int64)
    table = table[np.lexsort((table[:, 1], table[:, 0]))]  # by run, then time
    series = hourly_series(s, samples, sample)
    series["deviation_histogram"] = hist[:-1]
    series["mode_flips"] = (
        np.column_stack([table[:, 0], table[:, 1] * (s.step_seconds / 86_400), table[:, 2]])
        .astype(float)
        .reshape(-1, 3)
    )
    if the_trace is not None:
        the_trace.states = [
            (int((n + 1) * sample), _state(samples[n, 0])) for n in range(len(samples))
        ]
    return finish(s, floats, ints), series, the_trace


def _take_trace(trace: Trace, rows: np.ndarray) -> None:
    for step, kind, amount in rows:
        if kind == k.REPORT:
            trace.reports.append((int(step), float(amount)))
        else:
            trace.trades.append((int(step), _KINDS[int(kind)], float(amount)))


def _state(row: np.ndarray) -> dict[str, float]:
    return {
        "connector_col": float(row[k.F_C]),
        "connector_peg": float(row[k.F_U]),
        "excess_col": float(row[k.F_X]),
        "circulating_peg": float(row[k.F_DC]),
        "mms_supply": float(row[k.F_MMS]),
        "recovery": float(row[k.F_RECOVERY]),
    }


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
