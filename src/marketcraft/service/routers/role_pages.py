"""The pages of the roles that had none: a trader's trading page, a dealer's repo sessions,
and the operator's (admin's) users, peg markets and checkpoints.

Each page calls the same functions as the JSON API's routes (the peg router's ``trade``, the
admin router's ``create_user``...), reading its forms through the API's body models, so a page
and the API accept, refuse and record the same things.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError as PydanticValidationError

from marketcraft.kernel.errors import InvariantViolation, MarketcraftError, Quarantined
from marketcraft.number_types import first_error
from marketcraft.roles import Role
from marketcraft.service.formats import number
from marketcraft.service.kept_forms import keep_form
from marketcraft.service.peg_models import CreditIn, PegMarketOut, SellMmsIn
from marketcraft.service.routers import admin as admin_api
from marketcraft.service.routers import peg as peg_api
from marketcraft.service.routers import repo as repo_api
from marketcraft.service.routers.pages import (
    MaybeNumberField,
    NumberField,
    back_to,
    programs_of,
    render,
)
from marketcraft.service.sessions import PageGuard
from marketcraft.store.principals import Principal

router = APIRouter(include_in_schema=False)

TraderPage = Annotated[Principal, Depends(PageGuard(Role.TRADER))]
DealerPage = Annotated[Principal, Depends(PageGuard(Role.DEALER))]
AdminPage = Annotated[Principal, Depends(PageGuard(Role.ADMIN))]
#: what the trading form offers, by the API route's verb
TRADE_VERBS = {
    "buy-peg": "Buy PEG with COL",
    "sell-peg": "Sell PEG for COL",
    "buy-mms": "Buy MMS with COL",
    "sell-mms": "Sell MMS (hands in PEG)",
}
#: what each trade brings in and what its fee is paid in
_TRADE_UNITS = {"buy-peg": ("PEG", "COL"), "sell-peg": ("COL", "COL"), "buy-mms": ("MMS", "COL"),
                "sell-mms": ("COL", "COL")}  # fmt: skip
_ALL = 10_000  # one page of a list route: every item a page shows


def _markets(request: Request) -> list[tuple[str, Any]]:
    """Every peg market by name, with its state now (None for one that cannot be shown)."""
    rows = []
    for name in request.app.state.peg_markets.names():
        listed = peg_api.listed_market(request, name)
        rows.append((name, listed if isinstance(listed, PegMarketOut) else None))
    return rows


# -- trader ---------------------------------------------------------------------------------------
@router.get("/ui/trade", response_class=HTMLResponse)
def trade_home(request: Request, trader: TraderPage) -> HTMLResponse:
    """The trader's page: every market now, the trader's wallet in each, and a trade form."""
    rows = []
    for name, snap in _markets(request):
        wallet = peg_api.balance_of(request, name, trader.name) if snap is not None else None
        rows.append({"name": name, "snap": snap, "wallet": wallet})
    return render(request, "trade_home.html", who=trader, rows=rows, verbs=TRADE_VERBS)


@router.post("/ui/trade/{name}")
async def trade_submit(
    name: str,
    request: Request,
    trader: TraderPage,
    verb: Annotated[str, Form(max_length=10)],
    amount: NumberField,
    min_return: MaybeNumberField = None,
    max_cost: MaybeNumberField = None,
) -> RedirectResponse:
    """One trade from the form, through the API's body model and trade function."""
    form = await request.form()
    if verb not in TRADE_VERBS:
        return back_to(request, "/ui/trade", "choose a trade: buy or sell PEG or MMS")
    # every field is read (a bad number is refused whatever the trade); max_cost is used only
    # by an MMS sale, as the API's bodies have it
    fields = {"amount": amount, "min_return": min_return or None, "max_cost": max_cost or None}
    try:
        body = SellMmsIn.model_validate(fields)
        done = peg_api.trade(request, name, trader, verb, body)
    except PydanticValidationError as exc:
        field = str(exc.errors()[0]["loc"][0])
        keep_form(request, form, field)
        return back_to(request, "/ui/trade", f"{field.replace('_', ' ')}: {first_error(exc)}")
    except InvariantViolation:
        raise  # corrupt state is a 500 (logged), never a message on the page
    except MarketcraftError as exc:
        keep_form(request, form, exc.reason)
        return back_to(request, "/ui/trade", exc.reason)
    got, paid = _TRADE_UNITS[verb]
    message = (f"{TRADE_VERBS[verb]} in {name}: received {number(done.received, 2)} {got} "
               f"(fee {number(done.fee, 2)} {paid})")  # fmt: skip
    return back_to(request, "/ui/trade", message)


