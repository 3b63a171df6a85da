"""decide(state, command, ctx) -> events: every check and every amount, computed once.

Roundings favour the pool: what it pays (PEG or COL out, MMS issued) is rounded down, what it
collects (fees, PEG handed in to retire MMS) is rounded up. Deterministic: no clock, no
randomness; the context's time comes from the caller."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from marketcraft.amm.bancor import cross_reserve_return, fee
from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.messages import Command, Event
from marketcraft.kernel.money import quantize_down, quantize_up, with_money_context
from marketcraft.peg.commands import BuyMms, BuyPeg, Context, FundCol, OpenMarket, SellMms, SellPeg
from marketcraft.peg.events import ColFunded, MarketOpened, MmsBought, MmsSold, PegBought, PegSold
from marketcraft.peg.state import PegState, wallet

__all__ = ["decide"]

_HALF = Decimal("0.5")


@with_money_context
def decide(state: PegState, command: Command, ctx: Context) -> list[Event]:
    handler = _DECIDERS.get(type(command))
    if handler is None:
        raise ValidationError("unknown_command", f"no such command: {type(command).__name__}")
    if not isinstance(command, OpenMarket) and not state.opened:
        raise ValidationError("not_open", "the market is not open")
    return handler(state, command, ctx)


def _amount(value: Decimal, decimals: int, what: str) -> Decimal:
    if (
        not isinstance(value, Decimal)
        or not value.is_finite()
        or value <= 0
        or value != quantize_down(value, decimals)
    ):
        raise ValidationError("bad_amount", f"{what} must be > 0 with at most {decimals} places")
    return value


def _has(state: PegState, user: str, amount: Decimal, asset_name: str) -> None:
    if state.held(wallet(user), state.asset(asset_name)) < amount:
        raise ValidationError("insufficient_funds", f"not enough {asset_name} in the wallet")


def _open_market(state: PegState, c: OpenMarket, ctx: Context) -> list[Event]:
    if state.opened:
        raise ValidationError("already_open", "the market is already open")
    t = c.terms
    deposit = _amount(c.deposit, t.col_decimals, "the deposit")
    if not isinstance(c.feed, Decimal) or not c.feed.is_finite() or c.feed <= 0:
        raise ValidationError("bad_feed", "the feed (COL per PEG) must be > 0")
    connector = quantize_down(deposit / t.ratio, t.col_decimals)
    peg = quantize_down(connector / c.feed, t.peg_decimals)
    if connector <= 0 or peg <= 0:
        raise ValidationError("bad_amount", "the deposit is too small to open a market")
    # The first MMS: one per COL deposited.
    mms = quantize_down(deposit, t.mms_decimals)
    return [MarketOpened(ctx.actor, t, c.feed, connector, deposit - connector, peg, mms)]


def _fund(state: PegState, c: FundCol, ctx: Context) -> list[Event]:
    return [ColFunded(ctx.actor, _amount(c.amount, state.col.decimals, "the amount"))]


def _buy_peg(state: PegState, c: BuyPeg, ctx: Context) -> list[Event]:
    t = state.require_terms()
    col_in = _amount(c.col_in, t.col_decimals, "col_in")
    _has(state, ctx.actor, col_in, "COL")
    charged = fee(col_in, t.fee_rate, t.col_decimals)
    peg_out = cross_reserve_return(
        state.connector_col, _HALF, state.connector_peg, _HALF, col_in - charged,
        decimals=t.peg_decimals,
    )  # fmt: skip
    if peg_out <= 0:
        raise ValidationError("too_small", "the trade is too small to buy any PEG")
    return [PegBought(ctx.actor, col_in, charged, peg_out)]


def _sell_peg(state: PegState, c: SellPeg, ctx: Context) -> list[Event]:
    t = state.require_terms()
    peg_in = _amount(c.peg_in, t.peg_decimals, "peg_in")
    _has(state, ctx.actor, peg_in, "PEG")
    col_out = cross_reserve_return(
        state.connector_peg, _HALF, state.connector_col, _HALF, peg_in, decimals=t.col_decimals
    )
    charged = fee(col_out, t.fee_rate, t.col_decimals)
    if col_out - charged <= 0:
        raise ValidationError("too_small", "the trade is too small to return any COL")
    return [PegSold(ctx.actor, peg_in, col_out, charged)]


def _buy_mms(state: PegState, c: BuyMms, ctx: Context) -> list[Event]:
    """Scale C, X, U, Dc and MMS by the same g = net / (C + X)."""
    t = state.require_terms()
    col_in = _amount(c.col_in, t.col_decimals, "col_in")
    _has(state, ctx.actor, col_in, "COL")
    charged = fee(col_in, t.fee_rate, t.col_decimals)
    net = col_in - charged
    total = state.connector_col + state.excess_col
    to_connector = quantize_down(net * state.connector_col / total, t.col_decimals)
    g = net / total
    peg_connector = quantize_down(g * state.connector_peg, t.peg_decimals)
    peg_buyer = quantize_down(g * state.circulating_peg, t.peg_decimals)
    mms = quantize_down(g * state.mms_supply, t.mms_decimals)
    if mms <= 0:
        raise ValidationError("too_small", "the purchase is too small to issue any MMS")
    return [
        MmsBought(
            ctx.actor, col_in, charged, to_connector, net - to_connector, peg_connector,
            peg_buyer, mms,
        )
    ]  # fmt: skip


def _sell_mms(state: PegState, c: SellMms, ctx: Context) -> list[Event]:
    """Retire the fraction f = m / MMS of everything: the seller hands in f * Dc PEG and
    receives f * (C + X) COL, less the fee."""
    t = state.require_terms()
    mms = _amount(c.mms_in, t.mms_decimals, "mms_in")
    _has(state, ctx.actor, mms, "MMS")
    supply = state.mms_supply
    f = mms / supply
    peg_in = quantize_up(f * state.circulating_peg, t.peg_decimals)
    _has(state, ctx.actor, peg_in, "PEG")
    last = mms == supply
    from_connector = (
        state.connector_col if last else quantize_down(f * state.connector_col, t.col_decimals)
    )
    from_excess = state.excess_col if last else quantize_down(f * state.excess_col, t.col_decimals)
    burnt = state.connector_peg if last else quantize_down(f * state.connector_peg, t.peg_decimals)
    # no fee on the last sale: no one is left to keep it
    charged = Decimal(0) if last else fee(from_connector + from_excess, t.fee_rate, t.col_decimals)
    return [MmsSold(ctx.actor, mms, peg_in, burnt, from_connector, from_excess, charged)]


_DECIDERS: dict[type, Callable[[PegState, Any, Context], list[Event]]] = {
    OpenMarket: _open_market,
    FundCol: _fund,
    BuyPeg: _buy_peg,
    SellPeg: _sell_peg,
    BuyMms: _buy_mms,
    SellMms: _sell_mms,
}
