"""Opportunity markets over HTTP: every engine command, and the views each role may see.

A scout's replies never depend on a price or a fill: an order's reply is its signed receipt,
whose fill is sealed in a commitment; orders, balances and lists show escrows, not fills,
until the market is revealed. Live prices are served only on the sponsor's dashboard; after a
market's reveal, its results show what the program's reveal policy makes public, and no more
(:func:`~marketcraft.opportunity.visibility.public_market_view`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.concurrency import run_in_threadpool

from marketcraft.app import opportunity_actions as actions
from marketcraft.app.opportunity_actions import GroupCommit
from marketcraft.app.programs import ProgramRepository
from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.messages import to_plain
from marketcraft.kernel.money import MONEY_CONTEXT
from marketcraft.opportunity.access import market_of
from marketcraft.opportunity.collateral import free_collateral, held
from marketcraft.opportunity.commands import Context
from marketcraft.opportunity.journal import ProgramJournal
from marketcraft.opportunity.receipts import Receipt
from marketcraft.opportunity.state import MarketState
from marketcraft.opportunity.terms import ProgramTerms
from marketcraft.opportunity.transcript import export_transcript
from marketcraft.opportunity.visibility import (
    FillView,
    public_market_view,
    scout_orders,
    sponsor_market_view,
)
from marketcraft.roles import Role
from marketcraft.service import access
from marketcraft.service.access import Granted
from marketcraft.service.auth import RoleGuard
from marketcraft.service.exact_json import ExactNumbersRoute
from marketcraft.service.idempotency import IdempotencyKey, OrderIdempotencyKey
from marketcraft.service.opportunity_models import (
    BalanceOut,
    CashIn,
    CloseOrderIn,
    CollateralOut,
    EvidenceIn,
    FillOut,
    Limit,
    MarketIn,
    MarketOut,
    MarketResultsOut,
    Offset,
    OrderIn,
    OrderOut,
    Page,
    ProgramIn,
    ProgramOut,
    ReceiptOut,
    ResolveIn,
    SponsorMarketOut,
    TermsOut,
    TranscriptOut,
    page_of,
)
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


def _repo(request: Request) -> ProgramRepository:
    repo: ProgramRepository = request.app.state.programs
    return repo


def _commit(request: Request) -> GroupCommit:
    """The group commit every command goes through (answered once it is durable)."""
    commit: GroupCommit = request.app.state.committer
    return commit


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock.now()
    return now


def _ctx(request: Request, actor: str) -> Context:
    return Context(actor, _now(request))


def _journal(request: Request, program_id: str) -> ProgramJournal:
    return _repo(request).journal(program_id)


def _balance(journal: ProgramJournal, holder: str) -> BalanceOut:
    """Available cash shown in the program's minor units (e.g. 475.00), quantised in the money
    context as the engine computed it (Python's default context holds only 28 digits)."""
    state = journal.state
    cents = state.cash.zero().amount
    return BalanceOut(available=state.available(holder).quantize(cents, context=MONEY_CONTEXT))


def _collateral(journal: ProgramJournal) -> CollateralOut:
    state = journal.state
    cents = state.cash.zero().amount

    def shown(value: Decimal) -> Decimal:
        return value.quantize(cents, context=MONEY_CONTEXT)

    withdrawn = journal.history.collateral_returned or Decimal(0)
    return CollateralOut(
        held=shown(held(state)), free=shown(free_collateral(state)), withdrawn=shown(withdrawn)
    )


_page = page_of


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
        closed=state.closed,
    )


def _market_out(market: MarketState, now: datetime) -> MarketOut:
    return MarketOut(
        market_id=market.market_id,
        title=market.title,
        rules=market.rules,
        status=market.status_at(now).value,
        opens_at=market.opens_at,
        closes_at=market.closes_at,
    )


def _fill_out(fill: FillView) -> FillOut:
    return FillOut(shares=fill.shares, cash=fill.cash, fee=fill.fee, clipped=fill.clipped)


def receipt_out(receipt: Receipt, order: dict[str, object]) -> ReceiptOut:
    return ReceiptOut(
        order_id=receipt.order_id,
        origin=receipt.origin,
        accepted_at=receipt.accepted_at,
        merge_by=receipt.merge_by,
        order_hash=receipt.order_hash.hex(),
        leaf_hash=receipt.leaf_hash.hex(),
        commitment=receipt.commitment.hex(),
        key_id=receipt.key_id,
        signature=receipt.signature.hex(),
        order=order,
        receipt=to_plain(receipt),
    )


