"""Server-rendered pages: sign in, the sponsor's dashboard, the scout's pages, the auditor's.

The pages issue their commands through the same application functions as the JSON API
(:mod:`marketcraft.app.opportunity_actions`), so the rules (and what each role may see) are the
engine's and the visibility module's, not the templates'.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from marketcraft.app import opportunity_actions as actions
from marketcraft.app.opportunity_actions import GroupCommit
from marketcraft.app.programs import ProgramRepository
from marketcraft.kernel.errors import (
    InvariantViolation,
    MarketcraftError,
    NotFound,
    ValidationError,
)
from marketcraft.kernel.limits import DECIMAL_TEXT_LENGTH
from marketcraft.kernel.money import MONEY_CONTEXT
from marketcraft.kernel.signed_note import NoteKey, verifier_key
from marketcraft.number_types import Positive, Probability, read
from marketcraft.opportunity.commands import Context
from marketcraft.opportunity.state import ProgramState
from marketcraft.opportunity.terms import (
    Side,
    Token,
)
from marketcraft.opportunity.transcript import export_transcript, verify_transcript
from marketcraft.opportunity.visibility import (
    is_revealed,
    public_market_view,
    scout_orders,
)
from marketcraft.service import access
from marketcraft.service.access import Granted
from marketcraft.service.kept_forms import keep_form, take_kept
from marketcraft.service.sessions import PageGuard, flash, home_of, sign_in, sign_out
from marketcraft.store.principals import Principal
from marketcraft.store.tokens import TOKEN_PREFIX, hash_token

router = APIRouter(include_in_schema=False)

# Who may reach what is access's rule for each kind of resource; the pages only name it.
ScoutPage = Annotated[Principal, Depends(access.SCOUT_PAGE)]
AuditHome = Annotated[Principal, Depends(PageGuard(*access.AUDIT.roles))]
AuditPage = Annotated[Granted, Depends(access.AUDIT.page)]
TranscriptPage = Annotated[Granted, Depends(access.TRANSCRIPT.page)]
#: a number typed into a form, read as the API reads it (through the API's type or body model);
#: longer text is no number the API takes either (the framework answers 422 naming it). The
#: ``x-number`` mark lets the tests find every such field.
NUMBER_MARK = {"x-number": True}
NumberField = Annotated[str, Form(max_length=DECIMAL_TEXT_LENGTH, json_schema_extra=NUMBER_MARK)]
MaybeNumberField = Annotated[
    str | None, Form(max_length=DECIMAL_TEXT_LENGTH, json_schema_extra=NUMBER_MARK)
]


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("now", now_of(request))  # the time every page reads statuses at
    context.setdefault("kept", take_kept(request))  # a refused form, back as it was typed
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, template, context, status_code=status_code
    )
    return response


def programs_of(request: Request) -> ProgramRepository:
    repo: ProgramRepository = request.app.state.programs
    return repo


def now_of(request: Request) -> datetime:
    now: datetime = request.app.state.clock.now()
    return now


def commit_of(request: Request) -> GroupCommit:
    """The group commit every command goes through, as the API's do."""
    commit: GroupCommit = request.app.state.committer
    return commit


def ctx_of(request: Request, actor: str) -> Context:
    return Context(actor, now_of(request))


def back_to(request: Request, url: str, message: str = "") -> RedirectResponse:
    """Back to ``url``, which shows ``message`` (through the session: never from the URL)."""
    if message:
        flash(request, message)
    return RedirectResponse(url, status_code=303)


async def refuse(request: Request, back: str, reason: str, field: str = "") -> RedirectResponse:
    """Back to ``back`` saying ``reason``, with the form as it was typed and the refused field
    (``field``, or the one the reason names) marked: nothing is typed twice."""
    keep_form(request, await request.form(), field or reason)
    return back_to(request, back, reason)


async def attempt(
    request: Request, action: Awaitable[object], back: str, done: str = "done", field: str = ""
) -> RedirectResponse:
    """Await ``action`` (an application function's call): back to ``back`` saying ``done``, or
    with the refusal's reason (the form kept, ``field`` marked if given)."""
    try:
        await action
    except InvariantViolation:
        raise  # corrupt state is a 500 (logged), never a message on the page
    except MarketcraftError as exc:
        return await refuse(request, back, exc.reason, field)
    return back_to(request, back, done)


async def cash_form(
    request: Request,
    back: str,
    amount: str,
    action: Callable[[Decimal], Awaitable[object]],
    done: str = "done",
) -> RedirectResponse:
    """A form that moves an amount of cash: read it as the API reads one, then
    :func:`attempt` ``action(amount)``; a bad amount goes back naming it."""
    try:
        cash = read(Positive, amount, "amount")
    except MarketcraftError as exc:
        return await refuse(request, back, exc.reason, "amount")
    return await attempt(request, action(cash), back, done, "amount")  # too much: the amount


# -- the pages' own files ------------------------------------------------------------------------
#: the pages' script and style files, served from the package (no CDN), by name
PAGE_ASSETS: dict[str, str] = {"pages.js": "text/javascript"}
_ASSETS = Path(__file__).resolve().parent.parent / "static"


