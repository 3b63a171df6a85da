"""Constant-product pool math: the spec's numbers, the v2 swap formula against the invariant,
and gamma as the derivative of delta."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketcraft.deal.pool import (
    impermanent_loss,
    lvr_rate,
    pool_delta,
    pool_gamma,
    pool_stable,
    pool_tokens,
    pool_value,
    swap_out,
)

K = 500_000.0 * 500_000.0  # the $1M pool at P = 1


def test_the_specs_pool_after_a_move_to_1_25():
    assert round(float(pool_tokens(K, 1.25)), 2) == 447_213.60
    assert round(float(pool_stable(K, 1.25)), 2) == 559_016.99
    assert round(float(impermanent_loss(1.25)) * 100, 4) == -0.6192
    held = 500_000 * 1.25 + 500_000
    assert float(pool_value(K, 1.25)) == pytest.approx(held * (1 + float(impermanent_loss(1.25))))


@given(st.floats(0.01, 100.0))
def test_delta_is_the_token_holding_and_gamma_its_derivative(price):
    h = 1e-6 * price
    dv = (pool_value(K, price + h) - pool_value(K, price - h)) / (2 * h)
    assert float(pool_delta(K, price)) == pytest.approx(float(dv), rel=1e-6)
    dd = (pool_delta(K, price + h) - pool_delta(K, price - h)) / (2 * h)
    assert float(pool_gamma(K, price)) == pytest.approx(float(dd), rel=1e-5)
    assert float(impermanent_loss(price)) <= 0.0


@given(st.floats(1.0, 1e6), st.floats(1e3, 1e8), st.floats(1e3, 1e8))
def test_a_swap_keeps_the_fee_and_never_shrinks_the_invariant(amount, r_in, r_out):
    out = float(swap_out(amount, r_in, r_out))
    assert 0 < out < r_out
    assert (r_in + amount) * (r_out - out) >= r_in * r_out * (1 - 1e-12)
    fee_free = float(swap_out(amount, r_in, r_out, fee=0))
    assert fee_free == pytest.approx(amount * r_out / (r_in + amount))
    assert out < fee_free


def test_pancake_v2_get_amount_out():
    # getAmountOut(1000, 1e6, 2e6) = 1000*9975*2e6 / (1e6*10000 + 1000*9975) = 1993.0...
    assert float(swap_out(1000, 1_000_000, 2_000_000)) == pytest.approx(
        1000 * 9975 * 2e6 / (1e6 * 10_000 + 1000 * 9975)
    )
    assert np.allclose(lvr_rate([0.5, 1.0], 1_000_000), [31_250.0, 125_000.0])
