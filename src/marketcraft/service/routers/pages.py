"""Server-rendered pages: sign in, the sponsor's dashboard, the scout's pages, the auditor's.

The pages drive the same repository and commands as the JSON API, so the rules (and what each
role may see) are the engine's and the visibility module's, not the templates'.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from marketcraft.kernel.errors import MarketcraftError, NotFound, ValidationError
from marketcraft.kernel.messages import Command
from marketcraft.opportunity.amms import AmmKind
from marketcraft.opportunity.commands import (
    Context,
    DepositCash,
    ListMarket,
    OpenProgram,
    Outcome,
    PlaceCloseOrder,
    PlaceOrder,
    RecordActedOn,
    ResolveMarket,
    RevealMarket,
    SettleProgram,
)
from marketcraft.opportunity.events import ProgramSettled
from marketcraft.opportunity.history import crossed_at, move_since, price_history
from marketcraft.opportunity.journal import ProgramJournal
from marketcraft.opportunity.receipts import receipt_to_json
from marketcraft.opportunity.repository import ProgramRepository
from marketcraft.opportunity.state import MarketState, ProgramState
from marketcraft.opportunity.terms import (
    CollateralMode,
    FeePolicy,
    ProgramTerms,
    RevealPolicy,
    Side,
    Token,
)
from marketcraft.opportunity.transcript import export_transcript, verify_transcript
from marketcraft.opportunity.visibility import (
    SponsorMarketView,
    is_revealed,
    scout_orders,
    sponsor_market_view,
)
from marketcraft.service.auth import hash_token
from marketcraft.service.roles import Role
from marketcraft.service.sessions import COOKIE, PageGuard
from marketcraft.store.principals import Principal

router = APIRouter(include_in_schema=False)

SponsorPage = Annotated[Principal, Depends(PageGuard(Role.SPONSOR))]
ScoutPage = Annotated[Principal, Depends(PageGuard(Role.SCOUT))]
AuditPage = Annotated[Principal, Depends(PageGuard(Role.AUDITOR, Role.SPONSOR, Role.ADMIN))]

#: the engine's defaults, shown in the program form
TERMS_DEFAULTS = SimpleNamespace(**{f.name: f.default for f in dataclasses.fields(ProgramTerms)})
WINDOW_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
#: by default a market is flagged when its price has at least doubled from the band's floor
ALERT_MULTIPLE = Decimal(2)


@dataclass(frozen=True)
class DashboardRow:
    market: MarketState
    view: SponsorMarketView
    day: Decimal  # price move over the last day
    week: Decimal
    alert: datetime | None  # when the price crossed the alert threshold, if it is above it
    spark: str  # inline SVG
    left: timedelta | None  # time until the window closes


def _render(
    request: Request, template: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, template, context, status_code=status_code
    )
    return response


def _repo(request: Request) -> ProgramRepository:
    repo: ProgramRepository = request.app.state.programs
    return repo


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock.now()
    return now


def _back(url: str, message: str = "") -> RedirectResponse:
    suffix = f"?msg={message}" if message else ""
    return RedirectResponse(url + suffix, status_code=303)


def _try(
    request: Request, program_id: str, command: Command, actor: str, back: str
) -> RedirectResponse:
    try:
        _repo(request).handle(program_id, command, Context(actor, _now(request)))
    except MarketcraftError as exc:
        return _back(back, exc.reason)
    return _back(back, "done")


# -- sign in --------------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return _render(request, "login.html", error=None)


@router.post("/login", response_model=None)
def login(request: Request, token: Annotated[str, Form(max_length=200)]) -> Response:
    principal = request.app.state.database.principals.by_token_hash(hash_token(token.strip()))
    if principal is None:
        return _render(request, "login.html", status_code=401, error="That token is not valid.")
    homes = {"sponsor": "/ui/sponsor", "scout": "/ui/scout", "analyst": "/ui/analyst"}
    home = homes.get(principal.role, "/ui/audit")
    response = RedirectResponse(home, status_code=303)
    response.set_cookie(COOKIE, token.strip(), httponly=True, samesite="strict", max_age=8 * 3600)
    return response


@router.post("/logout")
def logout() -> RedirectResponse:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


# -- sponsor --------------------------------------------------------------------------------------
def _own(request: Request, program_id: str, sponsor: Principal) -> ProgramJournal:
    journal = _repo(request).journal(program_id)
    if journal.state.sponsor != sponsor.name:
        raise NotFound("no_program", "no such program among yours")
    return journal


@router.get("/ui/sponsor", response_class=HTMLResponse)
def sponsor_home(request: Request, sponsor: SponsorPage, msg: str = "") -> HTMLResponse:
    repo = _repo(request)
    mine = [repo.journal(pid).state for pid in repo.program_ids()]
    mine = [s for s in mine if s.sponsor == sponsor.name]
    return _render(
        request, "sponsor_home.html", who=sponsor, programs=mine, msg=msg, amms=list(AmmKind),
        fee_policies=list(FeePolicy), reveal_policies=list(RevealPolicy),
        collaterals=list(CollateralMode), defaults=TERMS_DEFAULTS,
    )  # fmt: skip


@router.post("/ui/sponsor/programs")
def sponsor_create(
    request: Request,
    sponsor: SponsorPage,
    title: Annotated[str, Form(max_length=200)],
    deposit: Annotated[str, Form(max_length=30)],
    budget: Annotated[str, Form(max_length=30)],
    pa: Annotated[str, Form(max_length=10)] = "0.01",
    pb: Annotated[str, Form(max_length=10)] = "0.30",
    window: Annotated[str, Form(max_length=12)] = "14",
    window_unit: Annotated[str, Form(max_length=10)] = "days",
    amm: Annotated[str, Form(max_length=10)] = AmmKind.LMSR.value,
    fee_rate: Annotated[str, Form(max_length=10)] = "0.01",
    fee_policy: Annotated[str, Form(max_length=20)] = FeePolicy.REFUND_PRO_RATA_FEES.value,
    reveal_policy: Annotated[str, Form(max_length=20)] = RevealPolicy.PER_TRADER.value,
    reveal_threshold: Annotated[str, Form(max_length=30)] = "0",
    collateral: Annotated[str, Form(max_length=20)] = CollateralMode.UNLIMITED.value,
    first_n: Annotated[str, Form(max_length=10)] = "0",
    creation_bond: Annotated[str, Form(max_length=30)] = "0",
    approval_required: Annotated[str, Form(max_length=5)] = "",
) -> RedirectResponse:
    try:
        window_seconds = int(Decimal(window) * WINDOW_UNITS[window_unit])
        terms = ProgramTerms(
            market_budget=Decimal(budget), pa=Decimal(pa), pb=Decimal(pb), amm=AmmKind(amm),
            window_seconds=window_seconds, fee_rate=Decimal(fee_rate),
            fee_policy=FeePolicy(fee_policy), reveal_policy=RevealPolicy(reveal_policy),
            reveal_threshold=Decimal(reveal_threshold), collateral=CollateralMode(collateral),
            first_n=int(first_n or 0), creation_bond=Decimal(creation_bond or 0),
            approval_required=approval_required == "on",
        )  # fmt: skip
        command = OpenProgram("p-" + secrets.token_hex(8), title, Decimal(deposit), terms)
    except (MarketcraftError, InvalidOperation, ValueError, OverflowError, KeyError) as exc:
        return _back("/ui/sponsor", getattr(exc, "reason", "check the numbers"))
    result = _try(request, command.program_id, command, sponsor.name, "/ui/sponsor")
    if "done" in result.headers["location"]:
        return _back(f"/ui/sponsor/programs/{command.program_id}", "program opened")
    return result


@router.get("/ui/sponsor/programs/{program_id}", response_class=HTMLResponse)
def sponsor_dashboard(
    program_id: str, request: Request, sponsor: SponsorPage, msg: str = "", alert: str = ""
) -> HTMLResponse:
    journal = _own(request, program_id, sponsor)
    state, now = journal.state, _now(request)
    terms = state.require_terms()
    threshold = _alert_threshold(alert, terms)
    history = price_history(state, journal.runner.events)
    rows = []
    for market in state.markets.values():
        view = sponsor_market_view(state, market.market_id)
        points = history.get(market.market_id, [])
        rows.append(
            DashboardRow(
                market=market,
                view=view,
                day=move_since(points, now, timedelta(days=1)),
                week=move_since(points, now, timedelta(days=7)),
                alert=crossed_at(points, threshold),
                spark=_sparkline(points, terms.pa, terms.pb),
                left=(market.closes_at - now) if market.closes_at else None,
            )
        )
    rows.sort(key=lambda r: r.view.price, reverse=True)  # ranked by signal
    reserved = sum((m.reserved for m in state.markets.values()), Decimal(0))
    free = state.ledger.balance("sponsor", state.cash).amount
    return _render(
        request,
        "sponsor_program.html",
        who=sponsor,
        state=state,
        terms=terms,
        rows=rows,
        exposure=reserved,
        free=free,
        msg=msg,
        outcomes=list(Outcome),
        threshold=threshold,
        alert_default=alert == "",
        cost=sum((m.sponsor_cost for m in state.markets.values()), Decimal(0)),
        returned=_collateral_returned(journal),
    )


def _alert_threshold(text: str, terms: ProgramTerms) -> Decimal:
    """The sponsor's alert price, if it is a price inside the band; else twice the floor."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal(0)
    if value.is_finite() and terms.pa < value <= terms.pb:
        return value
    return min(terms.pa * ALERT_MULTIPLE, terms.pb)


