"""The opportunity-markets engine: ``decide(state, command, ctx) -> events``. Pure: it reads the
state, the command and the context (actor and time) and computes every amount; ``evolve``
(in :mod:`marketcraft.opportunity.state`) applies them.

Rules the engine enforces, whatever route a command came by:
* the sponsor can never trade in its own program;
* only the sponsor lists markets, unless the program's terms open listing to the community
  (then a scout pays the creation bond, and waits for approval if the terms ask for it);
* a scout's available cash drops by the order's escrow (its max spend), never by the fill, so
  nothing a scout can see depends on the price until the market is revealed;
* each market's loss budget is reserved from the sponsor's collateral (UNLIMITED) or covered by
  the shared pool of N budgets (FIRST_N), so every payout is funded; the ledger refuses any
  move that would overdraw an account;
* money leaves at every stage: a scout withdraws its available cash whenever it likes, the
  sponsor the collateral no market may still need (:mod:`~.collateral`), and after
  settlement both withdraw everything (nothing else is accepted then); once every account is
  at zero the sponsor may close the program, and every command after that is refused
  (:class:`~marketcraft.kernel.errors.Closed`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from marketcraft.kernel.errors import Closed, NotFound, ValidationError
from marketcraft.kernel.handlers import HandlerTable
from marketcraft.kernel.messages import Command, Event
from marketcraft.kernel.money import quantize_down, with_money_context
from marketcraft.opportunity import accounts
from marketcraft.opportunity.access import market_of, open_market_for
from marketcraft.opportunity.amms import AmmKind, liquidity_for_budget
from marketcraft.opportunity.automation import cancel_close_order, place_close_order, register_agent
from marketcraft.opportunity.collateral import free_collateral, left_in
from marketcraft.opportunity.commands import (
    ApproveMarket,
    CancelCloseOrder,
    CloseProgram,
    CloseWindow,
    Context,
    DepositCash,
    ListMarket,
    OpenProgram,
    Outcome,
    PlaceCloseOrder,
    PlaceOrder,
    RecordActedOn,
    RegisterAgent,
    RejectMarket,
    ResolveMarket,
    RevealMarket,
    SettleProgram,
    WithdrawCash,
    WithdrawCollateral,
)
from marketcraft.opportunity.events import (
    ActedOnRecorded,
    CashDeposited,
    CashWithdrawn,
    CollateralWithdrawn,
    MarketApproved,
    MarketListed,
    MarketRejected,
    MarketRevealed,
    ProgramClosed,
    ProgramOpened,
    WindowClosed,
)
from marketcraft.opportunity.orders import execute_order
from marketcraft.opportunity.settlement import resolve, settle
from marketcraft.opportunity.state import MarketStatus, ProgramState
from marketcraft.opportunity.terms import CollateralMode, ProgramTerms, Side
from marketcraft.opportunity.titles import normalise_title
from marketcraft.opportunity.triggers import Pending, run_triggers

__all__ = ["decide"]

MAX_TITLE = 200
MAX_TEXT = 4000
#: what a settled program still accepts: money out, and closing it
_AFTER_SETTLEMENT = (WithdrawCash, WithdrawCollateral, CloseProgram)


def decide(state: ProgramState, command: Command, ctx: Context) -> list[Event]:
    """The events ``command`` causes; raises a typed error (and causes nothing) if refused:
    :class:`Closed` for any command to a closed program."""
    handler = _HANDLERS.get(type(command))
    if handler is None:
        raise ValidationError("unknown_command", f"unknown command {type(command).__name__}")
    if not isinstance(command, OpenProgram):
        _admit(state, command)
    return handler(state, command, ctx)


def _admit(state: ProgramState, command: Command) -> None:
    if not state.opened:
        raise NotFound("no_program", "no such program")
    if state.closed:
        raise Closed("program_closed", "the program is closed: it takes no more commands")
    if state.settled and not isinstance(command, _AFTER_SETTLEMENT):
        raise ValidationError(
            "program_settled", "the program is settled: only withdrawals and closing it remain"
        )


# -- helpers -------------------------------------------------------------------------------------
def _cash_amount(state: ProgramState, amount: Decimal, what: str) -> Decimal:
    decimals = state.cash.decimals
    if amount <= 0 or amount != quantize_down(amount, decimals):
        raise ValidationError("bad_amount", f"{what} must be > 0 in whole cash units")
    return amount


def _require_sponsor(state: ProgramState, ctx: Context) -> None:
    if ctx.actor != state.sponsor:
        raise ValidationError("sponsor_only", "only the program's sponsor may do this")


@lru_cache(maxsize=64)
def _scale(kind: AmmKind, budget: Decimal, pa: Decimal, pb: Decimal, window: int) -> Decimal:
    return liquidity_for_budget(kind, budget, pa, pb, window)


def _reserve(state: ProgramState, terms: ProgramTerms) -> Decimal:
    """The budget to reserve from the sponsor's collateral for one more market."""
    if terms.collateral is CollateralMode.FIRST_N:
        return Decimal(0)
    free = state.ledger.balance(accounts.SPONSOR, state.cash).amount
    if free < terms.market_budget:
        raise ValidationError(
            "deposit_exhausted", "the sponsor's deposit cannot cover another market's budget"
        )
    return terms.market_budget


