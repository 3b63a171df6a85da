"""The pool under arbitrage: it ends within the fee band of the outside price, never past it;
without fees it lands exactly on the constant-product point; the fees reported are the
liquidity providers' share of what was paid in."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

from marketcraft.deal.dex import arbitrage
from marketcraft.deal.pool import pool_stable, pool_tokens

prices = st.floats(0.05, 20.0)


def test_without_fees_the_pool_lands_on_the_curve():
    k = 500_000.0 * 500_000.0
    x, y, fees, _ = arbitrage(np.array([500_000.0]), np.array([500_000.0]), np.array([1.25]), 0, 0)
    assert np.allclose(x, pool_tokens(k, 1.25), rtol=1e-12)
    assert np.allclose(y, pool_stable(k, 1.25), rtol=1e-12)
    assert abs(x[0] - 447_213.60) < 0.005 and fees[0] == 0


@given(prices, prices, st.floats(0.0005, 0.01), st.floats(0, 1))
def test_the_pool_ends_inside_the_fee_band(start, outside, fee, lp_part):
    lp_fee = fee * lp_part
    x0, y0 = np.array([1e6 / start]), np.array([1e6])
    x, y, fees, _ = arbitrage(x0, y0, np.array([outside]), fee, lp_fee)
    gamma = 1 - fee
    pool_price = float(y[0] / x[0])
    # no arbitrage left: buying costs pool/gamma >= outside, selling pays gamma*pool <= outside
    assert pool_price / gamma >= outside * (1 - 1e-9)
    assert pool_price * gamma <= outside * (1 + 1e-9)
    assert fees[0] >= 0
    inside = gamma * (y0[0] / x0[0]) <= outside <= (y0[0] / x0[0]) / gamma
    if inside:  # nothing to do
        assert x[0] == x0[0] and y[0] == y0[0] and fees[0] == 0
    else:  # the arbitrageur moved it only as far as the band's edge, not past it
        edge = outside * gamma if outside > y0[0] / x0[0] else outside / gamma
        assert abs(pool_price / edge - 1) < 2 * fee


def test_the_pool_keeps_the_lp_fee_and_loses_the_protocol_cut():
    x0, y0 = np.array([500_000.0]), np.array([500_000.0])
    _, y_all, _, _ = arbitrage(x0, y0, np.array([1.3]), 0.0025, 0.0025)
    _, y_lp, fees, volume = arbitrage(x0, y0, np.array([1.3]), 0.0025, 0.0017)
    paid_in = (y_all - y0)[0]
    assert np.isclose(fees[0], 0.0017 * paid_in, rtol=1e-12)
    assert np.isclose(volume[0], paid_in, rtol=1e-14)

    def value(x, y):
        return x * 1.3 + y

    x_all, _, _, _ = arbitrage(x0, y0, np.array([1.3]), 0.0025, 0.0025)
    x_lp, _, _, _ = arbitrage(x0, y0, np.array([1.3]), 0.0025, 0.0017)
    assert np.isclose(value(x_all, y_all)[0] - value(x_lp, y_lp)[0], 0.0008 * paid_in)
    assert np.isclose(y_lp[0] / x_lp[0], y_all[0] / x_all[0], rtol=1e-12)  # price kept


@given(st.floats(1e3, 1e9), prices, prices, st.floats(0.0005, 0.01))
def test_the_arbitrage_is_the_swap_that_pays_most(depth, start, outside, fee):
    """Against a numerical search over the swap size with the spec's swap formula."""
    x0, y0 = depth / start, depth
    x, y, _, volume = arbitrage(np.array([x0]), np.array([y0]), np.array([outside]), fee, fee)

    def gain(u: float, buy: bool) -> float:
        if buy:  # stablecoin in, tokens out, sold outside
            return outside * (1 - fee) * u * x0 / (y0 + (1 - fee) * u) - u
        return (1 - fee) * u * y0 / (x0 + (1 - fee) * u) - u * outside

    buy = outside > y0 / x0
    scale = y0 if buy else x0
    best = minimize_scalar(lambda u: -gain(u, buy), bounds=(0, 10 * scale), method="bounded",
                           options={"xatol": 1e-9 * scale})  # fmt: skip
    ours = (y[0] - y0) if buy else (x[0] - x0)  # what was paid in
    assert gain(max(ours, 0.0), buy) >= -best.fun - 1e-9 * depth
    assert np.isclose(volume[0], max(ours, 0.0) * (1 if buy else outside), rtol=1e-9, atol=1e-6)
