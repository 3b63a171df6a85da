"""The fast ln/exp agree with Decimal's correctly rounded ones to one unit in the 40th digit,
and with an 80-digit mpmath reference."""

from __future__ import annotations

import decimal
from decimal import Decimal

import mpmath
import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketcraft.kernel import decmath
from marketcraft.kernel.money import MONEY_CONTEXT

positive = st.decimals(
    min_value=Decimal("1e-30"), max_value=Decimal("1e30"), allow_nan=False, places=None
).filter(lambda x: x > 0)
moderate = st.decimals(min_value=-200, max_value=200, allow_nan=False, places=None)


def ulp(x: Decimal) -> Decimal:
    return Decimal(1).scaleb(x.adjusted() - MONEY_CONTEXT.prec + 1)


@given(positive)
def test_ln_is_within_one_ulp_of_the_correctly_rounded_value(x):
    fast, exact = decmath.ln(x), x.ln(MONEY_CONTEXT)
    assert abs(fast - exact) <= ulp(exact)


@given(moderate)
def test_exp_is_within_one_ulp_of_the_correctly_rounded_value(x):
    fast, exact = decmath.exp(x), x.exp(MONEY_CONTEXT)
    assert abs(fast - exact) <= ulp(exact)


@given(positive)
def test_ln_matches_an_80_digit_reference(x):
    with mpmath.workdps(80):
        reference = Decimal(mpmath.nstr(mpmath.log(mpmath.mpf(str(x))), 60))
    fast = decmath.ln(x)
    assert abs(fast - reference) <= ulp(fast) if fast else abs(reference) < Decimal("1e-40")


@given(moderate)
def test_results_are_reproducible_and_carry_the_money_precision(x):
    assert decmath.exp(x) == decmath.exp(x)
    assert len(decmath.exp(x).as_tuple().digits) <= MONEY_CONTEXT.prec


def test_outside_the_fast_domain_decimal_decides():
    with pytest.raises(decimal.InvalidOperation):
        decmath.ln(Decimal(-1))
    assert decmath.ln(Decimal(1)) == 0
    assert decmath.exp(Decimal(0)) == 1
    assert decmath.exp(Decimal(-20000)) == Decimal(-20000).exp(MONEY_CONTEXT)