def _window(ctx: Context, terms: ProgramTerms) -> tuple[datetime, datetime]:
    return ctx.now, ctx.now + timedelta(seconds=terms.window_seconds)


# -- handlers ------------------------------------------------------------------------------------
def _open_program(state: ProgramState, c: OpenProgram, ctx: Context) -> list[Event]:
    if state.opened:
        raise ValidationError("program_exists", "the program is already open")
    if not c.program_id or not c.title.strip() or len(c.title) > MAX_TITLE:
        raise ValidationError("bad_program", "a program needs an id and a title of 1..200 chars")
    decimals = c.terms.cash_decimals
    for value in (c.deposit, c.rolled_in):
        if value < 0 or value != quantize_down(value, decimals):
            raise ValidationError("bad_amount", "deposits are >= 0 in whole cash units")
    if c.deposit + c.rolled_in < c.terms.required_deposit():
        raise ValidationError(
            "deposit_too_small",
            f"the deposit must be at least {c.terms.required_deposit()} for these terms",
        )
    return [ProgramOpened(c.program_id, c.title.strip(), ctx.actor, c.deposit, c.rolled_in,
                          c.terms, ctx.now)]  # fmt: skip


def _deposit(state: ProgramState, c: DepositCash, ctx: Context) -> list[Event]:
    if ctx.actor == state.sponsor:
        raise ValidationError("sponsor_cannot_trade", "the sponsor funds the program by deposit")
    return [CashDeposited(ctx.actor, _cash_amount(state, c.amount, "a deposit"))]


def _withdraw(state: ProgramState, c: WithdrawCash, ctx: Context) -> list[Event]:
    amount = _cash_amount(state, c.amount, "a withdrawal")
    if amount > state.available(ctx.actor):
        raise ValidationError("insufficient_cash", "not enough available cash")
    return [CashWithdrawn(ctx.actor, amount)]


def _withdraw_collateral(state: ProgramState, c: WithdrawCollateral, ctx: Context) -> list[Event]:
    _require_sponsor(state, ctx)
    amount = _cash_amount(state, c.amount, "a withdrawal")
    free = free_collateral(state)
    if amount > free:
        raise ValidationError(
            "collateral_needed",
            f"{free} of the collateral is free; the rest may still pay the markets",
        )
    return [CollateralWithdrawn(amount)]


def _close_program(state: ProgramState, c: CloseProgram, ctx: Context) -> list[Event]:
    _require_sponsor(state, ctx)
    if not state.settled:
        raise ValidationError("not_settled", "only a settled program can be closed")
    left = left_in(state)
    if left:
        mine = (
            " (your collateral among them)"
            if (state.collateral_account(), state.cash.code) in left
            else ""
        )
        raise ValidationError(
            "money_left",
            f"{len(left)} accounts still hold money{mine}: each must be withdrawn first",
        )
    return [ProgramClosed(ctx.now)]


