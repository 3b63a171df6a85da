"""decide(state, command, ctx) -> events: every check and every amount, computed once.

Roundings favour the pool: what it pays (PEG or COL out, MMS issued) is rounded down, what it
collects (fees, PEG handed in to retire MMS) is rounded up. Deterministic: no clock, no
randomness; the context's time comes from the caller."""

from __future__ import annotations

import decimal
from datetime import datetime, timedelta
from decimal import Decimal

from marketcraft.amm.bancor import cross_reserve_return, fee
from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.handlers import HandlerTable
from marketcraft.kernel.messages import Command, Event
from marketcraft.kernel.money import quantize_down, quantize_up, with_money_context
from marketcraft.peg.commands import (
    BuyMms,
    BuyPeg,
    Context,
    FundCol,
    OpenMarket,
    ReportPrice,
    SellMms,
    SellPeg,
    Tick,
)
from marketcraft.peg.correction import (
    BUY_BURN,
    MINT_PEG,
    TO_EXCESS,
    Correction,
    plan_correction,
)
from marketcraft.peg.events import (
    ColFunded,
    CorrectionMade,
    MarketOpened,
    MmsBought,
    MmsSold,
    ModeChanged,
    PegBought,
    PegSold,
    PriceReported,
    Ticked,
)
from marketcraft.peg.feed import median, recent
from marketcraft.peg.fees import relay_fee_rate
from marketcraft.peg.limits import (
    MAX_AMOUNT,
    MAX_PRICE,
    MAX_RATIO,
    MAX_TERM_SECONDS,
    MIN_PRICE,
    TERM_PLACES,
    capacity,
)
from marketcraft.peg.modes import RECOVERY, next_mode, recovery_mms
from marketcraft.peg.state import WORLD, PegState, mms_sale_fee_split, wallet
from marketcraft.peg.terms import PegTerms

__all__ = ["MMS_LOCKED_UNITS", "decide"]

#: minor units of MMS locked when a market opens (never redeemable)
MMS_LOCKED_UNITS = 1000

_ZERO, _HALF, _ONE = Decimal(0), Decimal("0.5"), Decimal(1)
_PLACES = Decimal(1).scaleb(-TERM_PLACES)
#: rounds a term to TERM_PLACES (its size bounded first) to tell whether it has more places
_WIDE = decimal.Context(prec=100, Emin=-999_999, Emax=999_999)
_MICROSECOND = timedelta(microseconds=1)


@with_money_context
def decide(state: PegState, command: Command, ctx: Context) -> list[Event]:
    handler = _DECIDERS.get(type(command))
    if handler is None:
        raise ValidationError("unknown_command", f"no such command: {type(command).__name__}")
    if not isinstance(command, OpenMarket) and not state.opened:
        raise ValidationError("not_open", "the market is not open")
    return handler(state, command, ctx)


def _amount(value: Decimal, decimals: int, what: str) -> Decimal:
    # the bound comes before the rounding check: rounding a value beyond 40 digits would raise
    if (
        not isinstance(value, Decimal)
        or not value.is_finite()
        or value <= 0
        or value > MAX_AMOUNT
        or value != quantize_down(value, decimals)
    ):
        raise ValidationError(
            "bad_amount", f"{what} must be > 0 and at most 10^15, with at most {decimals} places"
        )
    return value


def _limit(value: Decimal | None, what: str) -> Decimal | None:
    """A slippage limit: None (no limit) or a number in [0, 10^15]."""
    if value is None:
        return None
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0 or value > MAX_AMOUNT:
        raise ValidationError("bad_limit", f"{what} must be a number in [0, 10^15]")
    return value


def _slippage(received: Decimal, min_return: Decimal | None, asset: str) -> None:
    """Refuse a trade that returns less than the trader's ``min_return``. The reason names the
    limit, and nothing the trader could not work out from the public market."""
    if min_return is not None and received < min_return:
        raise ValidationError(
            "slippage",
            f"min_return: the trade would return less than {min_return} {asset}; "
            "nothing was traded",
        )


