"""The sponsor's pages: programs, the dashboard (live prices, history, moves, alerts,
exposure, window clocks), one market's chart, and the sponsor's actions."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError as PydanticValidationError
from sse_starlette import EventSourceResponse

from marketcraft.app import opportunity_actions as actions
from marketcraft.kernel.errors import InvariantViolation, MarketcraftError, NotFound
from marketcraft.number_types import Amount, Probability, first_error, read
from marketcraft.opportunity.amms import AmmKind
from marketcraft.opportunity.collateral import free_collateral, held
from marketcraft.opportunity.commands import Outcome
from marketcraft.opportunity.history import crossed_at, move_since
from marketcraft.opportunity.state import MarketState, MarketStatus
from marketcraft.opportunity.terms import CollateralMode, FeePolicy, ProgramTerms, RevealPolicy
from marketcraft.opportunity.visibility import SponsorMarketView, sponsor_market_view
from marketcraft.service import access
from marketcraft.service.access import Granted
from marketcraft.service.charts import RANGES, Band, Series, line_chart, range_start
from marketcraft.service.formats import money, pct, pp
from marketcraft.service.live import Cells, live_cells
from marketcraft.service.opportunity_models import TERMS_DEFAULTS, TermsIn
from marketcraft.service.routers.pages import (
    MaybeNumberField,
    NumberField,
    attempt,
    back_to,
    cash_form,
    commit_of,
    ctx_of,
    now_of,
    programs_of,
    refuse,
    render,
)
from marketcraft.service.sessions import PageGuard, signed_in
from marketcraft.store.principals import Principal

router = APIRouter(include_in_schema=False)

SponsorPage = Annotated[Principal, Depends(PageGuard(*access.SPONSOR.roles))]
#: one of the sponsor's own programs (access's rule: another's answers as a missing one)
OwnProgram = Annotated[Granted, Depends(access.SPONSOR.page)]

WINDOW_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
#: the form's names of TermsIn's fields, where they differ (an error names what the sponsor saw)
_FORM_NAMES = {
    "market_budget": "budget",
    "window_seconds": "window",
    "late_reveal_seconds": "late_reveal_days",
}
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


@router.get("/ui/sponsor", response_class=HTMLResponse)
def sponsor_home(request: Request, sponsor: SponsorPage) -> HTMLResponse:
    repo = programs_of(request)
    mine = [j.state for j in repo.journals() if access.SPONSOR.allows(sponsor, j.state)]
    return render(
        request, "sponsor_home.html", who=sponsor, programs=mine, amms=list(AmmKind),
        fee_policies=list(FeePolicy), reveal_policies=list(RevealPolicy),
        collaterals=list(CollateralMode), defaults=TERMS_DEFAULTS,
    )  # fmt: skip


@router.post("/ui/sponsor/programs")
async def sponsor_create(
    request: Request,
    sponsor: SponsorPage,
    title: Annotated[str, Form(max_length=200)],
    deposit: NumberField,
    budget: NumberField,
    window: NumberField = "14",
    window_unit: Annotated[str, Form(max_length=10)] = "days",
    approval_required: Annotated[str, Form(max_length=5)] = "",
    community_listing: Annotated[str, Form(max_length=5)] = "",
    pa: MaybeNumberField = None,
    pb: MaybeNumberField = None,
    amm: Annotated[str | None, Form(max_length=20)] = None,
    fee_rate: MaybeNumberField = None,
    fee_policy: Annotated[str | None, Form(max_length=20)] = None,
    reveal_policy: Annotated[str | None, Form(max_length=20)] = None,
    reveal_threshold: MaybeNumberField = None,
    collateral: Annotated[str | None, Form(max_length=20)] = None,
    first_n: MaybeNumberField = None,
    creation_bond: MaybeNumberField = None,
    late_reveal_days: MaybeNumberField = None,
) -> RedirectResponse:
    """Open a program from the form. The terms pass through the API's schema (``TermsIn``),
    the deposit and the window through the API's number types, so the page and the API read,
    check and default them the same way."""
    given = {
        "pa": pa, "pb": pb, "amm": amm, "fee_rate": fee_rate, "fee_policy": fee_policy,
        "reveal_policy": reveal_policy, "reveal_threshold": reveal_threshold,
        "collateral": collateral, "first_n": first_n, "creation_bond": creation_bond,
    }  # fmt: skip
    fields: dict[str, object] = {
        name: value for name, value in given.items() if value not in (None, "")
    }
    if window_unit not in WINDOW_UNITS:
        return await refuse(request, "/ui/sponsor", "window unit: seconds, minutes, hours or days")
    try:
        window_seconds = int(read(Amount, window, "window") * WINDOW_UNITS[window_unit])
        if late_reveal_days:
            days = read(Amount, late_reveal_days, "late reveal days")
            fields["late_reveal_seconds"] = int(days * WINDOW_UNITS["days"])
        terms_in = TermsIn.model_validate({
            **fields, "market_budget": budget, "window_seconds": window_seconds,
            "approval_required": approval_required == "on",
            "community_listing": community_listing == "on",
        })  # fmt: skip
        terms = ProgramTerms(**terms_in.model_dump())
        cash = read(Amount, deposit, "deposit")
    except PydanticValidationError as exc:
        field = _FORM_NAMES.get(str(exc.errors()[0]["loc"][0]), str(exc.errors()[0]["loc"][0]))
        reason = f"check the {field.replace('_', ' ')}: {first_error(exc)}"
        return await refuse(request, "/ui/sponsor", reason)
    except MarketcraftError as exc:
        return await refuse(request, "/ui/sponsor", exc.reason)
    try:
        program_id = await actions.open_program(
            commit_of(request), ctx_of(request, sponsor.name), title=title, deposit=cash,
            terms=terms,
        )  # fmt: skip
    except InvariantViolation:
        raise  # corrupt state is a 500 (logged), never a message on the page
    except MarketcraftError as exc:
        return await refuse(request, "/ui/sponsor", exc.reason)
    return back_to(request, f"/ui/sponsor/programs/{program_id}", "program opened")


@router.get("/ui/sponsor/programs/{program_id}", response_class=HTMLResponse)
def sponsor_dashboard(request: Request, granted: OwnProgram, alert: str = "") -> HTMLResponse:
    journal, sponsor = granted.journal, granted.principal
    state, now = journal.state, now_of(request)
    terms = state.require_terms()
    threshold = _alert_threshold(alert, terms)
    history = journal.history.prices(state)
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
    return render(
        request,
        "sponsor_program.html",
        who=sponsor,
        state=state,
        terms=terms,
        rows=rows,
        exposure=reserved,
        held=held(state),
        free=free_collateral(state),
        outcomes=list(Outcome),
        acted_next=len(state.acted_on) + 1,
        any_open=any(m.status_at(now) is MarketStatus.OPEN for m in state.markets.values()),
        threshold=threshold,
        alert_default=threshold == _alert_threshold("", terms),
        alert_note=_alert_note(alert, terms),
        cost=sum((m.sponsor_cost for m in state.markets.values()), Decimal(0)),
        returned=journal.history.collateral_returned or Decimal(0),
    )


@router.get("/ui/sponsor/programs/{program_id}/live")
def sponsor_live(program_id: str, request: Request, _granted: OwnProgram) -> EventSourceResponse:
    """The dashboard's figures as they change (server-sent events: see ``service.live``)."""
    repo = programs_of(request)

    def cells() -> Cells:
        journal = repo.journal(program_id)
        state, now = journal.state, now_of(request)
        history = journal.history.prices(state)
        shown: Cells = {}
        for market_id in state.markets:
            view = sponsor_market_view(state, market_id)
            points = history.get(market_id, [])
            shown[f"price-{market_id}"] = pct(view.price)
            shown[f"day-{market_id}"] = pp(move_since(points, now, timedelta(days=1)))
            shown[f"week-{market_id}"] = pp(move_since(points, now, timedelta(days=7)))
            shown[f"volume-{market_id}"] = money(view.volume)
            shown[f"traders-{market_id}"] = str(view.traders)
        return shown

    # the session is checked again before every event: a revoked token ends the stream
    return live_cells(request, cells, lambda: signed_in(request) is not None)