def _collateral_returned(journal: ProgramJournal) -> Decimal | None:
    events = reversed(journal.runner.events)
    settled = next((e for e in events if isinstance(e, ProgramSettled)), None)
    return None if settled is None else settled.collateral_returned


def _sparkline(points: list[tuple[datetime, Decimal]], low: Decimal, high: Decimal) -> str:
    """An SVG polyline of the price over trades (x: trade index, y: price within the band)."""
    if len(points) < 2:
        return ""
    width, height = 160, 36
    span = float(high - low) or 1.0
    step = width / (len(points) - 1)
    coords = " ".join(
        f"{i * step:.1f},{height - (float(p - low) / span) * height:.1f}"
        for i, (_, p) in enumerate(points)
    )
    return (
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f'<polyline fill="none" stroke="#c0392b" stroke-width="1.5" points="{coords}"/></svg>'
    )


@router.post("/ui/sponsor/programs/{program_id}/markets")
def sponsor_add_market(
    program_id: str,
    request: Request,
    sponsor: SponsorPage,
    title: Annotated[str, Form(max_length=200)],
) -> RedirectResponse:
    back = f"/ui/sponsor/programs/{program_id}"
    return _try(
        request, program_id, ListMarket("m-" + secrets.token_hex(6), title), sponsor.name, back
    )


