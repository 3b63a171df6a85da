"""Close orders and agents: trades the engine makes for scouts when a market's price moves.

After any trade in a market, pending close orders whose trigger is met fire (in the order they
were placed): a sell-to-close once its token's price is at or above its trigger, a buy-to-close
once it is at or below (a buy-to-close that could buy nothing without paying more than its
trigger stays pending). Agents whose rule applies act, round after round until nothing more happens
(bounded). ``decide`` never changes the state, so this works on local copies of what changes
within one decision: the market's AMM state, holdings, what fired, and agents' spending.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from marketcraft.amm.curve import BandCurve, Fill
from marketcraft.kernel.money import fee_up, quantize_down, with_money_context
from marketcraft.opportunity.events import TriggeredTrade
from marketcraft.opportunity.orders import buy_fill
from marketcraft.opportunity.state import (
    AgentRecord,
    CloseOrderRecord,
    CloseStatus,
    MarketState,
    ProgramState,
)
from marketcraft.opportunity.terms import Side, Token

__all__ = ["MAX_ROUNDS", "Pending", "run_triggers"]

#: rounds of firing per decision; each close order fires once, each agent acts once per round
MAX_ROUNDS = 20
_ZERO = Decimal(0)


@dataclass
class Pending:
    """What one decision has changed so far that the state does not show yet."""

    state_after: Decimal
    holdings: dict[tuple[str, Token], Decimal] = field(default_factory=dict)
    fired: set[str] = field(default_factory=set)
    agent_spent: dict[str, Decimal] = field(default_factory=dict)
    agent_holding: dict[str, Decimal] = field(default_factory=dict)
    agent_trades: dict[str, int] = field(default_factory=dict)

    def held(self, state: ProgramState, market_id: str, scout: str, token: Token) -> Decimal:
        base = state.shares_held(scout, market_id, token)
        return base + self.holdings.get((scout, token), _ZERO)

    def add(self, scout: str, token: Token, shares: Decimal) -> None:
        key = (scout, token)
        self.holdings[key] = self.holdings.get(key, _ZERO) + shares


@with_money_context
def run_triggers(
    state: ProgramState, market: MarketState, pending: Pending, now: datetime
) -> list[TriggeredTrade]:
    """Every trade the market's close orders and agents make after its price moved."""
    trades: list[TriggeredTrade] = []
    for _ in range(MAX_ROUNDS):
        acted = False
        for order_id in market.close_orders:
            record = state.close_orders[order_id]
            if record.status is CloseStatus.PENDING and order_id not in pending.fired:
                trade = _fire(state, market, record, pending, now)
                if trade is not None:
                    trades.append(trade)
                    acted = True
        for agent_id in market.agents:
            trade = _act(state, market, state.agents[agent_id], pending, now)
            if trade is not None:
                trades.append(trade)
                acted = True
        if not acted:
            break
    return trades


def _fee(cash: Decimal, state: ProgramState) -> Decimal:
    terms = state.require_terms()
    return fee_up(cash, terms.fee_rate, terms.cash_decimals, cash)


def _fire(
    state: ProgramState,
    market: MarketState,
    record: CloseOrderRecord,
    pending: Pending,
    now: datetime,
) -> TriggeredTrade | None:
    curve, s = market.curve_at(now), pending.state_after
    yes_price = curve.price(s)
    price = yes_price if record.token is Token.YES else 1 - yes_price
    if record.side is Side.BUY:
        if price > record.trigger_price:
            return None
        return _fire_buy(state, market, record, pending, now)
    if price < record.trigger_price:
        return None
    held = pending.held(state, market.market_id, record.scout, record.token)
    qty = max(min(record.max_shares, held), _ZERO)
    limit = _limit_state(curve, record.token, record.trigger_price)
    if record.token is Token.YES:
        fill = curve.sell_shares(s, qty, downto=limit)
    else:
        fill = curve.sell_no_shares(s, qty, upto=limit)
    pending.fired.add(record.order_id)
    return _trade(state, market, pending, now, source=record.order_id, agent=False,
                  scout=record.scout, side=Side.SELL, token=record.token, fill=fill,
                  fee=_fee(fill.cash, state), trade_id=f"{record.order_id}:fill",
                  clipped=fill.clipped or held < record.max_shares)  # fmt: skip


def _limit_state(curve: BandCurve, token: Token, price: Decimal) -> Decimal:
    """The state at which ``token``'s price is ``price`` (clamped to the band)."""
    yes_price = price if token is Token.YES else 1 - price
    return curve.state_of_price(min(max(yes_price, curve.pa), curve.pb))


