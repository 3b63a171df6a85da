"""What users ask of a peg market (verbs)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from marketcraft.kernel.messages import Command, Context, added_field, message_type
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


# Slippage protection: every trade fixes what goes in and may name ``min_return``, the least
# it accepts to receive (Uniswap's amountOutMin); an MMS sale also hands in PEG that the market
# decides, and may cap it with ``max_cost`` (amountInMax). A trade that would break a limit is
# refused whole (``slippage``). None: no limit.


@message_type("peg.buy_peg")
@dataclass(frozen=True, slots=True)
class BuyPeg(Command):
    col_in: Decimal
    #: the least PEG to receive
    min_return: Decimal | None = added_field(None)


@message_type("peg.sell_peg")
@dataclass(frozen=True, slots=True)
class SellPeg(Command):
    peg_in: Decimal
    #: the least COL to receive, after the fee
    min_return: Decimal | None = added_field(None)


@message_type("peg.buy_mms")
@dataclass(frozen=True, slots=True)
class BuyMms(Command):
    col_in: Decimal
    #: the least MMS to receive
    min_return: Decimal | None = added_field(None)


@message_type("peg.sell_mms")
@dataclass(frozen=True, slots=True)
class SellMms(Command):
    mms_in: Decimal
    #: the least COL to receive, after the fee
    min_return: Decimal | None = added_field(None)
    #: the most circulating PEG to hand in
    max_cost: Decimal | None = added_field(None)


@message_type("peg.report_price")
@dataclass(frozen=True, slots=True)
class ReportPrice(Command):
    """An external price report for the feed, in COL per PEG, made at the context's time."""

    price: Decimal


@message_type("peg.tick")
@dataclass(frozen=True, slots=True)
class Tick(Command):
    """The periodic tick: refresh the feed, watch the band, correct, and switch modes."""
