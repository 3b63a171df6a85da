"""The peg model's step, compiled: one run at a time, one scalar at a time.

This is the exact engine's (``marketcraft.peg``) rules in float64, the same relay trades and
fees, median feed, paced and capped corrections and modes, written as plain scalar Python that
numba compiles (``cache=True``: compiled once per machine, then loaded). Runs are independent,
so the loop runs over runs and, inside, over the steps of a block; every state lives in one row
of an array (``floats`` and ``ints``, indexed by the names below) and the metrics are gathered
in the same pass.

Roundings are the engine's: amounts traded are floored to 6 places and skipped under
``MIN_TRADE``; what the pool pays is floored, the fees it collects raised. Each expression is
evaluated in the order the benchmark's plain-float model (``bench/bench_peg_sim.py``) uses too,
and the two end a year on the same bits; the differential test replays runs through the
engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
from numba import njit

__all__ = ["advance", "prices", "tick"]

# -- the parameters (P), one float each ----------------------------------------------------------
(P_FEE, P_KEEP, P_ROOT_KEEP, P_FEE_SLOPE, P_MAX_FEE, P_BAND, P_SHARE, P_CAP, P_MAX_TRADE,
 P_FEES_TO_CONNECTOR, P_RATIO, P_DELAY, P_SPAN, P_DT, P_SWAN_ENTER, P_SWAN_EXIT, P_AFTER_BURN,
 P_KEEP_DISCOUNT, P_RESCUE_PER_STEP, P_GBM_MEAN, P_GBM_SCALE, P_REPORT_STEPS, P_WINDOW,
 P_SAMPLE_EVERY, P_REFALL_STEPS, P_LOW_BAND, P_ARB_LAG, P_FEED_LAG, P_PANIC_AT, P_PANIC_SHARE,
 P_DUST, P_MIN_TRADE, P_UNITS, P_SPEC_SHARE, P_SPEC_TRIGGER) = range(35)  # fmt: skip
P_SIZE = 35

# -- the float state of a run (a row of floats) ------------------------------------------------
(S_C, S_U, S_X, S_DC, S_MMS, S_FEES, S_U_MIN, S_FEED, S_LOG_PRICE, S_TO_EXCESS, S_MINTED,
 S_BOUGHT_BACK, S_BURNT, S_MAX_DEV, S_MIN_RESERVE, S_MIN_SOLD, S_SHORTFALL, S_SPEC_MMS,
 S_SPEC_PEG) = range(19)  # fmt: skip
S_SIZE = 19

# -- the integer state of a run (a row of ints) -------------------------------------------------
(I_SINCE, I_RECOVERY, I_STALE, I_OUTSIDE, I_RECOVERY_STEPS, I_ENTRIES, I_RECOVERED_STEPS,
 I_RECOVERIES, I_LONGEST, I_EPISODE_START, I_LAST_EXIT, I_REFALLS) = range(12)  # fmt: skip
I_SIZE = 12

#: the hourly sample of a run: (price, feed, C, U, X, Dc, MMS, fees, recovery)
(F_PRICE, F_FEED, F_C, F_U, F_X, F_DC, F_MMS, F_FEES, F_RECOVERY) = range(9)
F_SIZE = 9

_F = TypeVar("_F", bound=Callable[..., Any])


def _compiled(fn: _F) -> _F:
    """Compiled and cached on disk, without numba's reference counting (``_nrt=False``):
    nothing here allocates (the caller hands in every buffer), and counting references would
    cost two atomic operations per array argument per call."""
    return cast(_F, njit(cache=True, _nrt=False)(fn))  # type: ignore[call-overload]


def _inlined(fn: _F) -> _F:
    """A part of the step: compiled as :func:`_compiled`, and inlined where it is called."""
    return cast(_F, njit(cache=True, _nrt=False, inline="always")(fn))  # type: ignore[call-overload]


#: trace rows: (step, kind, amount); kinds
BUY_PEG, SELL_PEG, BUY_MMS, REPORT, SPECULATOR_BUYS_MMS, SPECULATOR_SELLS_MMS = 0, 1, 2, 3, 4, 5


@_inlined
def _down(a: float, units: float) -> float:
    """Floored to 6 places (what the pool pays); the division gives the float nearest the
    6-place decimal."""
    return math.floor(a * units) / units


@_inlined
def _up(a: float, units: float) -> float:
    """Raised to 6 places (what the pool collects)."""
    return math.ceil(a * units) / units


@_inlined
def _trade(a: float, p: np.ndarray) -> float:
    """An amount as the engine takes it: floored to 6 places, 0 under MIN_TRADE."""
    q = math.floor(a * p[P_UNITS]) / p[P_UNITS]
    return q if q >= p[P_MIN_TRADE] else 0.0


@_inlined
def _rates(s: np.ndarray, p: np.ndarray, feed: float) -> tuple[float, float]:
    """(fee to buy PEG, fee to sell PEG): the dynamic fee only for trades away from the feed."""
    fee = p[P_FEE]
    if p[P_FEE_SLOPE] == 0.0:
        return fee, fee
    dev = s[S_C] / s[S_U] / feed - 1.0
    dear = min(p[P_MAX_FEE], fee + p[P_FEE_SLOPE] * abs(dev))
    return (dear if dev > 0 else fee), (dear if dev < 0 else fee)


@_inlined
def _keep_fee(s: np.ndarray, p: np.ndarray, fee: float) -> None:
    if p[P_FEES_TO_CONNECTOR] != 0.0:
        s[S_C] += fee
    else:
        s[S_X] += fee
    s[S_FEES] += fee


@_inlined
def _buy_peg(s: np.ndarray, p: np.ndarray, col_in: float, rate: float) -> None:
    units = p[P_UNITS]
    fee = _up(rate * col_in, units)
    net = col_in - fee
    out = _down(s[S_U] * net / (s[S_C] + net), units)
    s[S_C] += net
    _keep_fee(s, p, fee)
    s[S_U] -= out
    s[S_DC] += out
    s[S_U_MIN] = min(s[S_U_MIN], s[S_U])


@_inlined
def _sell_peg(s: np.ndarray, p: np.ndarray, peg_in: float, rate: float) -> None:
    units = p[P_UNITS]
    out = _down(s[S_C] * peg_in / (s[S_U] + peg_in), units)
    fee = _up(rate * out, units)
    s[S_C] -= out
    _keep_fee(s, p, fee)
    s[S_U] += peg_in
    s[S_DC] -= peg_in


@_inlined
def _arbitrage(s: np.ndarray, p: np.ndarray, root_price: float, feed: float) -> tuple[float, float]:
    """Trade until the marginal price net of the fee meets the outside price P (COL per PEG):
    buying, ``(C + net)^2 = (1 - f) P C U``; selling, ``(U + q)^2 = (1 - f) C U / P``. It can
    sell only circulating PEG (ten units of dust stay out: the engine's exact balances can sit
    a unit or two below the floats', and the speculators' PEG is theirs). Returns (COL spent,
    PEG sold)."""
    buy_rate, sell_rate = _rates(s, p, feed)
    fixed = p[P_FEE_SLOPE] == 0.0
    c, u = s[S_C], s[S_U]
    root_cu = math.sqrt(c * u)
    keep_b = p[P_KEEP] if fixed else 1.0 - buy_rate
    root_b = p[P_ROOT_KEEP] if fixed else math.sqrt(keep_b)
    root_s = p[P_ROOT_KEEP] if fixed else math.sqrt(1.0 - sell_rate)
    net = ((root_b * root_price) * root_cu - c) * p[P_SHARE]
    net = min(max(net, 0.0), p[P_CAP] * c) / keep_b
    col_in = _trade(min(net, p[P_MAX_TRADE] * c), p)
    q = ((root_s * root_cu) / root_price - u) * p[P_SHARE]
    q = min(max(q, 0.0), p[P_CAP] * u)
    q = min(q, s[S_DC] - s[S_SPEC_PEG] - p[P_DUST], p[P_MAX_TRADE] * u)
    peg_in = _trade(q, p)
    if col_in > 0:
        _buy_peg(s, p, col_in, buy_rate)
    if peg_in > 0:
        _sell_peg(s, p, peg_in, sell_rate)
    return col_in, peg_in


@_inlined
def _rescue(s: np.ndarray, p: np.ndarray, feed: float) -> float:
    """A recovery purchase: COL to excess, MMS at a discount to net value; the COL put in."""
    c, x = s[S_C], s[S_X]
    nav = c + x - s[S_DC] * feed
    if nav <= 0:
        return 0.0
    wanted = min(p[P_RESCUE_PER_STEP] * (p[P_RATIO] - 1) * c, p[P_MAX_TRADE] * (c + x))
    col_in = _trade(wanted, p)
    if col_in <= 0:
        return 0.0
    units = p[P_UNITS]
    fee = _up(p[P_FEE] * col_in, units)
    net = col_in - fee
    issued = _down(net * s[S_MMS] / (p[P_KEEP_DISCOUNT] * nav), units)
    s[S_X] += net
    _keep_fee(s, p, fee)
    s[S_MMS] += issued
    return col_in


@_inlined
def _speculate(s: np.ndarray, p: np.ndarray, price: float, feed: float) -> tuple[int, float]:
    """MMS speculators (normal mode only): MMS is a leveraged long on COL, so they buy it
    while COL trades more than the trigger above the feed's median (PEG per COL) and sell all
    they hold while it trades that far below. A purchase puts in ``P_SPEC_SHARE`` of the pool's
    COL and receives MMS and newly minted PEG as the engine's ``buy_mms``; a sale hands that
    PEG back (they sell only as many MMS as the PEG they hold retires, ten units of dust aside).
    Returns (what they did: 0, SPECULATOR_BUYS_MMS or SPECULATOR_SELLS_MMS, the amount)."""
    units, trigger = p[P_UNITS], p[P_SPEC_TRIGGER]
    c, u, x, dc, supply = s[S_C], s[S_U], s[S_X], s[S_DC], s[S_MMS]
    total = c + x
    if feed / price - 1.0 > trigger:
        col_in = _trade(min(p[P_SPEC_SHARE] * total, p[P_MAX_TRADE] * total), p)
        if col_in <= 0:
            return 0, 0.0
        fee = _up(p[P_FEE] * col_in, units)
        net = col_in - fee
        to_connector = _down(net * c / total, units)
        peg_connector = _down(net * u / total, units)
        mms = _down(net * supply / total, units)
        if mms <= 0:
            return 0, 0.0
        peg_buyer = max(_down(net * dc / total, units), _up(dc * mms / supply, units))
        s[S_C] = c + to_connector
        s[S_X] = x + (net - to_connector)
        _keep_fee(s, p, fee)
        s[S_U] = u + peg_connector
        s[S_DC] = dc + peg_buyer
        s[S_MMS] = supply + mms
        s[S_SPEC_MMS] += mms
        s[S_SPEC_PEG] += peg_buyer
        return SPECULATOR_BUYS_MMS, col_in
    if price / feed - 1.0 > trigger and s[S_SPEC_MMS] > 0:
        held = s[S_SPEC_MMS] - p[P_DUST]
        if dc > 0:
            held = min(held, (s[S_SPEC_PEG] - p[P_DUST]) * supply / dc)
        m = _down(held, units)
        if m < p[P_MIN_TRADE]:
            return 0, 0.0
        peg_in = _up(dc * m / supply, units)
        from_connector = _down(c * m / supply, units)
        from_excess = _down(x * m / supply, units)
        burnt = _down(u * m / supply, units)
        fee = _up(p[P_FEE] * (from_connector + from_excess), units)
        if p[P_FEES_TO_CONNECTOR] != 0.0:
            in_connector = min(fee, from_connector)
            in_excess = fee - in_connector
        else:
            in_excess = min(fee, from_excess)
            in_connector = fee - in_excess
        s[S_C] = c - (from_connector - in_connector)
        s[S_X] = x - (from_excess - in_excess)
        s[S_U] = u - burnt
        s[S_DC] = dc - peg_in
        s[S_MMS] = supply - m
        s[S_FEES] += fee
        s[S_SPEC_MMS] -= m
        s[S_SPEC_PEG] -= peg_in
        return SPECULATOR_SELLS_MMS, m
    return 0, 0.0


@_inlined
def _correct(
    s: np.ndarray, p: np.ndarray, now: float, start: float, feed: float, recovery: bool
) -> None:
    """The three branches of ``marketcraft.peg.correction.plan_correction``, paced to reach the
    feed by the deadline, capped at one fee's worth per tick and floored to 6 places."""
    units, f, ratio = p[P_UNITS], p[P_FEE], p[P_RATIO]
    deadline = start + p[P_SPAN]
    previous = max(now - p[P_DT], start)
    pace = 1.0 if now >= deadline else (now - previous) / (deadline - previous)
    c, u, x = s[S_C], s[S_U], s[S_X]
    spot = c / u
    if spot > feed:
        # in whole minor units, as the engine: a shortfall below one unit cannot move, so it
        # counts as none and the mint branch runs (else corrections stop for good)
        room = _down(((ratio - 1) * c - x) / ratio, units)
        if room > 0:
            move = _down(min((c - feed * u) * pace, f * c, room), units)
            s[S_C] = c - move
            s[S_X] = x + move
            s[S_TO_EXCESS] += move
        else:
            minted = _down(min((c / feed - u) * pace, f * s[S_U_MIN]), units)
            s[S_U] = u + minted
            s[S_MINTED] += minted
    elif spot < feed and not recovery and x > 0:
        spend = _down(min((math.sqrt(feed * c * u) - c) * pace, f * c, x), units)
        burnt = _down(u * spend / (c + spend), units)
        if burnt > 0:
            s[S_C] = c + spend
            s[S_X] = x - spend
            s[S_U] = u - burnt
            s[S_BOUGHT_BACK] += spend
            s[S_BURNT] += burnt