def _alert_threshold(text: str, terms: ProgramTerms) -> Decimal:
    """The sponsor's alert price, if it is a price inside the band; else twice the floor."""
    value = _alert_given(text)
    if value is not None and terms.pa < value <= terms.pb:
        return value
    return min(terms.pa * ALERT_MULTIPLE, terms.pb)


def _alert_given(text: str) -> Decimal | None:
    """The alert price asked for in ``text``, or None for none or one that is not a price."""
    try:
        return read(Probability, text, "alert") if text else None
    except MarketcraftError:
        return None


def _alert_note(text: str, terms: ProgramTerms) -> str:
    """What the page says of an alert price it cannot use ("" when it uses it, or none was
    asked for): the field is named, and the default said."""
    if not text:
        return ""
    value = _alert_given(text)
    if value is None:
        return "alert: the address asks for no price; showing the default"  # never echoed
    if not terms.pa < value <= terms.pb:
        return (f"alert: {pct(value)} is outside the band (above {pct(terms.pa)}, up to "
                f"{pct(terms.pb)}); showing the default")  # fmt: skip
    return ""


def _price_steps(
    points: list[tuple[datetime, Decimal]],
    end: datetime,
    start: datetime | None,
    threshold: Decimal,
) -> tuple[list[datetime], list[Series]]:
    """The price as steps (it holds between trades) out to ``end``, from ``start`` (opening
    at the price then) or from the first trade; and the alert price beside it."""
    before = [p for t, p in points if start is not None and t < start]
    times: list[datetime] = []
    prices: list[float | None] = []
    if before and start is not None:  # the price the range opens at
        times.append(start)
        prices.append(float(before[-1]))
    for t, price in points[len(before) :]:
        if times:  # held until this trade
            times.append(t)
            prices.append(prices[-1])
        times.append(t)
        prices.append(float(price))
    if times and end > times[-1]:
        times.append(end)
        prices.append(prices[-1])
    return times, [
        ("price", prices, "#c0392b"),
        ("alert", [float(threshold)] * len(times), "#98a2b3"),
    ]


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
async def sponsor_add_market(
    program_id: str,
    request: Request,
    granted: OwnProgram,
    title: Annotated[str, Form(max_length=200)],
) -> RedirectResponse:
    back = f"/ui/sponsor/programs/{program_id}"
    ctx = ctx_of(request, granted.principal.name)
    listed = actions.list_market(commit_of(request), ctx, program_id, title=title)
    return await attempt(request, listed, back)


