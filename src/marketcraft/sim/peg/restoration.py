"""How long the exact engine takes to bring SPOT back into the band, as a function of the gap,
the fee and the tick interval.

Each case opens a market (10M COL at a feed of 0.5 COL per PEG, the default ratio, no delay),
reports a feed that puts SPOT ``gap`` away from it (``SPOT / feed - 1 = gap``), then ticks
every ``tick_seconds``, re-reporting the same feed, until SPOT is within the band. No one
trades: this is the correction alone.

Why it is not always the correction time: one tick may move SPOT by at most one fee's worth
(the front-running cap, :mod:`marketcraft.peg.correction`). Above the feed, a tick mints PEG
(or moves COL to excess), so SPOT falls by at most a factor ``1 + f``; below it, a tick buys
PEG with excess and burns it, so SPOT rises by up to ``(1 + f)^2``. A gap therefore needs at
least ``ln((1 + gap) / (1 + band)) / ln(1 + f)`` ticks above the feed (half as many below),
and the time to band is that many tick intervals when it exceeds the correction time. Ticking
more often is the only way to honour both the cap and the correction time:
:func:`tick_for` gives the longest tick interval that brings ``gap`` back in time.

Larger steps at times a trader cannot predict would not make a faster correction safe: the
engine is deterministic and its log public, so hidden timing needs a secret outside it (and
whoever holds the secret can sandwich every step); and a trader holding across a window earns,
in expectation, the correction made in it however it is split, while each step larger than a
fee pays whoever sees it coming. The README's "How fast a correction brings SPOT back" says
the same with the numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from marketcraft.peg.market import PegMarket
from marketcraft.peg.terms import PegTerms

__all__ = [
    "DESIGN_GAP",
    "TICK_CHOICES",
    "Restoration",
    "restoration_time",
    "tick_for",
    "ticks_needed",
]

#: the gap the service's default tick interval is chosen for: a +30% gap (SPOT 30% above the
#: feed, the slower side) is back in the band within the default correction time
DESIGN_GAP = 0.30
#: tick intervals a keeper would be set to, seconds
TICK_CHOICES = (5, 10, 15, 20, 30, 60, 120, 300, 600, 1800, 3600)
_FEED = Decimal("0.5")


@dataclass(frozen=True)
class Restoration:
    gap: float
    fee: float
    tick_seconds: int
    #: seconds from the first correcting tick until SPOT is in the band; None: not within
    #: ``limit_seconds``
    seconds: int | None
    ticks: int


def restoration_time(
    gap: float,
    fee: float,
    tick_seconds: int,
    *,
    band: float = 0.02,
    correction_seconds: int = 3_600,
    limit_seconds: int = 7 * 86_400,
) -> Restoration:
    """The engine's time to band for one case (see the module's docstring)."""
    terms = PegTerms(
        fee_rate=_dec(fee), band=_dec(band), delay_seconds=0,
        correction_seconds=correction_seconds, feed_window_seconds=max(tick_seconds, 1),
    )  # fmt: skip
    market = PegMarket.open(10_000_000, _FEED, terms=terms)
    feed = (_FEED / (Decimal(1) + _dec(gap))).quantize(Decimal("1e-12"))
    market.advance(1)
    market.update_feed(feed)
    market.tick()  # SPOT goes outside the band: the correction is due from now (no delay)
    elapsed, ticks = 0, 0
    low, high = Decimal(1) - _dec(band), Decimal(1) + _dec(band)
    while elapsed < limit_seconds:
        market.advance(tick_seconds)
        market.update_feed(feed)
        market.tick()
        elapsed += tick_seconds
        ticks += 1
        state = market.state
        if low <= state.spot / state.feed <= high:
            return Restoration(gap, fee, tick_seconds, elapsed, ticks)
    return Restoration(gap, fee, tick_seconds, None, ticks)


def ticks_needed(gap: float, fee: float, band: float = 0.02) -> int:
    """The fewest ticks the front-running cap allows for ``gap`` (the module's docstring)."""
    if abs(gap) <= band:
        return 0
    if gap > 0:
        return math.ceil(math.log((1 + gap) / (1 + band)) / math.log(1 + fee))
    return math.ceil(math.log((1 - band) / (1 + gap)) / (2 * math.log(1 + fee)))


def tick_for(
    gap: float = DESIGN_GAP,
    fee: float = 0.003,
    *,
    band: float = 0.02,
    correction_seconds: int = 3_600,
) -> int:
    """The longest of :data:`TICK_CHOICES` with which the engine brings ``gap`` back into the
    band within ``correction_seconds``."""
    for tick in sorted(TICK_CHOICES, reverse=True):
        found = restoration_time(
            gap, fee, tick, band=band, correction_seconds=correction_seconds,
            limit_seconds=correction_seconds,
        )  # fmt: skip
        if found.seconds is not None and found.seconds <= correction_seconds:
            return tick
    return min(TICK_CHOICES)


def _dec(value: float) -> Decimal:
    return Decimal(repr(value))