@router.get("/ui/assets/{name}")
def page_asset(name: str) -> Response:
    """One of the pages' own files; anything else is not found (no path is read from the URL)."""
    if name not in PAGE_ASSETS:
        raise NotFound("no_asset", "no such file")
    content = (_ASSETS / name).read_bytes()
    return Response(content, media_type=PAGE_ASSETS[name],
                    headers={"Cache-Control": "public, max-age=3600"})  # fmt: skip


# -- sign in --------------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return render(request, "login.html", error=None)


@router.post("/login", response_model=None)
def login(request: Request, token: Annotated[str, Form(max_length=200)]) -> Response:
    """Sign in with an API token: the session keeps the principal, never the token."""
    token = token.strip()
    principal = None
    if token.startswith(TOKEN_PREFIX):
        principal = request.app.state.database.principals.by_token_hash(hash_token(token))
    if principal is None:
        sign_out(request)
        return render(request, "login.html", status_code=401, error="That token is not valid.")
    sign_in(request, principal, token)
    return RedirectResponse(home_of(principal), status_code=303)


@router.post("/logout")
def logout(request: Request) -> RedirectResponse:
    sign_out(request)
    return RedirectResponse("/login", status_code=303)


# -- scout ----------------------------------------------------------------------------------------
@router.get("/ui/scout", response_class=HTMLResponse)
def scout_home(request: Request, scout: ScoutPage) -> HTMLResponse:
    repo = programs_of(request)
    programs = [journal.state for journal in repo.journals()]
    return render(request, "scout_home.html", who=scout, programs=programs)


@router.get("/ui/scout/programs/{program_id}", response_class=HTMLResponse)
def scout_program(program_id: str, request: Request, scout: ScoutPage) -> HTMLResponse:
    journal = programs_of(request).journal(program_id)
    state = journal.state
    orders = scout_orders(state, scout.name)
    cents = state.cash.zero().amount
    return render(
        request,
        "scout_program.html",
        who=scout,
        state=state,
        orders=orders,
        available=state.available(scout.name).quantize(cents, context=MONEY_CONTEXT),
        key=secrets.token_hex(12),
        positions=_positions(state, scout.name),
        # the scout's close orders; whether one fired is a fill: shown only after the reveal
        closes=[
            (c, state.markets[c.market_id], is_revealed(state.markets[c.market_id]))
            for c in state.close_orders.values()
            if c.scout == scout.name
        ],
        results=[
            public_market_view(state, m.market_id, now_of(request))
            for m in state.markets.values()
            if is_revealed(m)
        ],
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
    repo = programs_of(request)
    access.own_order(repo.journal(program_id).state, scout, order_id)
    download = repo.receipt_download(program_id, order_id)
    if download is None:
        raise NotFound("no_order", "no such order among yours")
    disposition = f'attachment; filename="{order_id}.receipt.json"'
    return Response(json.dumps(download, indent=1, sort_keys=True), media_type="application/json",
                    headers={"Content-Disposition": disposition})  # fmt: skip


@router.post("/ui/scout/programs/{program_id}/close-orders")
async def scout_close_order(
    program_id: str,
    request: Request,
    scout: ScoutPage,
    market_id: Annotated[str, Form(max_length=100)],
    trigger_price: NumberField,
    max_shares: NumberField,
    outcome: Annotated[str, Form(max_length=10)] = "yes",
    side: Annotated[str, Form(max_length=10)] = "sell",
) -> RedirectResponse:
    back = f"/ui/scout/programs/{program_id}"
    try:
        token = Token(outcome)
        chosen = Side(side)
        price = read(Probability, trigger_price, "trigger price")
        shares = read(Positive, max_shares, "max shares")
    except MarketcraftError as exc:  # a number the API would refuse too
        return await refuse(request, back, exc.reason)
    except ValueError:  # not yes or no, buy or sell
        return await refuse(request, back, "side: choose sell to close or buy to close, yes or no")
    placed = actions.place_close_order(
        commit_of(request), ctx_of(request, scout.name), program_id, market_id=market_id,
        token=token, trigger_price=price, max_shares=shares, side=chosen,
    )  # fmt: skip
    return await attempt(request, placed, back)


@router.post("/ui/scout/programs/{program_id}/deposit")
async def scout_deposit(
    program_id: str, request: Request, scout: ScoutPage, amount: NumberField
) -> RedirectResponse:
    commit, ctx = commit_of(request), ctx_of(request, scout.name)
    return await cash_form(
        request, f"/ui/scout/programs/{program_id}", amount,
        lambda cash: actions.deposit_cash(commit, ctx, program_id, cash),
    )  # fmt: skip


@router.post("/ui/scout/programs/{program_id}/withdraw")
async def scout_withdraw(
    program_id: str, request: Request, scout: ScoutPage, amount: NumberField
) -> RedirectResponse:
    """Take available cash out of the program, at any stage (after settlement too)."""
    commit, ctx = commit_of(request), ctx_of(request, scout.name)
    return await cash_form(
        request, f"/ui/scout/programs/{program_id}", amount,
        lambda cash: actions.withdraw_cash(commit, ctx, program_id, cash), "withdrawn",
    )  # fmt: skip


@router.post("/ui/scout/programs/{program_id}/orders")
async def scout_order(
    program_id: str,
    request: Request,
    scout: ScoutPage,
    market_id: Annotated[str, Form(max_length=100)],
    max_spend: NumberField,
    key: Annotated[str, Form(max_length=100)],
    side: Annotated[str, Form(max_length=10)] = "buy",
    outcome: Annotated[str, Form(max_length=10)] = "yes",
    limit_price: NumberField = "",
) -> RedirectResponse:
    """Place an order from the form. The form's ``key`` is the order's idempotency key, as the
    API's header is: a resubmitted form places the order once, and a key reused for another
    order is refused."""
    back = f"/ui/scout/programs/{program_id}"
    try:
        # in this order: the first refusal is the one the page shows
        amount = read(Positive, max_spend, "max spend")
        chosen = Side(side)
        limit = read(Probability, limit_price, "limit price") if limit_price else None
        token = Token(outcome)
    except MarketcraftError as exc:  # a number the API would refuse too
        return await refuse(request, back, exc.reason)
    except ValueError:  # not buy or sell, yes or no
        return await refuse(request, back, "side: choose buy or sell, yes or no")
    placed = actions.place_order(
        commit_of(request), ctx_of(request, scout.name), program_id, idempotency_key=key,
        market_id=market_id, side=chosen,
        max_spend=amount if chosen is Side.BUY else None,
        max_shares=amount if chosen is Side.SELL else None,
        limit_price=limit, token=token,
    )  # fmt: skip
    return await attempt(request, placed, back, "order accepted; its receipt is in your orders")


@router.get("/ui/scout/programs/{program_id}/orders.csv")
def scout_csv(program_id: str, request: Request, scout: ScoutPage) -> Response:
    state = programs_of(request).journal(program_id).state
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["placed_at", "order_id", "market_id", "side", "token", "escrow", "revealed", "shares",
         "cash", "fee"]
    )  # fmt: skip
    for o in scout_orders(state, scout.name):  # oldest first
        fill = o.fill
        sealed = ["", "", ""] if fill is None else [fill.shares, fill.cash, fill.fee]
        writer.writerow([
            o.placed_at.isoformat(), o.order_id, o.market_id, o.side.value, o.token.value,
            o.escrow, o.revealed, *sealed,
        ])  # fmt: skip
    disposition = f'attachment; filename="{program_id}-orders.csv"'
    return Response(
        out.getvalue(), media_type="text/csv", headers={"Content-Disposition": disposition}
    )


