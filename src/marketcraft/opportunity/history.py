"""Price history per market, projected from a program's events (for the sponsor's charts)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from marketcraft.kernel.messages import Event
from marketcraft.opportunity.events import (
    CollateralWithdrawn,
    MarketListed,
    OrderExecuted,
    ProgramSettled,
    TriggeredTrade,
)
from marketcraft.opportunity.state import ProgramState

__all__ = ["PricePoint", "ProgramHistory", "crossed_at", "move_since", "price_history"]

PricePoint = tuple[datetime, Decimal]


_MINUTE = timedelta(minutes=1)


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


class ProgramHistory:
    """What the sponsor's pages draw, projected from a program's events as they are folded:
    each market's price over time, and how much of the sponsor's collateral has left the
    program (``collateral_returned``: None until some has; under rules 1 all of it left at
    settlement, since rules 2 it leaves as the sponsor withdraws it).

    The price series keeps the opening price and, of each minute's trades, the first and the
    last, so it grows with the program's time, never with its number of orders. A trade is
    kept as its AMM state and priced when read (folding stays cheap)."""

    __slots__ = ("_opening", "_trades", "collateral_returned")

    def __init__(self) -> None:
        self._opening: dict[str, PricePoint] = {}
        self._trades: dict[str, list[tuple[datetime, Decimal]]] = {}
        self.collateral_returned: Decimal | None = None

    def add_all(self, state: ProgramState, events: Iterable[Event]) -> None:
        for event in events:
            self.add(state, event)

    def add(self, state: ProgramState, event: Event) -> None:
        if isinstance(event, MarketListed) and event.opens_at is not None:
            self._opening[event.market_id] = (event.opens_at, state.require_terms().pa)
            self._trades[event.market_id] = []
        elif isinstance(event, OrderExecuted | TriggeredTrade):
            trades = self._trades.setdefault(event.market_id, [])
            point = (event.at, event.state_after)
            start = _minute(event.at)
            end = start + _MINUTE
            if len(trades) >= 2 and start <= trades[-2][0] < end and start <= trades[-1][0] < end:
                trades[-1] = point  # the minute's last trade so far
            else:
                trades.append(point)
        elif isinstance(event, ProgramSettled | CollateralWithdrawn):
            out = event.collateral_returned if isinstance(event, ProgramSettled) else event.amount
            self.collateral_returned = (self.collateral_returned or Decimal(0)) + out

    def prices(self, state: ProgramState) -> dict[str, list[PricePoint]]:
        """Each market's price points, oldest first, starting at its opening price."""
        found: dict[str, list[PricePoint]] = {}
        for market_id, trades in self._trades.items():
            curve = state.markets[market_id].curve
            opening = self._opening.get(market_id)
            points = [opening] if opening is not None else []
            points.extend((at, curve.price(s)) for at, s in trades)
            found[market_id] = points
        return found


def price_history(state: ProgramState, events: Iterable[Event]) -> dict[str, list[PricePoint]]:
    """Each market's price over ``events`` (as :class:`ProgramHistory` keeps it)."""
    history = ProgramHistory()
    history.add_all(state, events)
    return history.prices(state)


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
