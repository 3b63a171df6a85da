"""The vectorised simulator against the exact engine: run 0 of a simulation, replayed report
by report and trade by trade through PegMarket with a tick every step, must sit on the
simulator's state at every hourly checkpoint (float64 against 40-digit Decimal): within one
part in a billion, or ten minor units for balances near zero."""

import numpy as np
import pytest

from marketcraft.sim.peg.model import simulate_peg_scenario
from marketcraft.sim.peg.replay import replay
from marketcraft.sim.peg.scenario import Feed, Market, Outage, Price, Scenario, Shock, Traders, Wave

CRASH = (Shock(at_day=1.5, move=-0.5),)

CASES = {
    "crash, corrections in every branch": Scenario(
        days=3, runs=2, seed=11, market=Market(delay_hours=1), price=Price(shocks=CRASH)
    ),
    "fees kept as excess (markets stored before fees_to)": Scenario(
        days=3, runs=2, seed=15, market=Market(delay_hours=1, fees_to="excess"),
        price=Price(shocks=CRASH),
    ),
    "dynamic fee and a feed outage": Scenario(
        days=3, runs=2, seed=12,
        market=Market(delay_hours=2, fee_slope=0.5, feed_window_hours=6),
        price=Price(vol=1.2),
        feed=Feed(report_minutes=30, outages=(Outage(at_day=1, hours=12),)),
    ),
    "black swan and recovery": Scenario(
        days=4, runs=2, seed=13,
        market=Market(ratio=1.05, delay_hours=1, swan_exit=0.3),
        price=Price(shocks=(Shock(at_day=1, move=-0.6, hours=6), Shock(at_day=2.5, move=1.0))),
        traders=Traders(recovery_buy_per_day=2.0),
    ),
    "a 95% crash and a run: recovery ends after the buy-back": Scenario(
        days=4, runs=2, seed=16, market=Market(ratio=2, delay_hours=1),
        price=Price(shocks=(Shock(at_day=1, move=-0.95),)),
        traders=Traders(
            arbitrage_share=0.0, arbitrage_cap=0.0,
            runs=(Wave(at_day=1, hours=12, per_hour=0.05),), recovery_buy_per_day=3.0,
        ),
    ),
    "a slow feed, a late arbitrageur and panic sellers": Scenario(
        days=3, runs=2, seed=17, market=Market(delay_hours=1),
        price=Price(shocks=(Shock(at_day=1.5, move=0.3),)),
        feed=Feed(lag_minutes=30),
        traders=Traders(arbitrage_latency_minutes=15, panic_at=0.01, panic_per_hour=0.05),
    ),
    "MMS speculators buying and selling through a boom and a crash": Scenario(
        days=4, runs=2, seed=18, market=Market(delay_hours=1),
        price=Price(shocks=(Shock(at_day=1, move=0.4, hours=6), Shock(at_day=2.5, move=-0.5))),
        traders=Traders(speculator_per_hour=0.01, speculator_trigger=0.03),
    ),
    "a run on PEG with thin arbitrage": Scenario(
        days=3, runs=2, seed=14, market=Market(delay_hours=1),
        traders=Traders(
            arbitrage_share=0.2, arbitrage_cap=0.001,
            runs=(Wave(at_day=1.5, hours=12, per_hour=0.05),),
        ),
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_the_simulator_follows_the_engine(name):
    scenario = CASES[name]
    metrics, _, trace = simulate_peg_scenario(scenario, trace=True)
    engine = replay(scenario, trace)
    assert len(engine) == len(trace.states) > 60
    for (step, simulated), (engine_step, exact) in zip(trace.states, engine, strict=True):
        assert step == engine_step
        assert simulated["recovery"] == exact["recovery"], step
        for key, value in exact.items():
            assert abs(simulated[key] - value) <= max(1e-9 * abs(value), 1e-5), (step, key)
    # each case exercises what it is named for
    moved = sum(metrics[f"corrected_{k}"][0] for k in ("to_excess", "minted", "bought_back"))
    assert moved > 0
    if "swan" in name:
        assert metrics["black_swans"][0] >= 1 and metrics["recovery_hours"][0] > 0
        assert metrics["final_mms_supply"][0] > scenario.market.deposit  # discounted buys
    if "buy-back" in name:  # into recovery and out once, not straight back in
        assert metrics["mode_flips"][0] == 2 and metrics["refalls_48h"][0] == 0
    if "speculators" in name:  # they bought, then sold
        kinds = {kind for _, kind, _ in trace.trades}
        assert {"speculator_buys_mms", "speculator_sells_mms"} <= kinds
    if "outage" in name:
        assert np.isfinite(metrics["max_deviation"][0])


def test_sampled_runs_end_where_the_engine_ends():
    """Runs drawn from a many-run simulation: each, simulated alone with its trace, is the same
    run to the last bit, and the engine replaying it ends on its final state."""
    s = Scenario(days=2, runs=8, seed=21, market=Market(delay_hours=1),
                 price=Price(shocks=(Shock(at_day=1, move=-0.4),)))  # fmt: skip
    everything, _, _ = simulate_peg_scenario(s)
    for run in (2, 7):
        alone, _, trace = simulate_peg_scenario(s, [run], trace=True)
        for key in ("final_connector_col", "final_connector_peg", "final_excess_col",
                    "final_circulating_peg", "final_mms_supply"):  # fmt: skip
            assert alone[key][0] == everything[key][run], (run, key)
        step, exact = replay(s, trace)[-1]
        assert step == s.steps
        finals = {
            "connector_col": alone["final_connector_col"][0],
            "connector_peg": alone["final_connector_peg"][0],
            "excess_col": alone["final_excess_col"][0],
            "circulating_peg": alone["final_circulating_peg"][0],
            "mms_supply": alone["final_mms_supply"][0],
        }
        for key, value in finals.items():
            assert abs(value - exact[key]) <= max(1e-9 * abs(exact[key]), 1e-5), (run, key)
        assert trace.trades  # the run traded
