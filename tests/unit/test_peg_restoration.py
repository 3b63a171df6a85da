"""Time to band (issue 19, point 5): the engine's corrections never beat the front-running cap
(one fee's worth a tick), the service's default tick interval brings a +30% gap back within the
correction time, and the command prints the table."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from marketcraft.cli import app
from marketcraft.config import Settings
from marketcraft.sim.peg.restoration import DESIGN_GAP, restoration_time, tick_for, ticks_needed


@settings(max_examples=25, deadline=None)
@given(
    st.one_of(st.floats(0.03, 0.6), st.floats(-0.6, -0.03)),
    st.sampled_from([0.001, 0.003, 0.01, 0.02]),
)
def test_a_correction_takes_at_least_the_ticks_the_cap_allows_and_no_more_when_capped(gap, fee):
    # hourly ticks and a one-hour correction: every tick wants the whole gap, so the cap binds
    found = restoration_time(gap, fee, 3_600, limit_seconds=30 * 86_400)
    assert found.seconds is not None
    assert ticks_needed(gap, fee) <= found.ticks <= ticks_needed(gap, fee) + 1
    assert found.seconds == found.ticks * 3_600


@settings(max_examples=15, deadline=None)
@given(st.floats(0.03, 0.3), st.sampled_from([10, 30, 60, 600]))
def test_a_correction_is_as_fast_as_the_slower_of_its_time_and_the_cap(gap, tick):
    """Never faster than the cap allows, and never slower than the correction time or the
    cap's fewest ticks, whichever is longer (give or take a tick of rounding)."""
    found = restoration_time(gap, 0.003, tick)
    needed = ticks_needed(gap, 0.003)
    assert found.seconds is not None
    assert found.ticks >= needed
    assert found.seconds <= max(3_600, (needed + 1) * tick) + tick


def test_the_default_tick_brings_the_design_gap_back_within_the_correction_time():
    default = Settings().peg_tick_seconds
    assert default == tick_for(DESIGN_GAP, 0.003)
    for gap in (DESIGN_GAP, -DESIGN_GAP):
        found = restoration_time(gap, 0.003, int(default))
        assert found.seconds is not None and found.seconds <= 3_600
    slower = restoration_time(DESIGN_GAP, 0.003, 60)  # the old default: 1.4 h
    assert slower.seconds is not None and slower.seconds > 3_600


def test_the_command_prints_time_to_band_by_gap_fee_and_tick():
    args = ["peg", "restoration", "--gap", "0.3", "--gap", "-0.3", "--fee", "0.003",
            "--tick", "30", "--tick", "3600"]  # fmt: skip
    done = CliRunner().invoke(app, [*args, "--json"])
    assert done.exit_code == 0, done.output
    rows = json.loads(done.output)
    assert len(rows) == 4
    hourly = next(r for r in rows if r["gap"] == 0.3 and r["tick_seconds"] == 3600)
    assert hourly["seconds"] == 82 * 3_600 and hourly["fewest_ticks"] == 81  # 3.4 days
    shown = CliRunner().invoke(app, args)
    assert shown.exit_code == 0 and "3.4 d" in shown.output and "+30%" in shown.output
