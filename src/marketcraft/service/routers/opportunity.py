"""Opportunity markets over HTTP: every engine command, and the views each role may see.

A scout's replies never depend on a price or a fill: an order's reply is its signed receipt,
whose fill is sealed in a commitment; orders, balances and lists show escrows, not fills,
until the market is revealed. Prices are served only on the sponsor's dashboard.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, status
from fastapi.concurrency import run_in_threadpool

from marketcraft.kernel.errors import IdempotencyKeyReused, OrderExists, ValidationError
from marketcraft.kernel.messages import Command, to_plain
from marketcraft.kernel.money import MONEY_CONTEXT
from marketcraft.opportunity.commands import (
    ApproveMarket,
    Context,
    DepositCash,
    ListMarket,
    OpenProgram,
    PlaceOrder,
    RecordActedOn,
    RejectMarket,
    ResolveMarket,
    RevealMarket,
    SettleProgram,
    WithdrawCash,
)
from marketcraft.opportunity.journal import Handled, ProgramJournal, parse_command_record
from marketcraft.opportunity.receipts import Receipt
from marketcraft.opportunity.repository import ProgramRepository
from marketcraft.opportunity.state import MarketState
from marketcraft.opportunity.terms import ProgramTerms
from marketcraft.opportunity.transcript import export_transcript
from marketcraft.opportunity.visibility import scout_orders, sponsor_market_view
from marketcraft.service import access
from marketcraft.service.access import Granted
from marketcraft.service.auth import RoleGuard
from marketcraft.service.exact_json import ExactNumbersRoute
from marketcraft.service.opportunity_models import (
    BalanceOut,
    CashIn,
    EvidenceIn,
    FillOut,
    MarketIn,
    MarketOut,
    OrderIn,
    OrderOut,
    Page,
    ProgramIn,
    ProgramOut,
    ReceiptOut,
    ResolveIn,
    SponsorMarketOut,
    TermsOut,
)
from marketcraft.service.roles import Role
from marketcraft.store.principals import Principal

router = APIRouter(prefix="/programs", tags=["opportunity markets"], route_class=ExactNumbersRoute)

# Who may reach what is access's rule for each kind of resource; the routes only name it.
Sponsor = Annotated[Principal, Depends(RoleGuard(Role.SPONSOR))]  # opens a program of its own
Scout = Annotated[Principal, Depends(access.SCOUT)]
Participant = Annotated[Principal, Depends(RoleGuard(*access.PROGRAM.roles))]
InProgram = Annotated[Granted, Depends(access.PROGRAM.api)]
OwnProgram = Annotated[Granted, Depends(access.SPONSOR.api)]
Lister = Annotated[Granted, Depends(access.LISTING.api)]
TranscriptReader = Annotated[Granted, Depends(access.TRANSCRIPT.api)]
Offset = Annotated[int, Query(ge=0, le=10**9)]
Limit = Annotated[int, Query(ge=1, le=500)]
IdempotencyKey = Annotated[
    str,
    Header(
        min_length=1,
        max_length=100,
        description="Retries with the same key never place a second order.",
    ),
]


def _repo(request: Request) -> ProgramRepository:
    repo: ProgramRepository = request.app.state.programs
    return repo


def _run(request: Request, program_id: str, command: Command, actor: str) -> Handled:
    ctx = Context(actor, request.app.state.clock.now())
    return _repo(request).handle(program_id, command, ctx)


def _journal(request: Request, program_id: str) -> ProgramJournal:
    return _repo(request).journal(program_id)


def _balance(journal: ProgramJournal, holder: str) -> BalanceOut:
    """Available cash shown in the program's minor units (e.g. 475.00), quantised in the money
    context as the engine computed it (Python's default context holds only 28 digits)."""
    state = journal.state
    cents = state.cash.zero().amount
    return BalanceOut(available=state.available(holder).quantize(cents, context=MONEY_CONTEXT))


def _page(items: list[Any], offset: int, limit: int) -> dict[str, Any]:
    chunk = items[offset : offset + limit]
    nxt = offset + limit if offset + limit < len(items) else None
    return {"items": chunk, "next_offset": nxt}


def _program_out(journal: ProgramJournal) -> ProgramOut:
    state = journal.state
    terms = state.require_terms()
    return ProgramOut(
        program_id=state.program_id,
        title=state.title,
        sponsor=state.sponsor,
        terms=TermsOut.model_validate(
            {k: v for k, v in to_plain(terms).items() if k in TermsOut.model_fields}
        ),
        settled=state.settled,
    )


def _market_out(market: MarketState) -> MarketOut:
    return MarketOut(
        market_id=market.market_id,
        title=market.title,
        rules=market.rules,
        status=market.status.value,
        opens_at=market.opens_at,
        closes_at=market.closes_at,
    )


def _receipt_out(receipt: Receipt) -> ReceiptOut:
    cp = receipt.checkpoint.checkpoint
    return ReceiptOut(
        order_id=receipt.order_id,
        sequence=receipt.sequence,
        order_hash=receipt.order_hash.hex(),
        events_hash=receipt.events_hash.hex(),
        commitment=receipt.commitment.hex(),
        checkpoint_size=cp.tree_size,
        checkpoint_root=cp.root_hash.hex(),
        checkpoint_time=cp.timestamp,
        inclusion_proof=[p.hex() for p in receipt.inclusion_proof],
        key_id=receipt.key_id,
        signature=receipt.signature.hex(),
        receipt=to_plain(receipt),
    )


# -- programs -------------------------------------------------------------------------------------
@router.post(
    "", response_model=ProgramOut, status_code=status.HTTP_201_CREATED, summary="Open a program"
)
def open_program(body: ProgramIn, request: Request, sponsor: Sponsor) -> ProgramOut:
    program_id = "p-" + secrets.token_hex(8)
    terms = ProgramTerms(**body.terms.model_dump())
    _run(
        request, program_id, OpenProgram(program_id, body.title, body.deposit, terms), sponsor.name
    )
    return _program_out(_journal(request, program_id))


@router.get("", response_model=Page[ProgramOut], summary="List programs")
def list_programs(
    request: Request, who: Participant, offset: Offset = 0, limit: Limit = 50
) -> dict[str, Any]:
    repo = _repo(request)
    programs = [_program_out(j) for j in repo.journals() if access.PROGRAM.allows(who, j.state)]
    return _page(programs, offset, limit)


@router.get("/{program_id}", response_model=ProgramOut, summary="A program's public terms")
def get_program(granted: InProgram) -> ProgramOut:
    return _program_out(granted.journal)


# -- markets --------------------------------------------------------------------------------------
@router.post(
    "/{program_id}/markets",
    response_model=MarketOut,
    status_code=status.HTTP_201_CREATED,
    summary="List a market (the sponsor; a scout with the creation bond, if the terms allow)",
)
def list_market(program_id: str, body: MarketIn, request: Request, who: Lister) -> MarketOut:
    market_id = "m-" + secrets.token_hex(6)
    _run(request, program_id, ListMarket(market_id, body.title, body.rules), who.principal.name)
    return _market_out(_journal(request, program_id).state.markets[market_id])


@router.get(
    "/{program_id}/markets",
    response_model=Page[MarketOut],
    summary="Markets: titles, rules, windows (never a price)",
)
def list_markets(granted: InProgram, offset: Offset = 0, limit: Limit = 100) -> dict[str, Any]:
    markets = [_market_out(m) for m in granted.state.markets.values()]
    return _page(markets, offset, limit)


@router.get(
    "/{program_id}/dashboard",
    response_model=Page[SponsorMarketOut],
    summary="The sponsor's view: live prices, volume, traders",
)
def dashboard(granted: OwnProgram, offset: Offset = 0, limit: Limit = 100) -> dict[str, Any]:
    state = granted.state
    rows = []
    for market in state.markets.values():
        view = sponsor_market_view(state, market.market_id)
        rows.append(
            SponsorMarketOut(
                **_market_out(market).model_dump(),
                price=view.price.quantize(Decimal("0.000001")),
                volume=view.volume,
                traders=view.traders,
                yes_outstanding=view.yes_outstanding,
            )
        )
    return _page(rows, offset, limit)


def _sponsor_action(program_id: str, request: Request, sponsor: Granted, command: Command) -> None:
    _run(request, program_id, command, sponsor.principal.name)


@router.post(
    "/{program_id}/markets/{market_id}/approve", status_code=204, summary="Approve a market"
)
def approve(program_id: str, market_id: str, request: Request, sponsor: OwnProgram) -> None:
    _sponsor_action(program_id, request, sponsor, ApproveMarket(market_id))


@router.post("/{program_id}/markets/{market_id}/reject", status_code=204, summary="Reject a market")
def reject(
    program_id: str, market_id: str, body: EvidenceIn, request: Request, sponsor: OwnProgram
) -> None:
    _sponsor_action(program_id, request, sponsor, RejectMarket(market_id, body.evidence))


@router.post(
    "/{program_id}/markets/{market_id}/acted-on",
    status_code=204,
    summary="Record acting on a market",
)
def acted_on(
    program_id: str, market_id: str, body: EvidenceIn, request: Request, sponsor: OwnProgram
) -> None:
    _sponsor_action(program_id, request, sponsor, RecordActedOn(market_id, body.evidence))


@router.post(
    "/{program_id}/markets/{market_id}/resolve", status_code=204, summary="Resolve a market"
)
def resolve(
    program_id: str, market_id: str, body: ResolveIn, request: Request, sponsor: OwnProgram
) -> None:
    _sponsor_action(
        program_id, request, sponsor, ResolveMarket(market_id, body.outcome, body.evidence)
    )


@router.post(
    "/{program_id}/markets/{market_id}/reveal",
    status_code=204,
    summary="Reveal a market after its window",
)
def reveal(program_id: str, market_id: str, request: Request, who: InProgram) -> None:
    _run(request, program_id, RevealMarket(market_id), who.principal.name)


@router.post("/{program_id}/settle", status_code=204, summary="Settle the program")
def settle(program_id: str, request: Request, sponsor: OwnProgram) -> None:
    _sponsor_action(program_id, request, sponsor, SettleProgram())


# -- scouts ---------------------------------------------------------------------------------------
@router.post("/{program_id}/deposits", response_model=BalanceOut, summary="Deposit cash")
def deposit(program_id: str, body: CashIn, request: Request, scout: Scout) -> BalanceOut:
    _run(request, program_id, DepositCash(body.amount), scout.name)
    return _balance(_journal(request, program_id), scout.name)


@router.post("/{program_id}/withdrawals", response_model=BalanceOut, summary="Withdraw cash")
def withdraw(program_id: str, body: CashIn, request: Request, scout: Scout) -> BalanceOut:
    _run(request, program_id, WithdrawCash(body.amount), scout.name)
    return _balance(_journal(request, program_id), scout.name)


@router.get(
    "/{program_id}/balance", response_model=BalanceOut, summary="Available cash (after escrows)"
)
def balance(program_id: str, request: Request, scout: Scout) -> BalanceOut:
    return _balance(_journal(request, program_id), scout.name)


@router.post(
    "/{program_id}/orders",
    response_model=ReceiptOut,
    status_code=status.HTTP_201_CREATED,
    summary="Place a blind order; the reply is its signed receipt",
)
async def place_order(
    program_id: str,
    body: OrderIn,
    request: Request,
    scout: Scout,
    idempotency_key: IdempotencyKey,
) -> ReceiptOut:
    order_id = "o-" + hashlib.sha256(f"{scout.name}\0{idempotency_key}".encode()).hexdigest()[:24]
    command = PlaceOrder(
        order_id, body.market_id, body.side, secrets.token_bytes(32), max_spend=body.max_spend,
        max_shares=body.max_shares, limit_price=body.limit_price, token=body.token,
    )  # fmt: skip
    ctx = Context(scout.name, request.app.state.clock.now())
    try:
        # Queued for the next group commit; answered once it is durable.
        handled = await request.app.state.committer.handle(program_id, command, ctx)
    except OrderExists:
        # The engine refuses a second order with this id: a retry gets the first receipt.
        journal = await run_in_threadpool(_journal, request, program_id)
        return _replayed(journal, order_id, command)
    assert handled.receipt is not None
    return _receipt_out(handled.receipt)


def _replayed(journal: ProgramJournal, order_id: str, command: PlaceOrder) -> ReceiptOut:
    """A retry: the first receipt again if the request is the same, an error if it is not."""
    sequence = journal.receipt_sequence[order_id]
    original, _ = parse_command_record(journal.records[sequence].command)
    if dataclasses.replace(command, salt=b"") != dataclasses.replace(original, salt=b""):  # type: ignore[type-var]
        raise IdempotencyKeyReused(reason="this key was used for another order")
    receipt = journal.receipt_for(order_id)
    assert receipt is not None
    return _receipt_out(receipt)


@router.get(
    "/{program_id}/orders",
    response_model=Page[OrderOut],
    summary="Your orders: escrows now, fills after the reveal",
)
def my_orders(
    program_id: str, request: Request, scout: Scout, offset: Offset = 0, limit: Limit = 100
) -> dict[str, Any]:
    state = _journal(request, program_id).state
    cents = state.cash.zero().amount
    views = scout_orders(state, scout.name)
    items = [
        OrderOut(
            order_id=v.order_id,
            market_id=v.market_id,
            side=v.side,
            token=v.token,
            escrow=v.escrow.quantize(cents, context=MONEY_CONTEXT),
            revealed=v.revealed,
            fill=None
            if v.fill is None
            else FillOut(
                shares=v.fill.shares, cash=v.fill.cash, fee=v.fill.fee, clipped=v.fill.clipped
            ),
        )
        for v in views
    ]
    return _page(items, offset, limit)


# -- audit ----------------------------------------------------------------------------------------
@router.get("/{program_id}/transcript", summary="The settled program's transcript, for `verify`")
def transcript(program_id: str, request: Request, granted: TranscriptReader) -> dict[str, Any]:
    repo, journal = _repo(request), granted.journal
    if not journal.state.settled:
        raise ValidationError("not_settled", "the transcript is published after settlement")
    now = request.app.state.clock.now()
    return export_transcript(
        journal.log.log_id, journal.records, repo.checkpoints(program_id), repo.signer, now
    )