def _max_cost(cost: Decimal, max_cost: Decimal | None, asset: str) -> None:
    if max_cost is not None and cost > max_cost:
        raise ValidationError(
            "slippage",
            f"max_cost: the trade would take more than {max_cost} {asset}; nothing was traded",
        )


def _size(t: PegTerms, amount: Decimal, reserve: Decimal, what: str, reserve_name: str) -> None:
    """Refuse a trade that puts more than ``max_trade_fraction`` of ``reserve`` into the pool."""
    fraction = t.max_trade_fraction
    if fraction is not None and amount > fraction * reserve:
        raise ValidationError(
            "too_large",
            f"{what}: one trade may put at most {fraction} of the {reserve_name} into the "
            "pool; split it",
        )


def _fits(total: Decimal, decimals: int, asset: str, what: str) -> None:
    """Refuse a command that would take the market's total of an asset past its capacity
    (:func:`marketcraft.peg.limits.capacity`); call it before rounding a value that large."""
    if total > capacity(decimals):
        raise ValidationError(
            "too_large",
            f"{what}: the market would hold more {asset} than {decimals} places can count",
        )


def _has(state: PegState, user: str, amount: Decimal, asset_name: str) -> None:
    if state.held(wallet(user), state.asset(asset_name)) < amount:
        raise ValidationError("insufficient_funds", f"not enough {asset_name} in the wallet")


def _open_market(state: PegState, c: OpenMarket, ctx: Context) -> list[Event]:
    if state.opened:
        raise ValidationError("already_open", "the market is already open")
    t = c.terms
    _open_terms(t)
    deposit = _amount(c.deposit, t.col_decimals, "the deposit")
    _price(c.feed, "the feed")
    _fits(deposit, t.col_decimals, "COL", "the deposit")
    _fits(deposit, t.mms_decimals, "MMS", "the deposit")
    connector = quantize_down(deposit / t.ratio, t.col_decimals)
    _fits(connector / c.feed, t.peg_decimals, "PEG", "the deposit at this feed")
    peg = quantize_down(connector / c.feed, t.peg_decimals)
    if connector <= 0 or peg <= 0:
        raise ValidationError("bad_amount", "the deposit is too small to open a market")
    # The first MMS: one per COL deposited, less MMS_LOCKED_UNITS minor units issued to no
    # one, so that no holder ever holds the whole supply and every holder can sell all it has
    # (Uniswap v2 locks its first liquidity the same way).
    mms = quantize_down(deposit, t.mms_decimals)
    locked = Decimal(MMS_LOCKED_UNITS).scaleb(-t.mms_decimals)
    if mms <= locked:
        raise ValidationError("bad_amount", "the deposit is too small to open a market")
    return [
        MarketOpened(
            ctx.actor, ctx.now, t, c.feed, connector, deposit - connector, peg, mms - locked,
            mms_locked=locked,
        )
    ]  # fmt: skip


def _open_terms(t: PegTerms) -> None:
    """The bounds a new market's terms keep (:mod:`marketcraft.peg.limits`), beyond what
    :class:`PegTerms` checks itself (which every stored market already passed)."""
    if t.ratio > MAX_RATIO:
        raise ValidationError("bad_terms", f"ratio: the target ratio must be at most {MAX_RATIO}")
    if t.fee_slope > MAX_RATIO:
        raise ValidationError("bad_terms", f"fee_slope: must be at most {MAX_RATIO}")
    for name in ("ratio", "fee_rate", "fee_slope", "max_fee", "band", "swan_enter", "swan_exit",
                 "recovery_discount", "max_trade_fraction"):  # fmt: skip
        value = getattr(t, name)
        if value is not None and value != value.quantize(_PLACES, context=_WIDE):
            raise ValidationError("bad_terms", f"{name}: at most {TERM_PLACES} decimal places")
    for name in ("delay_seconds", "correction_seconds", "feed_window_seconds"):
        if getattr(t, name) > MAX_TERM_SECONDS:
            raise ValidationError("bad_terms", f"{name}: at most {MAX_TERM_SECONDS} (a year)")


