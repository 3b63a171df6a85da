"""Hypothesis strategies of hostile numbers, for every entry point that reads one.

A value is either text (a JSON string, a form field, a command-line word) or :class:`Raw`: JSON
written into a body as is, unquoted, so bare ``NaN``/``Infinity`` tokens and numbers beyond a
float or an int (``1e400``, 5,000 digits) reach the server exactly as an attacker sends them.

Three kinds of field:

* ``decimal``: amounts, prices, fractions (text or JSON number);
* ``integer``: whole numbers (seconds, counts, seeds, grid volumes, offsets); an integer has no
  negative zero, so ``-0`` is left out of their set;
* ``digits``: a number written as text by the protocol (a commitment, a time step): JSON
  numbers are hostile there too.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st


@dataclass(frozen=True)
class Raw:
    """JSON text to put in a body unquoted (a bare token or number)."""

    json: str


#: JSON tokens Python reads (non-standard) and numbers no float holds
NON_FINITE_TOKENS = [Raw("NaN"), Raw("Infinity"), Raw("-Infinity")]
HUGE_TOKENS = [Raw("1e400"), Raw("-1e400"), Raw("1E+999999"), Raw("1" + "0" * 26), Raw("9" * 5000)]
TINY_TOKENS = [Raw("1e-400"), Raw("-1e-400")]
SIGNED_ZERO_TOKENS = [Raw("-0"), Raw("-0.0")]
NOT_NUMBER_TOKENS = [Raw("true"), Raw("[]"), Raw("{}")]

#: text no number field accepts (Python's Decimal, float or int would read many of them)
HOSTILE_TEXT = [
    "NaN", "nan", "sNaN", "-sNaN", "Infinity", "-Infinity", "inf", "-inf",
    "1e400", "1E+999999", "1e-400", "9" * 5000, "²", "١٢", "٣.٥", "１２",
    "0x1F", "1,5", "1.2.3", "--1", "one",
]  # fmt: skip
#: well-formed integers to a lax reader (pydantic's int: ``1_000`` is 1000), not to a decimal
DECIMAL_ONLY_TEXT = ["1e3", "1_000", " 12", "12 ", "+5", str(10**26), "-0", "-0.00"]
#: whole numbers out of every integer field's range (the largest bound is 2^53 - 1)
INTEGER_ONLY_TEXT = ["12.5", str(10**26)]


def _huge_digits(fewest: int) -> st.SearchStrategy[str]:
    """Integers of ``fewest`` to 6,000 digits."""
    return st.integers(fewest, 6000).flatmap(
        lambda n: st.text(alphabet="0123456789", min_size=n - 1, max_size=n - 1).map(
            lambda t: "9" + t
        )
    )


def _big_exponents(least: int) -> st.SearchStrategy[str]:
    return st.integers(least, 999_999).map(lambda e: f"1E+{e}")


#: finer than any number of places an entry point keeps (18 for fractions)
_tiny_exponents = st.integers(19, 999_999).map(lambda e: f"1e-{e}")
#: other scripts' digits, which Python's Decimal, int and float read as numbers
_unicode_digits = st.text(
    alphabet=st.characters(categories=("Nd", "No"), exclude_characters="0123456789"),
    min_size=1,
    max_size=6,
)


def _as_both(texts: st.SearchStrategy[str]) -> st.SearchStrategy[str | Raw]:
    return st.one_of(texts, texts.map(Raw))


#: the listed hostile values of each kind (every one is tried; the strategies add generated ones)
KNOWN: dict[str, list[str | Raw]] = {
    "decimal": [*NON_FINITE_TOKENS, *HUGE_TOKENS, *TINY_TOKENS, *SIGNED_ZERO_TOKENS,
                *NOT_NUMBER_TOKENS, *HOSTILE_TEXT, *DECIMAL_ONLY_TEXT],
    "integer": [*NON_FINITE_TOKENS, *HUGE_TOKENS, *TINY_TOKENS, Raw("1.5"), Raw("[]"), Raw("{}"),
                *HOSTILE_TEXT, *INTEGER_ONLY_TEXT],
    "digits": [*NON_FINITE_TOKENS, *HUGE_TOKENS, *TINY_TOKENS, *NOT_NUMBER_TOKENS, Raw("1"),
               Raw("12.5"), Raw("0"), *HOSTILE_TEXT, "-1", "1e3", "+5", "1_000"],
}  # fmt: skip


def hostile_decimal() -> st.SearchStrategy[str | Raw]:
    """For an amount, a price or a fraction (all at most 10^15, at most 18 places)."""
    return st.one_of(
        st.sampled_from(KNOWN["decimal"]),
        _as_both(_huge_digits(17)),
        _as_both(_big_exponents(16)),
        _as_both(_tiny_exponents),
        _unicode_digits,
    )


def hostile_integer() -> st.SearchStrategy[str | Raw]:
    """For a whole number (no negative zero: an integer has none)."""
    return st.one_of(
        st.sampled_from(KNOWN["integer"]),
        _as_both(_huge_digits(17)),
        _as_both(_big_exponents(16)),
        _unicode_digits,
    )


def hostile_digits() -> st.SearchStrategy[str | Raw]:
    """For a number the protocol writes as text (a commitment, a time step): JSON numbers are
    refused there too."""
    return st.one_of(
        st.sampled_from(KNOWN["digits"]),
        _big_exponents(16),
        _unicode_digits,
    )


HOSTILE = {"decimal": hostile_decimal, "integer": hostile_integer, "digits": hostile_digits}


def known_text(kind: str) -> list[str]:
    """The listed hostile values of ``kind`` that are text (a form field, a command word)."""
    return [v for v in KNOWN[kind] if isinstance(v, str)]


def hostile_text(kind: str) -> st.SearchStrategy[str]:
    """The text-only part (a form field, a command-line word) of ``kind``'s hostile values."""
    return HOSTILE[kind]().filter(lambda v: isinstance(v, str))
