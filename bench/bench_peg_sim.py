"""One simulated year of the peg market at 1-minute steps (525,600 steps), in radCAD and in
marketcraft's vectorised simulator, side by side in one run.

radCAD (the token-engineering simulator, tuned as its docs advise: deepcopy off, substeps
dropped, one process) runs the same model written the way a radCAD user writes it: one policy
computing the step in plain Python floats, one state update per variable. Both runs use run
0's price path of the scenario; the final states must be equal to the last bit (the same
arithmetic in the same order), and the bench stops if they are not.

marketcraft's simulator compiles its step with numba. The first call compiles it, or loads
it from numba's cache on disk (``cache=True``): that time is printed apart, and the timed runs
come after it.

    make bench            (installs radCAD without its numpy pin, then runs every bench)
    .venv/bin/python bench/bench_peg_sim.py [--days 365] [--runs 100] [--scenario gbm-crash]

Goals (issue 19): >= 300x radCAD's tuned speed (run-steps per second); 100 runs of one
simulated year in <= 4 s on 2 cores; one run in <= 0.1 s; peak memory <= 1 GB.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from radcad import Backend, Engine, Model, Simulation

from marketcraft.sim.paths import shock_increments
from marketcraft.sim.peg import kernel
from marketcraft.sim.peg.model import (
    DUST,
    MIN_TRADE,
    parameters,
    reporting_steps,
    simulate_peg_scenario,
    wave_shares,
)
from marketcraft.sim.peg.runner import run_scenario
from marketcraft.sim.peg.scenario import Scenario, load_scenario

UNITS = 1e6
KEYS = ("c", "u", "x", "dc", "mms", "fees")


def floor6(v: float) -> float:
    return math.floor(v * UNITS) / UNITS


def trade_amount(v: float) -> float:
    q = floor6(v)
    return q if q >= MIN_TRADE else 0.0


def ceil6(v: float) -> float:
    return math.ceil(v * UNITS) / UNITS


# -- the model as a radCAD user writes it ------------------------------------------------------


def step_policy(params, substep, history, st):  # noqa: C901 (one policy for the whole step, as radCAD users write them)
    """The whole step (report, demand, run, arbitrage, rescue, tick) on plain floats."""
    s: Scenario = params["scenario"]
    m, tr = s.market, s.traders
    t = st["timestep"] + 1
    price = params["prices"][t]
    c, u, x, dc, mms, fees = (st[k] for k in KEYS)
    recovery, since, feed, stale = st["recovery"], st["since"], st["feed"], st["stale"]
    u_min = st["u_min"]
    window = st["window"]
    max_trade = m.max_trade_fraction * (1 - 1e-9)  # a hair under the engine's exact cap
    to_connector = m.fees_to == "connector"
    trade_feed = feed
    if t % s.report_steps == 0:
        made = params["made"][t]
        window[(t // s.report_steps) % s.window_reports] = price if made else None
        valid = [p for p in window if p is not None]
        if valid:
            feed, stale = statistics.median(valid), False
        else:
            stale = True
        if made:
            trade_feed = feed

    def rates():
        if m.fee_slope == 0:
            return m.fee, m.fee
        dev = c / u / trade_feed - 1
        dear = min(m.max_fee, m.fee + m.fee_slope * abs(dev))
        return (dear if dev > 0 else m.fee), (dear if dev < 0 else m.fee)

    def keep(fee):
        nonlocal c, x, fees
        if to_connector:
            c += fee
        else:
            x += fee
        fees += fee

    def buy(col_in, rate):
        nonlocal c, u, dc, u_min
        if col_in <= 0:
            return
        fee = ceil6(rate * col_in)
        net = col_in - fee
        out = floor6(u * net / (c + net))
        c += net
        keep(fee)
        u, dc = u - out, dc + out
        u_min = min(u_min, u)

    def sell(peg_in, rate):
        nonlocal c, u, dc
        if peg_in <= 0:
            return
        out = floor6(c * peg_in / (u + peg_in))
        fee = ceil6(rate * out)
        c -= out
        keep(fee)
        u, dc = u + peg_in, dc - peg_in

    share = params["demand"][t]
    if share:
        b, _ = rates()
        buy(trade_amount(min(c * share / (1 - share) / (1 - b), max_trade * c)), b)
    share = params["runs"][t]
    if share:
        _, sl = rates()
        sell(trade_amount(min(dc * share, max_trade * u)), sl)
    b, sl = rates()
    root_cu, root_price = math.sqrt(c * u), math.sqrt(price)
    net = (math.sqrt(1 - b) * root_price * root_cu - c) * tr.arbitrage_share
    col_in = trade_amount(min(min(max(net, 0.0), tr.arbitrage_cap * c) / (1 - b), max_trade * c))
    q = (math.sqrt(1 - sl) * root_cu / root_price - u) * tr.arbitrage_share
    peg_in = trade_amount(min(max(q, 0.0), tr.arbitrage_cap * u, dc - DUST, max_trade * u))
    buy(col_in, b)
    sell(peg_in, sl)
    if recovery:
        nav = c + x - dc * trade_feed
        per_step = tr.recovery_buy_per_day * s.step_seconds / 86_400
        wanted = min(per_step * (m.ratio - 1) * c, max_trade * (c + x))
        col_in = trade_amount(wanted) if nav > 0 else 0.0
        if col_in > 0:
            fee = ceil6(m.fee * col_in)
            net = col_in - fee
            issued = floor6(net * mms / ((1 - m.recovery_discount) * nav))
            x += net
            keep(fee)
            mms += issued
    # the tick
    dt = s.step_seconds
    spot = c / u
    outside = abs(spot / feed - 1) > m.band
    since = (since if since >= 0 else t) if outside else -1
    now, before = t * dt, u
    start = since * dt + m.delay_hours * 3600
    if outside and now > start and not stale and m.fee > 0:
        deadline = start + m.correction_hours * 3600
        previous = max(now - dt, start)
        pace = 1.0 if now >= deadline else (now - previous) / (deadline - previous)
        f = m.fee
        if spot > feed:
            room = floor6(((m.ratio - 1) * c - x) / m.ratio)  # a part of a unit cannot move
            if room > 0:
                move = floor6(min((c - feed * u) * pace, f * c, room))
                c, x = c - move, x + move
            else:
                u += floor6(min((c / feed - u) * pace, f * u_min))
        elif spot < feed and not recovery and x > 0:
            spend = floor6(min((math.sqrt(feed * c * u) - c) * pace, f * c, x))
            burnt = floor6(u * spend / (c + spend))
            if burnt > 0:
                c, x, u = c + spend, x - spend, u - burnt
    u_min = min(before, u)
    if m.ratio > 1:
        level = x / ((m.ratio - 1) * c)
        if recovery and m.swan_exit_after_burn:  # the excess left after the buy-back
            gap = 0.0
            if c < feed * (1 - m.band) * u:
                gap = max(math.sqrt(feed * c * u) - c, 0.0)
            level = (x - gap) / ((m.ratio - 1) * (c + gap))
        recovery = level < m.swan_exit if recovery else level <= m.swan_enter
    return {
        "c": c, "u": u, "x": x, "dc": dc, "mms": mms, "fees": fees, "recovery": recovery,
        "since": since, "u_min": u_min, "feed": feed, "stale": stale, "window": window,
    }  # fmt: skip


def take(key):
    def update(params, substep, history, st, signal):
        return key, signal[key]

    return update


STATE_KEYS = (*KEYS, "recovery", "since", "u_min", "feed", "stale", "window")


def radcad_model(s: Scenario, prices: np.ndarray) -> tuple[Model, dict]:
    m = s.market
    feed0 = 1.0 / s.price.start
    c0 = m.deposit / m.ratio
    u0 = c0 / feed0
    window = [None] * s.window_reports
    window[0] = feed0
    state = {
        "c": c0, "u": u0, "x": m.deposit - c0, "dc": 0.0, "mms": m.deposit, "fees": 0.0,
        "recovery": False, "since": -1, "u_min": u0, "feed": feed0, "stale": False,
        "window": window,
    }  # fmt: skip
    params = {
        "scenario": [s],
        "prices": [prices.tolist()],
        "made": [reporting_steps(s).tolist()],
        "demand": [wave_shares(s, s.traders.demand).tolist()],
        "runs": [wave_shares(s, s.traders.runs).tolist()],
    }
    blocks = [{"policies": {"step": step_policy}, "variables": {k: take(k) for k in STATE_KEYS}}]
    return Model(initial_state=state, state_update_blocks=blocks, params=params), state


def path_of_run0(s: Scenario) -> np.ndarray:
    """Run 0's prices (COL per PEG), index = step, exactly as the simulator draws them: a day
    of draws at a time from run 0's generator, through the kernel's path function."""
    shocks = shock_increments(
        s.steps, s.step_seconds, [(k.at_day, k.move, k.hours) for k in s.price.shocks]
    )
    p = parameters(s, 1)
    generator = np.random.default_rng([s.seed, 0])
    day = max(1, round(86_400 / s.step_seconds))
    out = np.empty(s.steps + 1)
    out[0] = 1.0 / s.price.start
    log_price, done = math.log(s.price.start), 0
    while done < s.steps:
        size = min(day, s.steps - done)
        block = out[done + 1 : done + 1 + size]
        draws = generator.standard_normal(size)
        log_price = kernel.prices(
            log_price, draws, shocks, done, p[kernel.P_GBM_MEAN], p[kernel.P_GBM_SCALE], block
        )
        done += size
    return out


def peak_mb() -> tuple[float, float]:
    """Peak resident memory (MB) of this process and of its largest finished child."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def cached() -> bool:
    """Whether numba's on-disk cache already holds the compiled kernel."""
    return any(Path(kernel.__file__).parent.glob("__pycache__/kernel.*.nbi")) or any(
        Path(os.environ.get("NUMBA_CACHE_DIR", "/nonexistent")).rglob("kernel.*.nbi")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default="gbm-crash")
    parser.add_argument("--days", type=float, default=365.0)
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    s = replace(load_scenario(args.scenario), days=args.days, runs=args.runs)
    steps = s.steps
    print(f"{s.name}: {steps:,} one-minute steps; {os.cpu_count()} cores")

    was_cached = cached()
    started = time.perf_counter()
    simulate_peg_scenario(replace(s, days=1, runs=1))
    warm = time.perf_counter() - started
    how = "loaded from numba's cache" if was_cached else "compiled, and cached for the next run"
    print(f"kernel {how}: {warm:.2f} s (not in the times below)")

    # ours first, so that the peak memory measured is ours and not radCAD's history
    load = os.getloadavg()[0]
    cpu_before = os.times()
    started = time.perf_counter()
    run_scenario(s, workers=os.cpu_count())
    ours_many = time.perf_counter() - started
    cpu_after = os.times()
    # CPU time, the workers' and this process's: on a machine shared with other work the wall
    # time varies with their load, this much less
    cpu_many = sum(
        getattr(cpu_after, f) - getattr(cpu_before, f)
        for f in ("user", "system", "children_user", "children_system")
    )
    own_mb, child_mb = peak_mb()

    started = time.perf_counter()
    one, _, _ = simulate_peg_scenario(replace(s, runs=1))
    ours_one = time.perf_counter() - started

    prices = path_of_run0(s)
    model, _ = radcad_model(s, prices)
    simulation = Simulation(model=model, timesteps=steps, runs=1)
    simulation.engine = Engine(deepcopy=False, drop_substeps=True, backend=Backend.SINGLE_PROCESS)
    started = time.perf_counter()
    history = simulation.run()
    radcad_seconds = time.perf_counter() - started
    final = history[-1]

    for key, name in (("c", "final_connector_col"), ("u", "final_connector_peg"),
                      ("x", "final_excess_col"), ("dc", "final_circulating_peg"),
                      ("mms", "final_mms_supply"), ("fees", "fees_col")):  # fmt: skip
        theirs, mine = final[key], float(one[name][0])
        if theirs != mine:
            raise SystemExit(f"final states differ: {key} radCAD {theirs!r} ours {mine!r}")
    print("final states equal to the last bit (C, U, X, Dc, MMS, fees)")

    rate_radcad = steps / radcad_seconds
    rate_one = steps / ours_one
    rate_many = steps * s.runs / ours_many
    print(f"{'':34}{'seconds':>10}{'run-steps/s':>14}{'vs radCAD':>11}")
    rows = [
        ("radCAD tuned, 1 run", radcad_seconds, rate_radcad),
        ("marketcraft, 1 run", ours_one, rate_one),
        (f"marketcraft, {s.runs} runs, {os.cpu_count()} procs", ours_many, rate_many),
    ]
    for label, seconds, rate in rows:
        print(f"{label:34}{seconds:>10.2f}{rate:>14,.0f}{rate / rate_radcad:>10.1f}x")
    cores = os.cpu_count() or 1
    print(f"{s.runs} runs: {cpu_many:.2f} s of CPU in all, {cpu_many / cores:.2f} s a core; "
          f"load average before: {load:.2f}")  # fmt: skip
    print(f"peak memory of the {s.runs} runs: {own_mb:,.0f} MB in this process (gathering the "
          f"results), {child_mb:,.0f} MB in the largest worker")  # fmt: skip
    years = s.days / 365
    print(f"goals: >= 300x radCAD (got {rate_many / rate_radcad:,.0f}x); {s.runs} runs of "
          f"{years:g} year(s) in <= 4 s (took {ours_many:.2f} s); one run in <= 0.1 s (took "
          f"{ours_one:.3f} s); peak memory <= 1 GB")  # fmt: skip


if __name__ == "__main__":
    main()