def _price(value: Decimal, what: str = "the price") -> Decimal:
    if (
        not isinstance(value, Decimal)
        or not value.is_finite()
        or not MIN_PRICE <= value <= MAX_PRICE
    ):
        raise ValidationError(
            "bad_price", f"{what} (COL per PEG) must be between {MIN_PRICE} and {MAX_PRICE:f}"
        )
    return value


def _not_before(state: PegState, now: datetime) -> None:
    latest = max(state.reports[-1][0] if state.reports else now, state.last_tick or now)
    if now < latest:
        raise ValidationError("time_backwards", "the time is before the last report or tick")


def _fund(state: PegState, c: FundCol, ctx: Context) -> list[Event]:
    amount = _amount(c.amount, state.col.decimals, "the amount")
    _fits(-state.held(WORLD, state.col) + amount, state.col.decimals, "COL", "the amount")
    return [ColFunded(ctx.actor, amount)]


def _buy_peg(state: PegState, c: BuyPeg, ctx: Context) -> list[Event]:
    t = state.require_terms()
    col_in = _amount(c.col_in, t.col_decimals, "col_in")
    min_return = _limit(c.min_return, "min_return")
    _has(state, ctx.actor, col_in, "COL")
    _size(t, col_in, state.connector_col, "col_in", "connector's COL")
    rate = relay_fee_rate(t, state.spot, state.feed, buying_peg=True)
    charged = fee(col_in, rate, t.col_decimals)
    peg_out = cross_reserve_return(
        state.connector_col, _HALF, state.connector_peg, _HALF, col_in - charged,
        decimals=t.peg_decimals,
    )  # fmt: skip
    if peg_out <= 0:
        raise ValidationError("too_small", "the trade is too small to buy any PEG")
    _relay_stays_open(state, state.connector_col, state.connector_peg - peg_out, "col_in")
    _slippage(peg_out, min_return, "PEG")
    return [PegBought(ctx.actor, col_in, charged, peg_out)]


def _sell_peg(state: PegState, c: SellPeg, ctx: Context) -> list[Event]:
    t = state.require_terms()
    peg_in = _amount(c.peg_in, t.peg_decimals, "peg_in")
    min_return = _limit(c.min_return, "min_return")
    _has(state, ctx.actor, peg_in, "PEG")
    _size(t, peg_in, state.connector_peg, "peg_in", "connector's PEG")
    col_out = cross_reserve_return(
        state.connector_peg, _HALF, state.connector_col, _HALF, peg_in, decimals=t.col_decimals
    )
    rate = relay_fee_rate(t, state.spot, state.feed, buying_peg=False)
    charged = fee(col_out, rate, t.col_decimals)
    if col_out - charged <= 0:
        raise ValidationError("too_small", "the trade is too small to return any COL")
    _relay_stays_open(state, state.connector_col - col_out, state.connector_peg, "peg_in")
    _slippage(col_out - charged, min_return, "COL")
    return [PegSold(ctx.actor, peg_in, col_out, charged)]


def _buy_mms(state: PegState, c: BuyMms, ctx: Context) -> list[Event]:
    """Scale C, X, U, Dc and MMS by the same g = net / (C + X) (each product formed before the
    division, so a whole result stays whole). The buyer's PEG is floor(g Dc), but never less
    than the ceil(Dc m / MMS) that selling the same m MMS back asks for: rounding never
    strands a buyer (the extra part of a unit is liability the buyer hands back on selling)."""
    t = state.require_terms()
    col_in = _amount(c.col_in, t.col_decimals, "col_in")
    min_return = _limit(c.min_return, "min_return")
    _has(state, ctx.actor, col_in, "COL")
    total = state.connector_col + state.excess_col
    _size(t, col_in, total, "col_in", "pool's COL (connector and excess)")
    charged = fee(col_in, t.fee_rate, t.col_decimals)
    net = col_in - charged
    if state.mode == RECOVERY:
        bought = _recovery_purchase(state, t, ctx.actor, col_in, charged)
        _slippage(bought.mms, min_return, "MMS")
        return [bought]
    supply, circulating = state.mms_supply, state.circulating_peg
    _fits(supply + net * supply / total, t.mms_decimals, "MMS", "col_in")
    _fits(state.minted_peg * (_ONE + net / total), t.peg_decimals, "PEG", "col_in")
    to_connector = quantize_down(net * state.connector_col / total, t.col_decimals)
    peg_connector = quantize_down(net * state.connector_peg / total, t.peg_decimals)
    mms = quantize_down(net * supply / total, t.mms_decimals)
    if mms <= 0:
        raise ValidationError("too_small", "the purchase is too small to issue any MMS")
    peg_buyer = max(
        quantize_down(net * circulating / total, t.peg_decimals),
        quantize_up(circulating * mms / supply, t.peg_decimals),
    )
    _slippage(mms, min_return, "MMS")
    return [
        MmsBought(
            ctx.actor, col_in, charged, to_connector, net - to_connector, peg_connector,
            peg_buyer, mms,
        )
    ]  # fmt: skip