# -- programs -------------------------------------------------------------------------------------
@router.post(
    "", response_model=ProgramOut, status_code=status.HTTP_201_CREATED, summary="Open a program"
)
async def open_program(
    body: ProgramIn, request: Request, sponsor: Sponsor, _key: IdempotencyKey
) -> ProgramOut:
    """The sponsor opens a program with its collateral deposit and fixes its terms for good;
    the program's id comes back. Sponsors only."""
    terms = ProgramTerms(**body.terms.model_dump())
    program_id = await actions.open_program(
        _commit(request), _ctx(request, sponsor.name), title=body.title, deposit=body.deposit,
        terms=terms,
    )  # fmt: skip
    return _program_out(await run_in_threadpool(_journal, request, program_id))


@router.get("", response_model=Page[ProgramOut], summary="List programs")
def list_programs(
    request: Request, who: Participant, offset: Offset = 0, limit: Limit = 50
) -> dict[str, Any]:
    """The programs you take part in: a sponsor sees its own; scouts, auditors and admins see
    every program."""
    repo = _repo(request)
    programs = [_program_out(j) for j in repo.journals() if access.PROGRAM.allows(who, j.state)]
    return _page(programs, offset, limit)


@router.get("/{program_id}", response_model=ProgramOut, summary="A program's public terms")
def get_program(granted: InProgram) -> ProgramOut:
    """A program's title, sponsor and terms, and whether it is settled or closed. Another
    sponsor's program answers 404, as one that does not exist."""
    return _program_out(granted.journal)


# -- markets --------------------------------------------------------------------------------------
@router.post(
    "/{program_id}/markets",
    response_model=MarketOut,
    status_code=status.HTTP_201_CREATED,
    summary="List a market (the sponsor; a scout with the creation bond, if the terms allow)",
)
async def create_market(
    program_id: str, body: MarketIn, request: Request, who: Lister, _key: IdempotencyKey
) -> MarketOut:
    """List a new market in the program. A scout may list one where the program's terms allow
    community listing, and pays the creation bond from its cash."""
    market_id = await actions.list_market(
        _commit(request), _ctx(request, who.principal.name), program_id, title=body.title,
        rules=body.rules,
    )  # fmt: skip
    journal = await run_in_threadpool(_journal, request, program_id)
    return _market_out(journal.state.markets[market_id], _now(request))


@router.get(
    "/{program_id}/markets",
    response_model=Page[MarketOut],
    summary="Markets: titles, rules, windows (never a price)",
)
def list_markets(
    granted: InProgram, request: Request, offset: Offset = 0, limit: Limit = 100
) -> dict[str, Any]:
    """The program's markets as every participant may see them: never a price or a fill while
    a market is unrevealed."""
    now = _now(request)
    markets = [_market_out(m, now) for m in granted.state.markets.values()]
    return _page(markets, offset, limit)


@router.get(
    "/{program_id}/dashboard",
    response_model=Page[SponsorMarketOut],
    summary="The sponsor's view: live prices, volume, traders",
)
def get_dashboard(
    granted: OwnProgram, request: Request, offset: Offset = 0, limit: Limit = 100
) -> dict[str, Any]:
    """Each market with its live price, volume, number of traders and YES shares outstanding.
    The program's sponsor only."""
    state, now = granted.state, _now(request)
    rows = []
    for market in state.markets.values():
        view = sponsor_market_view(state, market.market_id)
        rows.append(
            SponsorMarketOut(
                **_market_out(market, now).model_dump(),
                price=view.price.quantize(Decimal("0.000001")),
                volume=view.volume,
                traders=view.traders,
                yes_outstanding=view.yes_outstanding,
            )
        )
    return _page(rows, offset, limit)


@router.get(
    "/{program_id}/markets/{market_id}/results",
    response_model=MarketResultsOut,
    summary="A market's results: what the reveal policy makes public, once revealed",
)
def get_market_results(market_id: str, request: Request, granted: InProgram) -> MarketResultsOut:
    """After a market's reveal: its final price and the fills the program's reveal policy
    makes public (the same fields whatever the orders were)."""
    state = granted.state
    market_of(state, market_id)  # an unknown market: 404, as in every other route
    view = public_market_view(state, market_id, request.app.state.clock.now())
    price = None if view.final_price is None else view.final_price.quantize(Decimal("0.000001"))
    return MarketResultsOut(
        market_id=view.market_id,
        title=view.title,
        revealed=view.revealed,
        final_price=price,
        fills=[_fill_out(f) for f in view.fills],
        aggregated_count=view.aggregated_count,
        aggregated_size=view.aggregated_size.quantize(
            state.cash.zero().amount, context=MONEY_CONTEXT
        ),
        complete=view.complete,
        late_reveal_at=view.late_reveal_at,
    )


