"""A TWAP-struck call's delta and gamma follow its floating strike until the strike is fixed:
checked at signing against Euler's theorem (the value is then proportional to the price, so
delta = value / price, priced by QuantLib), during the averaging window against finite
differences of the mark, and after the fixing against a fixed-strike call."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from marketcraft.deal.greeks import black_scholes
from marketcraft.deal.options import OptionBook
from marketcraft.deal.strategy import simulate_deal_paths
from marketcraft.deal.terms import Tranche, load_terms
from tests.support.quantlib_reference import european_call

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "deals"


def test_at_signing_the_twap_calls_are_hedged_by_their_value_over_the_price():
    t = load_terms(EXAMPLES / "twap-strike.toml")
    t = replace(t, market=replace(t.market, jumps_per_year=0.0))
    r = simulate_deal_paths(t, 4, seed=1, step_hours=24.0, base=EXAMPLES)
    years, vol, spot = 548 / 365, 1.2, 0.40
    # K = m x S at signing, so the value is S x C(1, m): delta = value / S (Euler)
    delta = sum(500_000 * european_call(spot, m * spot, years, vol) / spot for m in (1.5, 2, 3))
    assert np.allclose(r.series["perp"][0], -delta, rtol=1e-6)
    fixed = sum(
        500_000 * float(black_scholes(spot, m * spot, years, vol).delta) for m in (1.5, 2, 3)
    )
    assert fixed - delta == pytest.approx(334_496, abs=1)  # what a fixed-strike delta over-hedged


def book_in_window(prices: list[float]) -> OptionBook:
    """One TWAP tranche (2x the average of the first 10 steps, 1 step a day) after
    ``prices`` were observed."""
    book = OptionBook((Tranche(tokens=1.0, strike_multiple=2.0, average_days=10),), 1, 1.0, 1, 0)
    for step, p in enumerate(prices, start=1):
        book.observe(step, np.array([p]))
    return book


@pytest.mark.parametrize("seen", [[], [1.1, 0.9, 1.3], [1.2] * 8, [1.2] * 9, [0.8] * 12])
def test_the_delta_and_gamma_follow_the_floating_strike(seen):
    tenor, vol, spot = 0.8, 0.9, 1.05

    observed = [*seen, spot][:10]  # this step's price is in the average already

    def value(s: float) -> float:
        """The mark by hand: K = 2 x (the prices so far + s for each step left) / 10."""
        strike = 2.0 * (sum(observed) + s * (10 - len(observed))) / 10
        return float(black_scholes(s, strike, tenor, vol).price)

    book = book_in_window([*seen, spot])
    book.mark(np.array([spot]), tenor, vol)
    h = 1e-4
    assert book.value[0, 0] == pytest.approx(value(spot), rel=1e-12)
    assert book.delta[0, 0] == pytest.approx(
        (value(spot + h) - value(spot - h)) / (2 * h), abs=1e-8
    )
    gamma = (value(spot + h) - 2 * value(spot) + value(spot - h)) / h**2
    assert book.gamma(np.array([spot]), tenor, vol)[0] == pytest.approx(gamma, rel=1e-4, abs=1e-6)
    if len(observed) == 10:  # fixed: an ordinary call
        fixed = black_scholes(spot, 2.0 * np.mean(observed), tenor, vol)
        assert book.delta[0, 0] == pytest.approx(float(fixed.delta), rel=1e-12)