def _recovery_purchase(
    state: PegState, t: PegTerms, buyer: str, col_in: Decimal, charged: Decimal
) -> MmsBought:
    """In recovery all the COL goes to excess and no PEG is minted; the MMS are priced at a
    discount to the net asset value per MMS."""
    nav = state.connector_col + state.excess_col - state.circulating_peg * state.feed
    if nav <= 0:
        raise ValidationError(
            "no_net_value",
            "the pool owes more than it holds at the feed; MMS purchases reopen once its "
            "net asset value is positive",
        )
    net = col_in - charged
    supply = state.mms_supply
    _fits(supply + net * supply / ((_ONE - t.recovery_discount) * nav), t.mms_decimals, "MMS",
          "col_in")  # fmt: skip
    mms = recovery_mms(net, nav, supply, t.recovery_discount, t.mms_decimals)
    if mms <= 0:
        raise ValidationError("too_small", "the purchase is too small to issue any MMS")
    return MmsBought(buyer, col_in, charged, _ZERO, net, _ZERO, _ZERO, mms)


def _sell_mms(state: PegState, c: SellMms, ctx: Context) -> list[Event]:
    """Retire the fraction f = m / MMS of everything: the seller hands in f * Dc PEG and
    receives f * (C + X) COL, less the fee. The whole supply cannot be sold: the relay would
    be left empty (ValidationError ``last_mms``); in a market that locked MMS when it opened
    no holder has the whole supply, so every holder can sell all it holds."""
    t = state.require_terms()
    if state.mode == RECOVERY:
        raise ValidationError("recovery_mode", "MMS sales are blocked while the pool recovers")
    mms = _amount(c.mms_in, t.mms_decimals, "mms_in")
    min_return = _limit(c.min_return, "min_return")
    max_cost = _limit(c.max_cost, "max_cost")
    _has(state, ctx.actor, mms, "MMS")
    supply = state.mms_supply
    if mms >= supply:
        raise ValidationError(
            "last_mms",
            "mms_in: selling the whole MMS supply would empty the relay; the last MMS stay",
        )
    peg_in = quantize_up(state.circulating_peg * mms / supply, t.peg_decimals)
    _max_cost(peg_in, max_cost, "PEG")
    _has(state, ctx.actor, peg_in, "PEG")
    from_connector = quantize_down(state.connector_col * mms / supply, t.col_decimals)
    from_excess = quantize_down(state.excess_col * mms / supply, t.col_decimals)
    burnt = quantize_down(state.connector_peg * mms / supply, t.peg_decimals)
    charged = fee(from_connector + from_excess, t.fee_rate, t.col_decimals)
    kept_in_connector, _ = mms_sale_fee_split(state, charged, from_connector, from_excess)
    _relay_stays_open(
        state, state.connector_col - from_connector + kept_in_connector,
        state.connector_peg - burnt, "mms_in",
    )  # fmt: skip
    _slippage(from_connector + from_excess - charged, min_return, "COL")
    return [MmsSold(ctx.actor, mms, peg_in, burnt, from_connector, from_excess, charged)]


