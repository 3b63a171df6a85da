"""Named invariants of a program's state, used by the property tests and as runtime checks.

Each raises :class:`InvariantViolation` naming what broke."""

from __future__ import annotations

from decimal import Decimal

from marketcraft.kernel.errors import InvariantViolation
from marketcraft.kernel.ledger import check_balanced
from marketcraft.kernel.money import money_context
from marketcraft.opportunity import accounts
from marketcraft.opportunity.state import MarketStatus, ProgramState
from marketcraft.opportunity.terms import CollateralMode, Token

__all__ = ["check_all", "check_escrow_released", "check_no_negative", "check_solvent"]

_ZERO = Decimal(0)


def check_no_negative(state: ProgramState) -> None:
    """No account but ``world`` (and each market's share mint) is ever below zero."""
    for (account, asset), value in state.ledger.balances().items():
        if value < 0 and account != accounts.WORLD and not accounts.is_mint(account):
            raise InvariantViolation("negative", f"{account} holds {value} {asset.code}")


def outstanding_shares(state: ProgramState, market_id: str, token: Token = Token.YES) -> Decimal:
    market = state.markets[market_id]
    asset = market.yes if token is Token.YES else market.no
    return -state.ledger.balance(accounts.mint(market_id), asset).amount


def check_solvent(state: ProgramState) -> None:
    """Whatever the outcome, every market could pay: if YES won, the sponsor would lose at
    most the market's budget (YES shares - (pool - reserved) <= budget); if NO won, the pool
    alone covers the NO shares."""
    terms = state.require_terms()
    with money_context():
        for market in state.markets.values():
            if market.status in (MarketStatus.RESOLVED, MarketStatus.REJECTED):
                continue
            shares = outstanding_shares(state, market.market_id)
            pool = state.ledger.balance(accounts.pool(market.market_id), state.cash).amount
            loss = shares - (pool - market.reserved)
            if loss > terms.market_budget:
                raise InvariantViolation(
                    "over_budget", f"{market.market_id} would lose {loss} > {terms.market_budget}"
                )
            if terms.collateral is CollateralMode.UNLIMITED and shares > pool:
                raise InvariantViolation("insolvent", f"{market.market_id} cannot pay {shares}")
            no_shares = outstanding_shares(state, market.market_id, Token.NO)
            if no_shares > pool:
                raise InvariantViolation(
                    "insolvent", f"{market.market_id} cannot pay NO {no_shares}"
                )


def check_escrow_released(state: ProgramState) -> None:
    """Every escrow of a revealed or resolved market is empty. Before that each holds exactly:
    a scout's order escrow in a market, what its orders left there (each buy's escrow minus
    its fill, each sell's net proceeds); a close order, its escrow minus what it spent (buys)
    or its net proceeds (sells); an agent, its budget minus what it spent plus what its sales
    brought."""
    expected: list[tuple[str, str, Decimal]] = []  # (market, account, held before the reveal)
    for market in state.markets.values():
        for scout, held in market.order_held.items():
            account = accounts.order_escrow(market.market_id, scout)
            expected.append((market.market_id, account, held))
    for close in state.close_orders.values():
        expected.append((close.market_id, accounts.escrow(close.order_id), close.held))
    for agent in state.agents.values():
        held = agent.budget - agent.spent + agent.received
        expected.append((agent.market_id, accounts.escrow(agent.agent_id), held))
    for market_id, account, before_reveal in expected:
        held = state.ledger.holding(account, state.cash)
        revealed = state.markets[market_id].status in (MarketStatus.REVEALED, MarketStatus.RESOLVED)
        should = _ZERO if revealed else before_reveal
        if held != should:
            raise InvariantViolation("escrow", f"{account} holds {held}, not {should}")


def check_all(state: ProgramState) -> None:
    check_balanced(state.ledger)
    check_no_negative(state)
    check_solvent(state)
    check_escrow_released(state)
