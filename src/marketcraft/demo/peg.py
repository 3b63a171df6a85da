"""The demo pegged-token market: a day of feed, trades and peg corrections."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from marketcraft.app.peg_markets import PegMarkets
from marketcraft.kernel.clock import Clock
from marketcraft.peg.commands import BuyPeg, FundCol, OpenMarket, ReportPrice, SellPeg, Tick
from marketcraft.peg.terms import PegTerms
from marketcraft.store.database import Database

__all__ = ["load_peg_market"]


def load_peg_market(db: Database, clock: Clock) -> bool:
    """A pegged-token market with a day of history: the outside price drifts, a trader buys
    and sells PEG, ticks correct SPOT towards the median feed (the dashboard's charts)."""
    markets = PegMarkets(db.events, db.quarantine)
    if "demo-usd" in markets.names():
        return False
    now = clock.now()
    start = now - timedelta(days=1)
    terms = PegTerms(delay_seconds=3600, correction_seconds=3600, feed_window_seconds=6 * 3600)
    markets.open(
        "demo-usd", OpenMarket(Decimal(10_000_000), Decimal("0.5"), terms), "demo-admin", start
    )
    markets.handle("demo-usd", FundCol(Decimal(1_000_000)), "demo-trader", start)
    for quarter in range(1, 96):
        at = start + timedelta(minutes=15 * quarter)
        # the collateral drifts down 6% over the day, with a wobble: the feed rises
        price = Decimal("0.5") * (1 + Decimal(quarter) / 1600) + Decimal(quarter % 7) / 4000
        markets.handle(
            "demo-usd", ReportPrice(price.quantize(Decimal("0.000001"))), "demo-admin", at
        )
        if quarter % 4 == 1:
            markets.handle("demo-usd", BuyPeg(Decimal(5_000)), "demo-trader", at)
        if quarter % 12 == 5:
            markets.handle("demo-usd", SellPeg(Decimal(4_000)), "demo-trader", at)
        markets.handle("demo-usd", Tick(), "demo-admin", at)
    return True