@router.post("/ui/sponsor/programs/{program_id}/markets/{market_id}/{action}")
def sponsor_market_action(
    program_id: str,
    market_id: str,
    action: str,
    request: Request,
    sponsor: SponsorPage,
    evidence: Annotated[str, Form(max_length=4000)] = "",
    outcome: Annotated[str, Form(max_length=10)] = "",
) -> RedirectResponse:
    back = f"/ui/sponsor/programs/{program_id}"
    _own(request, program_id, sponsor)
    command: Command
    if action == "reveal":
        command = RevealMarket(market_id)
    elif action == "acted-on":
        command = RecordActedOn(market_id, evidence or "recorded from the dashboard")
    elif action == "resolve" and outcome in {o.value for o in Outcome}:
        command = ResolveMarket(market_id, Outcome(outcome), evidence)
    else:
        return _back(back, "unknown action")
    return _try(request, program_id, command, sponsor.name, back)


@router.post("/ui/sponsor/programs/{program_id}/settle")
def sponsor_settle(program_id: str, request: Request, sponsor: SponsorPage) -> RedirectResponse:
    _own(request, program_id, sponsor)
    back = f"/ui/sponsor/programs/{program_id}"
    return _try(request, program_id, SettleProgram(), sponsor.name, back)


# -- scout ----------------------------------------------------------------------------------------
@router.get("/ui/scout", response_class=HTMLResponse)
def scout_home(request: Request, scout: ScoutPage) -> HTMLResponse:
    repo = _repo(request)
    programs = [repo.journal(pid).state for pid in repo.program_ids()]
    return _render(request, "scout_home.html", who=scout, programs=programs)


