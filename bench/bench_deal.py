"""The deal desk: the full strategy on 10,000 paths x 8,760 hourly steps; greeks throughput
beside QuantLib and vollib (py_vollib's successor); a Monte Carlo call against Black-Scholes,
all in one run.

    .venv/bin/python bench/bench_deal.py [--paths 10000] [--workers 2] [--deal article]

Goals (issue 6): the strategy in <= 30 s and <= 2 GB peak memory on 2 cores; greeks >= 100x
QuantLib per option; the Monte Carlo call within 3 standard errors of Black-Scholes.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np

from marketcraft.deal.greeks import black_scholes
from marketcraft.deal.terms import Tranche, load_terms
from marketcraft.deal.valuation import mean_se, monte_carlo_calls
from marketcraft.sim.deal import analyze

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "deals"


def peak_mb() -> tuple[float, float]:
    """Peak resident memory of this process and of the largest worker, in MB."""
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return me, workers


def strategy(paths: int, workers: int, deal: str) -> None:
    terms = load_terms(EXAMPLES / f"{deal}.toml")
    start = time.perf_counter()
    found = analyze(terms, paths=paths, step_hours=1.0, workers=workers, base=EXAMPLES)
    took = time.perf_counter() - start
    me, worker = peak_mb()
    total = me + min(workers, -(-paths // 5_000)) * worker
    steps = paths * 8_760
    print(f"strategy '{deal}', {paths:,} paths x 8,760 hourly steps on {workers} processes: "
          f"{took:.1f} s ({steps / took / 1e6:.1f} M path-steps/s; goal <= 30 s: "
          f"{30 / took:.2f}x)")  # fmt: skip
    print(f"  peak memory: this process {me:,.0f} MB + {workers} workers x {worker:,.0f} MB "
          f"= at most {total:,.0f} MB (goal <= 2,048 MB: {2048 / total:.2f}x)")  # fmt: skip
    print(f"  attribution residual {found.residual:.1e} of NAV; mean PnL "
          f"{found.summary['pnl_mean']:,.0f}")  # fmt: skip


def greeks(count: int) -> None:
    rng = np.random.default_rng(1)
    spot = rng.uniform(0.5, 2.0, count)
    strike = rng.uniform(0.5, 2.0, count)
    tenor = rng.uniform(0.05, 2.0, count)
    vol = rng.uniform(0.2, 1.5, count)
    start = time.perf_counter()
    ours = black_scholes(spot, strike, tenor, vol)
    per_ours = (time.perf_counter() - start) / count

    import QuantLib as ql  # noqa: PLC0415 (optional extra)

    sample = 5_000
    today = ql.Date(1, 1, 2026)
    ql.Settings.instance().evaluationDate = today
    day_count = ql.Actual365Fixed()
    start = time.perf_counter()
    ql_delta = np.empty(sample)
    for i in range(sample):
        expiry = today + round(float(tenor[i]) * 365)
        process = ql.BlackScholesMertonProcess(
            ql.QuoteHandle(ql.SimpleQuote(spot[i])),
            ql.YieldTermStructureHandle(ql.FlatForward(today, 0.0, day_count)),
            ql.YieldTermStructureHandle(ql.FlatForward(today, 0.0, day_count)),
            ql.BlackVolTermStructureHandle(
                ql.BlackConstantVol(today, ql.NullCalendar(), vol[i], day_count)
            ),
        )
        option = ql.EuropeanOption(
            ql.PlainVanillaPayoff(ql.Option.Call, strike[i]), ql.EuropeanExercise(expiry)
        )
        option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
        option.NPV(), option.delta(), option.gamma(), option.vega(), option.theta()
        ql_delta[i] = option.delta()
    per_ql = (time.perf_counter() - start) / sample

    from vollib.black_scholes import black_scholes as vl_price  # noqa: PLC0415 (optional extra)
    from vollib.black_scholes.greeks import analytical as vl  # noqa: PLC0415 (optional extra)

    start = time.perf_counter()
    for i in range(sample):
        args = ("c", spot[i], strike[i], tenor[i], 0.0, vol[i])
        vl_price(*args), vl.delta(*args), vl.gamma(*args), vl.vega(*args), vl.theta(*args)
    per_vl = (time.perf_counter() - start) / sample
    days = np.round(tenor[:sample] * 365) / 365  # QuantLib's expiry is a whole date
    check = black_scholes(spot[:sample], strike[:sample], days, vol[:sample]).delta
    print(f"greeks (price, delta, gamma, vega, theta), per option: ours {per_ours * 1e9:,.0f} "
          f"ns on {count:,} at once; QuantLib {per_ql * 1e6:,.1f} us; vollib "
          f"{per_vl * 1e6:,.1f} us")  # fmt: skip
    print(f"  ours / QuantLib: {per_ql / per_ours:,.0f}x faster (goal >= 100x); "
          f"ours / vollib: {per_vl / per_ours:,.0f}x; largest delta gap to QuantLib "
          f"{np.max(np.abs(check - ql_delta)):.1e}")  # fmt: skip
    assert np.all(np.isfinite(ours.price))


def monte_carlo() -> None:
    calls = (Tranche(tokens=1.0, strike=1.25, style="european"),)
    start = time.perf_counter()
    payoffs = monte_carlo_calls(
        calls, start=1.0, vols=np.array([1.0]), years=1.0, step_hours=1.0, paths=20_000, seed=3
    )
    value, stderr = mean_se(payoffs.expiry[0, 0])
    took = time.perf_counter() - start
    reference = float(black_scholes(1.0, 1.25, 1.0, 1.0).price)
    gap = (value - reference) / stderr
    print(f"Monte Carlo call (S 1, K 1.25, 1 year, vol 100%, 20,000 paths, hourly): "
          f"{value:.5f} +- {stderr:.5f} against Black-Scholes {reference:.6f}: "
          f"{gap:+.2f} standard errors (goal within 3) in {took:.1f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paths", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--deal", default="article")
    args = parser.parse_args()
    greeks(1_000_000)
    monte_carlo()
    strategy(args.paths, args.workers, args.deal)


if __name__ == "__main__":
    main()
