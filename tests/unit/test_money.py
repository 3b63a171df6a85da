from decimal import Decimal

import pytest

from marketcraft.kernel import Asset, Money, ValidationError, quantize_down, quantize_up, to_decimal
from marketcraft.kernel.money import fee_up, money_context, quantize_exact

USD = Asset("USD", 2)
EUR = Asset("EUR", 2)


def test_float_is_refused_everywhere():
    with pytest.raises(TypeError):
        to_decimal(0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        USD.money(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(1.5, USD)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        USD.money("1") + 1.5
    with pytest.raises(TypeError):
        1.5 + USD.money("1")
    with pytest.raises(TypeError):
        USD.money("1") * 2
    with pytest.raises(TypeError):
        to_decimal(True)  # type: ignore[arg-type]


def test_decimal_float_mixing_traps_inside_the_money_context():
    with money_context(), pytest.raises(Exception, match="FloatOperation"):
        _ = Decimal("1") < 0.5


def test_rounding_directions_are_named_and_exact():
    x = Decimal("1.231")
    assert quantize_up(x, 2) == Decimal("1.24")
    assert quantize_down(x, 2) == Decimal("1.23")
    assert quantize_up(-x, 2) == Decimal("-1.23")
    assert quantize_down(-x, 2) == Decimal("-1.24")
    assert USD.up(x) == USD.money("1.24")
    assert USD.down(x) == USD.money("1.23")
    assert quantize_up(Decimal("5"), 0) == 5


def test_fees_round_up_and_stop_at_their_cap():
    d = Decimal
    assert fee_up(d("10.00"), d("0.015"), 2, d("10.00")) == d("0.15")  # exact: as it is
    assert fee_up(d("10.01"), d("0.015"), 2, d("10.01")) == d("0.16")  # 0.15015 rounds up
    assert fee_up(d("0.01"), d("0.015"), 2, d("0.01")) == d("0.01")  # never less than exact
    assert fee_up(d("10.01"), d("0.015"), 2, d("0.10")) == d("0.10")  # capped
    assert fee_up(d("10.00"), d("0"), 2, d("10.00")) == d("0.00")


def test_amounts_from_outside_must_be_whole_minor_units():
    assert quantize_exact(Decimal("1.20"), 2) == Decimal("1.2")
    with pytest.raises(ValidationError, match="decimal places"):
        USD.money("1.001")
    with pytest.raises(ValidationError):
        to_decimal("abc")
    with pytest.raises(ValidationError):
        to_decimal("NaN")
    with pytest.raises(ValidationError):
        to_decimal("Infinity")


def test_assets_do_not_mix_and_arithmetic_is_exact():
    a = USD.money("0.10") + USD.money("0.20")
    assert a == USD.money("0.30")
    assert (a - USD.money("0.30")).is_zero()
    with pytest.raises(ValidationError, match=r"asset_mismatch|cannot combine"):
        USD.money("1") + EUR.money("1")
    assert USD.money("2") > USD.money("1")
    assert -USD.money("2") == USD.money("-2")
    assert str(USD.money("2.5")) == "2.50 USD"


@pytest.mark.parametrize(("code", "decimals"), [("", 2), (" X", 2), ("X", -1), ("X", 19)])
def test_bad_assets_are_refused(code, decimals):
    with pytest.raises(ValidationError):
        Asset(code, decimals)
