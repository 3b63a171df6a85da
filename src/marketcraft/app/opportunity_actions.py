"""Every opportunity command the JSON API and the pages issue, one function per action.

Both entry points call these, so an action goes one way whichever route it came by: ids and
salts are made here (and only here), an order's idempotency key is honoured here, and every
command is queued for the group commit (:class:`GroupCommit`) and answered once it is durable.
Refusals are the engine's typed errors, raised unchanged; nothing here knows HTTP.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import secrets
from decimal import Decimal
from typing import Protocol

from marketcraft.app.programs import ProgramRepository
from marketcraft.kernel.errors import IdempotencyKeyReused, OrderExists
from marketcraft.kernel.messages import Command
from marketcraft.opportunity.commands import (
    ApproveMarket,
    CloseProgram,
    Context,
    DepositCash,
    ListMarket,
    OpenProgram,
    Outcome,
    PlaceCloseOrder,
    PlaceOrder,
    RecordActedOn,
    RejectMarket,
    ResolveMarket,
    RevealMarket,
    SettleProgram,
    WithdrawCash,
    WithdrawCollateral,
)
from marketcraft.opportunity.journal import Handled, parse_command_record
from marketcraft.opportunity.receipts import Receipt, order_plain
from marketcraft.opportunity.terms import ProgramTerms, Side, Token

__all__ = [
    "SALT_BYTES",
    "GroupCommit",
    "Placed",
    "approve_market",
    "close_program",
    "deposit_cash",
    "list_market",
    "open_program",
    "order_id_for",
    "place_close_order",
    "place_order",
    "record_acted_on",
    "reject_market",
    "resolve_market",
    "reveal_market",
    "settle_program",
    "withdraw_cash",
    "withdraw_collateral",
]

#: the random salt that hides each order's (and close order's) fill in its commitment
SALT_BYTES = 32


@dataclasses.dataclass(frozen=True, slots=True)
class Placed:
    """An order's signed receipt, and the order as its ``order_hash`` covers it (what the
    scout sent, with the id the platform gave it; never the salt)."""

    receipt: Receipt
    order: dict[str, object]


class GroupCommit(Protocol):
    """The group commit the actions queue their commands on
    (:class:`~marketcraft.app.group_commit.Committer`)."""

    @property
    def programs(self) -> ProgramRepository: ...

    async def handle(self, program_id: str, command: Command, ctx: Context) -> Handled: ...


# -- ids and salts: made here, nowhere else --------------------------------------------------------
def new_program_id() -> str:
    return "p-" + secrets.token_hex(8)


def new_market_id() -> str:
    return "m-" + secrets.token_hex(6)


def new_close_order_id() -> str:
    return "c-" + secrets.token_hex(10)


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def order_id_for(scout: str, idempotency_key: str) -> str:
    """The id of the order ``scout`` places with ``idempotency_key``: the same key always names
    the same order, so a retry cannot place a second one."""
    return "o-" + hashlib.sha256(f"{scout}\0{idempotency_key}".encode()).hexdigest()[:24]


# -- programs and markets ------------------------------------------------------------------------
async def open_program(
    commit: GroupCommit, ctx: Context, *, title: str, deposit: Decimal, terms: ProgramTerms
) -> str:
    """Open a program sponsored by ``ctx.actor``; its new id."""
    program_id = new_program_id()
    await commit.handle(program_id, OpenProgram(program_id, title, deposit, terms), ctx)
    return program_id


async def list_market(
    commit: GroupCommit, ctx: Context, program_id: str, *, title: str, rules: str = ""
) -> str:
    """List a market in the program; its new id."""
    market_id = new_market_id()
    await commit.handle(program_id, ListMarket(market_id, title, rules), ctx)
    return market_id


async def approve_market(
    commit: GroupCommit, ctx: Context, program_id: str, market_id: str
) -> None:
    await commit.handle(program_id, ApproveMarket(market_id), ctx)


async def reject_market(
    commit: GroupCommit, ctx: Context, program_id: str, market_id: str, *, reason: str
) -> None:
    await commit.handle(program_id, RejectMarket(market_id, reason), ctx)


async def record_acted_on(
    commit: GroupCommit, ctx: Context, program_id: str, market_id: str, *, evidence: str
) -> None:
    await commit.handle(program_id, RecordActedOn(market_id, evidence), ctx)


async def resolve_market(
    commit: GroupCommit,
    ctx: Context,
    program_id: str,
    market_id: str,
    *,
    outcome: Outcome,
    evidence: str,
) -> None:
    await commit.handle(program_id, ResolveMarket(market_id, outcome, evidence), ctx)


async def reveal_market(commit: GroupCommit, ctx: Context, program_id: str, market_id: str) -> None:
    await commit.handle(program_id, RevealMarket(market_id), ctx)


async def settle_program(commit: GroupCommit, ctx: Context, program_id: str) -> None:
    await commit.handle(program_id, SettleProgram(), ctx)


async def withdraw_collateral(
    commit: GroupCommit, ctx: Context, program_id: str, amount: Decimal
) -> None:
    """The sponsor takes ``amount`` of its free collateral out of the program."""
    await commit.handle(program_id, WithdrawCollateral(amount), ctx)


async def close_program(commit: GroupCommit, ctx: Context, program_id: str) -> None:
    """The sponsor closes its settled, emptied program: nothing more happens in it."""
    await commit.handle(program_id, CloseProgram(), ctx)


# -- scouts --------------------------------------------------------------------------------------
async def deposit_cash(commit: GroupCommit, ctx: Context, program_id: str, amount: Decimal) -> None:
    await commit.handle(program_id, DepositCash(amount), ctx)


async def withdraw_cash(
    commit: GroupCommit, ctx: Context, program_id: str, amount: Decimal
) -> None:
    await commit.handle(program_id, WithdrawCash(amount), ctx)


async def place_order(
    commit: GroupCommit,
    ctx: Context,
    program_id: str,
    *,
    idempotency_key: str,
    market_id: str,
    side: Side,
    max_spend: Decimal | None = None,
    max_shares: Decimal | None = None,
    limit_price: Decimal | None = None,
    token: Token = Token.YES,
) -> Placed:
    """Place a blind order; its signed receipt.

    A retry with the same ``idempotency_key`` places nothing and gets the first order's
    receipt again, if it asks for the same order (the salt aside);
    :class:`IdempotencyKeyReused` if it asks for another."""
    order_id = order_id_for(ctx.actor, idempotency_key)
    command = PlaceOrder(
        order_id, market_id, side, new_salt(), max_spend=max_spend, max_shares=max_shares,
        limit_price=limit_price, token=token,
    )  # fmt: skip
    try:
        handled = await commit.handle(program_id, command, ctx)
    except OrderExists:
        # a read of the store: off the event loop
        receipt = await asyncio.to_thread(_first_receipt, commit.programs, program_id, command)
        return Placed(receipt, order_plain(command))
    assert handled.receipt is not None  # an accepted order always has its receipt
    return Placed(handled.receipt, order_plain(command))


def _first_receipt(programs: ProgramRepository, program_id: str, retry: PlaceOrder) -> Receipt:
    """The receipt of the order ``retry`` repeats; IdempotencyKeyReused if it asks for another
    (or if the id is another kind of item's: a close order's, an agent's, with no order)."""
    found = programs.receipt(program_id, retry.order_id)
    if found is None:
        raise IdempotencyKeyReused(reason="this key was used for another order")
    receipt, record = found
    original, _ = parse_command_record(record.command)
    if not isinstance(original, PlaceOrder) or dataclasses.replace(
        original, salt=b""
    ) != dataclasses.replace(retry, salt=b""):
        raise IdempotencyKeyReused(reason="this key was used for another order")
    return receipt


async def place_close_order(
    commit: GroupCommit,
    ctx: Context,
    program_id: str,
    *,
    market_id: str,
    token: Token,
    trigger_price: Decimal,
    max_shares: Decimal,
    side: Side = Side.SELL,
) -> Placed:
    """Place a close order; its signed receipt. A SELL sells up to ``max_shares`` of ``token``
    once its price rises to ``trigger_price``; a BUY buys up to ``max_shares`` once it falls to
    it, from an escrow of its most possible cost (see
    :class:`~marketcraft.opportunity.commands.PlaceCloseOrder`)."""
    command = PlaceCloseOrder(
        new_close_order_id(), market_id, token, trigger_price, max_shares, new_salt(), side=side
    )
    handled = await commit.handle(program_id, command, ctx)
    assert handled.receipt is not None  # an accepted close order always has its receipt
    return Placed(handled.receipt, order_plain(command))
