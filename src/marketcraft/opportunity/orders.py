"""Executing a blind order against a market's AMM: escrow, limit, fee, and the sealed fill."""

from __future__ import annotations

from decimal import Decimal

from marketcraft.amm.curve import BandCurve, Fill
from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.money import (
    fee_up,
    fits_decimals,
    quantize_down,
    quantize_up,
    with_money_context,
)
from marketcraft.opportunity.commands import Context, PlaceOrder
from marketcraft.opportunity.events import OrderExecuted
from marketcraft.opportunity.state import MarketState, ProgramState
from marketcraft.opportunity.terms import Side, Token

__all__ = ["SALT_BYTES", "buy_fill", "execute_order", "max_spend_for"]

SALT_BYTES = 32
_ZERO = Decimal(0)


def _check_units(value: Decimal | None, decimals: int, what: str) -> Decimal | None:
    if value is None:
        return None
    if value <= 0 or not fits_decimals(value, decimals):
        raise ValidationError("bad_amount", f"{what} must be > 0 in whole units")
    return value


@with_money_context
def execute_order(  # noqa: C901 (the order's checks, escrow and fill, in the spec's order)
    state: ProgramState, market: MarketState, c: PlaceOrder, ctx: Context
) -> OrderExecuted:
    """Escrow, execute and seal one order. Raises ValidationError only for what the scout can
    know without the price: malformed orders and its own available cash."""
    terms = state.require_terms()
    if len(c.salt) != SALT_BYTES:
        raise ValidationError("bad_salt", f"the salt is {SALT_BYTES} bytes")
    if not c.order_id or len(c.order_id) > 100:
        raise ValidationError("bad_order", "an order needs an id of 1..100 characters")
    spend = _check_units(c.max_spend, terms.cash_decimals, "max_spend")
    shares = _check_units(c.max_shares, terms.share_decimals, "max_shares")
    limit = c.limit_price
    if limit is not None and not Decimal(0) < limit < Decimal(1):
        raise ValidationError("bad_limit", "a limit price is in (0, 1)")
    curve, rate = market.curve_at(ctx.now), terms.fee_rate
    yes = c.token is Token.YES
    # The limit as a state: the worst YES price for YES orders; for NO orders the worst NO
    # price L is the YES price 1 - L.
    limit_state = None
    if limit is not None:
        yes_price = limit if yes else Decimal(1) - limit
        limit_state = curve.state_of_price(min(max(yes_price, curve.pa), curve.pb))

    if c.side is Side.BUY:
        if spend is None and shares is None:
            raise ValidationError("bad_order", "a buy names max_spend or max_shares")
        if spend is not None:
            escrow = spend
        else:
            assert shares is not None
            # the most a share can cost on the way: the limit, or the band's far edge
            worst = limit if limit is not None else (curve.pb if yes else 1 - curve.pa)
            escrow = max_spend_for(shares, worst, rate, terms.cash_decimals)
        if escrow > state.available(ctx.actor):
            raise ValidationError("insufficient_cash", "not enough available cash for the escrow")
        fill = buy_fill(
            curve,
            market.amm_state,
            token=c.token,
            spend=spend,
            shares=shares,
            rate=rate,
            cash_decimals=terms.cash_decimals,
            limit_state=limit_state,
        )
        fee = fee_up(fill.cash, rate, terms.cash_decimals, escrow - fill.cash)
    else:
        if shares is None or spend is not None:
            raise ValidationError("bad_order", "a sell names max_shares only")
        escrow = _ZERO
        held = state.shares_held(ctx.actor, market.market_id, c.token)
        qty = min(shares, held)
        if yes:
            fill = curve.sell_shares(market.amm_state, qty, downto=limit_state)
        else:
            fill = curve.sell_no_shares(market.amm_state, qty, upto=limit_state)
        fill = Fill(fill.shares, fill.cash, fill.state_after, fill.clipped or held < shares)
        fee = fee_up(fill.cash, rate, terms.cash_decimals, fill.cash)

    # Rules 1 refunded the bond on the market's first order, which told its creator that
    # someone ordered; since rules 2 it comes back when the window closes, whoever ordered.
    bond_refund = market.bond if terms.rules == 1 and not market.traded else _ZERO
    return OrderExecuted(
        c.order_id, market.market_id, ctx.actor, c.side, escrow, fill.shares, fill.cash, fee,
        fill.state_after, fill.clipped, c.salt, bond_refund, ctx.now, c.token,
    )  # fmt: skip


@with_money_context
def max_spend_for(shares: Decimal, worst: Decimal, rate: Decimal, cash_decimals: int) -> Decimal:
    """The escrow of a buy of ``shares`` that never pays more than ``worst`` a share: their cost
    at that price plus the fee, rounded up, plus one cash unit for the rounding of the cost and
    the fee (each rounded up on its own). Depends on the order alone, never on the price."""
    unit = Decimal(1).scaleb(-cash_decimals)
    return quantize_up(shares * worst * (1 + rate), cash_decimals) + unit


@with_money_context
def buy_fill(
    curve: BandCurve,
    s: Decimal,
    *,
    token: Token,
    spend: Decimal | None,
    shares: Decimal | None,
    rate: Decimal,
    cash_decimals: int,
    limit_state: Decimal | None,
) -> Fill:
    """A buy of ``token`` for at most ``spend`` (the fee included) and/or at most ``shares``,
    never past ``limit_state``."""
    yes = token is Token.YES
    if spend is not None:
        # Leave room for the fee: spend covers the AMM cash plus the fee on it.
        amm_cash = quantize_down(spend / (1 + rate), cash_decimals)
        if yes:
            fill = curve.buy_with_cash(s, amm_cash, upto=limit_state)
        else:
            fill = curve.buy_no_with_cash(s, amm_cash, downto=limit_state)
        if shares is None or fill.shares <= shares:
            return fill
    assert shares is not None
    if yes:
        return curve.buy_shares(s, shares, upto=limit_state)
    return curve.buy_no_shares(s, shares, downto=limit_state)
