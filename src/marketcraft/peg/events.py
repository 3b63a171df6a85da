"""What happened in a peg market (past-tense nouns), each carrying every amount it moves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from marketcraft.kernel.messages import Event, added_field, message_type
from marketcraft.peg.terms import PegTerms

__all__ = [
    "ColFunded",
    "CorrectionMade",
    "MarketOpened",
    "MmsBought",
    "MmsSold",
    "ModeChanged",
    "PegBought",
    "PegSold",
    "PriceReported",
    "Ticked",
]


@message_type("peg.market_opened")
@dataclass(frozen=True, slots=True)
class MarketOpened(Event):
    opener: str
    at: datetime
    terms: PegTerms
    feed: Decimal
    connector_col: Decimal  # C = D / r
    excess_col: Decimal  # X = D - C
    connector_peg: Decimal  # U = C / F, minted into the connector
    mms: Decimal  # to the opener
    #: MMS issued to no one and never redeemable (the last MMS cannot empty the relay); markets
    #: opened before it existed locked none
    mms_locked: Decimal = added_field(Decimal(0))


@message_type("peg.col_funded")
@dataclass(frozen=True, slots=True)
class ColFunded(Event):
    holder: str
    amount: Decimal


@message_type("peg.peg_bought")
@dataclass(frozen=True, slots=True)
class PegBought(Event):
    buyer: str
    col_in: Decimal  # paid by the buyer: fee + into the connector
    fee: Decimal  # COL kept by the pool, where the terms' fees_to says
    peg_out: Decimal  # from the connector to the buyer


@message_type("peg.peg_sold")
@dataclass(frozen=True, slots=True)
class PegSold(Event):
    seller: str
    peg_in: Decimal  # into the connector
    col_out: Decimal  # from the connector: fee + to the seller
    fee: Decimal  # COL kept by the pool, where the terms' fees_to says


@message_type("peg.mms_bought")
@dataclass(frozen=True, slots=True)
class MmsBought(Event):
    buyer: str
    col_in: Decimal
    fee: Decimal  # COL kept by the pool, where the terms' fees_to says
    to_connector: Decimal  # COL
    to_excess: Decimal  # COL, besides the fee
    peg_minted_connector: Decimal
    peg_minted_buyer: Decimal
    mms: Decimal


@message_type("peg.mms_sold")
@dataclass(frozen=True, slots=True)
class MmsSold(Event):
    seller: str
    mms: Decimal
    peg_in: Decimal  # circulating PEG the seller hands in (burnt)
    peg_burnt_connector: Decimal
    from_connector: Decimal  # COL
    from_excess: Decimal  # COL, before the fee
    fee: Decimal  # COL held back from the payout (state._mms_sold says from where)


@message_type("peg.price_reported")
@dataclass(frozen=True, slots=True)
class PriceReported(Event):
    reporter: str
    at: datetime
    price: Decimal  # COL per PEG
    feed: Decimal  # the median of the reports in the window, this one included


@message_type("peg.ticked")
@dataclass(frozen=True, slots=True)
class Ticked(Event):
    at: datetime
    feed: Decimal  # the median at this tick (the last one when the feed is stale)
    stale: bool  # no report in the feed window
    outside_since: datetime | None  # first tick of the current stretch outside the band


@message_type("peg.correction_made")
@dataclass(frozen=True, slots=True)
class CorrectionMade(Event):
    at: datetime
    kind: str  # to_excess, mint or buy_burn (marketcraft.peg.correction)
    col: Decimal  # COL moved to excess, or spent from excess on PEG
    peg: Decimal  # PEG minted into the connector, or bought from it and burnt


@message_type("peg.mode_changed")
@dataclass(frozen=True, slots=True)
class ModeChanged(Event):
    at: datetime
    mode: str  # normal or recovery (marketcraft.peg.modes)