def _relay_stays_open(state: PegState, col_after: Decimal, peg_after: Decimal, what: str) -> None:
    """Refuse a trade that would leave the relay's connector without COL or PEG (SPOT = C / U
    would be undefined and the market could never trade again)."""
    if col_after <= 0 or peg_after <= 0:
        raise ValidationError(
            "empty_relay", f"{what}: the trade would leave the relay without COL or PEG"
        )


def _report_price(state: PegState, c: ReportPrice, ctx: Context) -> list[Event]:
    t = state.require_terms()
    price = _price(c.price, "price")
    _not_before(state, ctx.now)
    window = recent([*state.reports, (ctx.now, price)], ctx.now, t.feed_window_seconds)
    return [PriceReported(ctx.actor, ctx.now, price, median([p for _, p in window]))]


def _tick(state: PegState, c: Tick, ctx: Context) -> list[Event]:
    """Refresh the feed, note whether SPOT is outside the band, correct once the delay has
    passed (not while the feed is stale), then switch modes on the excess left."""
    t, now = state.require_terms(), ctx.now
    _not_before(state, now)
    window = recent(state.reports, now, t.feed_window_seconds)
    feed = median([p for _, p in window]) if window else state.feed
    outside = abs(state.spot / feed - _ONE) > t.band
    since = (state.outside_since or now) if outside else None
    events: list[Event] = [Ticked(now, feed, not window, since)]
    c_after, x_after, u_after = state.connector_col, state.excess_col, state.connector_peg
    correction = _correction(state, t, feed, since, now) if window and since else None
    if correction is not None:
        events.append(CorrectionMade(now, correction.kind, correction.col, correction.peg))
        if correction.kind == TO_EXCESS:
            c_after, x_after = c_after - correction.col, x_after + correction.col
        elif correction.kind == BUY_BURN:
            c_after, x_after = c_after + correction.col, x_after - correction.col
            u_after -= correction.peg
        else:
            u_after += correction.peg
    mode = next_mode(state.mode, c_after, x_after, t, u=u_after, feed=feed)
    if mode != state.mode:
        events.append(ModeChanged(now, mode))
    return events


def _correction(
    state: PegState, t: PegTerms, feed: Decimal, since: datetime, now: datetime
) -> Correction | None:
    """Due once SPOT has been outside the band for the delay; paced to reach the feed by
    ``correction_seconds`` after that."""
    start = since + timedelta(seconds=t.delay_seconds)
    if now <= start:
        return None
    deadline = start + timedelta(seconds=t.correction_seconds)
    previous = max(state.last_tick or start, start)
    pace = _ONE if now >= deadline else _span(previous, now) / _span(previous, deadline)
    planned = plan_correction(
        c=state.connector_col, u=state.connector_peg, x=state.excess_col, feed=feed,
        ratio=t.ratio, step=t.fee_rate, u_min=state.u_min, pace=pace,
        buy_back=state.mode != RECOVERY, col_decimals=t.col_decimals,
        peg_decimals=t.peg_decimals,
    )  # fmt: skip
    if (
        planned is not None
        and planned.kind == MINT_PEG
        and state.minted_peg + planned.peg > capacity(t.peg_decimals)
    ):
        return None  # the market's PEG is at its capacity: no more can be minted
    return planned


def _span(start: datetime, end: datetime) -> Decimal:
    return Decimal((end - start) // _MICROSECOND)


#: each command type's handler (the table checks that each takes its command)
_DECIDERS: HandlerTable[PegState, Command, [Context], list[Event]] = HandlerTable()
_DECIDERS.add(OpenMarket, _open_market)
_DECIDERS.add(FundCol, _fund)
_DECIDERS.add(BuyPeg, _buy_peg)
_DECIDERS.add(SellPeg, _sell_peg)
_DECIDERS.add(BuyMms, _buy_mms)
_DECIDERS.add(SellMms, _sell_mms)
_DECIDERS.add(ReportPrice, _report_price)
_DECIDERS.add(Tick, _tick)
