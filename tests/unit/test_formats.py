"""The pages' number formats: exact (never through float), separators, units, percentages,
and no negative or signed zero."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from marketcraft.service.formats import money, number, pct, plain, pp, shares, when

amounts = st.decimals(min_value=Decimal("-1e15"), max_value=Decimal("1e15"), places=6,
                      allow_nan=False, allow_infinity=False)  # fmt: skip


def _value(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


@given(amounts, st.integers(0, 6))
def test_a_number_reads_back_as_the_value_rounded_with_separators_every_three_digits(x, places):
    text = number(x, places)
    assert _value(text) == x.quantize(Decimal(1).scaleb(-places))
    whole = text.lstrip("-").split(".")[0]
    groups = whole.split(",")
    assert all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3
    assert not text.startswith(("-0.00", "+")) or _value(text) != 0


@given(amounts)
def test_zero_is_never_signed(x):
    for text in (number(x), number(x, signed=True), pp(x / 10**15)):
        if _value(text.removesuffix(" pp")) == 0:
            assert not text.startswith(("-", "+")), text


@given(amounts)
def test_a_signed_number_says_its_direction(x):
    text = number(x, 2, signed=True)
    rounded = _value(text)
    assert text.startswith("+") == (rounded > 0) and text.startswith("-") == (rounded < 0)


@given(st.decimals(min_value=0, max_value=1, places=18))
def test_a_probability_is_a_percentage_and_a_move_is_in_points(p):
    assert pct(p) == f"{number(p * 100)}%"
    assert pp(p).endswith(" pp") and _value(pp(p).removesuffix(" pp")) == _value(number(p * 100))


@given(amounts)
def test_money_carries_its_unit_and_a_form_field_reads_back_exactly(x):
    assert money(x, "USD") == f"{number(x)} USD" and money(x) == number(x)
    assert money(None, "USD") == "—"
    assert "," not in plain(x) and Decimal(plain(x)) == x.quantize(Decimal("0.01"))


def test_known_figures():
    assert money(Decimal("125000"), "USD") == "125,000.00 USD"
    assert pct(Decimal("0.1218")) == "12.18%"
    assert pp(Decimal("0.0115")) == "+1.15 pp" and pp(Decimal("-0.00001")) == "0.00 pp"
    assert shares(Decimal("6341.849366")) == "6,341.85"
    assert number(Decimal("-0.001")) == "0.00" and number(None) == "—"
    assert when(datetime(2026, 12, 3, 7, 36, tzinfo=UTC)) == "2026-12-03 07:36 UTC"
