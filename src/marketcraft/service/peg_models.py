"""Request and response bodies of the pegged-token API. Amounts travel as decimal strings
(numbers are accepted on input); prices (the feed, SPOT) are COL per PEG. Every number on the
way in is read through one of the bounded types of :mod:`marketcraft.number_types`."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, PlainSerializer

from marketcraft.kernel.limits import AMOUNT_PLACES
from marketcraft.number_types import Amount, Fraction, PlainDecimalText, Positive, Shown
from marketcraft.peg.limits import MAX_PRICE, MAX_RATIO, MAX_TERM_SECONDS, MIN_PRICE
from marketcraft.peg.terms import PegTerms
from marketcraft.service.opportunity_models import Page, Strict

__all__ = [
    "Amount",
    "CreditIn",
    "FeedIn",
    "PegBalanceOut",
    "PegMarketIn",
    "PegMarketOut",
    "PegMarketPage",
    "PointOut",
    "SellMmsIn",
    "TradeIn",
    "TradeOut",
    "UnavailablePegMarketOut",
]

#: computed values (SPOT, ratios: up to 40 digits) on the way out
Value = Shown
Maybe = Annotated[
    Decimal | None,
    PlainSerializer(lambda v: None if v is None else format(v, "f"), when_used="json"),
]
Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
_AS_TEXT = PlainSerializer(lambda v: format(v, "f"), return_type=str, when_used="json")
#: a price, COL per PEG, within the engine's bounds (marketcraft.peg.limits)
Price = Annotated[
    Decimal,
    Field(ge=MIN_PRICE, le=MAX_PRICE, decimal_places=AMOUNT_PLACES, allow_inf_nan=False),
    PlainDecimalText(),
    _AS_TEXT,
]
#: a target reserve ratio r, within the engine's bounds
Ratio = Annotated[
    Decimal,
    Field(ge=1, le=MAX_RATIO, decimal_places=AMOUNT_PLACES, allow_inf_nan=False),
    PlainDecimalText(),
    _AS_TEXT,
]
#: a term's time in whole seconds, at most a year (the engine's bound)
Seconds = Annotated[int, Field(ge=0, le=MAX_TERM_SECONDS)]
_D: dict[str, Any] = {f.name: f.default for f in dataclasses.fields(PegTerms)}


class PegMarketIn(Strict):
    """A peg market to open: its name, who gets the first MMS, the COL deposit, the opening
    feed and its terms (the engine's defaults for what is left out)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"name": "usd", "opener": "founder", "deposit": "1000000", "feed": "0.5"}]
        }
    )

    name: Name
    opener: str = Field(min_length=1, max_length=100, description="Who gets the first MMS.")
    deposit: Positive = Field(description="COL; split by the ratio into connector and excess.")
    feed: Price = Field(description="The opening price, COL per PEG.")
    ratio: Ratio = _D["ratio"]
    fee_rate: Fraction = _D["fee_rate"]
    fee_slope: Amount = _D["fee_slope"]
    max_fee: Fraction = _D["max_fee"]
    band: Fraction = _D["band"]
    delay_seconds: Seconds = _D["delay_seconds"]
    correction_seconds: Seconds = _D["correction_seconds"]
    feed_window_seconds: int = Field(_D["feed_window_seconds"], ge=1, le=MAX_TERM_SECONDS)
    swan_enter: Fraction = _D["swan_enter"]
    swan_exit: Fraction = _D["swan_exit"]
    recovery_discount: Fraction = _D["recovery_discount"]
    fees_to: Literal["connector", "excess"] = Field(
        _D["fees_to"],
        description="Where fees go: connector (the relay keeps them, so SPOT rises with volume "
        "and they accrue to MMS holders) or excess (added to excess collateral).",
    )
    max_trade_fraction: Fraction = Field(
        _D["max_trade_fraction"],
        description="The most one trade may bring, as a share of the reserve it trades against "
        "(a PEG buy's COL of the connector's COL, a PEG sale's PEG of the connector's PEG, an "
        "MMS buy's COL of the pool's COL).",
    )
    swan_exit_after_burn: bool = Field(
        _D["swan_exit_after_burn"],
        description="Recovery ends only once the excess would still be swan_exit of its target "
        "after buying back the PEG that takes SPOT to the feed.",
    )

    def terms(self) -> PegTerms:
        fields = {f.name for f in dataclasses.fields(PegTerms)}
        return PegTerms(**{k: v for k, v in self.model_dump().items() if k in fields})


