"""The desk's market impact: each single trade's temporary cost (the square-root law) and
permanent move (linear) against a direct 80-digit evaluation of the formulas in the module's
docstring, zero for no trade, growing with size, a round trip of permanent impact cancelling;
and the issue's two trades, the opening sale and the buy-back, priced as they are now."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mpmath import mp, mpf, sqrt

from marketcraft.deal.book import trade_cost
from marketcraft.deal.impact import MAX_PEAK, ImpactModel, daily_volume, derived_volume
from marketcraft.deal.terms import load_terms

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "deals"


def exact(q_tokens, price, volume, vol, y, gamma):
    """The laws written out from their statement, at 80 digits (q and V in stablecoin,
    sigma_d = vol / sqrt(365)): the peak Y sigma_d sqrt(q / V) and a cost of 2/3 of it on the
    notional; a permanent move of gamma sigma_d q / V with the trade's sign."""
    mp.dps = 80
    notional = abs(mpf(q_tokens)) * mpf(price)
    sigma = mpf(vol) / sqrt(365)
    peak = mpf(y) * sigma * sqrt(notional / mpf(volume))
    sign = 1 if q_tokens > 0 else -1 if q_tokens < 0 else 0
    return notional * peak * 2 / 3, sign * mpf(gamma) * sigma * notional / mpf(volume), peak


@settings(max_examples=300, deadline=None)
@given(
    tokens=st.one_of(st.just(0.0), st.floats(1e-6, 1e9), st.floats(-1e9, -1e-6)),
    price=st.floats(1e-6, 1e6),
    volume=st.floats(1e3, 1e12),
    vol=st.floats(0.01, 5.0),
    y=st.floats(0.01, 5.0),
    permanent=st.floats(0.0, 5.0),
)
def test_a_single_trade_costs_what_the_law_says_to_float_precision(
    tokens, price, volume, vol, y, permanent
):
    model = ImpactModel.at(vol, volume, y, permanent)
    cost, shift = model.trade(np.array([tokens]), np.array([price]))
    want_cost, want_shift, peak = exact(tokens, price, volume, vol, y, permanent)
    if peak > MAX_PEAK:  # capped: the peak is at most MAX_PEAK, the cost 2/3 of it
        want_cost *= MAX_PEAK / peak
    if abs(want_shift) > MAX_PEAK:  # and so is the permanent move
        want_shift = MAX_PEAK if want_shift > 0 else -MAX_PEAK
    assert float(cost[0]) == pytest.approx(float(want_cost), rel=1e-12, abs=1e-300)
    assert float(shift[0]) == pytest.approx(float(want_shift), rel=1e-12, abs=1e-300)


@settings(max_examples=200, deadline=None)
@given(
    sizes=st.lists(st.floats(0, 1e9), min_size=2, max_size=8),
    price=st.floats(1e-3, 1e3),
    permanent=st.floats(0.0, 1.0),
)
def test_cost_is_zero_for_no_trade_and_grows_with_size_on_either_side(sizes, price, permanent):
    model = ImpactModel.at(1.0, 2e6, 1.0, permanent)
    q = np.sort(np.array(sizes))
    for side in (1.0, -1.0):
        cost, shift = model.trade(side * q, np.full_like(q, price))
        assert np.all(cost >= 0) and np.all(np.diff(cost) >= 0)
        assert np.all(side * shift >= 0) and np.all(np.diff(side * shift) >= 0)
        assert np.all(cost[q == 0] == 0) and np.all(shift[q == 0] == 0)
    bigger = model.trade(np.array([1e5, 2e5]), np.array([1.0, 1.0]))[0]
    assert bigger[1] > bigger[0] * 2  # the cost grows faster than the size: q^1.5


def test_no_coefficient_or_no_volume_means_no_impact():
    for model in (ImpactModel.at(1.0, 2e6, 0.0, 0.0), ImpactModel.at(1.0, 0.0, 1.0, 0.5)):
        cost, shift = model.trade(np.array([1e6, -1e6]), np.array([1.0, 2.0]))
        assert not cost.any() and not shift.any()


@settings(max_examples=200, deadline=None)
@given(sizes=st.lists(st.floats(1, 1e5), min_size=1, max_size=30), price=st.floats(0.01, 3))
def test_permanent_impact_adds_up_and_a_round_trip_leaves_the_price(sizes, price):
    """Linear, so no trading pattern moves the price for free: buying in many pieces moves it
    as far as buying all at once, and selling the same back undoes it."""
    model = ImpactModel.at(1.0, 2e6, 1.0, 0.314)
    q = np.array(sizes)
    p = np.full_like(q, price)
    pieces = model.trade(q, p)[1].sum()
    whole = model.trade(np.array([q.sum()]), np.array([price]))[1][0]
    assert pieces == pytest.approx(whole, rel=1e-9)
    assert pieces + model.trade(-q, p)[1].sum() == pytest.approx(0.0, abs=1e-12)


def test_the_opening_sale_and_the_buy_back_cost_what_a_200k_deep_market_charges():
    """The issue's two trades: 1.8M tokens sold at 1 and bought back at 3, in the article's
    market ($200k of depth a side on three venues and a $1M pool). Fees and half-spread only
    (before: 8.8 bp and 12.4 bp, with 1 bp per $1M on top) against the square-root law now."""
    t = load_terms(EXAMPLES / "article-sells-1.8m.toml")
    volume = daily_volume(t)
    # the venues' takers (20/h at 5 bp with decay 0.3: 4.46 fills an hour a side, each 5% of
    # the depth) and the pool's organic quarter of its value a day
    venues = 2 * 24 * 20 * np.exp(-1.5) * 0.05 * 200_000
    assert volume == derived_volume(t) == pytest.approx(venues + 250_000, rel=1e-12)
    model = ImpactModel.at(t.market.vol, volume, t.impact.coefficient, t.impact.permanent)

    def bp(tokens, price):
        q, p = np.array([tokens]), np.array([price])
        notional = abs(tokens) * price
        return (
            float((trade_cost(q * 0 + notional, t.costs) + model.trade(q, p)[0])[0])
            / notional
            * 1e4
        )

    sale, buy_back = bp(-1.8e6, 1.0), bp(1.8e6, 3.0)
    assert sale == pytest.approx(309.7, abs=0.1)  # 7 bp of fees + 302.7 bp of impact
    assert buy_back == pytest.approx(531.3, abs=0.1)  # 7 + 524.3: three times the notional
    assert sale > 30 * 8.8 and buy_back > 40 * 12.4
    # and they move the price for good: down 1.24% after the sale, up 3.71% after the buy-back
    moves = [model.trade(np.array([q]), np.array([p]))[1][0] for q, p in ((-1.8e6, 1), (1.8e6, 3))]
    assert moves == pytest.approx(
        [
            -0.314 * t.market.vol / np.sqrt(365) * 1.8e6 / volume,
            0.314 * t.market.vol / np.sqrt(365) * 5.4e6 / volume,
        ]
    )
    assert moves == pytest.approx([-0.0124, 0.0371], abs=5e-5)
