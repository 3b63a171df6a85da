"""What each dealer is told of a settlement: its own two legs, so it can book them, and
nothing from which the other dealer's schedule or hurdle follows beyond what its own share
of the profit must reveal.

A trade has four legs, two per dealer: BDmm borrows the volume Q from its client MM at r_mm and
lends it to BDrm at the inter-dealer rate r_bd = (r_mm + r_rm) / 2; BDrm borrows it from BDmm
at r_bd and lends it to its client RM at r_rm. Each dealer needs its own two legs (volume, rate,
what it pays and receives) to book the trade, and they net to its profit, (r_rm - r_mm) Q / 2.

What a dealer can infer is fixed by the mechanism, not by what it is shown: any dealer paid
half the joint profit on its legs knows Q, its own client's rate and that half, so it knows
the other client's rate at the selected point (r_rm = 2 r_bd - r_mm for BDmm). That is the one
figure of the other side it learns, and it also learns that the other dealer's hurdle is at most
the margin (r_rm - r_mm) / 2. Nothing else of the other's report follows from its view: not its
rates at other grid points, not its hurdle, not its salt. Without a trade a dealer is told only
that (volume 0, no legs).

Amounts are interest in basis points times volume (as the joint profit is), exact decimal
text; a negative rate makes the leg's amount negative: the flow runs the other way."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marketcraft.repo.schedule import Side, bp_text

__all__ = ["VIEW_FIELDS", "dealer_view"]

#: every field a dealer's view may hold (the README lists what each reveals)
VIEW_FIELDS = frozenset({"trade", "side", "volume", "client_leg", "dealer_leg", "profit"})


def _leg(counterparty: str, rate: Decimal, volume: int, *, pays: bool) -> dict[str, Any]:
    flow = "you_pay" if pays else "you_receive"
    return {
        "counterparty": counterparty,
        "you": "borrow" if pays else "lend",
        "volume": volume,
        "rate": bp_text(rate),
        flow: bp_text(rate * volume),
    }


def dealer_view(
    side: Side, trade: bool, volume: int, rate_mm: Decimal, rate_rm: Decimal
) -> dict[str, Any]:
    """``side``'s dealer's view of a settlement's outcome (rates in basis points, the
    clients' own: offsets already taken off)."""
    if not trade:
        return {"trade": False, "side": side.value, "volume": 0}
    rate_bd = (rate_mm + rate_rm) / 2
    if side is Side.MM:
        client = _leg("your client (MM)", rate_mm, volume, pays=True)
        dealer = _leg("the RM side's dealer", rate_bd, volume, pays=False)
        profit = (rate_bd - rate_mm) * volume
    else:
        client = _leg("your client (RM)", rate_rm, volume, pays=False)
        dealer = _leg("the MM side's dealer", rate_bd, volume, pays=True)
        profit = (rate_rm - rate_bd) * volume
    return {
        "trade": True,
        "side": side.value,
        "volume": volume,
        "client_leg": client,
        "dealer_leg": dealer,
        "profit": bp_text(profit),
    }
