"""Close orders and agents: the commands that leave the engine to trade for a scout later.

Each may act at once (the trigger loop runs on a view of the state in which it is already
registered); after that, :mod:`marketcraft.opportunity.triggers` runs it after every trade.
"""

from __future__ import annotations

import copy
from decimal import Decimal

from marketcraft.kernel.errors import NotFound, ValidationError
from marketcraft.kernel.messages import Event
from marketcraft.kernel.money import quantize_down
from marketcraft.opportunity.access import open_market_for
from marketcraft.opportunity.commands import (
    CancelCloseOrder,
    Context,
    PlaceCloseOrder,
    RegisterAgent,
)
from marketcraft.opportunity.events import AgentRegistered, CloseOrderCancelled, CloseOrderPlaced
from marketcraft.opportunity.orders import SALT_BYTES, max_spend_for
from marketcraft.opportunity.state import (
    AgentRecord,
    CloseOrderRecord,
    CloseStatus,
    MarketState,
    ProgramState,
)
from marketcraft.opportunity.terms import Side
from marketcraft.opportunity.triggers import Pending, run_triggers

__all__ = ["cancel_close_order", "place_close_order", "register_agent"]


def _price_in_unit(value: Decimal, what: str) -> Decimal:
    if not Decimal(0) < value < Decimal(1):
        raise ValidationError("bad_price", f"{what} is a price in (0, 1)")
    return value


def place_close_order(state: ProgramState, c: PlaceCloseOrder, ctx: Context) -> list[Event]:
    market = open_market_for(state, c.market_id, c.order_id, ctx)
    terms = state.require_terms()
    _price_in_unit(c.trigger_price, "trigger_price")
    if c.max_shares <= 0 or c.max_shares != quantize_down(c.max_shares, terms.share_decimals):
        raise ValidationError("bad_amount", "max_shares must be > 0 in whole share units")
    if len(c.salt) != SALT_BYTES:
        raise ValidationError("bad_salt", f"the salt is {SALT_BYTES} bytes")
    escrow = Decimal(0)
    if c.side is Side.BUY:
        # what the shares can cost at the trigger price, whatever the price is now
        escrow = max_spend_for(c.max_shares, c.trigger_price, terms.fee_rate, terms.cash_decimals)
        if escrow > state.available(ctx.actor):
            raise ValidationError("insufficient_cash", "not enough available cash for the escrow")
    placed = CloseOrderPlaced(c.order_id, c.market_id, ctx.actor, c.token, c.trigger_price,
                              c.max_shares, c.salt, ctx.now, c.side, escrow)  # fmt: skip
    record = CloseOrderRecord(c.order_id, c.market_id, ctx.actor, c.token, c.trigger_price,
                              c.max_shares, side=c.side, escrow=escrow)  # fmt: skip
    view, view_market = _view_with(state, market, close_order=record)  # it may fire at once
    return [placed, *run_triggers(view, view_market, Pending(market.amm_state), ctx.now)]


def _view_with(
    state: ProgramState,
    market: MarketState,
    *,
    close_order: CloseOrderRecord | None = None,
    agent: AgentRecord | None = None,
) -> tuple[ProgramState, MarketState]:
    """A shallow view of ``state`` in which one more close order or agent is pending, so the
    trigger loop can run it at once (``decide`` never changes the state itself)."""
    view, view_market = copy.copy(state), copy.copy(market)
    if close_order is not None:
        view.close_orders = {**state.close_orders, close_order.order_id: close_order}
        view_market.close_orders = [*market.close_orders, close_order.order_id]
    if agent is not None:
        view.agents = {**state.agents, agent.agent_id: agent}
        view_market.agents = [*market.agents, agent.agent_id]
    view.markets = {**state.markets, market.market_id: view_market}
    return view, view_market


def cancel_close_order(state: ProgramState, c: CancelCloseOrder, ctx: Context) -> list[Event]:
    record = state.close_orders.get(c.order_id)
    if record is None or record.scout != ctx.actor:
        raise NotFound("no_order", "no such close order")
    return [CloseOrderCancelled(c.order_id, record.status is CloseStatus.PENDING, ctx.now)]


def register_agent(state: ProgramState, c: RegisterAgent, ctx: Context) -> list[Event]:
    market = open_market_for(state, c.market_id, c.agent_id, ctx)
    decimals = state.cash.decimals
    for value, what in ((c.budget, "budget"), (c.spend_per_trade, "spend_per_trade")):
        if value <= 0 or value != quantize_down(value, decimals):
            raise ValidationError("bad_amount", f"{what} must be > 0 in whole cash units")
    if c.spend_per_trade > c.budget:
        raise ValidationError("bad_amount", "spend_per_trade cannot exceed the budget")
    _price_in_unit(c.buy_below, "buy_below")
    if c.sell_above is not None and _price_in_unit(c.sell_above, "sell_above") <= c.buy_below:
        raise ValidationError("bad_rule", "sell_above must be above buy_below")
    if len(c.salt) != SALT_BYTES:
        raise ValidationError("bad_salt", f"the salt is {SALT_BYTES} bytes")
    if c.budget > state.available(ctx.actor):
        raise ValidationError("insufficient_cash", "not enough available cash for the budget")
    registered = AgentRegistered(
        c.agent_id, c.market_id, ctx.actor, c.budget, c.spend_per_trade, c.buy_below,
        c.sell_above, c.salt, ctx.now,
    )  # fmt: skip
    record = AgentRecord(c.agent_id, c.market_id, ctx.actor, c.budget, c.spend_per_trade,
                         c.buy_below, c.sell_above)  # fmt: skip
    view, view_market = _view_with(state, market, agent=record)  # it may act at once
    return [registered, *run_triggers(view, view_market, Pending(market.amm_state), ctx.now)]
