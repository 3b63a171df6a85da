"""How every page shows a number: one format per kind of quantity, never through float.

- money: thousands separators, two decimals and its unit (``125,000.00 USD``);
- a probability as a percentage (``12.18%``), a move in one as percentage points (``+1.15 pp``);
- shares to two decimals with separators (``6,341.85``);
- a time in UTC to the minute (``2026-12-03 07:36 UTC``).

A value that rounds to zero is shown unsigned (``0.00``, never ``-0.00`` or ``+0.00``).
Form fields keep plain numbers (:func:`plain`): what a page shows in an input is what the server
reads back.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from marketcraft.kernel.money import MONEY_CONTEXT

__all__ = ["FILTERS", "money", "number", "pct", "plain", "pp", "shares", "when"]

_HUNDRED = Decimal(100)


def _rounded(value: Decimal | int, places: int) -> Decimal:
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-places), context=MONEY_CONTEXT)
    return rounded.copy_abs() if rounded.is_zero() else rounded  # no -0.00


def number(value: Decimal | int | None, places: int = 2, signed: bool = False) -> str:
    """``value`` to ``places`` decimals with thousands separators; a sign only when asked and
    only on a non-zero figure; an em dash when there is no value."""
    if value is None:
        return "—"
    rounded = _rounded(value, places)
    spec = "+," if signed and not rounded.is_zero() else ","
    return format(rounded, spec)


def money(value: Decimal | int | None, unit: str = "", places: int = 2) -> str:
    """An amount of money with separators and, when given, its unit after it."""
    text = number(value, places)
    return f"{text} {unit}" if unit and value is not None else text


def plain(value: Decimal | int, places: int = 2) -> str:
    """A number for a form field: no separators, so the server reads back what it wrote."""
    return str(_rounded(value, places))


def shares(value: Decimal | int | None) -> str:
    """A number of shares or tokens, to two decimals."""
    return number(value, 2)


def pct(value: Decimal | int | None, places: int = 2) -> str:
    """A probability (or any fraction) as a percentage: 0.1218 is ``12.18%``."""
    if value is None:
        return "—"
    return f"{number(Decimal(value) * _HUNDRED, places)}%"


def pp(value: Decimal | int | None, places: int = 2) -> str:
    """A change in a probability, in percentage points, signed unless it rounds to zero."""
    if value is None:
        return "—"
    return f"{number(Decimal(value) * _HUNDRED, places, signed=True)} pp"


def when(value: datetime | None) -> str:
    """A time in UTC, to the minute."""
    if value is None:
        return "—"
    return f"{value:%Y-%m-%d %H:%M} UTC"


#: the templates' filters, by name
FILTERS = {
    "money": money,
    "number": number,
    "plain": plain,
    "pct": pct,
    "pp": pp,
    "shares": shares,
    "when": when,
}
