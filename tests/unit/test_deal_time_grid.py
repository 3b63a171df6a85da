"""The deal's time grid: funding over a tenor is the rate x notional x time whatever the step,
periodic events fall on the steps their marks fall in, and a step that cannot be simulated is
refused rather than rounded."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from marketcraft.deal.strategy import simulate_deal_paths
from marketcraft.deal.terms import load_terms
from marketcraft.deal.time_grid import TimeGrid, parse_step, step_seconds
from marketcraft.kernel.errors import ValidationError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "deals"
ARTICLE = load_terms(EXAMPLES / "article.toml")


def still_book(days: int, **funding):
    """The article's loan held whole (no venues), the price fixed at 1.00, one hedge at the
    start (inventory delta, so perps short ~3M tokens) and never again: a constant notional."""
    t = ARTICLE
    return replace(
        t, loan=replace(t.loan, tenor_days=days), venues=(),
        market=replace(t.market, vol=0.0, drift=0.0), funding=replace(t.funding, **funding),
        hedge=replace(t.hedge, initial="economic", keep_inventory=0.0, sell_for_quotes=0.0,
                      policy="band", band_tokens=1e12, delta_mode="inventory"),
    )  # fmt: skip


#: minutes per step that divide a day, from 10 minutes to a day
STEPS = [m for m in range(10, 1441) if 1440 % m == 0]


@settings(max_examples=30)
@given(
    minutes=st.sampled_from(STEPS),
    days=st.integers(1, 30),
    rate=st.floats(-1e-3, 1e-3, allow_subnormal=False),
)
def test_funding_over_the_tenor_is_rate_x_notional_x_time_for_every_step(minutes, days, rate):
    assume(days * 1440 // minutes <= 3_000)  # keeps the budget small
    hours = parse_step(f"{minutes}m")  # what the command line accepts
    r = simulate_deal_paths(still_book(days, rate=rate), 3, seed=1, step_hours=hours)
    perp = r.series["perp"][0].astype(np.float64)
    assert np.all(r.series["perp"][:-1] == r.series["perp"][0])  # the notional stays put
    assert np.all(np.abs(perp) > 2.9e6)
    expected = -perp * 1.00 * rate * (days * 24 / 8)  # 8-hour intervals in the tenor
    assert np.allclose(r.metrics["funding"], expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("hours", [1.0, 3.0, 6.0, 12.0, 24.0])
def test_a_rate_series_is_paid_interval_by_interval_whatever_the_step(tmp_path, hours):
    (tmp_path / "r.csv").write_text("rate\n0.0001\n-0.0003\n0.0002\n0.0005\n")
    t = still_book(5, model="csv", csv="r.csv")
    r = simulate_deal_paths(t, 2, seed=1, step_hours=hours, base=tmp_path)
    rates = np.resize([1e-4, -3e-4, 2e-4, 5e-4], 5 * 3)  # 15 intervals in 5 days
    expected = -r.series["perp"][0].astype(np.float64) * rates.sum()
    assert np.allclose(r.metrics["funding"], expected, rtol=1e-9)


@pytest.mark.parametrize("text", ["5h", "7h", "25h", "0h", "7m", "0.7h", "48"])
def test_a_step_that_does_not_divide_a_day_is_refused(text):
    with pytest.raises(ValidationError, match=r"cannot be simulated: the step must divide a day"):
        parse_step(text)


def test_the_terms_step_and_tenor_are_checked(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text("[loan]\ntokens = 1_000_000\n[simulation]\nstep_hours = 7\n")
    with pytest.raises(ValidationError, match=r"simulation\.step_hours: 7h cannot be simulated"):
        load_terms(path)
    path.write_text("[loan]\ntokens = 1_000_000\ntenor_days = 10.5\n")
    with pytest.raises(ValidationError, match=r"loan\.tenor_days must be a whole number of days"):
        load_terms(path)


@given(
    seconds=st.sampled_from([s for s in range(60, 86_401, 60) if 86_400 % s == 0]),
    period_hours=st.sampled_from([0.5, 1.0, 3.0, 4.0, 5.0, 8.0, 24.0]),
    days=st.integers(1, 20),
)
def test_a_period_marks_as_many_steps_as_it_fits_in_the_tenor(seconds, period_hours, days):
    clock = TimeGrid.span(days, seconds / 3600)
    period = round(period_hours * 3600)
    marks = [clock.marks(step, period) for step in range(1, clock.steps + 1)]
    assert sum(end - first for first, end in marks) == days * 86_400 // period
    # each mark falls in the step that contains its time
    for step, (first, end) in enumerate(marks, start=1):
        for i in range(first, end):
            assert (step - 1) * seconds < (i + 1) * period <= step * seconds


def test_an_interval_hedge_follows_the_clock_not_the_rounded_step():
    t = still_book(2)
    t = replace(t, hedge=replace(t.hedge, policy="interval", interval_hours=4.0),
                venues=ARTICLE.venues, market=replace(t.market, vol=0.8))  # fmt: skip
    r = simulate_deal_paths(t, 20, seed=3, step_hours=3.0)
    # 6 marks of 4 hours a day over 2 days, plus the hedge at the start and the close at the end
    assert np.all(r.metrics["hedge_trades"] == 12 + 2)


def test_step_seconds_are_exact():
    assert step_seconds(1 / 3) == 1200 and step_seconds(24.0) == 86_400
    assert TimeGrid.span(365, 1.0).steps == 8760 and TimeGrid.span(365, 1.0).per_day == 24
