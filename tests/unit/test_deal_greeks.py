"""Black-Scholes greeks: the spec's and a textbook's numbers, QuantLib's analytic engine on a
spread of inputs, and the identities that tie the greeks to the price."""

import math

import numpy as np
import pytest
import QuantLib as ql
from hypothesis import given, settings
from hypothesis import strategies as st

from marketcraft.deal.greeks import black_scholes, call_value_delta


def test_the_specs_call():
    g = black_scholes(1.0, 1.25, 1.0, 1.0)
    assert round(float(g.price), 6) == 0.315560
    assert round(float(g.delta), 6) == 0.609055
    assert round(float(g.gamma), 6) == 0.383942


def test_hulls_example():
    # Hull, Options, Futures and Other Derivatives: S 42, K 40, r 10%, vol 20%, 6 months
    assert round(float(black_scholes(42, 40, 0.5, 0.2, 0.1, 0.1).price), 2) == 4.76
    assert round(float(black_scholes(42, 40, 0.5, 0.2, 0.1, 0.1, call=False).price), 2) == 0.81


def quantlib(spot, strike, tenor, vol, rate, carry, call):
    today = ql.Date(1, 1, 2026)
    ql.Settings.instance().evaluationDate = today
    days = round(tenor * 365)
    dc = ql.Actual365Fixed()
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(spot)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, rate - carry, dc)),  # dividend q = r - b
        ql.YieldTermStructureHandle(ql.FlatForward(today, rate, dc)),
        ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), vol, dc)),
    )
    option = ql.EuropeanOption(
        ql.PlainVanillaPayoff(ql.Option.Call if call else ql.Option.Put, strike),
        ql.EuropeanExercise(today + days),
    )
    option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
    return days / 365, (option.NPV(), option.delta(), option.gamma(), option.vega(), option.theta())


def test_against_quantlibs_analytic_engine():
    rng = np.random.default_rng(3)
    for _ in range(300):
        spot = rng.uniform(0.05, 5.0)
        strike = spot * rng.uniform(0.3, 3.0)
        vol = rng.uniform(0.05, 2.0)
        rate, carry = rng.uniform(-0.02, 0.1), rng.uniform(-0.2, 0.2)
        call = bool(rng.integers(2))
        tenor, expected = quantlib(spot, strike, rng.uniform(0.02, 2.0), vol, rate, carry, call)
        ours = black_scholes(spot, strike, tenor, vol, rate, carry, call=call)
        for got, want in zip(ours, expected, strict=True):
            assert float(got) == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_vectorised_inputs_broadcast_and_agree_with_scalars():
    spots = np.linspace(0.5, 2.0, 7)
    vols = np.array([[0.5], [1.0]])
    grid = black_scholes(spots, 1.25, 1.0, vols)
    assert grid.price.shape == (2, 7)
    assert float(grid.delta[1, 3]) == float(black_scholes(spots[3], 1.25, 1.0, 1.0).delta)


positive = st.floats(0.1, 10.0)


@settings(max_examples=200)
@given(s=positive, k=positive, t=st.floats(0.05, 3.0), v=st.floats(0.05, 2.0),
       r=st.floats(-0.05, 0.15), b=st.floats(-0.3, 0.3))  # fmt: skip
def test_parity_and_finite_differences(s, k, t, v, r, b):
    c = black_scholes(s, k, t, v, r, b)
    p = black_scholes(s, k, t, v, r, b, call=False)
    forward_value = s * math.exp((b - r) * t) - k * math.exp(-r * t)
    assert float(c.price - p.price) == pytest.approx(forward_value, abs=1e-9 * (s + k))
    assert float(c.gamma) == pytest.approx(float(p.gamma), rel=1e-9, abs=1e-12)
    # the step scales with the distribution's width (s v sqrt(t)): at t = v = 0.05 a step of
    # 1e-4 s is 1% of it, and the finite difference's own error passes the tolerance
    h = 1e-3 * s * v * math.sqrt(t)
    up, down = black_scholes(s + h, k, t, v, r, b), black_scholes(s - h, k, t, v, r, b)
    assert float(c.delta) == pytest.approx(
        float(up.price - down.price) / (2 * h), rel=1e-5, abs=1e-6
    )
    assert float(c.gamma) == pytest.approx(
        float(up.delta - down.delta) / (2 * h), rel=1e-4, abs=1e-5
    )
    dv = 1e-5
    vega = black_scholes(s, k, t, v + dv, r, b).price - black_scholes(s, k, t, v - dv, r, b).price
    assert float(c.vega) == pytest.approx(float(vega) / (2 * dv), rel=1e-5, abs=1e-5 * (s + k))
    dt = 1e-5
    later = black_scholes(s, k, t - dt, v, r, b).price - black_scholes(s, k, t + dt, v, r, b).price
    assert float(c.theta) == pytest.approx(float(later) / (2 * dt), rel=1e-4, abs=1e-4 * (s + k))


def test_at_expiry_and_without_volatility():
    g = black_scholes([0.8, 1.0, 1.5], 1.0, 0.0, 1.0, 0.05, 0.05)
    assert g.price.tolist() == [0.0, 0.0, 0.5]
    assert g.delta.tolist() == [0.0, 0.5, 1.0]
    assert g.gamma.tolist() == g.vega.tolist() == g.theta.tolist() == [0.0, 0.0, 0.0]
    flat = black_scholes(1.5, 1.0, 1.0, 0.0, 0.05, 0.05)  # a sure payoff: 1.5 - e^-0.05
    assert float(flat.price) == pytest.approx(1.5 - math.exp(-0.05))
    assert float(flat.theta) == pytest.approx(-0.05 * math.exp(-0.05))
    with pytest.raises(ValueError, match="positive"):
        black_scholes(0.0, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="negative"):
        black_scholes(1.0, 1.0, -1.0, 1.0)


def test_the_simulators_fast_path_equals_black_scholes():
    rng = np.random.default_rng(4)
    spot = rng.uniform(0.2, 5.0, 2000)
    strike = rng.uniform(0.2, 5.0, 2000)
    for tenor, vol in ((0.7, 0.9), (0.0, 0.9), (1.0, 0.0)):
        full = black_scholes(spot, strike, tenor, vol)
        value, delta = call_value_delta(spot, strike, tenor, vol)
        assert np.allclose(value, full.price, rtol=1e-13, atol=1e-15)
        assert np.allclose(delta, full.delta, rtol=1e-13, atol=1e-15)
        if tenor > 0 and vol > 0:
            given = call_value_delta(spot, strike, tenor, vol, np.log(spot) - np.log(strike))
            assert np.allclose(given[0], value, rtol=1e-12) and np.allclose(given[1], delta)
