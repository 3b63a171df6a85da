"""Peg scenarios: the shipped ones load, and a bad file gets an error that says what is wrong."""

import pytest

from marketcraft.kernel.errors import ValidationError
from marketcraft.sim.peg.runner import grid, parse_sweep
from marketcraft.sim.peg.scenario import Scenario, load_scenario, shipped_scenarios


def test_the_four_stress_scenarios_ship():
    assert set(shipped_scenarios()) >= {"gbm-crash", "slow-crash", "stale-feed", "peg-run"}
    crash = load_scenario("gbm-crash")
    assert crash.days == 365 and crash.runs == 100
    assert crash.price.shocks[0].move == -0.5
    assert load_scenario("stale-feed").feed.outages[0].hours == 72
    assert load_scenario("peg-run").traders.runs[0].per_hour == 0.05
    slow = load_scenario("slow-crash").price.shocks[0]
    assert slow.hours == 50 and slow.move == pytest.approx(0.99**50 - 1, abs=1e-3)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("days = 'long'", "days: expected a number"),
        ("runs = 2.5", "runs: expected a whole number"),
        ("colour = 3", "unknown key"),
        ("[market]\nratio = 0.5", "ratio >= 1"),
        ("[price]\nshocks = [{ move = -0.5 }]", "missing key(s) ['at_day']"),
        ("[feed]\nreport_minutes = 7", "whole number of report intervals"),
        ("[feed]\nreport_minutes = 0.5", "whole number of steps"),
        ("[market\n", "not valid TOML"),
        ("[market]\nfees_to = 'mms'", "fees_to must be connector or excess"),
    ],
)
def test_a_bad_scenario_says_what_is_wrong(tmp_path, text, reason):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValidationError) as caught:
        load_scenario(path)
    assert reason in str(caught.value)


def test_an_unknown_scenario_lists_the_shipped_ones():
    with pytest.raises(ValidationError, match="gbm-crash"):
        load_scenario("no-such-scenario")


def test_a_sweep_is_the_full_grid_of_validated_points():
    sweep = parse_sweep(["band=0.01,0.05", "delay=1,24", "fee=0.001,0.003,0.01"])
    points = grid(Scenario(), sweep)
    assert len(points) == 12
    assert points[-1][0] == {"band": 0.05, "delay_hours": 24.0, "fee": 0.01}
    assert points[-1][1].market.delay_hours == 24.0
    with pytest.raises(ValidationError, match="NAME=V1"):
        parse_sweep(["colour=1"])
    with pytest.raises(ValidationError, match="numbers"):
        parse_sweep(["band=wide"])
    with pytest.raises(ValidationError, match="ratio >= 1"):
        grid(Scenario(), parse_sweep(["ratio=0.5"]))


def test_a_scenario_says_where_fees_go(tmp_path):
    assert load_scenario("gbm-crash").market.fees_to == "connector"  # the spec's reading
    path = tmp_path / "excess.toml"
    path.write_text("[market]\nfees_to = 'excess'")
    assert load_scenario(path).market.fees_to == "excess"
