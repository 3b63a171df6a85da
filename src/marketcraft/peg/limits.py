"""The bounds the peg engine holds every number from outside to: prices, amounts and the terms
a market opens with. A value outside them is refused with a :class:`ValidationError` that names
it, before any arithmetic runs on it.

Why these bounds. The engine computes in the 40-digit money context and rounds every amount to
its asset's minor unit (up to 18 places), so an amount must stay far below 10^22 for rounding
to be exact. Amounts from outside are at most :data:`MAX_AMOUNT` (10^15, the entry points'
bound); prices (COL per PEG) lie in [:data:`MIN_PRICE`, :data:`MAX_PRICE`], so the PEG a
connector holds, C / F, stays at most 10^21; the ratio and times have sensible ceilings (a
target ratio of 1000 is already 100,000%; a year is longer than any delay, correction or feed
window worth having), and fractions carry at most 18 places as the entry points allow.

The amounts in a market only grow through new COL (deposits), new PEG (MMS purchases, minting
corrections) and new MMS (purchases), so the engine also holds the total of each asset below
:func:`capacity`: two digits short of the context, so that every balance and every sum of two
balances is exact. A command that would pass it is refused (``too_large``); a minting
correction that would pass it is skipped."""

from __future__ import annotations

from decimal import Decimal

from marketcraft.kernel.limits import FRACTION_PLACES, MAX_AMOUNT

__all__ = [
    "CAPACITY_DIGITS",
    "MAX_AMOUNT",
    "MAX_PRICE",
    "MAX_RATIO",
    "MAX_TERM_SECONDS",
    "MIN_PRICE",
    "TERM_PLACES",
    "capacity",
]

#: the least and the largest price (COL per PEG) a market opens at or takes as a report: one
#: COL worth a million PEG at one end, a billion COL to one PEG at the other
MIN_PRICE = Decimal("0.000001")
MAX_PRICE = Decimal(10) ** 9
#: the largest target reserve ratio r a market opens with
MAX_RATIO = Decimal(1000)
#: the longest delay, correction time and feed window a market opens with (a year)
MAX_TERM_SECONDS = 366 * 86_400
#: the most decimal places of a fraction or a ratio in a market's terms
TERM_PLACES = FRACTION_PLACES
#: the significant digits a market's totals may use (the money context has 40)
CAPACITY_DIGITS = 38


def capacity(decimals: int) -> Decimal:
    """The most of an asset with ``decimals`` places a market may hold in all (10^(38 - d)):
    10^32 COL, PEG or MMS at 6 places, 10^20 at 18."""
    return Decimal(10) ** (CAPACITY_DIGITS - decimals)
