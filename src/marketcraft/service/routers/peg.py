"""Pegged-token markets over HTTP. Reading a market is public (it is a public market); trading
PEG, COL and MMS takes the trader role; opening markets, crediting deposits, reporting the feed
and ticking are the operator's (admin)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import HTMLResponse
from sse_starlette import EventSourceResponse

from marketcraft.app.peg_markets import PegMarkets
from marketcraft.kernel.errors import Quarantined, ValidationError
from marketcraft.kernel.messages import Command
from marketcraft.kernel.money import MONEY_CONTEXT, quantize_down
from marketcraft.peg.commands import (
    BuyMms,
    BuyPeg,
    FundCol,
    OpenMarket,
    ReportPrice,
    SellMms,
    SellPeg,
    Tick,
)
from marketcraft.peg.events import MmsBought, MmsSold, PegBought, PegSold
from marketcraft.peg.state import wallet
from marketcraft.roles import Role
from marketcraft.service.auth import RoleGuard
from marketcraft.service.charts import RANGES, Band, line_chart, range_start
from marketcraft.service.exact_json import ExactNumbersRoute
from marketcraft.service.idempotency import IdempotencyKey
from marketcraft.service.live import Cells, live_cells
from marketcraft.service.opportunity_models import Limit, Offset, Page
from marketcraft.service.peg_models import (
    CreditIn,
    FeedIn,
    PegBalanceOut,
    PegMarketIn,
    PegMarketOut,
    PegMarketPage,
    PointOut,
    SellMmsIn,
    TradeIn,
    TradeOut,
    UnavailablePegMarketOut,
)
from marketcraft.service.routers.pages import render
from marketcraft.service.sessions import signed_in
from marketcraft.store.principals import Principal

router = APIRouter(tags=["pegged token"], route_class=ExactNumbersRoute)

Trader = Annotated[Principal, Depends(RoleGuard(Role.TRADER))]
Admin = Annotated[Principal, Depends(RoleGuard(Role.ADMIN))]


def _markets(request: Request) -> PegMarkets:
    markets: PegMarkets = request.app.state.peg_markets
    return markets


def _out(request: Request, name: str) -> PegMarketOut:
    view = _markets(request).view(name)
    terms = view.state.require_terms()
    status = "quarantined" if view.quarantined else "open"
    return PegMarketOut(
        name=name,
        status=status,
        fee_rate=terms.fee_rate,
        band=terms.band,
        fees_to=terms.fees_to,
        max_trade_fraction=terms.max_trade_fraction,
        swan_exit_after_burn=terms.swan_exit_after_burn,
        **view.snapshot,
    )


def _page(items: list[Any], total: int, offset: int, limit: int) -> dict[str, Any]:
    return {"items": items, "next_offset": offset + limit if offset + limit < total else None}


def listed_market(request: Request, name: str) -> PegMarketOut | UnavailablePegMarketOut:
    """One market of the list: a market that cannot be shown is listed as unavailable (it never
    hides the others)."""
    try:
        return _out(request, name)
    except Quarantined as exc:
        return UnavailablePegMarketOut(name=name, error=exc.code, reason=exc.reason)


def balance_of(request: Request, name: str, user: str) -> PegBalanceOut:
    """A user's wallet in a market: COL, PEG and MMS, rounded down to each asset's decimals."""
    state = _markets(request).view(name).state
    held = {}
    for code in ("COL", "PEG", "MMS"):
        asset = state.asset(code)
        held[code.lower()] = quantize_down(state.held(wallet(user), asset), asset.decimals)
    return PegBalanceOut(**held)


@router.get(
    "/peg/markets",
    response_model=PegMarketPage,
    summary="Every peg market, now (one that cannot be shown is listed as unavailable)",
)
def list_peg_markets(request: Request, offset: Offset = 0, limit: Limit = 100) -> dict[str, Any]:
    """Every peg market's state now, by name. Public: anyone may read a peg market."""
    names = _markets(request).names()
    return _page([listed_market(request, name) for name in names[offset : offset + limit]],
                 len(names), offset, limit)  # fmt: skip


@router.get("/peg/markets/{name}", response_model=PegMarketOut, summary="One peg market, now")
def get_peg_market(name: str, request: Request) -> PegMarketOut:
    """One peg market's pools, supply, prices, ratios, mode and fees now. Public."""
    return _out(request, name)


@router.get(
    "/peg/markets/{name}/history",
    response_model=Page[PointOut],
    summary="SPOT, feed, reserve ratio, circulating PEG, fees and mode after each change",
)
def get_peg_history(
    name: str, request: Request, offset: Offset = 0, limit: Limit = 100
) -> dict[str, Any]:
    """The market after each change, oldest first, a page at a time. Public."""
    points = _markets(request).view(name).history
    chunk = [
        PointOut.model_validate(p, from_attributes=True) for p in points[offset : offset + limit]
    ]
    return _page(chunk, len(points), offset, limit)