@router.get("/ui/scout/programs/{program_id}", response_class=HTMLResponse)
def scout_program(
    program_id: str, request: Request, scout: ScoutPage, msg: str = ""
) -> HTMLResponse:
    journal = _repo(request).journal(program_id)
    state = journal.state
    orders = scout_orders(state, scout.name)
    cents = state.cash.zero().amount
    return _render(
        request,
        "scout_program.html",
        who=scout,
        state=state,
        orders=orders,
        available=state.available(scout.name).quantize(cents),
        msg=msg,
        key=secrets.token_hex(12),
        positions=_positions(state, scout.name),
    )


def _positions(state: ProgramState, scout: str) -> list[dict[str, Any]]:
    """After a market's reveal: the scout's holdings, net cash paid, payout and P&L there."""
    rows = []
    for market in state.markets.values():
        if not is_revealed(market) or scout not in market.net_paid:
            continue
        paid = market.net_paid[scout]
        payout = state.payouts.get((market.market_id, scout), Decimal(0))
        if market.outcome is not None:  # the shares it held when the market resolved
            yes, no = market.retired.get(scout, (Decimal(0), Decimal(0)))
        else:
            yes = state.shares_held(scout, market.market_id, Token.YES)
            no = state.shares_held(scout, market.market_id, Token.NO)
        rows.append({
            "market": market,
            "yes": yes,
            "no": no,
            "paid": paid,
            "payout": payout,
            "pnl": payout - paid if market.outcome is not None else None,
        })  # fmt: skip
    return rows


@router.get("/ui/scout/programs/{program_id}/receipts/{order_id}.json")
def scout_receipt(program_id: str, order_id: str, request: Request, scout: ScoutPage) -> Response:
    """The signed receipt of one of the scout's own orders, for `marketcraft opportunity verify`."""
    journal = _repo(request).journal(program_id)
    order = journal.state.orders.get(order_id)
    receipt = journal.receipt_for(order_id) if order and order.scout == scout.name else None
    if receipt is None:
        raise NotFound("no_order", "no such order among yours")
    disposition = f'attachment; filename="{order_id}.receipt.json"'
    return Response(receipt_to_json(receipt), media_type="application/json",
                    headers={"Content-Disposition": disposition})  # fmt: skip


@router.post("/ui/scout/programs/{program_id}/close-orders")
def scout_close_order(
    program_id: str,
    request: Request,
    scout: ScoutPage,
    market_id: Annotated[str, Form(max_length=100)],
    trigger_price: Annotated[str, Form(max_length=20)],
    max_shares: Annotated[str, Form(max_length=30)],
    outcome: Annotated[str, Form(max_length=10)] = "yes",
) -> RedirectResponse:
    back = f"/ui/scout/programs/{program_id}"
    try:
        command = PlaceCloseOrder(
            "c-" + secrets.token_hex(10), market_id, Token(outcome), Decimal(trigger_price),
            Decimal(max_shares), secrets.token_bytes(32),
        )  # fmt: skip
    except (InvalidOperation, ValueError):
        return _back(back, "check the close order")
    return _try(request, program_id, command, scout.name, back)


@router.post("/ui/scout/programs/{program_id}/deposit")
def scout_deposit(
    program_id: str, request: Request, scout: ScoutPage, amount: Annotated[str, Form(max_length=30)]
) -> RedirectResponse:
    back = f"/ui/scout/programs/{program_id}"
    try:
        command = DepositCash(Decimal(amount))
    except InvalidOperation:
        return _back(back, "not an amount")
    return _try(request, program_id, command, scout.name, back)