@router.post(
    "/{program_id}/markets/{market_id}/approve", status_code=204, summary="Approve a market"
)
async def approve_market(
    program_id: str, market_id: str, request: Request, sponsor: OwnProgram
) -> None:
    """Approve a market a scout listed (where the terms ask for approval): it opens for
    orders. The program's sponsor only."""
    ctx = _ctx(request, sponsor.principal.name)
    await actions.approve_market(_commit(request), ctx, program_id, market_id)


@router.post("/{program_id}/markets/{market_id}/reject", status_code=204, summary="Reject a market")
async def reject_market(
    program_id: str, market_id: str, body: EvidenceIn, request: Request, sponsor: OwnProgram
) -> None:
    """Reject a listed market, saying why; its creation bond goes back. The program's sponsor
    only."""
    ctx = _ctx(request, sponsor.principal.name)
    await actions.reject_market(_commit(request), ctx, program_id, market_id, reason=body.evidence)


@router.post(
    "/{program_id}/markets/{market_id}/acted-on",
    status_code=204,
    summary="Record acting on a market",
)
async def record_acted_on(
    program_id: str, market_id: str, body: EvidenceIn, request: Request, sponsor: OwnProgram
) -> None:
    """Record, with evidence, that the sponsor acted on what a market said. The program's
    sponsor only."""
    ctx = _ctx(request, sponsor.principal.name)
    await actions.record_acted_on(
        _commit(request), ctx, program_id, market_id, evidence=body.evidence
    )


@router.post(
    "/{program_id}/markets/{market_id}/resolve", status_code=204, summary="Resolve a market"
)
async def resolve_market(
    program_id: str, market_id: str, body: ResolveIn, request: Request, sponsor: OwnProgram
) -> None:
    """Resolve a market YES or NO (or void it), with the evidence. The program's sponsor
    only."""
    ctx = _ctx(request, sponsor.principal.name)
    await actions.resolve_market(
        _commit(request), ctx, program_id, market_id, outcome=body.outcome, evidence=body.evidence
    )


@router.post(
    "/{program_id}/markets/{market_id}/reveal",
    status_code=204,
    summary="Reveal a market after its window",
)
async def reveal_market(program_id: str, market_id: str, request: Request, who: InProgram) -> None:
    """Reveal a market once its window has closed: its fills become readable as the reveal
    policy says. Anyone in the program may: the window's end, not a person, decides."""
    ctx = _ctx(request, who.principal.name)
    await actions.reveal_market(_commit(request), ctx, program_id, market_id)


@router.post("/{program_id}/settle", status_code=204, summary="Settle the program")
async def settle_program(
    program_id: str, request: Request, sponsor: OwnProgram, _key: IdempotencyKey
) -> None:
    """Pay out every resolved market and settle the program; from then on scouts withdraw
    their cash and the sponsor its collateral. The program's sponsor only."""
    await actions.settle_program(
        _commit(request), _ctx(request, sponsor.principal.name), program_id
    )


@router.get(
    "/{program_id}/collateral",
    response_model=CollateralOut,
    summary="The sponsor's collateral: held, free to withdraw, withdrawn",
)
def get_collateral(sponsor: OwnProgram) -> CollateralOut:
    """The collateral the program holds, how much of it is free to withdraw now and how much
    has been withdrawn. The program's sponsor only."""
    return _collateral(sponsor.journal)


@router.post(
    "/{program_id}/collateral/withdrawals",
    response_model=CollateralOut,
    summary="Withdraw free collateral (all of it after settlement)",
)
async def withdraw_collateral(
    program_id: str,
    body: CashIn,
    request: Request,
    sponsor: OwnProgram,
    _key: IdempotencyKey,
) -> CollateralOut:
    """Take free collateral out of the program; the collateral left comes back. The
    program's sponsor only."""
    ctx = _ctx(request, sponsor.principal.name)
    await actions.withdraw_collateral(_commit(request), ctx, program_id, body.amount)
    return _collateral(await run_in_threadpool(_journal, request, program_id))


@router.post(
    "/{program_id}/close",
    status_code=204,
    summary="Close the settled program once every account in it is at zero",
)
async def close_program(program_id: str, request: Request, sponsor: OwnProgram) -> None:
    """Close a settled program whose accounts are all empty: every later command is refused,
    what it holds stays readable. The program's sponsor only."""
    await actions.close_program(_commit(request), _ctx(request, sponsor.principal.name), program_id)