@router.post("/ui/sponsor/programs/{program_id}/markets/{market_id}/{action}")
async def sponsor_market_action(
    program_id: str,
    market_id: str,
    action: str,
    request: Request,
    granted: OwnProgram,
    evidence: Annotated[str, Form(max_length=4000)] = "",
    outcome: Annotated[str, Form(max_length=10)] = "",
) -> RedirectResponse:
    back = f"/ui/sponsor/programs/{program_id}"
    commit, ctx = commit_of(request), ctx_of(request, granted.principal.name)
    done: Awaitable[None]
    if action == "reveal":
        done = actions.reveal_market(commit, ctx, program_id, market_id)
    elif action == "acted-on":
        evidence = evidence or "recorded from the dashboard"
        done = actions.record_acted_on(commit, ctx, program_id, market_id, evidence=evidence)
    elif action == "resolve" and outcome in {o.value for o in Outcome}:
        done = actions.resolve_market(
            commit, ctx, program_id, market_id, outcome=Outcome(outcome), evidence=evidence
        )
    else:
        return back_to(request, back, "unknown action")
    return await attempt(request, done, back)


@router.post("/ui/sponsor/programs/{program_id}/settle")
async def sponsor_settle(
    program_id: str, request: Request, granted: OwnProgram
) -> RedirectResponse:
    back = f"/ui/sponsor/programs/{program_id}"
    ctx = ctx_of(request, granted.principal.name)
    return await attempt(request, actions.settle_program(commit_of(request), ctx, program_id), back)


@router.post("/ui/sponsor/programs/{program_id}/collateral/withdraw")
async def sponsor_withdraw_collateral(
    program_id: str, request: Request, granted: OwnProgram, amount: NumberField
) -> RedirectResponse:
    """Take free collateral out of the program (all of it once the program is settled)."""
    commit, ctx = commit_of(request), ctx_of(request, granted.principal.name)
    return await cash_form(
        request, f"/ui/sponsor/programs/{program_id}", amount,
        lambda cash: actions.withdraw_collateral(commit, ctx, program_id, cash),
        "collateral withdrawn",
    )  # fmt: skip


@router.post("/ui/sponsor/programs/{program_id}/close")
async def sponsor_close(program_id: str, request: Request, granted: OwnProgram) -> RedirectResponse:
    back = f"/ui/sponsor/programs/{program_id}"
    ctx = ctx_of(request, granted.principal.name)
    closed = actions.close_program(commit_of(request), ctx, program_id)
    return await attempt(request, closed, back, "program closed")


@router.get("/ui/sponsor/programs/{program_id}/markets/{market_id}", response_class=HTMLResponse)
def sponsor_market(
    market_id: str,
    request: Request,
    granted: OwnProgram,
    alert: str = "",
    span: Annotated[str, Query(alias="range", max_length=8)] = "all",
) -> HTMLResponse:
    """One market: its price over time against the alert price, and its facts."""
    journal, sponsor = granted.journal, granted.principal
    state, now = journal.state, now_of(request)
    market = state.markets.get(market_id)
    if market is None:
        raise NotFound("no_market", "no such market")
    terms = state.require_terms()
    threshold = _alert_threshold(alert, terms)
    points = journal.history.prices(state).get(market_id, [])
    chart = line_chart(
        "YES price (probability)",
        *_price_steps(points, min(now, market.closes_at) if market.closes_at else now,
                      range_start(span, now), threshold),
        band=Band(float(terms.pa), float(terms.pb), "the program's probability band"),
        percent=True,
    )  # fmt: skip
    return render(
        request, "sponsor_market.html", who=sponsor, state=state, market=market, chart=chart,
        ranges=list(RANGES), span=span if span in RANGES else "all", alert=alert,
        view=sponsor_market_view(state, market_id), trades=max(len(points) - 1, 0),
        crossed=crossed_at(points, threshold), threshold=threshold,
        day=move_since(points, now, timedelta(days=1)),
        week=move_since(points, now, timedelta(days=7)),
    )  # fmt: skip