@router.post("/ui/scout/programs/{program_id}/orders")
def scout_order(
    program_id: str,
    request: Request,
    scout: ScoutPage,
    market_id: Annotated[str, Form(max_length=100)],
    max_spend: Annotated[str, Form(max_length=30)],
    key: Annotated[str, Form(max_length=100)],
    side: Annotated[str, Form(max_length=10)] = "buy",
    outcome: Annotated[str, Form(max_length=10)] = "yes",
    limit_price: Annotated[str, Form(max_length=20)] = "",
) -> RedirectResponse:
    back = f"/ui/scout/programs/{program_id}"
    order_id = "o-" + hashlib.sha256(f"{scout.name}\0{key}".encode()).hexdigest()[:24]
    try:
        amount = Decimal(max_spend)
        command = PlaceOrder(
            order_id, market_id, Side(side), secrets.token_bytes(32),
            max_spend=amount if side == "buy" else None,
            max_shares=amount if side == "sell" else None,
            limit_price=Decimal(limit_price) if limit_price else None, token=Token(outcome),
        )  # fmt: skip
    except (InvalidOperation, ValueError):
        return _back(back, "check the order")
    try:
        _repo(request).handle(program_id, command, Context(scout.name, _now(request)))
    except MarketcraftError as exc:
        if exc.code != "order_exists":  # order_exists: a resubmitted form, placed once
            return _back(back, exc.reason)
    return _back(back, "order accepted; its receipt is in your orders")


@router.get("/ui/scout/programs/{program_id}/orders.csv")
def scout_csv(program_id: str, request: Request, scout: ScoutPage) -> Response:
    state = _repo(request).journal(program_id).state
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["order_id", "market_id", "side", "token", "escrow", "revealed", "shares", "cash", "fee"]
    )
    for o in scout_orders(state, scout.name):
        fill = o.fill
        sealed = ["", "", ""] if fill is None else [fill.shares, fill.cash, fill.fee]
        writer.writerow(
            [o.order_id, o.market_id, o.side.value, o.token.value, o.escrow, o.revealed, *sealed]
        )
    disposition = f'attachment; filename="{program_id}-orders.csv"'
    return Response(
        out.getvalue(), media_type="text/csv", headers={"Content-Disposition": disposition}
    )


# -- auditor --------------------------------------------------------------------------------------
@router.get("/ui/audit", response_class=HTMLResponse)
def audit_home(request: Request, who: AuditPage) -> HTMLResponse:
    repo = _repo(request)
    programs = [repo.journal(pid).state for pid in repo.program_ids()]
    return _render(request, "audit_home.html", who=who, programs=programs)


@router.get("/ui/audit/programs/{program_id}", response_class=HTMLResponse)
def audit_program(program_id: str, request: Request, who: AuditPage) -> HTMLResponse:
    repo = _repo(request)
    journal = repo.journal(program_id)
    checkpoints = repo.checkpoints(program_id)
    failures: list[str] | None = None
    if journal.state.settled:
        doc = export_transcript(
            journal.log.log_id, journal.records, checkpoints, repo.signer, _now(request)
        )
        failures = verify_transcript(doc)
    return _render(
        request,
        "audit_program.html",
        who=who,
        state=journal.state,
        size=journal.log.size,
        root=journal.log.root().hex(),
        checkpoints=checkpoints,
        failures=failures,
        public_key=repo.signer.public_key.hex(),
    )


@router.get("/ui/audit/programs/{program_id}/transcript.json")
def audit_transcript(program_id: str, request: Request, who: AuditPage) -> Response:
    repo = _repo(request)
    journal = repo.journal(program_id)
    if not journal.state.settled:
        raise ValidationError("not_settled", "the transcript is published after settlement")
    doc = export_transcript(journal.log.log_id, journal.records, repo.checkpoints(program_id),
                            repo.signer, _now(request))  # fmt: skip
    disposition = f'attachment; filename="{program_id}.transcript.json"'
    return Response(json.dumps(doc, indent=1, sort_keys=True), media_type="application/json",
                    headers={"Content-Disposition": disposition})  # fmt: skip


@router.post("/ui/audit/programs/{program_id}/checkpoint")
def audit_checkpoint(program_id: str, request: Request, who: AuditPage) -> RedirectResponse:
    _repo(request).publish_checkpoint(program_id, _now(request))
    return _back(f"/ui/audit/programs/{program_id}")
