"""The Bancor formula against an 80-digit mpmath reference, the spec's public number, and the
properties a pool relies on: returns never exceed the exact value, round trips never profit."""

from __future__ import annotations

import decimal
from decimal import Decimal as D

import mpmath
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from marketcraft.amm.bancor import (
    cross_reserve_return,
    fee,
    net_of_fee,
    purchase_return,
    sale_return,
)
from marketcraft.kernel.errors import ValidationError

mpmath.mp.dps = 80
mpf = mpmath.mpf

balances = st.integers(1, 10**12).map(lambda n: D(n) / 100)
amounts = st.integers(0, 10**12).map(lambda n: D(n) / 100)
weights = st.integers(1, 1_000_000).map(lambda ppm: D(ppm) / 1_000_000)


def ref_purchase(s, b, w, a):
    return mpf(s) * ((1 + mpf(a) / mpf(b)) ** mpf(w) - 1)


def ref_sale(s, b, w, a):
    return mpf(b) * (1 - (1 - mpf(a) / mpf(s)) ** (1 / mpf(w)))


def ref_cross(fb, fw, tb, tw, a):
    return mpf(tb) * (1 - (mpf(fb) / (mpf(fb) + mpf(a))) ** (mpf(fw) / mpf(tw)))


def close(value: D, reference, scale) -> bool:
    """At most the exact value (rounding favours the pool), and within 1e-28 of the formula's
    scale (the supply or balance it multiplies) of it."""
    got = mpf(str(value))
    return got <= reference and abs(got - reference) <= mpf(str(scale)) * mpf("1e-28")


def test_the_spec_cross_connector_number():
    # equal weights, balances 5000 -> 8000, amount 500: 727.2727...
    out = cross_reserve_return(D(5000), D("0.5"), D(8000), D("0.5"), D(500))
    assert str(out).startswith("727.272727272727")
    assert cross_reserve_return(D(5000), D("0.5"), D(8000), D("0.5"), D(500), decimals=4) == D(
        "727.2727"
    )


@given(balances, balances, weights, amounts)
def test_purchase_return_matches_the_reference(supply, balance, weight, amount):
    out = purchase_return(supply, balance, weight, amount)
    assert close(out, ref_purchase(supply, balance, weight, amount), supply)


@given(balances, balances, weights, st.integers(0, 10**6))
def test_sale_return_matches_the_reference(supply, balance, weight, millionths):
    amount = (supply * millionths / 10**6).quantize(D("0.01"), rounding="ROUND_FLOOR")
    out = sale_return(supply, balance, weight, amount)
    assert close(out, ref_sale(supply, balance, weight, amount), balance) or amount == supply
    assert D(0) <= out <= balance


@given(balances, weights, balances, weights, amounts)
def test_cross_return_matches_the_reference(fb, fw, tb, tw, amount):
    out = cross_reserve_return(fb, fw, tb, tw, amount)
    assert close(out, ref_cross(fb, fw, tb, tw, amount), tb)
    assert D(0) <= out < tb


@given(balances, balances, amounts)
def test_equal_weights_are_constant_product(fb, tb, amount):
    out = cross_reserve_return(fb, D("0.5"), tb, D("0.5"), amount)
    with decimal.localcontext(prec=200):  # exact products
        assert (fb + amount) * (tb - out) >= fb * tb


@given(balances, balances, weights, amounts)
def test_buying_then_selling_never_profits(supply, balance, weight, amount):
    tokens = purchase_return(supply, balance, weight, amount, decimals=2)
    back = sale_return(supply + tokens, balance + amount, weight, tokens, decimals=2)
    assert back <= amount


@given(balances, balances, weights, amounts, amounts)
def test_more_in_never_gives_less_out(supply, balance, weight, a, b):
    lo, hi = sorted((a, b))
    assert purchase_return(supply, balance, weight, lo) <= purchase_return(
        supply, balance, weight, hi
    )


@given(balances, amounts)
def test_a_relay_trade_and_its_reverse_never_profit(fb, amount):
    tb = fb * 3
    out = cross_reserve_return(fb, D("0.5"), tb, D("0.5"), amount, decimals=2)
    assume(out > 0)
    back = cross_reserve_return(tb - out, D("0.5"), fb + amount, D("0.5"), out, decimals=2)
    assert back <= amount


@given(amounts, st.integers(0, 9999).map(lambda n: D(n) / 10_000))
def test_fees_round_up_and_add_back_to_the_amount(amount, rate):
    charged = fee(amount, rate, 2)
    assert charged >= amount * rate
    assert charged - amount * rate < D("0.01")
    net, kept = net_of_fee(amount, rate, 2)
    assert net + kept == amount and net >= 0


@pytest.mark.parametrize(
    "call",
    [
        lambda: purchase_return(D(0), D(1), D("0.5"), D(1)),
        lambda: purchase_return(D(1), D(1), D("1.5"), D(1)),
        lambda: purchase_return(D(1), D(1), D(0), D(1)),
        lambda: purchase_return(D(1), D(1), D("0.5"), D(-1)),
        lambda: sale_return(D(10), D(1), D("0.5"), D(11)),
        lambda: cross_reserve_return(D(1), D("0.5"), D(-1), D("0.5"), D(1)),
        lambda: fee(D(1), D(1), 2),
        lambda: purchase_return(D(1), D(1), D("0.5"), 1.0),
    ],
)
def test_bad_inputs_are_refused_with_a_reason(call):
    with pytest.raises(ValidationError):
        call()


def test_selling_the_whole_supply_returns_the_whole_connector():
    assert sale_return(D(100), D("12.34"), D("0.3"), D(100)) == D("12.34")
