"""Pegged-token market maker: a Bancor relay between collateral (COL) and a pegged token (PEG)
with one global short position whose shares (MMS) anyone can buy or sell.

Units, fixed once: the feed and SPOT are COL per PEG (SPOT = C / U)."""

from marketcraft.peg.commands import (
    BuyMms,
    BuyPeg,
    FundCol,
    OpenMarket,
    ReportPrice,
    SellMms,
    SellPeg,
    Tick,
)
from marketcraft.peg.engine import decide
from marketcraft.peg.invariants import check_relay
from marketcraft.peg.market import PegMarket, snapshot
from marketcraft.peg.state import PegState, evolve
from marketcraft.peg.terms import PegTerms

__all__ = [
    "BuyMms",
    "BuyPeg",
    "FundCol",
    "OpenMarket",
    "PegMarket",
    "PegState",
    "PegTerms",
    "ReportPrice",
    "SellMms",
    "SellPeg",
    "Tick",
    "check_relay",
    "decide",
    "evolve",
    "snapshot",
]
