from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from marketcraft.kernel import quantize_down, quantize_up

values = st.decimals(min_value=-(10**12), max_value=10**12, allow_nan=False, places=12)


@given(values, st.integers(0, 8))
def test_up_and_down_bracket_the_exact_value_within_one_minor_unit(x, d):
    up, down = quantize_up(x, d), quantize_down(x, d)
    assert down <= x <= up
    assert up - down in (Decimal(0), Decimal(1).scaleb(-d))
    assert (up == down) == (x == up)


@given(values, st.integers(0, 8))
def test_rounding_is_idempotent(x, d):
    assert quantize_up(quantize_up(x, d), d) == quantize_up(x, d)
    assert quantize_down(quantize_down(x, d), d) == quantize_down(x, d)
    assert quantize_up(-x, d) == -quantize_down(x, d)