def _list_market(state: ProgramState, c: ListMarket, ctx: Context) -> list[Event]:
    terms = state.require_terms()
    title = c.title.strip()
    if not c.market_id or len(c.market_id) > 100 or not title or len(title) > MAX_TITLE:
        raise ValidationError("bad_market", "a market needs an id and a title of 1..200 chars")
    if len(c.rules) > MAX_TEXT:
        raise ValidationError("bad_market", "rules are at most 4000 characters")
    if c.market_id in state.markets:
        raise ValidationError("market_exists", "a market with this id exists")
    normal = normalise_title(title)
    if not normal:
        raise ValidationError("bad_market", "the title needs letters or digits")
    if normal in state.titles:
        raise ValidationError("duplicate_title", "a market with the same title is listed")
    by_sponsor = ctx.actor == state.sponsor
    if not by_sponsor and not terms.community_listing:
        raise ValidationError(
            "community_listing_closed", "only the sponsor lists markets in this program"
        )
    bond = Decimal(0) if by_sponsor else terms.creation_bond
    if bond > state.available(ctx.actor):
        raise ValidationError("insufficient_cash", "not enough available cash for the bond")
    pending = terms.approval_required and not by_sponsor
    reserved = Decimal(0) if pending else _reserve(state, terms)
    opens: datetime | None = None
    closes: datetime | None = None
    if not pending:
        opens, closes = _window(ctx, terms)
    scale = _scale(terms.amm, terms.market_budget, terms.pa, terms.pb, terms.window_seconds)
    return [MarketListed(c.market_id, title, c.rules, ctx.actor, bond, scale, reserved,
                         opens, closes)]  # fmt: skip


def _approve(state: ProgramState, c: ApproveMarket, ctx: Context) -> list[Event]:
    _require_sponsor(state, ctx)
    market = market_of(state, c.market_id)
    if market.status is not MarketStatus.PENDING:
        raise ValidationError("not_pending", "the market is not awaiting approval")
    opens, closes = _window(ctx, state.require_terms())
    return [MarketApproved(c.market_id, _reserve(state, state.require_terms()), opens, closes)]


def _reject(state: ProgramState, c: RejectMarket, ctx: Context) -> list[Event]:
    _require_sponsor(state, ctx)
    market = market_of(state, c.market_id)
    if market.status is not MarketStatus.PENDING:
        raise ValidationError("not_pending", "the market is not awaiting approval")
    return [MarketRejected(c.market_id, c.reason[:MAX_TEXT], market.bond)]


def _place_order(state: ProgramState, c: PlaceOrder, ctx: Context) -> list[Event]:
    market = open_market_for(state, c.market_id, c.order_id, ctx)
    executed = execute_order(state, market, c, ctx)
    pending = Pending(executed.state_after)
    pending.add(ctx.actor, c.token, executed.shares if c.side is Side.BUY else -executed.shares)
    return [executed, *run_triggers(state, market, pending, ctx.now)]


def _close_window(state: ProgramState, c: CloseWindow, ctx: Context) -> list[Event]:
    market = market_of(state, c.market_id)
    if market.status is not MarketStatus.OPEN:
        return []
    assert market.closes_at is not None
    if ctx.now < market.closes_at:
        raise ValidationError("window_open", "the market's window is still open")
    # the creation bond comes back now, whoever ordered (rules 1: on the first order)
    bond_refund = market.bond if state.require_terms().rules > 1 else Decimal(0)
    return [WindowClosed(c.market_id, ctx.now, bond_refund)]