@router.post(
    "/peg/markets",
    response_model=PegMarketOut,
    status_code=status.HTTP_201_CREATED,
    summary="Open a market: the deposit is split by the ratio; the opener gets the first MMS",
)
def open_peg_market(
    body: PegMarketIn, admin: Admin, request: Request, _key: IdempotencyKey
) -> PegMarketOut:
    """Open a peg market with its COL deposit (split by the ratio into the connector and the
    excess) and its opening feed; the opener gets the first MMS. The operator (admin) only."""
    now = request.app.state.clock.now()
    command = OpenMarket(body.deposit, body.feed, body.terms())
    _markets(request).open(body.name, command, body.opener, now)
    return _out(request, body.name)


@router.post(
    "/peg/markets/{name}/credits", response_model=PegBalanceOut, summary="Credit a COL deposit"
)
def credit_col(
    name: str, body: CreditIn, admin: Admin, request: Request, _key: IdempotencyKey
) -> PegBalanceOut:
    """Credit COL deposited from outside to a trader's wallet; the wallet comes back. The
    operator (admin) only."""
    # COL credited to a name nobody holds (or to a user who may not trade) could never be used,
    # and would wait for whoever is later created under that name
    holder = request.app.state.database.principals.get(body.user)
    if holder is None or holder.role != Role.TRADER:
        raise ValidationError("not_a_trader", f"user: {body.user!r} is not a trader")
    _run(request, name, FundCol(body.amount), body.user)
    return balance_of(request, name, body.user)


@router.post(
    "/peg/markets/{name}/feed", response_model=PegMarketOut, summary="Report the outside price"
)
def report_feed(name: str, body: FeedIn, admin: Admin, request: Request) -> PegMarketOut:
    """Report an outside price (COL per PEG); the market now comes back. The operator (admin)
    only."""
    _run(request, name, ReportPrice(body.price), admin.name)
    return _out(request, name)


@router.post(
    "/peg/markets/{name}/tick",
    response_model=PegMarketOut,
    summary="Tick: feed, band, correction, mode",
)
def tick_peg_market(name: str, admin: Admin, request: Request) -> PegMarketOut:
    """Run the market's clock: take the feed, hold SPOT in its band, correct, switch mode.
    The server ticks by itself too. The operator (admin) only."""
    _run(request, name, Tick(), admin.name)
    return _out(request, name)


@router.get(
    "/peg/markets/{name}/balance", response_model=PegBalanceOut, summary="My COL, PEG and MMS"
)
def get_peg_balance(name: str, trader: Trader, request: Request) -> PegBalanceOut:
    """Your wallet in the market: COL, PEG and MMS. Traders only."""
    return balance_of(request, name, trader.name)


def _trade(request: Request, name: str, trader: Principal, command: Command) -> TradeOut:
    """Run one trade for ``trader`` (the API's routes and the trading page both come here)."""
    (event,) = _run(request, name, command, trader.name)
    if isinstance(event, PegBought):
        received, fee = event.peg_out, event.fee
    elif isinstance(event, PegSold):
        received, fee = event.col_out - event.fee, event.fee
    elif isinstance(event, MmsBought):
        received, fee = event.mms, event.fee
    else:
        assert isinstance(event, MmsSold)
        received, fee = event.from_connector + event.from_excess - event.fee, event.fee
    return TradeOut(received=received, fee=fee, balance=balance_of(request, name, trader.name))


@router.post("/peg/markets/{name}/buy-peg", response_model=TradeOut, summary="Spend COL on PEG")
def buy_peg(
    name: str, body: TradeIn, trader: Trader, request: Request, _key: IdempotencyKey
) -> TradeOut:
    """Spend `amount` COL on PEG at SPOT, less the fee; refused whole (slippage) below
    `min_return`. Traders only."""
    return trade(request, name, trader, "buy-peg", body)


@router.post("/peg/markets/{name}/sell-peg", response_model=TradeOut, summary="Sell PEG for COL")
def sell_peg(
    name: str, body: TradeIn, trader: Trader, request: Request, _key: IdempotencyKey
) -> TradeOut:
    """Sell `amount` PEG for COL at SPOT, less the fee; refused whole (slippage) below
    `min_return`. Traders only."""
    return trade(request, name, trader, "sell-peg", body)


@router.post(
    "/peg/markets/{name}/buy-mms",
    response_model=TradeOut,
    summary="Spend COL on MMS (with the matching new PEG in normal mode)",
)
def buy_mms(
    name: str, body: TradeIn, trader: Trader, request: Request, _key: IdempotencyKey
) -> TradeOut:
    """Spend `amount` COL on MMS, the market maker's shares (in normal mode with the matching
    new PEG); refused whole (slippage) below `min_return`. Traders only."""
    return trade(request, name, trader, "buy-mms", body)


@router.post(
    "/peg/markets/{name}/sell-mms",
    response_model=TradeOut,
    summary="Sell MMS, handing in the matching circulating PEG",
)
def sell_mms(
    name: str, body: SellMmsIn, trader: Trader, request: Request, _key: IdempotencyKey
) -> TradeOut:
    """Sell `amount` MMS, handing in the matching circulating PEG (at most `max_cost`); COL
    comes back (at least `min_return`). Traders only."""
    return trade(request, name, trader, "sell-mms", body)


