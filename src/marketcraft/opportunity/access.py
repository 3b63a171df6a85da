"""Where a scout's order, close order or agent may go: shared checks of the engine's handlers."""

from __future__ import annotations

from marketcraft.kernel.errors import NotFound, OrderExists, ValidationError
from marketcraft.opportunity.commands import Context
from marketcraft.opportunity.state import MarketState, MarketStatus, ProgramState

__all__ = ["market_of", "open_market_for"]


def market_of(state: ProgramState, market_id: str) -> MarketState:
    market = state.markets.get(market_id)
    if market is None:
        raise NotFound("no_market", "no such market")
    return market


def open_market_for(state: ProgramState, market_id: str, item_id: str, ctx: Context) -> MarketState:
    """The market a scout's order, close order or agent goes into, if it may."""
    if ctx.actor == state.sponsor:
        raise ValidationError("sponsor_cannot_trade", "the sponsor cannot trade in its program")
    if not item_id or len(item_id) > 100:
        raise ValidationError("bad_order", "an order needs an id of 1..100 characters")
    if state.orders.taken(item_id):
        raise OrderExists(reason="an order with this id exists")
    market = market_of(state, market_id)
    if market.status is not MarketStatus.OPEN or market.opens_at is None:
        raise ValidationError("market_not_open", "the market is not open for orders")
    assert market.closes_at is not None
    if ctx.now >= market.closes_at:
        raise ValidationError("window_closed", "the market's window has closed")
    return market
