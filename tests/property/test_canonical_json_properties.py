"""canonical_json writes the standard library's canonical form byte for byte."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketcraft.kernel.messages import _decimal_text, canonical_json

text = st.text(st.characters(exclude_categories=["Cs"]))
plain = st.recursive(
    st.none() | st.booleans() | st.integers() | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=20,
)


def stdlib(value) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


@given(plain)
def test_canonical_json_is_the_stdlib_canonical_form(value):
    assert canonical_json(value) == stdlib(value)


@given(st.integers(min_value=2**64, max_value=2**200) | st.integers(max_value=-(2**63) - 1))
def test_integers_beyond_64_bits_are_encoded_too(n):
    assert canonical_json({"n": [n]}) == stdlib({"n": [n]})


def test_values_that_are_not_plain_are_refused():
    with pytest.raises(TypeError):
        canonical_json({"at": datetime.datetime(2026, 1, 1)})


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_decimal_text_is_plain_notation_without_trailing_zeros(value):
    reference = "0" if value == 0 else format(value, "f")
    if "." in reference:
        reference = reference.rstrip("0").rstrip(".")
    text = _decimal_text(value)
    assert text == reference
    assert Decimal(text) == value
