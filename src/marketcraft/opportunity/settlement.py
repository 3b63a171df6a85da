"""Resolving markets and settling a program: payouts, refunds at cost, fees, collateral."""

from __future__ import annotations

from decimal import Decimal

from marketcraft.kernel.money import quantize_down, with_money_context
from marketcraft.opportunity import accounts
from marketcraft.opportunity.accounts import FEES, SHARED, SPONSOR
from marketcraft.opportunity.commands import Context, Outcome, ResolveMarket
from marketcraft.opportunity.events import MarketResolved, ProgramSettled
from marketcraft.opportunity.state import MarketState, ProgramState
from marketcraft.opportunity.terms import FeePolicy, Token

__all__ = ["resolve", "settle"]

_ZERO = Decimal(0)


@with_money_context
def resolve(
    state: ProgramState, market: MarketState, c: ResolveMarket, ctx: Context
) -> MarketResolved:
    """YES: each YES share pays 1; NO: each NO share pays 1 (rounded down to cash units); the
    other token expires. VOID: each scout gets back the AMM cash it paid in net (never below
    zero). The pool pays; a shortfall is drawn from the collateral; what remains goes back."""
    decimals = state.cash.decimals
    holders = sorted(market.net_paid)

    def holdings(token: Token) -> tuple[tuple[str, Decimal], ...]:
        found = ((s, state.shares_held(s, market.market_id, token)) for s in holders)
        return tuple((s, n) for s, n in found if n > 0)

    burned, burned_no = holdings(Token.YES), holdings(Token.NO)
    if c.outcome is Outcome.YES:
        payouts = [(scout, quantize_down(shares, decimals)) for scout, shares in burned]
    elif c.outcome is Outcome.NO:
        payouts = [(scout, quantize_down(shares, decimals)) for scout, shares in burned_no]
    else:  # VOID
        payouts = [(scout, max(market.net_paid[scout], _ZERO)) for scout in holders]
    payouts = [(scout, amount) for scout, amount in payouts if amount > 0]
    pool = state.ledger.balance(accounts.pool(market.market_id), state.cash).amount
    owed = sum((amount for _, amount in payouts), _ZERO)
    from_collateral = max(owed - pool, _ZERO)
    # rules 1 refunded a bond left at resolution; since, it comes back as the window closes
    bond_refund = market.bond if state.require_terms().rules == 1 else _ZERO
    return MarketResolved(
        market.market_id, c.outcome, c.evidence, burned, burned_no, tuple(payouts), from_collateral,
        pool + from_collateral - owed, bond_refund, ctx.now,
    )  # fmt: skip


@with_money_context
def settle(state: ProgramState, ctx: Context) -> ProgramSettled:
    """Fees back to traders pro rata (rounded down; the dust to the sponsor) or rolled on;
    FIRST_N's shared pool to the sponsor's collateral. Under rules 1 the collateral then left
    the program; since rules 2 it stays for the sponsor to withdraw."""
    terms = state.require_terms()
    fees = state.ledger.balance(FEES, state.cash).amount
    refunds: list[tuple[str, Decimal]] = []
    rolled = _ZERO
    if terms.fee_policy is FeePolicy.ROLL_TO_NEXT_PROGRAM:
        rolled = fees
    else:
        weights = (
            state.fees_paid if terms.fee_policy is FeePolicy.REFUND_PRO_RATA_FEES else state.volume
        )
        total = sum(weights.values(), _ZERO)
        if total > 0:
            for scout in sorted(weights):
                share = quantize_down(fees * weights[scout] / total, state.cash.decimals)
                if share > 0:
                    refunds.append((scout, share))
    dust = fees - rolled - sum((a for _, a in refunds), _ZERO)
    shared = state.ledger.balance(SHARED, state.cash).amount
    sponsor = state.ledger.balance(SPONSOR, state.cash).amount
    returned = sponsor + shared + dust if terms.rules == 1 else _ZERO
    return ProgramSettled(tuple(refunds), rolled, dust, shared, returned, ctx.now)
