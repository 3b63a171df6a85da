"""Price history per market, projected from a program's events (for the sponsor's charts)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from marketcraft.kernel.messages import Event
from marketcraft.opportunity.events import MarketListed, OrderExecuted, TriggeredTrade
from marketcraft.opportunity.state import ProgramState

__all__ = ["PricePoint", "crossed_at", "move_since", "price_history"]

PricePoint = tuple[datetime, Decimal]


def price_history(state: ProgramState, events: Iterable[Event]) -> dict[str, list[PricePoint]]:
    """Each market's price after every trade, starting at its opening price."""
    history: dict[str, list[PricePoint]] = {}
    for event in events:
        if isinstance(event, MarketListed) and event.opens_at is not None:
            history[event.market_id] = [(event.opens_at, state.require_terms().pa)]
        elif isinstance(event, OrderExecuted | TriggeredTrade):
            curve = state.markets[event.market_id].curve
            points = history.setdefault(event.market_id, [])
            points.append((event.at, curve.price(event.state_after)))
    return history


def move_since(points: list[PricePoint], now: datetime, window: timedelta) -> Decimal:
    """How much the price moved over the last ``window`` (0 with no history)."""
    if not points:
        return Decimal(0)
    before = [p for t, p in points if t <= now - window]
    start = before[-1] if before else points[0][1]
    return points[-1][1] - start


def crossed_at(points: list[PricePoint], threshold: Decimal) -> datetime | None:
    """When the price last rose to ``threshold`` or above, if it is there now; else None."""
    if not points or points[-1][1] < threshold:
        return None
    crossed = points[-1][0]
    for t, price in reversed(points):
        if price < threshold:
            break
        crossed = t
    return crossed
