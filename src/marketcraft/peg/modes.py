"""Normal and recovery modes: black-swan detection with hysteresis and the recovery price.

The excess ratio is ``X / ((r - 1) C)``: 1 when excess collateral sits at its target. A black
swan is excess that is gone: the ratio at or below ``swan_enter`` (default 1%). Recovery mode
then blocks MMS sales and sells new MMS at a discount; normal mode resumes once the ratio is
back at ``swan_exit`` (default 50%). The gap between the two thresholds keeps the market from
flapping between modes on small moves; 50% leaves room to defend the peg again while corrections
that move COL to excess keep refilling it towards 100%. With r = 1 there is no excess to lose
and the market stays in normal mode."""

from __future__ import annotations

from decimal import Decimal

from marketcraft.kernel.money import quantize_down
from marketcraft.peg.terms import PegTerms

__all__ = ["NORMAL", "RECOVERY", "excess_ratio", "next_mode", "recovery_mms"]

NORMAL, RECOVERY = "normal", "recovery"

_ONE = Decimal(1)


def excess_ratio(c: Decimal, x: Decimal, ratio: Decimal) -> Decimal | None:
    """``X / ((r - 1) C)``, or None when the target excess is zero."""
    target = (ratio - _ONE) * c
    return x / target if target > 0 else None


def next_mode(mode: str, c: Decimal, x: Decimal, terms: PegTerms) -> str:
    """The mode after a tick that leaves ``c`` COL in the connector and ``x`` in excess."""
    level = excess_ratio(c, x, terms.ratio)
    if level is None:
        return NORMAL
    if mode == NORMAL and level <= terms.swan_enter:
        return RECOVERY
    if mode == RECOVERY and level >= terms.swan_exit:
        return NORMAL
    return mode


def recovery_mms(
    net: Decimal, nav: Decimal, supply: Decimal, discount: Decimal, decimals: int
) -> Decimal:
    """MMS issued for ``net`` COL in recovery: priced at ``(1 - discount)`` of the net asset
    value per MMS (``nav`` = C + X - Dc * feed, in COL), rounded down. ``nav`` must be > 0."""
    return quantize_down(net * supply / ((_ONE - discount) * nav), decimals)
