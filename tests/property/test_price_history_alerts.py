"""crossed_at: when a price last rose to a threshold, if it is at or above it now."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from marketcraft.opportunity.history import crossed_at

T0 = datetime(2026, 1, 1, tzinfo=UTC)
prices = st.lists(st.integers(1, 30).map(lambda n: Decimal(n) / 100), max_size=30)


@given(prices, st.integers(1, 30).map(lambda n: Decimal(n) / 100))
def test_the_crossing_starts_the_last_run_at_or_above_the_threshold(values, threshold):
    points = [(T0 + timedelta(hours=i), p) for i, p in enumerate(values)]
    crossed = crossed_at(points, threshold)
    if not values or values[-1] < threshold:
        assert crossed is None
        return
    assert crossed is not None
    index = next(i for i, (t, _) in enumerate(points) if t == crossed)
    assert all(p >= threshold for _, p in points[index:])
    assert index == 0 or points[index - 1][1] < threshold


def test_a_dip_and_a_second_rise_report_the_second_crossing():
    values = [Decimal(v) for v in ("0.01", "0.05", "0.01", "0.04", "0.06")]
    points = [(T0 + timedelta(hours=i), p) for i, p in enumerate(values)]
    assert crossed_at(points, Decimal("0.03")) == T0 + timedelta(hours=3)