@with_money_context
def _reveal(state: ProgramState, c: RevealMarket, ctx: Context) -> list[Event]:
    market = market_of(state, c.market_id)
    events: list[Event] = []
    if market.status is MarketStatus.OPEN:
        events += _close_window(state, CloseWindow(c.market_id), ctx)
    elif market.status is not MarketStatus.CLOSED:
        return []
    # Every escrow of the market goes back to its owner: unspent order cash, sale proceeds,
    # close-order proceeds, agents' unspent budget and proceeds.
    releases = []
    for escrow_id, order in state.orders.escrows(c.market_id):
        if order is None:  # a close order's or an agent's own escrow
            held = state.ledger.holding(accounts.escrow(escrow_id), state.cash)
        else:  # an order's part of its scout's order escrow
            held = order.left_in_escrow
        if held:
            releases.append((escrow_id, held))
    return [*events, MarketRevealed(c.market_id, tuple(releases), ctx.now)]


def _acted_on(state: ProgramState, c: RecordActedOn, ctx: Context) -> list[Event]:
    _require_sponsor(state, ctx)
    market = market_of(state, c.market_id)
    if market.acted_rank:
        raise ValidationError("already_recorded", "this market's action is already recorded")
    if market.status in (MarketStatus.PENDING, MarketStatus.REJECTED):
        raise ValidationError("market_not_listed", "the market was never open")
    return [ActedOnRecorded(c.market_id, len(state.acted_on) + 1, c.evidence[:MAX_TEXT], ctx.now)]


def _resolve(state: ProgramState, c: ResolveMarket, ctx: Context) -> list[Event]:
    _require_sponsor(state, ctx)
    market = market_of(state, c.market_id)
    if market.status is MarketStatus.RESOLVED:
        raise ValidationError("already_resolved", "the market is resolved")
    if market.status in (MarketStatus.PENDING, MarketStatus.REJECTED):
        raise ValidationError("market_not_listed", "the market was never open")
    if not c.evidence.strip():
        raise ValidationError("no_evidence", "a resolution needs evidence")
    terms = state.require_terms()
    if terms.collateral is CollateralMode.FIRST_N and c.outcome is not Outcome.VOID:
        among_first = 0 < market.acted_rank <= terms.first_n
        if (c.outcome is Outcome.YES) != among_first:
            raise ValidationError(
                "first_n_order",
                "in a first-N program exactly the first N markets acted on resolve YES",
            )
    events: list[Event] = []
    if market.status is not MarketStatus.REVEALED:
        events += _reveal(state, RevealMarket(c.market_id), ctx)
        if not events:
            raise ValidationError("window_open", "the market's window is still open")
    return [*events, resolve(state, market, c, ctx)]


def _settle(state: ProgramState, c: SettleProgram, ctx: Context) -> list[Event]:
    _require_sponsor(state, ctx)
    unfinished = [
        m.market_id
        for m in state.markets.values()
        if m.status not in (MarketStatus.RESOLVED, MarketStatus.REJECTED)
    ]
    if unfinished:
        raise ValidationError("markets_unresolved", f"{len(unfinished)} markets are unresolved")
    return [settle(state, ctx)]


#: each command type's handler (the table checks that each takes its command)
_HANDLERS: HandlerTable[ProgramState, Command, [Context], list[Event]] = HandlerTable()
_HANDLERS.add(OpenProgram, _open_program)
_HANDLERS.add(DepositCash, _deposit)
_HANDLERS.add(WithdrawCash, _withdraw)
_HANDLERS.add(ListMarket, _list_market)
_HANDLERS.add(ApproveMarket, _approve)
_HANDLERS.add(RejectMarket, _reject)
_HANDLERS.add(PlaceOrder, _place_order)
_HANDLERS.add(CloseWindow, _close_window)
_HANDLERS.add(RevealMarket, _reveal)
_HANDLERS.add(RecordActedOn, _acted_on)
_HANDLERS.add(PlaceCloseOrder, place_close_order)
_HANDLERS.add(CancelCloseOrder, cancel_close_order)
_HANDLERS.add(RegisterAgent, register_agent)
_HANDLERS.add(ResolveMarket, _resolve)
_HANDLERS.add(SettleProgram, _settle)
_HANDLERS.add(WithdrawCollateral, _withdraw_collateral)
_HANDLERS.add(CloseProgram, _close_program)
