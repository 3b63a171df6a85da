"""Peg corrections: how much one tick moves to bring SPOT (C / U, COL per PEG) towards the feed.

Three branches, always aiming at the initial shape (excess X = (r - 1) C, all PEG in the
connector):

* SPOT above the feed and X below its target by at least one minor unit of COL that can move
  (``room = ((r - 1) C - X) / r >= 1`` unit): move ``m`` COL from the connector to excess; the
  full gap is ``m = C - F U``, and no more than takes X to its target;
* SPOT above the feed otherwise (excess at its target to within one minor unit): mint ``n``
  PEG into the connector; the full gap is ``n = C / F - U``. A shortfall below one minor unit
  counts as at target: no move could close it (every move rounds to zero), and taking the
  first branch on it would stop corrections for good;
* SPOT below the feed, with excess to spend (never in recovery mode): buy PEG from the relay
  with ``a`` COL of excess and burn it; the full gap is ``a = sqrt(F C U) - C``.

The caller scales the full gap by ``pace`` (the share of the remaining correction time that
has passed since the last tick), so an undisturbed correction closes the gap linearly by its
deadline and never overshoots the feed.

**Front-running.** A trader who trades just before a tick and reverses just after must not
profit. With base fee ``f`` on both legs, the round trip loses whenever one tick moves the
relay no further than these caps, whatever the trade's size (the algebra is in the tests):

* moving COL to excess: ``m <= f C``  (needs ``C' >= (1 - f)^2 C``);
* buying and burning PEG: ``a <= f C`` (needs ``U' >= (1 - f) U``, and ``a <= f C`` gives
  ``U' = U C / (C + a) >= U / (1 + f)``, which is more);
* minting PEG: ``n <= f U_min`` where ``U_min`` is the least connector PEG seen since the last
  tick (needs ``(1 - f)^2 (U_before + n) <= U_before`` for the PEG ``U_before`` the connector
  held before the trader's first leg, and ``(1 - f)^2 (1 + f) < 1``).

So a correction can never move faster than the fee allows; with a zero fee there is no safe
step and no correction runs. A position held across many ticks earns at most the gap between
SPOT and the feed that was there before the correction began, which any arbitrageur could
take anyway. Every amount is rounded down: the smaller correction is the safe one, and the
PEG burnt (``floor(U a / (C + a))``) leaves the relay product at or above its value.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from marketcraft.kernel.money import quantize_down

__all__ = ["BUY_BURN", "MINT_PEG", "TO_EXCESS", "Correction", "plan_correction"]

TO_EXCESS, MINT_PEG, BUY_BURN = "to_excess", "mint", "buy_burn"

_ZERO, _ONE = Decimal(0), Decimal(1)


@dataclass(frozen=True, slots=True)
class Correction:
    kind: str  # TO_EXCESS, MINT_PEG or BUY_BURN
    col: Decimal  # COL moved to excess (TO_EXCESS) or spent from excess (BUY_BURN)
    peg: Decimal  # PEG minted into the connector (MINT) or bought and burnt (BUY_BURN)


def plan_correction(
    *,
    c: Decimal,
    u: Decimal,
    x: Decimal,
    feed: Decimal,
    ratio: Decimal,
    step: Decimal,
    u_min: Decimal,
    pace: Decimal,
    buy_back: bool,
    col_decimals: int,
    peg_decimals: int,
) -> Correction | None:
    """The correction one tick makes, or None when there is nothing (safe) to do.

    ``c``, ``u``, ``x``: connector COL, connector PEG and excess COL; ``feed`` in COL per PEG;
    ``step``: the base fee rate (the cap above); ``u_min``: the least connector PEG since the
    last tick; ``pace`` in (0, 1]; ``buy_back``: whether excess may buy PEG (not in recovery).
    Call it in the money context."""
    if step <= 0 or pace <= 0 or c <= 0 or u <= 0 or feed <= 0:
        return None
    spot = c / u
    if spot > feed:
        # COL that takes excess to its target, in whole minor units: a part of a unit cannot
        # move, so it counts as none (and the mint branch runs)
        room = quantize_down(((ratio - _ONE) * c - x) / ratio, col_decimals)
        if room > 0:
            m = quantize_down(min((c - feed * u) * pace, step * c, room), col_decimals)
            return Correction(TO_EXCESS, m, _ZERO) if m > 0 else None
        n = quantize_down(min((c / feed - u) * pace, step * u_min), peg_decimals)
        return Correction(MINT_PEG, _ZERO, n) if n > 0 else None
    if spot < feed and buy_back and x > 0:
        a_full = (feed * c * u).sqrt() - c
        a = quantize_down(min(a_full * pace, step * c, x), col_decimals)
        if a <= 0:
            return None
        burnt = quantize_down(u * a / (c + a), peg_decimals)
        return Correction(BUY_BURN, a, burnt) if burnt > 0 else None
    return None
