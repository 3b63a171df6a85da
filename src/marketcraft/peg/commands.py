"""What users ask of a peg market (verbs)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from marketcraft.kernel.messages import Command, Context, message_type
from marketcraft.peg.terms import PegTerms

__all__ = [
    "BuyMms",
    "BuyPeg",
    "Context",
    "FundCol",
    "OpenMarket",
    "ReportPrice",
    "SellMms",
    "SellPeg",
    "Tick",
]


DEFAULT_TERMS = PegTerms()


@message_type("peg.open_market")
@dataclass(frozen=True, slots=True)
class OpenMarket(Command):
    """Open with ``deposit`` COL at ``feed`` (COL per PEG); the opener gets the first MMS."""

    deposit: Decimal
    feed: Decimal
    terms: PegTerms = DEFAULT_TERMS


@message_type("peg.fund_col")
@dataclass(frozen=True, slots=True)
class FundCol(Command):
    """COL enters the actor's wallet from outside."""

    amount: Decimal


@message_type("peg.buy_peg")
@dataclass(frozen=True, slots=True)
class BuyPeg(Command):
    col_in: Decimal


@message_type("peg.sell_peg")
@dataclass(frozen=True, slots=True)
class SellPeg(Command):
    peg_in: Decimal


@message_type("peg.buy_mms")
@dataclass(frozen=True, slots=True)
class BuyMms(Command):
    col_in: Decimal


@message_type("peg.sell_mms")
@dataclass(frozen=True, slots=True)
class SellMms(Command):
    mms_in: Decimal


@message_type("peg.report_price")
@dataclass(frozen=True, slots=True)
class ReportPrice(Command):
    """An external price report for the feed, in COL per PEG, made at the context's time."""

    price: Decimal


@message_type("peg.tick")
@dataclass(frozen=True, slots=True)
class Tick(Command):
    """The periodic tick: refresh the feed, watch the band, correct, and switch modes."""