class TradeIn(Strict):
    """A trade's input amount."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"amount": "100"}]})

    amount: Positive = Field(description="What goes in: COL to buy, PEG or MMS to sell.")
    min_return: Amount | None = Field(
        None,
        description="The least to receive (PEG, COL after the fee, or MMS); the trade is "
        "refused whole (slippage) if it would give less.",
    )


class SellMmsIn(TradeIn):
    """An MMS sale: the MMS to sell, the least COL to accept and the most PEG to hand in."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"amount": "10", "min_return": "9", "max_cost": "12"}]}
    )

    max_cost: Amount | None = Field(
        None,
        description="The most circulating PEG to hand in; the sale is refused whole (slippage) "
        "if it would take more.",
    )


class CreditIn(Strict):
    """A COL deposit from outside, credited to a trader's wallet."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"user": "tia", "amount": "1000"}]})

    user: str = Field(min_length=1, max_length=100)
    amount: Positive = Field(description="COL deposited from outside into the user's wallet.")


class FeedIn(Strict):
    """An outside price report."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"price": "0.5"}]})

    price: Price = Field(description="An outside price report, COL per PEG.")


class TradeOut(Strict):
    """What a trade gave: what you received, the fee, and your wallet after it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "received": "198.8",
                    "fee": "0.3",
                    "balance": {"col": "150.25", "peg": "98.7", "mms": "0"},
                }
            ]
        }
    )

    received: Value = Field(description="PEG, COL or MMS received.")
    fee: Value = Field(description="COL kept by the pool for MMS holders.")
    balance: PegBalanceOut


class PegBalanceOut(Strict):
    """A trader's wallet in a market: COL, PEG and MMS."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"col": "150.25", "peg": "98.7", "mms": "0"}]}
    )

    col: Value
    peg: Value
    mms: Value


class PegMarketOut(Strict):
    """A peg market now: its pools, supply, prices, ratios, mode and fees."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "usd",
                    "status": "open",
                    "connector_col": "500000",
                    "connector_peg": "1000000",
                    "excess_col": "500000",
                    "circulating_peg": "1200",
                    "mms_supply": "1000000",
                    "feed": "0.5",
                    "spot": "0.5003",
                    "reserve_ratio": "1.4",
                    "sold_peg_ratio": "0.0012",
                    "excess_ratio": "0.5",
                    "mode": "normal",
                    "feed_stale": False,
                    "outside_since": None,
                    "fees": "12.5",
                    "fee_rate": "0.003",
                    "band": "0.02",
                    "fees_to": "connector",
                }
            ]
        }
    )

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
    max_trade_fraction: Maybe = Field(
        description="The most one trade may bring, as a share of its reserve (null: no limit)."
    )
    swan_exit_after_burn: bool


class UnavailablePegMarketOut(Strict):
    """A market whose state cannot be shown (it is quarantined until an operator acts)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "eur",
                    "status": "unavailable",
                    "error": "market_quarantined",
                    "reason": "the market is quarantined until an operator releases it",
                }
            ]
        }
    )

    name: str
    status: Literal["unavailable"] = "unavailable"
    error: str
    reason: str


class PointOut(Strict):
    """A market after one change: SPOT, feed, reserve ratio, circulating PEG, fees, mode."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "at": "2026-01-01T00:00:00Z",
                    "spot": "0.5003",
                    "feed": "0.5",
                    "reserve_ratio": "1.4",
                    "circulating_peg": "1200",
                    "fees": "12.5",
                    "mode": "normal",
                }
            ]
        }
    )

    at: datetime
    spot: Value
    feed: Value
    reserve_ratio: Maybe
    circulating_peg: Value
    fees: Value
    mode: str


TradeOut.model_rebuild()


class PegMarketPage(Page[PegMarketOut | UnavailablePegMarketOut]):
    """One page of the peg markets: each shown now, or listed as unavailable; ask again with
    ``offset=next_offset`` for the next (null: the last)."""
