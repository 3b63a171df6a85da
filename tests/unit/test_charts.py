"""The pages' charts: nice ticks that cover the data, time ticks on whole steps, axes that never
run below zero for non-negative series, the band shaded, a hover title per slice."""

from __future__ import annotations

import itertools
import math
import re
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from marketcraft.service.charts import Band, line_chart, nice_ticks, range_start, time_ticks

finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)
T0 = datetime(2026, 12, 1, 9, 17, tzinfo=UTC)


def _is_nice(step: float) -> bool:
    mantissa = step / 10 ** math.floor(math.log10(step))
    return any(math.isclose(mantissa, m, rel_tol=1e-6) for m in (1, 2, 2.5, 5))


@given(finite, finite, st.integers(3, 10))
def test_ticks_cover_the_range_at_a_nice_even_step_and_are_few(a, b, most):
    ticks = nice_ticks(a, b, most)
    assert 2 <= len(ticks) <= most
    assert ticks[0] <= min(a, b) + 1e-9 * max(1, abs(a), abs(b))
    assert ticks[-1] >= max(a, b) - 1e-9 * max(1, abs(a), abs(b))
    steps = [y - x for x, y in itertools.pairwise(ticks)]
    assert all(math.isclose(s, steps[0], rel_tol=1e-6, abs_tol=1e-9) for s in steps)
    assert _is_nice(steps[0])


@given(st.integers(60, 400 * 86400), st.integers(0, 86400))
def test_time_ticks_fall_inside_on_whole_steps(span, offset):
    start = T0 + timedelta(seconds=offset)
    end = start + timedelta(seconds=span)
    ticks = time_ticks(start, end)
    assert len(ticks) <= 6 and all(start <= t <= end for t in ticks)
    if len(ticks) > 1:
        step = ticks[1] - ticks[0]
        assert all(b - a == step for a, b in itertools.pairwise(ticks))
        assert all(t.timestamp() % step.total_seconds() == 0 for t in ticks)


@given(st.lists(st.floats(min_value=0, max_value=1e7, allow_nan=False), min_size=2, max_size=40))
def test_a_non_negative_series_never_gets_a_negative_axis(values):
    times = [T0 + timedelta(hours=i) for i in range(len(values))]
    svg = line_chart("PEG", times, [("PEG", values, "#000")])
    labels = re.findall(r'text-anchor="end" font-size="12" fill="#667085">([^<]+)<', svg)
    assert labels and not any(label.startswith("-") for label in labels)
    assert "e+" not in svg and "e-" not in "".join(labels)  # never scientific notation


def test_the_band_is_shaded_probabilities_read_as_percent_and_slices_carry_values():
    times = [T0 + timedelta(hours=i) for i in range(5)]
    svg = line_chart("YES price", times, [("price", [0.01, 0.02, None, 0.05, 0.04], "#c00")],
                     band=Band(0.01, 0.3, "the band"), percent=True)  # fmt: skip
    assert 'role="img" aria-label="YES price"' in svg
    assert '<polygon class="band"' in svg and "<title>the band</title>" in svg
    assert ">30%</text>" in svg and ">0%</text>" in svg
    hover = re.findall(r"<title>(2026[^<]+)</title>", svg)
    assert len(hover) == 5 and hover[-1] == "2026-12-01 13:17 UTC: price 4.00%"
    assert svg.count("<polyline") == 2  # the gap (None) breaks the line


def test_a_moving_band_follows_its_edges_and_ranges_start_where_they_say():
    times = [T0 + timedelta(hours=i) for i in range(3)]
    feed = [0.5, 0.6, 0.7]
    band = Band([f * 0.98 for f in feed], [f * 1.02 for f in feed], "peg band")
    svg = line_chart("SPOT", times, [("feed", feed, "#000")], band=band)
    (points,) = re.findall(r'<polygon class="band" points="([^"]+)"', svg)
    assert len(points.split()) == 6  # three times along the top, three back along the bottom
    assert range_start("7d", T0) == T0 - timedelta(days=7) and range_start("all", T0) is None
    assert range_start("nonsense", T0) is None


def test_too_little_data_says_so():
    assert "not enough data yet" in line_chart("x", [T0], [("x", [1.0], "#000")])