@_inlined
def tick(s: np.ndarray, i: np.ndarray, p: np.ndarray, t: int, feed: float) -> bool:
    """One tick of one run at step ``t`` (``s``, ``i``: its state rows): band, correction
    (not while the feed is stale), mode. Whether SPOT was outside the band."""
    c, u = s[S_C], s[S_U]
    spot = c / u
    outside = abs(spot / feed - 1.0) > p[P_BAND]
    if not outside:
        i[I_SINCE] = -1
    elif i[I_SINCE] < 0:
        i[I_SINCE] = t
    dt = p[P_DT]
    now = t * dt
    start = i[I_SINCE] * dt + p[P_DELAY]
    before = u
    if outside and now > start and i[I_STALE] == 0 and p[P_FEE] > 0:
        _correct(s, p, now, start, feed, i[I_RECOVERY] != 0)
        s[S_U_MIN] = min(before, s[S_U])  # as the engine: U at the tick, then any lower
    else:
        s[S_U_MIN] = s[S_U]
    ratio = p[P_RATIO]
    if ratio > 1:
        c, u, x = s[S_C], s[S_U], s[S_X]
        level = x / ((ratio - 1) * c)
        if i[I_RECOVERY] != 0:
            exit_level = level
            if p[P_AFTER_BURN] != 0.0:
                # the excess ratio once the PEG that takes SPOT to the feed is bought back and
                # burnt (marketcraft.peg.modes.buy_back_gap)
                gap = 0.0
                if c < feed * p[P_LOW_BAND] * u:
                    gap = max(math.sqrt(feed * c * u) - c, 0.0)
                exit_level = (x - gap) / ((ratio - 1) * (c + gap))
            i[I_RECOVERY] = 1 if exit_level < p[P_SWAN_EXIT] else 0
        else:
            i[I_RECOVERY] = 1 if level <= p[P_SWAN_ENTER] else 0
    return bool(outside)


