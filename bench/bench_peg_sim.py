"""One simulated year of the peg market at 1-minute steps (525,600 steps), in radCAD and in
marketcraft's vectorised simulator, side by side in one run.

radCAD (the token-engineering simulator, tuned as its docs advise: deepcopy off, substeps
dropped, one process) runs the same model written the way a radCAD user writes it: one policy
computing the step in plain Python floats, one state update per variable. Both runs use run
0's price path of the scenario; the final states must agree (they are the same arithmetic),
and the bench stops if they do not.

    make bench            (installs radCAD without its numpy pin, then runs every bench)
    .venv/bin/python bench/bench_peg_sim.py [--days 365] [--runs 100] [--scenario gbm-crash]

Goals (issue 5): >= 20x radCAD's tuned speed (run-steps per second), and 100 runs of one
simulated year in <= 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from dataclasses import replace

import numpy as np
from radcad import Backend, Engine, Model, Simulation

from marketcraft.sim.paths import GbmBlocks, shock_increments
from marketcraft.sim.peg.model import (
    DUST,
    MIN_TRADE,
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

    def buy(col_in, rate):
        nonlocal c, u, x, dc, fees, u_min
        if col_in <= 0:
            return
        fee = ceil6(rate * col_in)
        net = col_in - fee
        out = floor6(u * net / (c + net))
        c, x, fees, u, dc = c + net, x + fee, fees + fee, u - out, dc + out
        u_min = min(u_min, u)

    def sell(peg_in, rate):
        nonlocal c, u, x, dc, fees
        if peg_in <= 0:
            return
        out = floor6(c * peg_in / (u + peg_in))
        fee = ceil6(rate * out)
        c, x, fees, u, dc = c - out, x + fee, fees + fee, u + peg_in, dc - peg_in

    share = params["demand"][t]
    if share:
        b, _ = rates()
        buy(trade_amount(c * share / (1 - share) / (1 - b)), b)
    share = params["runs"][t]
    if share:
        _, sl = rates()
        sell(trade_amount(dc * share), sl)
    b, sl = rates()
    cu = c * u
    net = (math.sqrt((1 - b) * price * cu) - c) * tr.arbitrage_share
    col_in = trade_amount(min(max(net, 0.0), tr.arbitrage_cap * c) / (1 - b))
    q = (math.sqrt((1 - sl) * cu / price) - u) * tr.arbitrage_share
    peg_in = trade_amount(min(max(q, 0.0), tr.arbitrage_cap * u, dc - DUST))
    buy(col_in, b)
    sell(peg_in, sl)
    if recovery:
        nav = c + x - dc * trade_feed
        per_step = tr.recovery_buy_per_day * s.step_seconds / 86_400
        col_in = trade_amount(per_step * (m.ratio - 1) * c) if nav > 0 else 0.0
        if col_in > 0:
            fee = ceil6(m.fee * col_in)
            mms += floor6((col_in - fee) * mms / ((1 - m.recovery_discount) * nav))
            x, fees = x + col_in, fees + fee
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
            room = ((m.ratio - 1) * c - x) / m.ratio
            if room > 0:
                move = floor6(min((c - feed * u) * pace, f * c, room))
                c, x = c - move, x + move
            else:
                u += floor6(min((c / feed - u) * pace, f * u_min))
        elif spot < feed and not recovery and x > 0:
            spend = floor6(max(min((math.sqrt(feed * c * u) - c) * pace, f * c, x), 0.0))
            burnt = floor6(u * spend / (c + spend))
            if burnt > 0:
                c, x, u = c + spend, x - spend, u - burnt
    u_min = min(before, u)
    if m.ratio > 1:
        level = x / ((m.ratio - 1) * c)
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
    """Run 0's prices (COL per PEG), index = step, exactly as the simulator draws them."""
    shocks = shock_increments(
        s.steps, s.step_seconds, [(k.at_day, k.move, k.hours) for k in s.price.shocks]
    )
    blocks = GbmBlocks(
        s.seed, [0], start=s.price.start, vol=s.price.vol, drift=s.price.drift,
        step_seconds=s.step_seconds, shocks=shocks,
    )  # fmt: skip
    day = max(1, round(86_400 / s.step_seconds))
    parts = [np.array([1.0 / s.price.start])]
    done = 0
    while done < s.steps:
        size = min(day, s.steps - done)
        parts.append(1.0 / blocks.block(size)[0])
        done += size
    return np.concatenate(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default="gbm-crash")
    parser.add_argument("--days", type=float, default=365.0)
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    s = replace(load_scenario(args.scenario), days=args.days, runs=args.runs)
    steps = s.steps
    print(f"{s.name}: {steps:,} one-minute steps; {os.cpu_count()} cores")

    prices = path_of_run0(s)
    model, _ = radcad_model(s, prices)
    simulation = Simulation(model=model, timesteps=steps, runs=1)
    simulation.engine = Engine(deepcopy=False, drop_substeps=True, backend=Backend.SINGLE_PROCESS)
    started = time.perf_counter()
    history = simulation.run()
    radcad_seconds = time.perf_counter() - started
    final = history[-1]

    started = time.perf_counter()
    one, _, _ = simulate_peg_scenario(replace(s, runs=1))
    ours_one = time.perf_counter() - started

    for key, name in (("c", "final_connector_col"), ("u", "final_connector_peg"),
                      ("x", "final_excess_col"), ("dc", "final_circulating_peg"),
                      ("mms", "final_mms_supply")):  # fmt: skip
        theirs, mine = final[key], float(one[name][0])
        if abs(theirs - mine) > max(1e-9 * abs(mine), 1e-5):
            raise SystemExit(f"final states differ: {key} radCAD {theirs!r} ours {mine!r}")
    print("final states agree (C, U, X, Dc, MMS within 1e-9)")

    started = time.perf_counter()
    run_scenario(s, workers=os.cpu_count())
    ours_many = time.perf_counter() - started

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
        print(f"{label:34}{seconds:>10.1f}{rate:>14,.0f}{rate / rate_radcad:>10.1f}x")
    years = s.days / 365
    print(f"goal: >= 20x radCAD; {s.runs} runs of {years:g} year(s) in <= 60 s "
          f"(took {ours_many:.1f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
