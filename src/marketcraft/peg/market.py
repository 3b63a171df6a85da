"""PegMarket: the small public facade over the peg engine (decide, then evolve).

    market = PegMarket.open(deposit=10_000_000, feed="0.5", ratio=4)
    market.fund("ann", 1000)
    peg = market.buy_peg("ann", 100)
    market.snapshot()["spot"]
    market.advance(60)
    market.update_feed("0.52")
    market.tick()

Amounts are Decimal, int or decimal strings (never float). Every call either applies all of its
events or raises and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from marketcraft.kernel.messages import Command, Event
from marketcraft.kernel.money import quantize_down, to_decimal, with_money_context
from marketcraft.peg.commands import (
    BuyMms,
    BuyPeg,
    Context,
    FundCol,
    OpenMarket,
    ReportPrice,
    SellMms,
    SellPeg,
    Tick,
)
from marketcraft.peg.engine import decide
from marketcraft.peg.events import CorrectionMade, MmsBought, MmsSold, PegBought, PegSold
from marketcraft.peg.modes import excess_ratio
from marketcraft.peg.state import PegState, evolve, wallet
from marketcraft.peg.terms import PegTerms

__all__ = ["PegMarket", "snapshot"]

Amount = Decimal | int | str
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class PegMarket:
    def __init__(self) -> None:
        self.state = PegState()
        self.events: list[Event] = []
        self.now = EPOCH

    @classmethod
    def open(
        cls,
        deposit: Amount,
        feed: Amount,
        ratio: Amount = 4,
        *,
        opener: str = "founder",
        terms: PegTerms | None = None,
        now: datetime = EPOCH,
    ) -> PegMarket:
        """Open with ``deposit`` COL at ``feed`` COL per PEG and target ratio ``ratio``."""
        market = cls()
        market.now = now
        terms = terms or PegTerms(ratio=to_decimal(ratio))
        market.handle(OpenMarket(to_decimal(deposit), to_decimal(feed), terms), opener)
        return market

    def handle(self, command: Command, actor: str) -> list[Event]:
        events = decide(self.state, command, Context(actor, self.now))
        for event in events:
            evolve(self.state, event)
        self.events += events
        return events

    def fund(self, user: str, col: Amount) -> None:
        self.handle(FundCol(to_decimal(col)), user)

    def buy_peg(self, user: str, col: Amount) -> Decimal:
        """Spend ``col`` COL on PEG; the PEG received."""
        (event,) = self.handle(BuyPeg(to_decimal(col)), user)
        assert isinstance(event, PegBought)
        return event.peg_out

    def sell_peg(self, user: str, peg: Amount) -> Decimal:
        """Sell ``peg`` PEG; the COL received."""
        (event,) = self.handle(SellPeg(to_decimal(peg)), user)
        assert isinstance(event, PegSold)
        return event.col_out - event.fee

    def buy_mms(self, user: str, col: Amount) -> Decimal:
        """Spend ``col`` COL on MMS; the MMS received (newly minted PEG comes with it)."""
        (event,) = self.handle(BuyMms(to_decimal(col)), user)
        assert isinstance(event, MmsBought)
        return event.mms

    def sell_mms(self, user: str, mms: Amount) -> Decimal:
        """Sell ``mms`` MMS, handing in the matching circulating PEG; the COL received."""
        (event,) = self.handle(SellMms(to_decimal(mms)), user)
        assert isinstance(event, MmsSold)
        return event.from_connector + event.from_excess - event.fee

    def advance(self, seconds: int) -> datetime:
        """Move the market's clock on by ``seconds``; the new time."""
        self.now += timedelta(seconds=seconds)
        return self.now

    def update_feed(self, price: Amount, reporter: str = "feed") -> Decimal:
        """Report an external price (COL per PEG) now; the feed (median) after it."""
        self.handle(ReportPrice(to_decimal(price)), reporter)
        return self.state.feed

    def tick(self, actor: str = "keeper") -> CorrectionMade | None:
        """Run the periodic tick now; the correction it made, if any."""
        events = self.handle(Tick(), actor)
        return next((e for e in events if isinstance(e, CorrectionMade)), None)

    def balance(self, user: str, asset: str) -> Decimal:
        """What ``user`` holds of ``asset`` (COL, PEG or MMS)."""
        return self.state.held(wallet(user), self.state.asset(asset))

    def snapshot(self) -> dict[str, Any]:
        return snapshot(self.state)


@with_money_context
def snapshot(s: PegState) -> dict[str, Any]:
    """What a peg market looks like now: balances, SPOT and feed (COL per PEG), ratios, mode."""
    c, u, x, dc = s.connector_col, s.connector_peg, s.excess_col, s.circulating_peg
    liabilities = (u + dc) * s.feed
    terms = s.require_terms()
    col, peg = s.col.decimals, s.peg.decimals
    return {
        # balances at their assets' places, however the events spelled them (a replay reads
        # "7500000" where the live ledger summed to "7500000.000000": the same number)
        "connector_col": quantize_down(c, col),
        "connector_peg": quantize_down(u, peg),
        "excess_col": quantize_down(x, col),
        "circulating_peg": quantize_down(dc, peg),
        "mms_supply": quantize_down(s.mms_supply, s.mms.decimals),
        "feed": s.feed,
        "spot": c / u,
        "reserve_ratio": (c + x) / liabilities if liabilities else None,
        # collateral against the PEG sold to users only (the connector's own PEG aside)
        "sold_peg_ratio": (c + x) / (dc * s.feed) if dc else None,
        "excess_ratio": excess_ratio(c, x, terms.ratio),
        "mode": s.mode,
        "feed_stale": s.feed_stale,
        "outside_since": s.outside_since,
        "fees": quantize_down(s.fees, col),
    }
