"""Normal and recovery modes: black-swan detection with hysteresis and the recovery price.

The excess ratio is ``X / ((r - 1) C)``: 1 when excess collateral sits at its target. A black
swan is excess that is gone: the ratio at or below ``swan_enter`` (default 1%). Recovery mode
then blocks MMS sales and sells new MMS at a discount; normal mode resumes once the ratio is
back at ``swan_exit`` (default 50%). The gap between the two thresholds keeps the market from
flapping between modes on small moves; 50% leaves room to defend the peg again while corrections
that move COL to excess keep refilling it towards 100%. With r = 1 there is no excess to lose
and the market stays in normal mode.

**Leaving recovery after the buy-back** (the ``swan_exit_after_burn`` term, on by default).
Recovery blocks buying PEG back with excess, so SPOT may sit far below the feed when the excess
ratio gets back to ``swan_exit``. The first ticks of normal mode would then spend that excess
buying PEG back and burning it, and a gap wider than the refilled excess drains it to nothing:
the market falls straight back into recovery, again and again, each time MMS sales reopen for a
few hours. So recovery ends only once the excess left after the whole buy-back would still be
``swan_exit`` of its target: with ``a = sqrt(F C U) - C`` the COL that takes SPOT (C / U) to
the feed F, ``(X - a) / ((r - 1) (C + a)) >= swan_exit``. Buying back ``a`` moves C to C + a
and raises the target with it, hence C + a. When SPOT is not below the band, no buy-back is
due and a = 0 (the plain rule). Recovery purchases keep refilling excess until then; once
normal mode resumes, the corrections that follow restore the peg and leave the excess at or
above ``swan_exit`` of its target."""

from __future__ import annotations

from decimal import Decimal

from marketcraft.kernel.money import quantize_down
from marketcraft.peg.terms import PegTerms

__all__ = ["NORMAL", "RECOVERY", "buy_back_gap", "excess_ratio", "next_mode", "recovery_mms"]

NORMAL, RECOVERY = "normal", "recovery"

_ZERO, _ONE = Decimal(0), Decimal(1)


def excess_ratio(c: Decimal, x: Decimal, ratio: Decimal) -> Decimal | None:
    """``X / ((r - 1) C)``, or None when the target excess is zero."""
    target = (ratio - _ONE) * c
    return x / target if target > 0 else None


def buy_back_gap(c: Decimal, u: Decimal, feed: Decimal, band: Decimal) -> Decimal:
    """The COL that buying PEG back from the relay and burning it would spend to take SPOT
    (``c / u``) to ``feed``: ``sqrt(F C U) - C`` while SPOT is below the band, else 0. Call
    it in the money context."""
    if c <= 0 or u <= 0 or feed <= 0 or c >= feed * (_ONE - band) * u:
        return _ZERO
    return max((feed * c * u).sqrt() - c, _ZERO)


def next_mode(
    mode: str, c: Decimal, x: Decimal, terms: PegTerms, *, u: Decimal, feed: Decimal
) -> str:
    """The mode after a tick that leaves ``c`` COL and ``u`` PEG in the connector and ``x``
    COL in excess, with the feed at ``feed``. Call it in the money context."""
    level = excess_ratio(c, x, terms.ratio)
    if level is None:
        return NORMAL
    if mode == NORMAL and level <= terms.swan_enter:
        return RECOVERY
    if mode == RECOVERY:
        if terms.swan_exit_after_burn:
            gap = buy_back_gap(c, u, feed, terms.band)
            if gap > 0:
                level = (x - gap) / ((terms.ratio - _ONE) * (c + gap))
        if level >= terms.swan_exit:
            return NORMAL
    return mode


def recovery_mms(
    net: Decimal, nav: Decimal, supply: Decimal, discount: Decimal, decimals: int
) -> Decimal:
    """MMS issued for ``net`` COL in recovery: priced at ``(1 - discount)`` of the net asset
    value per MMS (``nav`` = C + X - Dc * feed, in COL), rounded down. ``nav`` must be > 0."""
    return quantize_down(net * supply / ((_ONE - discount) * nav), decimals)