# -- scouts ---------------------------------------------------------------------------------------
@router.post("/{program_id}/deposits", response_model=BalanceOut, summary="Deposit cash")
async def deposit_cash(
    program_id: str, body: CashIn, request: Request, scout: Scout, _key: IdempotencyKey
) -> BalanceOut:
    """Deposit cash into your account in the program; your available cash comes back.
    Scouts only."""
    await actions.deposit_cash(_commit(request), _ctx(request, scout.name), program_id, body.amount)
    return _balance(await run_in_threadpool(_journal, request, program_id), scout.name)


@router.post(
    "/{program_id}/withdrawals",
    response_model=BalanceOut,
    summary="Withdraw available cash (at any stage, after settlement too)",
)
async def withdraw_cash(
    program_id: str, body: CashIn, request: Request, scout: Scout, _key: IdempotencyKey
) -> BalanceOut:
    """Withdraw cash that no order holds in escrow; your available cash comes back. Scouts
    only."""
    await actions.withdraw_cash(
        _commit(request), _ctx(request, scout.name), program_id, body.amount
    )
    return _balance(await run_in_threadpool(_journal, request, program_id), scout.name)


@router.get(
    "/{program_id}/balance", response_model=BalanceOut, summary="Available cash (after escrows)"
)
def get_balance(program_id: str, request: Request, scout: Scout) -> BalanceOut:
    """Your cash in the program that no order holds in escrow. Scouts only."""
    return _balance(_journal(request, program_id), scout.name)


@router.post(
    "/{program_id}/orders",
    response_model=ReceiptOut,
    response_model_exclude_unset=True,
    status_code=status.HTTP_201_CREATED,
    summary="Place a blind order; the reply is its signed receipt",
)
async def place_order(
    program_id: str,
    body: OrderIn,
    request: Request,
    scout: Scout,
    idempotency_key: OrderIdempotencyKey,
) -> ReceiptOut:
    """Place a blind order in an open market. The reply is the order's signed receipt, the
    same shape whatever the fill (sealed in its commitment until the reveal). The
    `Idempotency-Key` is required: it names the order, so a retry never places a second one.
    Scouts only."""
    # Queued for the next group commit; answered once it is durable. A retry with the same
    # key gets the first receipt (IdempotencyKeyReused if it asks for another order).
    placed = await actions.place_order(
        _commit(request), _ctx(request, scout.name), program_id,
        idempotency_key=idempotency_key, market_id=body.market_id, side=body.side,
        max_spend=body.max_spend, max_shares=body.max_shares, limit_price=body.limit_price,
        token=body.token,
    )  # fmt: skip
    return receipt_out(placed.receipt, placed.order)


@router.post(
    "/{program_id}/close-orders",
    response_model=ReceiptOut,
    response_model_exclude_unset=True,
    status_code=status.HTTP_201_CREATED,
    summary="Place a close order (sell-to-close or buy-to-close); the reply is its receipt",
)
async def place_close_order(
    program_id: str,
    body: CloseOrderIn,
    request: Request,
    scout: Scout,
    _key: IdempotencyKey,
) -> ReceiptOut:
    """Place a close order the engine executes for you, blind, once the price reaches its
    trigger; you learn whether it fired at the reveal. The reply is its signed receipt.
    Scouts only."""
    placed = await actions.place_close_order(
        _commit(request), _ctx(request, scout.name), program_id, market_id=body.market_id,
        token=body.token, trigger_price=body.trigger_price, max_shares=body.max_shares,
        side=body.side,
    )  # fmt: skip
    return receipt_out(placed.receipt, placed.order)


@router.get(
    "/{program_id}/orders",
    response_model=Page[OrderOut],
    summary="Your orders: escrows now, fills after the reveal",
)
def list_orders(
    program_id: str, request: Request, scout: Scout, offset: Offset = 0, limit: Limit = 100
) -> dict[str, Any]:
    """Your orders in the program: what each holds in escrow while its market is unrevealed,
    its fill after. Scouts only."""
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
            fill=None if v.fill is None else _fill_out(v.fill),
            placed_at=v.placed_at,
        )
        for v in views
    ]
    return _page(items, offset, limit)


# -- audit ----------------------------------------------------------------------------------------
@router.get(
    "/{program_id}/transcript",
    response_model=TranscriptOut,
    summary="The settled program's transcript, for `verify`",
)
def get_transcript(program_id: str, request: Request, granted: TranscriptReader) -> dict[str, Any]:
    """Every record of the settled program's log with its checkpoints, for `marketcraft
    opportunity verify`. Its sponsor, auditors and admins; scouts only where the reveal policy
    makes every fill public."""
    repo, journal = _repo(request), granted.journal
    if not journal.state.settled:
        raise ValidationError("not_settled", "the transcript is published after settlement")
    now = request.app.state.clock.now()
    return export_transcript(
        journal.origin, repo.records(program_id), repo.checkpoints(program_id), repo.signer, now
    )