# -- dealer ---------------------------------------------------------------------------------------
@router.get("/ui/dealer", response_class=HTMLResponse)
def dealer_home(request: Request, dealer: DealerPage) -> HTMLResponse:
    """The dealer's repo sessions: each one's phase, deadline, what is in, and its outcome."""
    sessions = repo_api.list_repo_sessions(request, dealer, 0, _ALL)["items"]
    return render(request, "dealer_home.html", who=dealer, sessions=sessions)


# -- operator -------------------------------------------------------------------------------------
def _admin_page(request: Request, admin: Principal, created: Any = None) -> HTMLResponse:
    programs = []
    for journal in programs_of(request).journals():
        pid = journal.state.program_id
        published = programs_of(request).checkpoints(pid)
        programs.append({
            "state": journal.state, "size": journal.log.size,
            "last": published[-1].checkpoint if published else None,
        })  # fmt: skip
    users = admin_api.list_users(request, 0, _ALL)["items"]
    page = render(
        request, "admin_home.html", who=admin, users=users, roles=list(Role),
        markets=_markets(request), programs=programs, created=created,
    )  # fmt: skip
    if created is not None:  # a token is on this page: never kept by a cache
        page.headers["Cache-Control"] = "no-store"
    return page


@router.get("/ui/admin", response_class=HTMLResponse)
def admin_home(request: Request, admin: AdminPage) -> HTMLResponse:
    """The operator's page: users, peg markets and the programs' checkpoints."""
    return _admin_page(request, admin)


@router.post("/ui/admin/users", response_model=None)
def admin_create_user(
    request: Request,
    admin: AdminPage,
    name: Annotated[str, Form(max_length=100)],
    role: Annotated[str, Form(max_length=20)],
) -> HTMLResponse | RedirectResponse:
    """Create a user; the page that answers shows its token, this once."""
    try:
        body = admin_api.UserIn.model_validate({"name": name, "role": role})
        created = admin_api.create_user(body, request)
    except PydanticValidationError as exc:
        field = str(exc.errors()[0]["loc"][0])
        keep_form(request, {"name": name, "role": role}, field)
        return back_to(request, "/ui/admin", f"{field}: {first_error(exc)}")
    except MarketcraftError as exc:
        keep_form(request, {"name": name, "role": role}, "name")
        return back_to(request, "/ui/admin", exc.reason)
    return _admin_page(request, admin, created)


@router.post("/ui/admin/users/{name}/revoke")
def admin_revoke_user(name: str, request: Request, _admin: AdminPage) -> RedirectResponse:
    """Revoke a user's token (its sessions end at once)."""
    try:
        admin_api.revoke_user(name, request)
    except MarketcraftError as exc:
        return back_to(request, "/ui/admin", exc.reason)
    return back_to(request, "/ui/admin", f"{name}'s token is revoked")


@router.post("/ui/admin/peg/{name}/credits")
async def admin_credit(
    name: str,
    request: Request,
    admin: AdminPage,
    user: Annotated[str, Form(max_length=100)],
    amount: NumberField,
) -> RedirectResponse:
    """Credit COL deposited from outside to a trader's wallet in a market."""
    form = await request.form()
    try:
        body = CreditIn.model_validate({"user": user, "amount": amount})
        peg_api.credit_col(name, body, admin, request, None)
    except PydanticValidationError as exc:
        field = str(exc.errors()[0]["loc"][0])
        keep_form(request, form, field)
        return back_to(request, "/ui/admin", f"{field}: {first_error(exc)}")
    except (InvariantViolation, Quarantined):
        raise
    except MarketcraftError as exc:
        keep_form(request, form, exc.reason)
        return back_to(request, "/ui/admin", exc.reason)
    return back_to(request, "/ui/admin", f"credited {amount} COL to {user} in {name}")
