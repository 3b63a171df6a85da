"""Request and response bodies of the pegged-token API. Amounts travel as decimal strings
(numbers are accepted on input); prices (the feed, SPOT) are COL per PEG. Every number on the
way in is read through one of the bounded types of :mod:`marketcraft.number_types`."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, PlainSerializer

from marketcraft.number_types import Amount, Fraction, Positive, Shown
from marketcraft.peg.terms import PegTerms
from marketcraft.service.opportunity_models import Strict

__all__ = [
    "Amount",
    "BalanceOut",
    "CreditIn",
    "FeedIn",
    "MarketIn",
    "MarketOut",
    "PointOut",
    "TradeIn",
    "TradeOut",
    "UnavailableMarketOut",
]

#: computed values (SPOT, ratios: up to 40 digits) on the way out
Value = Shown
Maybe = Annotated[
    Decimal | None,
    PlainSerializer(lambda v: None if v is None else format(v, "f"), when_used="json"),
]
Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
_D: dict[str, Any] = {f.name: f.default for f in dataclasses.fields(PegTerms)}


class MarketIn(Strict):
    name: Name
    opener: str = Field(min_length=1, max_length=100, description="Who gets the first MMS.")
    deposit: Positive = Field(description="COL; split by the ratio into connector and excess.")
    feed: Positive = Field(description="The opening price, COL per PEG.")
    ratio: Positive = _D["ratio"]
    fee_rate: Fraction = _D["fee_rate"]
    fee_slope: Amount = _D["fee_slope"]
    max_fee: Fraction = _D["max_fee"]
    band: Fraction = _D["band"]
    delay_seconds: int = Field(_D["delay_seconds"], ge=0, le=10**9)
    correction_seconds: int = Field(_D["correction_seconds"], ge=0, le=10**9)
    feed_window_seconds: int = Field(_D["feed_window_seconds"], ge=1, le=10**9)
    swan_enter: Fraction = _D["swan_enter"]
    swan_exit: Fraction = _D["swan_exit"]
    recovery_discount: Fraction = _D["recovery_discount"]
    fees_to: Literal["connector", "excess"] = Field(
        _D["fees_to"],
        description="Where fees go: connector (the relay keeps them, so SPOT rises with volume "
        "and they accrue to MMS holders) or excess (added to excess collateral).",
    )

    def terms(self) -> PegTerms:
        fields = {f.name for f in dataclasses.fields(PegTerms)}
        return PegTerms(**{k: v for k, v in self.model_dump().items() if k in fields})


class TradeIn(Strict):
    amount: Positive = Field(description="What goes in: COL to buy, PEG or MMS to sell.")


class CreditIn(Strict):
    user: str = Field(min_length=1, max_length=100)
    amount: Positive = Field(description="COL deposited from outside into the user's wallet.")


class FeedIn(Strict):
    price: Positive = Field(description="An outside price report, COL per PEG.")


class TradeOut(Strict):
    received: Value = Field(description="PEG, COL or MMS received.")
    fee: Value = Field(description="COL kept by the pool for MMS holders.")
    balance: BalanceOut


class BalanceOut(Strict):
    col: Value
    peg: Value
    mms: Value


class MarketOut(Strict):
    name: str
    status: Literal["open", "quarantined"] = Field(
        description="quarantined: shown, but trading and operations are refused (423)"
    )
    connector_col: Value
    connector_peg: Value
    excess_col: Value
    circulating_peg: Value
    mms_supply: Value
    feed: Value
    spot: Value
    reserve_ratio: Maybe
    sold_peg_ratio: Maybe
    excess_ratio: Maybe
    mode: str
    feed_stale: bool
    outside_since: datetime | None
    fees: Value
    fee_rate: Value
    band: Value
    fees_to: str


class UnavailableMarketOut(Strict):
    """A market whose state cannot be shown (it is quarantined until an operator acts)."""

    name: str
    status: Literal["unavailable"] = "unavailable"
    error: str
    reason: str


class PointOut(Strict):
    at: datetime
    spot: Value
    feed: Value
    reserve_ratio: Maybe
    circulating_peg: Value
    fees: Value
    mode: str


TradeOut.model_rebuild()