# -- auditor --------------------------------------------------------------------------------------
@router.get("/ui/audit", response_class=HTMLResponse)
def audit_home(request: Request, who: AuditHome) -> HTMLResponse:
    repo = programs_of(request)
    programs = [j.state for j in repo.journals() if access.AUDIT.allows(who, j.state)]
    return render(request, "audit_home.html", who=who, programs=programs)


@router.get("/ui/audit/programs/{program_id}", response_class=HTMLResponse)
def audit_program(program_id: str, request: Request, granted: AuditPage) -> HTMLResponse:
    repo, journal, who = programs_of(request), granted.journal, granted.principal
    checkpoints = repo.checkpoints(program_id)
    failures: list[str] | None = None
    if journal.state.settled:
        doc = export_transcript(
            journal.origin,
            repo.records(program_id),
            checkpoints,
            repo.signer,
            now_of(request),
        )
        failures = verify_transcript(doc)
    return render(
        request,
        "audit_program.html",
        who=who,
        state=journal.state,
        size=journal.log.size,
        root=journal.log.root().hex(),
        checkpoints=checkpoints,
        failures=failures,
        public_key=repo.signer.public_key.hex(),
        origin=journal.origin,
        vkey=verifier_key(NoteKey(journal.origin, repo.signer.public_key)),
    )


@router.get("/ui/audit/programs/{program_id}/transcript.json")
def audit_transcript(program_id: str, request: Request, granted: TranscriptPage) -> Response:
    repo, journal = programs_of(request), granted.journal
    if not journal.state.settled:
        raise ValidationError("not_settled", "the transcript is published after settlement")
    records, checkpoints = repo.records(program_id), repo.checkpoints(program_id)
    doc = export_transcript(journal.origin, records, checkpoints, repo.signer, now_of(request))
    disposition = f'attachment; filename="{program_id}.transcript.json"'
    return Response(json.dumps(doc, indent=1, sort_keys=True), media_type="application/json",
                    headers={"Content-Disposition": disposition})  # fmt: skip


@router.post("/ui/audit/programs/{program_id}/checkpoint")
def audit_checkpoint(program_id: str, request: Request, _: AuditPage) -> RedirectResponse:
    programs_of(request).publish_checkpoint(program_id, now_of(request))
    return back_to(request, f"/ui/audit/programs/{program_id}", "checkpoint published")
