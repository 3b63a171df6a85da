"""The fee a relay trade pays: the base rate, or with a dynamic fee more for a trade that moves
SPOT further from the feed (a trade towards the feed always pays the base rate, so the fee
never stands in the way of arbitrage that restores the peg)."""

from __future__ import annotations

from decimal import Decimal

from marketcraft.peg.terms import PegTerms

__all__ = ["relay_fee_rate"]

_ONE = Decimal(1)


def relay_fee_rate(terms: PegTerms, spot: Decimal, feed: Decimal, *, buying_peg: bool) -> Decimal:
    """The fee rate for a relay trade at ``spot`` with the feed at ``feed`` (both COL per PEG);
    buying PEG raises SPOT, selling lowers it. Call it in the money context."""
    if terms.fee_slope == 0 or feed <= 0:
        return terms.fee_rate
    deviation = spot / feed - _ONE
    away = deviation > 0 if buying_peg else deviation < 0
    if not away:
        return terms.fee_rate
    return min(terms.max_fee, terms.fee_rate + terms.fee_slope * abs(deviation))
