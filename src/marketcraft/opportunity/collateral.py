"""The sponsor's collateral: what it may take out of a program, and when a program is empty.

The collateral is the sponsor's account (UNLIMITED), or FIRST_N's shared pool until
settlement moves it to the sponsor's account (:meth:`ProgramState.collateral_account`).
Resolving a market draws from it only when the market's pool cannot pay what the market owes
(see :func:`~.settlement.resolve`), so the sponsor may withdraw whatever no unresolved market
could still draw (:func:`free_collateral`):

* a market whose window is open: YES could draw up to its budget less the reserve already in
  its pool (``check_solvent``: YES shares - (pool - reserved) <= budget), so nothing in
  UNLIMITED and up to one budget in FIRST_N; NO never draws (the pool holds every NO share's
  payout);
* a market whose window has closed: its shares and its pool are fixed, so what YES would draw
  is known exactly;
* VOID refunds each scout the cash it paid in net, and draws what the pool lacks for that,
  as it stands now (scouts who sold at a profit keep it, so a window still open can add to
  this; see the README's notes on VOID);
* FIRST_N: only the first N markets acted on can resolve YES, so only the N - (YES so far)
  largest YES draws count;
* UNLIMITED: a market awaiting approval keeps one budget, so the sponsor can still approve it.

The ledger holds cash only in whole minor units; what is needed may hold a fraction of one
(shares have more decimals), and what is free is rounded down.
"""

from __future__ import annotations

from decimal import Decimal

from marketcraft.kernel.money import quantize_down, with_money_context
from marketcraft.opportunity import accounts
from marketcraft.opportunity.accounts import WORLD
from marketcraft.opportunity.commands import Outcome
from marketcraft.opportunity.state import MarketState, MarketStatus, ProgramState
from marketcraft.opportunity.terms import CollateralMode, Token

__all__ = ["free_collateral", "held", "left_in", "still_needed"]

_ZERO = Decimal(0)
_DONE = (MarketStatus.RESOLVED, MarketStatus.REJECTED)


def held(state: ProgramState) -> Decimal:
    """All of the sponsor's collateral still in the program (the budgets reserved in the
    markets' pools aside)."""
    return state.ledger.holding(state.collateral_account(), state.cash)


def _outstanding(state: ProgramState, market: MarketState, token: Token) -> Decimal:
    asset = market.yes if token is Token.YES else market.no
    return -state.ledger.holding(accounts.mint(market.market_id), asset)


def _draws(state: ProgramState, market: MarketState) -> tuple[Decimal, Decimal]:
    """(what VOID would draw now, what YES could draw at most) from the collateral."""
    pool = state.ledger.holding(accounts.pool(market.market_id), state.cash)
    refunds = sum((max(paid, _ZERO) for paid in market.net_paid.values()), _ZERO)
    void = max(refunds - pool, _ZERO)
    if market.status is MarketStatus.OPEN:
        budget = state.require_terms().market_budget
        yes = max(budget - market.reserved, _ZERO)
    else:
        yes = max(_outstanding(state, market, Token.YES) - pool, _ZERO)
    return void, yes


def _may_resolve_yes(state: ProgramState, market: MarketState) -> bool:
    terms = state.require_terms()
    if terms.collateral is not CollateralMode.FIRST_N:
        return True
    if market.acted_rank:
        return market.acted_rank <= terms.first_n
    return len(state.acted_on) < terms.first_n


@with_money_context
def still_needed(state: ProgramState) -> Decimal:
    """The most that resolving the unresolved markets could still draw from the collateral,
    plus, in UNLIMITED, one budget per market awaiting approval."""
    terms = state.require_terms()
    needed, beyond_void = _ZERO, []
    for market in state.markets.values():
        if market.status in _DONE:
            continue
        if market.status is MarketStatus.PENDING:
            if terms.collateral is CollateralMode.UNLIMITED:
                needed += terms.market_budget
            continue
        void, yes = _draws(state, market)
        needed += void
        if _may_resolve_yes(state, market):
            beyond_void.append(max(yes - void, _ZERO))
    if terms.collateral is CollateralMode.FIRST_N:
        paid_yes = sum(m.outcome is Outcome.YES for m in state.markets.values())
        beyond_void = sorted(beyond_void, reverse=True)[: max(terms.first_n - paid_yes, 0)]
    return needed + sum(beyond_void, _ZERO)


@with_money_context
def free_collateral(state: ProgramState) -> Decimal:
    """What the sponsor may withdraw now: all of its collateral once the program is settled,
    before that what :func:`still_needed` leaves free, rounded down to whole cash units (a
    share's fraction of a cent stays in), never below zero."""
    if state.settled:
        return held(state)
    free = quantize_down(held(state) - still_needed(state), state.cash.decimals)
    return max(free, _ZERO)


def left_in(state: ProgramState) -> dict[tuple[str, str], Decimal]:
    """Every balance still in the program, by (account, asset code): what must be withdrawn
    before it can close. ``world`` (outside the program) is not in it.

    The dust rule is that there is none to leave: the ledger holds cash only in whole minor
    units, and every rounding already went the mechanism's way before settlement (payouts round
    down and leave the remainder in the market's pool, which returns to the collateral at
    resolution; fee refunds round down and the remainder goes to the sponsor at settlement;
    shares are retired in full at resolution). So a program closes only with every account at
    exactly zero, and the sponsor's last withdrawal takes the remainders out with it."""
    return {
        (account, asset.code): value
        for (account, asset), value in state.ledger.balances().items()
        if value and account != WORLD
    }