def _fire_buy(
    state: ProgramState,
    market: MarketState,
    record: CloseOrderRecord,
    pending: Pending,
    now: datetime,
) -> TriggeredTrade | None:
    """Buy up to the record's shares from its escrow, never above its trigger price."""
    terms, curve = state.require_terms(), market.curve_at(now)
    fill = buy_fill(
        curve, pending.state_after, token=record.token, spend=record.escrow,
        shares=record.max_shares, rate=terms.fee_rate, cash_decimals=terms.cash_decimals,
        limit_state=_limit_state(curve, record.token, record.trigger_price),
    )  # fmt: skip
    if not fill.shares:
        return None  # the price sits at the trigger: nothing to buy without paying more
    fee = fee_up(fill.cash, terms.fee_rate, terms.cash_decimals, record.escrow - fill.cash)
    pending.fired.add(record.order_id)
    return _trade(state, market, pending, now, source=record.order_id, agent=False,
                  scout=record.scout, side=Side.BUY, token=record.token, fill=fill, fee=fee,
                  trade_id=f"{record.order_id}:fill",
                  clipped=fill.shares < record.max_shares)  # fmt: skip


def _act(
    state: ProgramState,
    market: MarketState,
    agent: AgentRecord,
    pending: Pending,
    now: datetime,
) -> TriggeredTrade | None:
    terms = state.require_terms()
    curve, s = market.curve_at(now), pending.state_after
    price = curve.price(s)
    spent = agent.spent + pending.agent_spent.get(agent.agent_id, _ZERO)
    holding = agent.holding + pending.agent_holding.get(agent.agent_id, _ZERO)
    number = agent.trades + pending.agent_trades.get(agent.agent_id, 0) + 1
    trade_id = f"{agent.agent_id}:{number}"
    if price < agent.buy_below:
        spend = min(agent.spend_per_trade, agent.budget - spent)
        amm_cash = quantize_down(spend / (1 + terms.fee_rate), terms.cash_decimals)
        if amm_cash <= 0:
            return None
        limit = curve.state_of_price(min(max(agent.buy_below, curve.pa), curve.pb))
        fill = curve.buy_with_cash(s, amm_cash, upto=limit)
        if not fill.shares:
            return None
        fee = fee_up(fill.cash, terms.fee_rate, terms.cash_decimals, spend - fill.cash)
        pending.agent_spent[agent.agent_id] = spent - agent.spent + fill.cash + fee
        pending.agent_holding[agent.agent_id] = holding - agent.holding + fill.shares
        pending.agent_trades[agent.agent_id] = number - agent.trades
        return _trade(state, market, pending, now, source=agent.agent_id, agent=True,
                      scout=agent.scout, side=Side.BUY, token=Token.YES, fill=fill, fee=fee,
                      trade_id=trade_id, clipped=fill.clipped)  # fmt: skip
    if agent.sell_above is not None and price > agent.sell_above and holding > 0:
        held = pending.held(state, market.market_id, agent.scout, Token.YES)
        limit = curve.state_of_price(min(max(agent.sell_above, curve.pa), curve.pb))
        fill = curve.sell_shares(s, min(holding, held), downto=limit)
        if not fill.shares:
            return None
        pending.agent_holding[agent.agent_id] = holding - agent.holding - fill.shares
        pending.agent_trades[agent.agent_id] = number - agent.trades
        return _trade(state, market, pending, now, source=agent.agent_id, agent=True,
                      scout=agent.scout, side=Side.SELL, token=Token.YES, fill=fill,
                      fee=_fee(fill.cash, state), trade_id=trade_id,
                      clipped=fill.clipped)  # fmt: skip
    return None


def _trade(
    state: ProgramState,
    market: MarketState,
    pending: Pending,
    now: datetime,
    *,
    source: str,
    agent: bool,
    scout: str,
    side: Side,
    token: Token,
    fill: Fill,
    fee: Decimal,
    trade_id: str,
    clipped: bool,
) -> TriggeredTrade:
    pending.state_after = fill.state_after
    pending.add(scout, token, fill.shares if side is Side.BUY else -fill.shares)
    return TriggeredTrade(
        trade_id, source, agent, market.market_id, scout, side, token, fill.shares, fill.cash,
        fee, fill.state_after, clipped, now,
    )  # fmt: skip
