"""The designer's study math (marketcraft.sim.peg.study) against brute force and definitions."""

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from marketcraft.sim.peg.study import (
    depeg_episodes,
    max_drawdown,
    mean_interval,
    redemption_values,
    value_at_risk,
    wilson_interval,
)

deviations = arrays(
    float, st.tuples(st.integers(1, 40), st.integers(1, 4)),
    elements=st.floats(-0.9, 0.9, allow_nan=False),
)  # fmt: skip


@given(deviations, st.floats(0.0, 0.5))
def test_episodes_cover_every_sample_outside_and_nothing_else(dev, threshold):
    e = depeg_episodes(dev, threshold)
    outside = np.abs(dev) > threshold
    assert e.length.sum() == outside.sum()
    for run in range(dev.shape[1]):
        flags = outside[:, run]
        starts = np.flatnonzero(flags & ~np.concatenate([[False], flags[:-1]]))
        assert list(e.start[e.run == run]) == list(starts)
    for run, start, length, deepest, recover, ended in zip(
        e.run, e.start, e.length, e.deepest, e.recover, e.ended, strict=True
    ):
        part = dev[start : start + length, run]
        assert outside[start : start + length, run].all()
        assert abs(deepest) == np.abs(part).max() and deepest in part
        assert 1 <= recover <= length
        assert ended == (start + length < len(dev))
        if ended:
            assert not outside[start + length, run]


values = arrays(
    float, st.tuples(st.integers(1, 30), st.integers(1, 3)),
    elements=st.floats(0.01, 100.0, allow_nan=False),
)  # fmt: skip


@given(values)
def test_max_drawdown_is_the_worst_fall_from_a_peak(v):
    got = max_drawdown(v)
    for run in range(v.shape[1]):
        column = v[:, run]
        brute = max(
            (1 - column[j] / column[i] for i in range(len(column)) for j in range(i, len(column))),
            default=0.0,
        )
        assert math.isclose(got[run], max(brute, 0.0), abs_tol=1e-12)
    assert ((got >= 0) & (got <= 1)).all()
    assert (max_drawdown(np.sort(v, axis=0)) == 0).all()  # never falls


@given(arrays(float, st.integers(1, 200), elements=st.floats(-1, 1, allow_nan=False)))
def test_value_at_risk_is_the_loss_at_the_tail_quantile(returns):
    var95, var99 = value_at_risk(returns, 0.95), value_at_risk(returns, 0.99)
    assert var99 >= var95
    assert np.mean(returns < -var95) <= 0.05 + 1 / len(returns)
    assert math.isnan(value_at_risk(np.array([np.nan])))


@given(arrays(float, st.integers(2, 200), elements=st.floats(-1e3, 1e3, allow_nan=False)))
def test_the_mean_lies_in_its_interval_and_more_runs_narrow_it(v):
    mean, low, high = mean_interval(v)
    assert low <= mean <= high
    _, low4, high4 = mean_interval(np.tile(v, 4))  # same spread, four times the runs
    assert high4 - low4 <= (high - low) * 0.51 + 1e-9


@given(st.integers(1, 500), st.data())
def test_wilson_stays_in_bounds_and_holds_the_observed_rate(n, data):
    k = data.draw(st.integers(0, n))
    low, high = wilson_interval(k, n)
    assert 0 <= low <= k / n <= high <= 1
    assert high > low  # never empty, even at 0 or n events


@given(st.floats(1e3, 1e7), st.floats(1e3, 1e7), st.floats(0, 1e6), st.floats(0, 0.05))
def test_a_large_sale_never_redeems_better_than_a_small_one(c, u, dc, fee):
    feed = c / u
    small, large = redemption_values(*(np.array([v]) for v in (c, u, dc, feed)), fee)
    assert math.isclose(small[0], 1 - fee)  # at the feed, a small sale pays the feed less fee
    assert large[0] <= small[0] * (1 + 1e-12)
