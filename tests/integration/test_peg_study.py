"""The designer's study tool end to end: the long hourly table, the depeg episodes, the
holders' numbers with intervals, the trader policies and the feed's lag and staleness as
sweep dimensions."""

from dataclasses import replace

import numpy as np
import pyarrow.parquet as pq
import pytest

from marketcraft.kernel.errors import ValidationError
from marketcraft.sim.peg.results import write_results
from marketcraft.sim.peg.runner import parse_sweep, run_scenario
from marketcraft.sim.peg.scenario import (
    Feed,
    Market,
    Price,
    Scenario,
    Shock,
    Traders,
    Wave,
    validate,
)

CRASH = Scenario(
    days=4, runs=4, seed=31, market=Market(delay_hours=1),
    price=Price(shocks=(Shock(at_day=2, move=-0.5),)),
    traders=Traders(arbitrage_share=0.3, arbitrage_cap=0.002,
                    runs=(Wave(at_day=2, hours=12, per_hour=0.05),)),
)  # fmt: skip


def test_the_long_table_has_a_row_per_run_and_hour_and_agrees_with_the_runs(tmp_path):
    (result,) = run_scenario(CRASH, workers=1)
    write_results([result], tmp_path, CRASH)
    table = pq.read_table(tmp_path / "series.parquet").to_pandas()
    hours = CRASH.days * 24
    assert len(table) == hours * CRASH.runs
    for column in ("run", "day", "spot", "feed", "c", "u", "x", "dc", "mms", "mode", "price",
                   "redemption_small", "mms_value_peg", "col_value_peg"):  # fmt: skip
        assert column in table.columns
    last = table[table["day"] == table["day"].max()].sort_values("run")
    assert np.array_equal(last["c"].to_numpy(), result.metrics["final_connector_col"])
    assert np.allclose(last["spot"], last["c"] / last["u"])
    assert set(table["mode"]) <= {"normal", "recovery"}
    episodes = pq.read_table(tmp_path / "episodes.parquet").to_pandas()
    assert len(episodes) == len(result.episodes) > 0
    assert (episodes["hours"] >= 1).all()


def test_a_crash_depegs_and_the_study_says_by_how_much():
    (result,) = run_scenario(CRASH, workers=1)
    s = result.summary
    assert result.metrics["depeg_episodes"].sum() == len(result.episodes) > 0
    assert s["depeg_deepest"] < -0.05  # PEG trades well under its price in the crash
    assert s["redemption_small_min_p5"] < 1.0
    assert s["redemption_large_min_p5"] <= s["redemption_small_min_p5"]
    assert 0 < s["col_max_drawdown_median"] <= 1
    assert s["mms_minus_col_ci_low"] <= s["mms_minus_col_mean"] <= s["mms_minus_col_ci_high"]
    assert s["black_swan_probability_ci_low"] <= s["black_swan_probability"]
    assert s["black_swan_probability"] <= s["black_swan_probability_ci_high"]
    assert s["col_daily_var95"] > 0


def test_panic_sellers_sell_more_peg_into_a_falling_market():
    calm = run_scenario(CRASH, workers=1)[0]
    panic = run_scenario(
        replace(CRASH, traders=replace(CRASH.traders, panic_at=0.02, panic_per_hour=0.2)),
        workers=1,
    )[0]
    day = calm.series["day"]
    crash = (day > 2) & (day <= 3)  # the day after the crash: SPOT below the feed
    held = [r.series["dc"][crash].mean() for r in (calm, panic)]
    assert held[1] < held[0]
    assert not np.array_equal(calm.metrics["fees_col"], panic.metrics["fees_col"])


def test_a_late_arbitrageur_leaves_spot_further_from_the_price():
    quick = Scenario(days=2, runs=3, seed=32, price=Price(vol=1.5))
    late = replace(quick, traders=replace(quick.traders, arbitrage_latency_minutes=60))
    (a,), (b,) = run_scenario(quick, workers=1), run_scenario(late, workers=1)
    gap = [np.abs(r.series["spot_vs_price"] - 1).mean() for r in (a, b)]
    assert gap[1] > gap[0]


def test_feed_lag_and_staleness_are_sweep_dimensions():
    sweep = parse_sweep(["feed_lag=0,120", "report_minutes=60,240"])
    points = run_scenario(replace(CRASH, runs=2), sweep, workers=2)
    assert [p.params for p in points] == [
        {"feed.lag_minutes": a, "feed.report_minutes": b} for a in (0, 120) for b in (60, 240)
    ]
    feeds = [p.series["feed"] for p in points]
    assert not np.array_equal(feeds[0], feeds[2])  # the lag moves the feed
    assert not np.array_equal(feeds[0], feeds[1])  # so do rarer reports


@pytest.mark.parametrize(
    "spec", ["feed_lag=7", "report_minutes=7", "arbitrage_latency=2000", "panic_per_hour=2"]
)
def test_sweep_values_the_scenario_cannot_take_are_refused(spec):
    with pytest.raises(ValidationError):
        run_scenario(replace(CRASH, step_seconds=600, runs=1, days=1), parse_sweep([spec]))


def test_lags_must_be_whole_steps():
    with pytest.raises(ValidationError, match="whole number of steps"):
        validate(replace(CRASH, step_seconds=600, feed=Feed(lag_minutes=5)))