@_inlined
def _median(values: np.ndarray, valid: np.ndarray, scratch: np.ndarray) -> float:
    """The median of ``values`` where ``valid`` (at least one), as NumPy's: the middle one, or
    the mean of the two middle ones."""
    n = 0
    for k in range(len(values)):
        if valid[k]:
            # insertion sort: a window holds a few dozen reports
            v = values[k]
            m = n
            while m > 0 and scratch[m - 1] > v:
                scratch[m] = scratch[m - 1]
                m -= 1
            scratch[m] = v
            n += 1
    if n % 2 == 1:
        return float(scratch[n // 2])
    return float((scratch[n // 2 - 1] + scratch[n // 2]) / 2.0)


@_inlined
def _report(
    r: int,
    t: int,
    price: float,
    made: bool,
    s: np.ndarray,
    i: np.ndarray,
    p: np.ndarray,
    window: np.ndarray,
    valid: np.ndarray,
    scratch: np.ndarray,
) -> None:
    """Slot time ``t``: the report (if one is made) into the ring; the feed is the median of
    the slots that hold one; stale when none does (the last feed stays)."""
    size = window.shape[1]
    slot = (t // int(p[P_REPORT_STEPS])) % size
    window[r, slot] = price if made else np.nan
    valid[r, slot] = made
    if valid[r].any():
        s[S_FEED] = _median(window[r], valid[r], scratch)
        i[I_STALE] = 0
    else:
        i[I_STALE] = 1


@_inlined
def _bin(dev: float, edges: np.ndarray) -> int:
    """The histogram bin of ``dev`` over log10 edges ``-inf, E0, E0 + w, ...`` (as
    ``np.histogram``: ``edges[k] <= log10(dev) < edges[k + 1]``, the last bin closed); the
    edges are evenly spaced after the first, so the bin is computed, then checked against
    them. Above the last edge (or NaN): the extra bin ``len(edges) - 1``."""
    last = len(edges) - 1
    if not dev > 0:
        return 0 if dev == 0 else last
    lg = math.log10(dev)
    if not lg <= edges[last]:
        return last
    if lg < edges[1]:
        return 0
    k = min(int((lg - edges[1]) / (edges[2] - edges[1])) + 1, last - 1)
    while k > 1 and lg < edges[k]:
        k -= 1
    while k < last - 1 and lg >= edges[k + 1]:
        k += 1
    return k


@_inlined
def _record(
    r: int,
    t: int,
    s: np.ndarray,
    i: np.ndarray,
    p: np.ndarray,
    price: float,
    outside: bool,
    was_recovering: int,
    edges: np.ndarray,
    hist: np.ndarray,
    flips: np.ndarray,
    counts: np.ndarray,
) -> None:
    """The step's metrics: deviation histogram, extremes, time outside the band, reserve
    ratios, shortfall and recovery episodes (every mode flip)."""
    c, u, x, dc, feed = s[S_C], s[S_U], s[S_X], s[S_DC], s[S_FEED]
    dev = abs(c / u / feed - 1.0)
    hist[_bin(dev, edges)] += 1
    s[S_MAX_DEV] = max(s[S_MAX_DEV], dev)
    if outside:
        i[I_OUTSIDE] += 1
    held = c + x
    s[S_MIN_RESERVE] = min(s[S_MIN_RESERVE], held / ((u + dc) * feed))
    if dc > 0:
        s[S_MIN_SOLD] = min(s[S_MIN_SOLD], held / (dc * feed))
    s[S_SHORTFALL] = max(s[S_SHORTFALL], dc * price - held)
    recovering = i[I_RECOVERY]
    i[I_RECOVERY_STEPS] += recovering
    if recovering != was_recovering:
        n = counts[0]
        flips[n, 0], flips[n, 1], flips[n, 2] = r, t, recovering
        counts[0] = n + 1
        if recovering:
            i[I_ENTRIES] += 1
            i[I_EPISODE_START] = t
            if i[I_LAST_EXIT] >= 0 and t - i[I_LAST_EXIT] <= int(p[P_REFALL_STEPS]):
                i[I_REFALLS] += 1
        else:
            i[I_LAST_EXIT] = t
            length = t - i[I_EPISODE_START]
            i[I_RECOVERED_STEPS] += length
            i[I_RECOVERIES] += 1
            i[I_LONGEST] = max(i[I_LONGEST], length)


@_inlined
def _note(trace: np.ndarray, counts: np.ndarray, t: int, kind: int, amount: float) -> None:
    n = counts[1]
    trace[n, 0], trace[n, 1], trace[n, 2] = t, kind, amount
    counts[1] = n + 1


@_compiled
def prices(
    log0: float,
    normals: np.ndarray,
    shocks: np.ndarray,
    t0: int,
    mean: float,
    scale: float,
    out: np.ndarray,
) -> float:
    """The collateral's path over steps ``t0 + 1 ..``: GBM increments ``mean + scale * z``
    plus the scheduled shocks, summed from ``log0``; into ``out`` as COL per PEG (one over the
    collateral's price). Returns the last log price."""
    path = 0.0
    for j in range(len(normals)):
        path += (mean + scale * normals[j]) + shocks[t0 + j + 1]
        out[j] = 1.0 / math.exp(log0 + path)
    return log0 + path


@_compiled
def advance(
    t0: int,
    normals: np.ndarray,
    p: np.ndarray,
    floats: np.ndarray,
    ints: np.ndarray,
    lagged: np.ndarray,
    window: np.ndarray,
    valid: np.ndarray,
    shocks: np.ndarray,
    made: np.ndarray,
    demand: np.ndarray,
    runs: np.ndarray,
    edges: np.ndarray,
    hist: np.ndarray,
    samples: np.ndarray,
    flips: np.ndarray,
    trace: np.ndarray,
    counts: np.ndarray,
    trace_run: int,
    paths: np.ndarray,
    scratch: np.ndarray,
) -> None:
    """Steps ``t0 + 1 .. t0 + size`` for every run (``normals``: (runs, size), the price
        path's draws). ``counts``: (flips so far, trace rows so far); ``paths`` (runs, size) and
    ``scratch`` (window size): room to work in.

        The loop runs over steps, and over runs inside: one run's step is a chain of divisions
        and square roots, each waiting on the one before, while the runs' chains are independent,
        so the processor overlaps several runs' steps (about three times faster than run by run).
    """
    runs_count, size = normals.shape
    lag_size = lagged.shape[1]
    every, sample_every = int(p[P_REPORT_STEPS]), int(p[P_SAMPLE_EVERY])
    for r in range(runs_count):
        floats[r, S_LOG_PRICE] = prices(
            floats[r, S_LOG_PRICE], normals[r], shocks, t0, p[P_GBM_MEAN], p[P_GBM_SCALE], paths[r]
        )
    # the modulo of every step's counters, kept as countdowns
    first = (t0 % lag_size, every - t0 % every, sample_every - t0 % sample_every)
    for r in range(runs_count):
        s, i, path, traced = floats[r], ints[r], paths[r], r == trace_run
        slot, to_report, to_sample = first
        for j in range(size):
            t = t0 + j + 1
            slot = slot + 1 if slot + 1 < lag_size else 0  # t % lag_size
            to_report -= 1
            reporting = to_report == 0
            if reporting:
                to_report = every
            to_sample -= 1
            sample = -1
            if to_sample == 0:
                to_sample = sample_every
                sample = t // sample_every - 1
            _step(
                r,
                t,
                path[j],
                slot,
                reporting,
                sample,
                p,
                s,
                i,
                lagged,
                window,
                valid,
                scratch,
                made,
                demand,
                runs,
                edges,
                hist,
                samples,
                flips,
                trace,
                counts,
                traced,
            )


@_inlined
def _step(
    r: int,
    t: int,
    price: float,
    slot: int,
    reporting: bool,
    sample: int,
    p: np.ndarray,
    s: np.ndarray,
    i: np.ndarray,
    lagged: np.ndarray,
    window: np.ndarray,
    valid: np.ndarray,
    scratch: np.ndarray,
    made: np.ndarray,
    demand: np.ndarray,
    runs: np.ndarray,
    edges: np.ndarray,
    hist: np.ndarray,
    samples: np.ndarray,
    flips: np.ndarray,
    trace: np.ndarray,
    counts: np.ndarray,
    traced: bool,
) -> None:
    """One step of run ``r`` at outside price ``price`` (COL per PEG): the feed reports on
    its schedule; holders buy PEG (demand); a run sells PEG, and panic sellers while SPOT is
    well below the feed; the arbitrageur trades towards the outside price it sees; MMS
    speculators buy or sell MMS; recovery buyers buy MMS; then the tick, and the step's
    metrics."""
    lag_size = lagged.shape[1]
    lagged[r, slot] = price
    trade_feed = s[S_FEED]
    if reporting:
        lag = int(p[P_FEED_LAG])
        seen = lagged[r, slot - lag if slot >= lag else slot - lag + lag_size]
        _report(r, t, seen, made[t], s, i, p, window, valid, scratch)
        if made[t]:
            trade_feed = s[S_FEED]
            if traced:
                _note(trace, counts, t, REPORT, seen)
    if demand[t]:
        share = demand[t]
        buy_rate, _ = _rates(s, p, trade_feed)
        net = s[S_C] * share / (1.0 - share)
        col_in = _trade(min(net / (1.0 - buy_rate), p[P_MAX_TRADE] * s[S_C]), p)
        if col_in > 0:
            _buy_peg(s, p, col_in, buy_rate)
            if traced:
                _note(trace, counts, t, BUY_PEG, col_in)
    share = runs[t]
    if p[P_PANIC_SHARE] > 0 and s[S_C] / s[S_U] < trade_feed * (1.0 - p[P_PANIC_AT]):
        share += p[P_PANIC_SHARE]
    if share:
        peg_in = _trade(min((s[S_DC] - s[S_SPEC_PEG]) * share, p[P_MAX_TRADE] * s[S_U]), p)
        if peg_in > 0:
            _, sell_rate = _rates(s, p, trade_feed)
            _sell_peg(s, p, peg_in, sell_rate)
            if traced:
                _note(trace, counts, t, SELL_PEG, peg_in)
    lag = int(p[P_ARB_LAG])
    seen = lagged[r, slot - lag if slot >= lag else slot - lag + lag_size]
    col_in, peg_in = _arbitrage(s, p, math.sqrt(seen), trade_feed)
    if traced:
        if col_in > 0:
            _note(trace, counts, t, BUY_PEG, col_in)
        if peg_in > 0:
            _note(trace, counts, t, SELL_PEG, peg_in)
    was_recovering = i[I_RECOVERY]
    if p[P_SPEC_SHARE] > 0 and not was_recovering:
        kind, amount = _speculate(s, p, price, trade_feed)
        if traced and kind:
            _note(trace, counts, t, kind, amount)
    if was_recovering:
        col_in = _rescue(s, p, trade_feed)
        if traced and col_in > 0:
            _note(trace, counts, t, BUY_MMS, col_in)
    outside = tick(s, i, p, t, s[S_FEED])
    _record(r, t, s, i, p, price, outside, was_recovering, edges, hist, flips, counts)
    if sample >= 0:
        row = samples[sample, r]
        row[F_PRICE], row[F_FEED], row[F_C], row[F_U] = price, s[S_FEED], s[S_C], s[S_U]
        row[F_X], row[F_DC], row[F_MMS] = s[S_X], s[S_DC], s[S_MMS]
        row[F_FEES], row[F_RECOVERY] = s[S_FEES], i[I_RECOVERY]