#: each trade by its route's verb, built from the body as its route reads it
TRADES: dict[str, Any] = {
    "buy-peg": lambda body: BuyPeg(body.amount, body.min_return),
    "sell-peg": lambda body: SellPeg(body.amount, body.min_return),
    "buy-mms": lambda body: BuyMms(body.amount, body.min_return),
    "sell-mms": lambda body: SellMms(body.amount, body.min_return, body.max_cost),
}


def trade(request: Request, name: str, trader: Principal, verb: str, body: TradeIn) -> TradeOut:
    """The trade a route's ``verb`` names (``buy-peg``...), for ``trader``."""
    return _trade(request, name, trader, TRADES[verb](body))


def _run(request: Request, name: str, command: Command, actor: str) -> list[Any]:
    return _markets(request).handle(name, command, actor, request.app.state.clock.now())


# -- the public dashboard -------------------------------------------------------------------------


def _fmt(value: Decimal | None, places: int) -> str:
    """A Decimal to ``places`` decimals for a page (never through float); — when absent."""
    if value is None:
        return "—"
    return f"{value.quantize(Decimal(1).scaleb(-places), context=MONEY_CONTEXT):,}"


@router.get("/ui/peg", response_class=HTMLResponse, include_in_schema=False)
def peg_home(request: Request) -> HTMLResponse:
    rows = []
    for name in _markets(request).names():
        listed = listed_market(request, name)
        rows.append((name, listed if isinstance(listed, PegMarketOut) else None))
    return render(request, "peg_home.html", who=signed_in(request), markets=rows, fmt=_fmt)


#: a peg market page's live figures: element id -> (snapshot key, decimals)
LIVE_FIGURES = {"spot": ("spot", 6), "feed": ("feed", 6), "reserve": ("reserve_ratio", 3),
                "circulating": ("circulating_peg", 2), "fees": ("fees", 2),
                "sold-peg-ratio": ("sold_peg_ratio", 3), "excess-ratio": ("excess_ratio", 3),
                "connector-col": ("connector_col", 2), "connector-peg": ("connector_peg", 2),
                "excess-col": ("excess_col", 2), "mms-supply": ("mms_supply", 2)}  # fmt: skip


@router.get("/ui/peg/{name}/live", include_in_schema=False)
def peg_live(name: str, request: Request) -> EventSourceResponse:
    """A peg market page's figures as they change (server-sent events). Public."""
    markets = _markets(request)
    markets.view(name)  # a market that does not exist is a 404 now, not an empty stream

    def cells() -> Cells:
        snap = markets.view(name).snapshot
        shown = {key: _fmt(snap[field], places) for key, (field, places) in LIVE_FIGURES.items()}
        shown["mode"] = str(snap["mode"])
        shown["deviation"] = f"{snap['spot'] / snap['feed'] - 1:+.3%}"
        return shown

    return live_cells(request, cells)


@router.get("/ui/peg/{name}", response_class=HTMLResponse, include_in_schema=False)
def peg_page(
    name: str,
    request: Request,
    span: Annotated[str, Query(alias="range", max_length=8)] = "all",
) -> HTMLResponse:
    view = _markets(request).view(name)
    snap, terms = view.snapshot, view.state.require_terms()
    start = range_start(span, request.app.state.clock.now())
    points = [p for p in view.history if start is None or p.at >= start]
    times = [p.at for p in points]

    def floats(key: str) -> list[float | None]:
        return [None if getattr(p, key) is None else float(getattr(p, key)) for p in points]

    feed, band = floats("feed"), float(terms.band)
    peg_band = Band([None if f is None else f * (1 - band) for f in feed],
                    [None if f is None else f * (1 + band) for f in feed],
                    f"the peg band: feed ± {band:.1%}")  # fmt: skip
    charts = [
        line_chart("SPOT and feed (COL per PEG)", times,
                   [("SPOT", floats("spot"), "#c0392b"), ("feed", feed, "#1d2430")],
                   band=peg_band),
        line_chart("Reserve ratio (C + X) / ((U + Dc) feed)", times,
                   [("reserve ratio", floats("reserve_ratio"), "#1e7d4f")]),
        line_chart("Circulating PEG", times, [("PEG", floats("circulating_peg"), "#3b6fb6")]),
        line_chart("Fees earned (COL)", times, [("fees", floats("fees"), "#8e44ad")]),
    ]  # fmt: skip
    deviation = snap["spot"] / snap["feed"] - 1
    return render(
        request, "peg_market.html", who=signed_in(request), name=name, snap=snap,
        charts=charts, fmt=_fmt, deviation=f"{deviation:+.3%}",
        fee_rate=f"{terms.fee_rate:.2%}", band=f"{terms.band:.1%}",
        ranges=list(RANGES), span=span if span in RANGES else "all",
    )  # fmt: skip
