"""A program's state, and ``evolve``: the fold of its events.

Every money move goes through the program's double-entry ledger, in the accounts named in
:mod:`marketcraft.opportunity.accounts`. YES and NO shares of each market are assets of their
own, minted from the market's mint into each scout's shares account.

The state is mutable and owned by its fold: ``evolve`` changes it in place and returns it;
``decide`` only reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from marketcraft.amm.curve import BandCurve
from marketcraft.amm.pmamm import DynamicPmAmm
from marketcraft.kernel.errors import InvariantViolation
from marketcraft.kernel.handlers import HandlerTable
from marketcraft.kernel.ledger import Ledger
from marketcraft.kernel.messages import Event
from marketcraft.kernel.money import Asset
from marketcraft.opportunity import accounts
from marketcraft.opportunity.accounts import FEES, SHARED, SPONSOR, WORLD
from marketcraft.opportunity.amms import curve_class, dynamic_amm
from marketcraft.opportunity.commands import Outcome
from marketcraft.opportunity.events import (
    ActedOnRecorded,
    AgentRegistered,
    CashDeposited,
    CashWithdrawn,
    CloseOrderCancelled,
    CloseOrderPlaced,
    CollateralWithdrawn,
    MarketApproved,
    MarketListed,
    MarketRejected,
    MarketResolved,
    MarketRevealed,
    OrderExecuted,
    ProgramClosed,
    ProgramOpened,
    ProgramSettled,
    TriggeredTrade,
    WindowClosed,
)
from marketcraft.opportunity.order_book import OrderBook, OrderRecord, left_in_escrow
from marketcraft.opportunity.terms import CollateralMode, ProgramTerms, Side, Token
from marketcraft.opportunity.titles import normalise_title

__all__ = ["MarketState", "MarketStatus", "OrderRecord", "ProgramState", "evolve"]

_ZERO = Decimal(0)


class MarketStatus(StrEnum):
    PENDING = "pending"  # awaiting the sponsor's approval
    OPEN = "open"
    CLOSED = "closed"  # window over, fills still sealed
    REVEALED = "revealed"
    RESOLVED = "resolved"
    REJECTED = "rejected"


class CloseStatus(StrEnum):
    PENDING = "pending"
    FIRED = "fired"
    CANCELLED = "cancelled"


@dataclass(slots=True)
class CloseOrderRecord:
    order_id: str
    market_id: str
    scout: str
    token: Token
    trigger_price: Decimal
    max_shares: Decimal
    status: CloseStatus = CloseStatus.PENDING
    proceeds: Decimal = Decimal(0)  # a sell's, net of fees, held in its escrow until the reveal
    side: Side = Side.SELL
    escrow: Decimal = Decimal(0)  # a buy's most possible cost, escrowed when placed
    spent: Decimal = Decimal(0)  # a buy's cash and fee, taken from its escrow

    @property
    def held(self) -> Decimal:
        """What its escrow holds until the reveal."""
        return self.escrow - self.spent + self.proceeds


@dataclass(slots=True)
class AgentRecord:
    agent_id: str
    market_id: str
    scout: str
    budget: Decimal
    spend_per_trade: Decimal
    buy_below: Decimal
    sell_above: Decimal | None
    spent: Decimal = Decimal(0)  # cash + fees of its buys
    received: Decimal = Decimal(0)  # proceeds net of fees of its sells
    holding: Decimal = Decimal(0)  # YES it bought and has not sold
    trades: int = 0


@dataclass(slots=True)
class MarketState:
    market_id: str
    title: str
    rules: str
    creator: str
    status: MarketStatus
    curve: BandCurve
    amm_state: Decimal  # the AMM curve's state coordinate (where the price is on the curve)
    yes: Asset
    no: Asset
    bond: Decimal
    reserved: Decimal
    opens_at: datetime | None
    closes_at: datetime | None
    traded: bool = False  # an order has been placed (filled or not)
    acted_rank: int = 0
    outcome: Outcome | None = None
    #: at resolution: each holder's (YES, NO) shares retired, and what the market cost the
    #: sponsor (its reserve and any shortfall, less what the pool handed back; negative if
    #: the traders' cash left in the pool exceeded the payouts)
    retired: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    sponsor_cost: Decimal = Decimal(0)
    close_orders: list[str] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)
    #: AMM cash its blind orders traded, both directions (its close orders' and agents'
    #: trades aside)
    volume: Decimal = _ZERO
    #: what each scout's orders left in its order escrow (a buy's escrow less its cash and
    #: fee, a sell's proceeds net of its fee), summed from the events: what the escrow account
    #: must hold until the reveal
    order_held: dict[str, Decimal] = field(default_factory=dict)
    #: AMM cash each scout paid in net (buys minus sells): the basis of a VOID refund
    net_paid: dict[str, Decimal] = field(default_factory=dict)
    #: the dynamic pm-AMM whose curve at each moment replaces ``curve``; None for static AMMs
    #: (``curve`` is then the one curve of the window; for a dynamic AMM it is the opening's,
    #: which gives the same prices: a price depends on the state, not the liquidity)
    dynamic: DynamicPmAmm | None = None

    def status_at(self, now: datetime) -> MarketStatus:
        """The status a reader sees at ``now``: an open market whose window has ended reads
        closed (it takes no order from then on) before the command that records it runs."""
        ended = self.closes_at is not None and now >= self.closes_at
        return MarketStatus.CLOSED if self.status is MarketStatus.OPEN and ended else self.status

    def curve_at(self, now: datetime) -> BandCurve:
        """The curve a trade at ``now`` (the decision's time, never a clock) executes on."""
        if self.dynamic is None or self.opens_at is None:
            return self.curve
        return self.dynamic.at(max(seconds_between(self.opens_at, now), _ZERO))


def seconds_between(start: datetime, end: datetime) -> Decimal:
    """``end - start`` in seconds, exactly (timedelta's float ``total_seconds`` is not)."""
    delta = end - start
    return Decimal(delta.days * 86400 + delta.seconds) + Decimal(delta.microseconds).scaleb(-6)


@dataclass(slots=True)
class ProgramState:
    program_id: str = ""
    title: str = ""
    sponsor: str = ""
    terms: ProgramTerms | None = None
    cash: Asset = field(default_factory=lambda: Asset("CASH", 2))
    ledger: Ledger = field(default_factory=Ledger)
    markets: dict[str, MarketState] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)  # normalised title -> market id
    #: the blind orders, read from their records (:mod:`~marketcraft.opportunity.order_book`)
    orders: OrderBook = field(default_factory=OrderBook)
    close_orders: dict[str, CloseOrderRecord] = field(default_factory=dict)
    agents: dict[str, AgentRecord] = field(default_factory=dict)
    payouts: dict[tuple[str, str], Decimal] = field(default_factory=dict)  # (market, scout)
    acted_on: list[str] = field(default_factory=list)
    fees_paid: dict[str, Decimal] = field(default_factory=dict)
    volume: dict[str, Decimal] = field(default_factory=dict)
    settled: bool = False
    version: int = 0  # events folded so far
    closed: bool = False  # settled and emptied: it takes no more commands

    @property
    def opened(self) -> bool:
        return self.terms is not None

    def require_terms(self) -> ProgramTerms:
        if self.terms is None:
            raise InvariantViolation("no_program", "the program has not been opened")
        return self.terms

    def collateral_account(self) -> str:
        """Where the sponsor's collateral is: FIRST_N's shared pool until settlement moves it
        to the sponsor's account; the sponsor's account otherwise."""
        first_n = self.require_terms().collateral is CollateralMode.FIRST_N
        return SHARED if first_n and not self.settled else SPONSOR

    def available(self, holder: str) -> Decimal:
        account = accounts.cash(holder)
        if not self.ledger.is_open(account):
            return _ZERO
        return self.ledger.holding(account, self.cash)

    def shares_held(self, holder: str, market_id: str, token: Token = Token.YES) -> Decimal:
        account = accounts.shares(holder)
        if not self.ledger.is_open(account):
            return _ZERO
        market = self.markets[market_id]
        return self.ledger.holding(account, market.yes if token is Token.YES else market.no)


# -- evolve ---------------------------------------------------------------------------------------
def evolve(state: ProgramState, event: Event) -> ProgramState:
    """Fold one event into ``state`` (in place) and return it."""
    handler = _HANDLERS.get(type(event))
    if handler is None:
        raise InvariantViolation("unknown_event", f"no handler for {type(event).__name__}")
    handler(state, event)
    state.version += 1
    return state


Leg = tuple[str, str, Decimal]


def _move(state: ProgramState, *legs: Leg, asset: Asset | None = None) -> None:
    """Post one transaction of (from, to, amount) legs in one asset, skipping zero amounts."""
    _post(state, [(legs, asset or state.cash)])


def _post(state: ProgramState, groups: list[tuple[tuple[Leg, ...], Asset]]) -> None:
    """Post legs in several assets as ONE transaction (all or nothing)."""
    state.ledger.move(
        [
            (source, destination, amount, unit)
            for legs, unit in groups
            for source, destination, amount in legs
        ]
    )


def _open(state: ProgramState, *accounts: str) -> None:
    for account in accounts:
        state.ledger.open(account)  # a no-op for an account already open


def _program_opened(state: ProgramState, e: ProgramOpened) -> None:
    state.program_id, state.title, state.sponsor, state.terms = (
        e.program_id,
        e.title,
        e.sponsor,
        e.terms,
    )
    state.cash = Asset("CASH", e.terms.cash_decimals)
    state.ledger.open(WORLD, allow_negative=True)
    _open(state, SPONSOR, SHARED, FEES)
    collateral = SHARED if e.terms.collateral is CollateralMode.FIRST_N else SPONSOR
    _move(state, (WORLD, collateral, e.deposit + e.rolled_in))


def _cash_deposited(state: ProgramState, e: CashDeposited) -> None:
    _open(state, accounts.cash(e.holder), accounts.shares(e.holder))
    _move(state, (WORLD, accounts.cash(e.holder), e.amount))


def _cash_withdrawn(state: ProgramState, e: CashWithdrawn) -> None:
    _move(state, (accounts.cash(e.holder), WORLD, e.amount))


def _curve(terms: ProgramTerms, scale: Decimal) -> tuple[BandCurve, DynamicPmAmm | None]:
    """A market's opening curve and, for the dynamic pm-AMM, the AMM over its window."""
    dynamic = dynamic_amm(
        terms.amm, scale, terms.pa, terms.pb, terms.window_seconds,
        share_decimals=terms.share_decimals, cash_decimals=terms.cash_decimals,
    )  # fmt: skip
    if dynamic is not None:
        return dynamic.at(_ZERO), dynamic
    curve = curve_class(terms.amm)(
        scale, terms.pa, terms.pb, terms.share_decimals, terms.cash_decimals
    )
    return curve, None


def _market_listed(state: ProgramState, e: MarketListed) -> None:
    terms = state.require_terms()
    curve, dynamic = _curve(terms, e.scale)
    pool, bond = accounts.pool(e.market_id), accounts.bond(e.market_id)
    yes = Asset(accounts.yes_asset(e.market_id), terms.share_decimals)
    no = Asset(accounts.no_asset(e.market_id), terms.share_decimals)
    state.ledger.open(accounts.mint(e.market_id), allow_negative=True)
    _open(state, pool, bond, accounts.cash(e.creator), accounts.shares(e.creator))
    status = MarketStatus.OPEN if e.opens_at is not None else MarketStatus.PENDING
    state.markets[e.market_id] = MarketState(
        e.market_id, e.title, e.rules, e.creator, status, curve, curve.open_state, yes, no,
        e.bond, e.reserved, e.opens_at, e.closes_at, dynamic=dynamic,
    )  # fmt: skip
    state.titles[normalise_title(e.title)] = e.market_id
    _move(state, (accounts.cash(e.creator), bond, e.bond), (SPONSOR, pool, e.reserved))


def _market_approved(state: ProgramState, e: MarketApproved) -> None:
    market = state.markets[e.market_id]
    market.status, market.opens_at, market.closes_at = MarketStatus.OPEN, e.opens_at, e.closes_at
    market.reserved = e.reserved
    _move(state, (SPONSOR, accounts.pool(e.market_id), e.reserved))


def _market_rejected(state: ProgramState, e: MarketRejected) -> None:
    market = state.markets[e.market_id]
    market.status = MarketStatus.REJECTED
    _move(state, (accounts.bond(e.market_id), FEES, e.bond_forfeited))
    market.bond -= e.bond_forfeited


def _order_executed(state: ProgramState, e: OrderExecuted) -> None:
    market = state.markets[e.market_id]
    escrow, pool = accounts.order_escrow(e.market_id, e.scout), accounts.pool(e.market_id)
    _open(state, escrow, accounts.cash(e.scout), accounts.shares(e.scout))
    mint, shares = accounts.mint(e.market_id), accounts.shares(e.scout)
    bond = (accounts.bond(e.market_id), accounts.cash(market.creator), e.bond_refund)
    if e.side is Side.BUY:
        cash_legs: tuple[Leg, ...] = (
            (accounts.cash(e.scout), escrow, e.escrow),
            (escrow, pool, e.cash),
            (escrow, FEES, e.fee),
            bond,
        )
        share_leg: Leg = (mint, shares, e.shares)
        paid = e.cash
    else:
        cash_legs = ((pool, escrow, e.cash - e.fee), (pool, FEES, e.fee), bond)
        share_leg = (shares, mint, e.shares)
        paid = -e.cash
    _post(
        state,
        [
            (cash_legs, state.cash),
            ((share_leg,), market.yes if e.token is Token.YES else market.no),
        ],
    )
    market.bond -= e.bond_refund
    market.amm_state = e.state_after
    market.traded = True
    market.volume += e.cash
    market.net_paid[e.scout] = market.net_paid.get(e.scout, _ZERO) + paid
    held = left_in_escrow(e.side, e.escrow, e.cash, e.fee)
    market.order_held[e.scout] = market.order_held.get(e.scout, _ZERO) + held
    state.fees_paid[e.scout] = state.fees_paid.get(e.scout, _ZERO) + e.fee
    state.volume[e.scout] = state.volume.get(e.scout, _ZERO) + e.cash
    state.orders.add_order(e)


def _close_order_placed(state: ProgramState, e: CloseOrderPlaced) -> None:
    market = state.markets[e.market_id]
    _open(state, accounts.escrow(e.order_id), accounts.cash(e.scout), accounts.shares(e.scout))
    _move(state, (accounts.cash(e.scout), accounts.escrow(e.order_id), e.escrow))
    state.close_orders[e.order_id] = CloseOrderRecord(
        e.order_id, e.market_id, e.scout, e.token, e.trigger_price, e.max_shares,
        side=e.side, escrow=e.escrow,
    )  # fmt: skip
    market.close_orders.append(e.order_id)
    state.orders.add_item(e.order_id, e.market_id)


def _close_order_cancelled(state: ProgramState, e: CloseOrderCancelled) -> None:
    record = state.close_orders[e.order_id]
    if record.status is CloseStatus.PENDING:
        record.status = CloseStatus.CANCELLED


def _agent_registered(state: ProgramState, e: AgentRegistered) -> None:
    market = state.markets[e.market_id]
    _open(state, accounts.escrow(e.agent_id), accounts.cash(e.scout), accounts.shares(e.scout))
    _move(state, (accounts.cash(e.scout), accounts.escrow(e.agent_id), e.budget))
    state.agents[e.agent_id] = AgentRecord(
        e.agent_id, e.market_id, e.scout, e.budget, e.spend_per_trade, e.buy_below, e.sell_above
    )
    market.agents.append(e.agent_id)
    state.orders.add_item(e.agent_id, e.market_id)


def _triggered_trade(state: ProgramState, e: TriggeredTrade) -> None:
    market = state.markets[e.market_id]
    escrow, pool, mint = (
        accounts.escrow(e.source_id),
        accounts.pool(e.market_id),
        accounts.mint(e.market_id),
    )
    asset = market.yes if e.token is Token.YES else market.no
    shares = accounts.shares(e.scout)
    if e.side is Side.BUY:
        cash_legs: tuple[Leg, ...] = ((escrow, pool, e.cash), (escrow, FEES, e.fee))
        share_leg: Leg = (mint, shares, e.shares)
        paid = e.cash
    else:
        cash_legs = ((pool, escrow, e.cash - e.fee), (pool, FEES, e.fee))
        share_leg = (shares, mint, e.shares)
        paid = -e.cash
    _post(state, [(cash_legs, state.cash), ((share_leg,), asset)])
    market.amm_state = e.state_after
    market.net_paid[e.scout] = market.net_paid.get(e.scout, _ZERO) + paid
    state.fees_paid[e.scout] = state.fees_paid.get(e.scout, _ZERO) + e.fee
    state.volume[e.scout] = state.volume.get(e.scout, _ZERO) + e.cash
    if e.agent:
        agent = state.agents[e.source_id]
        agent.trades += 1
        if e.side is Side.BUY:
            agent.spent += e.cash + e.fee
            agent.holding += e.shares
        else:
            agent.received += e.cash - e.fee
            agent.holding -= e.shares
    else:
        record = state.close_orders[e.source_id]
        record.status = CloseStatus.FIRED
        if e.side is Side.BUY:
            record.spent += e.cash + e.fee
        else:
            record.proceeds += e.cash - e.fee


def _window_closed(state: ProgramState, e: WindowClosed) -> None:
    market = state.markets[e.market_id]
    market.status = MarketStatus.CLOSED
    _move(state, (accounts.bond(e.market_id), accounts.cash(market.creator), e.bond_refund))
    market.bond -= e.bond_refund


def _market_revealed(state: ProgramState, e: MarketRevealed) -> None:
    """Release the market's escrows: each close order's and agent's as the event lists them;
    the orders' (which the event lists one by one) from each scout's one order escrow, whole.
    The two agree when the event releases every order escrow in full, as ``decide`` does;
    InvariantViolation if they do not."""
    market = state.markets[e.market_id]
    market.status = MarketStatus.REVEALED
    own: list[Leg] = []
    listed = _ZERO
    for item_id, amount in e.releases:
        record = state.close_orders.get(item_id) or state.agents.get(item_id)
        if record is None:
            listed += amount
        else:
            own.append((accounts.escrow(item_id), accounts.cash(record.scout), amount))
    orders = [
        (escrow, accounts.cash(scout), state.ledger.holding(escrow, state.cash))
        for scout in market.order_held
        for escrow in (accounts.order_escrow(e.market_id, scout),)
    ]
    held = sum((amount for _, _, amount in orders), _ZERO)
    if held != listed:
        raise InvariantViolation(
            "reveal_mismatch", f"{e.market_id}: the reveal lists {listed}, its orders hold {held}"
        )
    _move(state, *own, *orders)


def _acted_on(state: ProgramState, e: ActedOnRecorded) -> None:
    state.acted_on.append(e.market_id)
    state.markets[e.market_id].acted_rank = e.rank


def _market_resolved(state: ProgramState, e: MarketResolved) -> None:
    market = state.markets[e.market_id]
    terms = state.require_terms()
    collateral = SHARED if terms.collateral is CollateralMode.FIRST_N else SPONSOR
    pool = accounts.pool(e.market_id)
    _move(state, (collateral, pool, e.from_collateral))
    mint = accounts.mint(e.market_id)
    _post(
        state,
        [
            (tuple((accounts.shares(s), mint, n) for s, n in e.burned), market.yes),
            (tuple((accounts.shares(s), mint, n) for s, n in e.burned_no), market.no),
        ],
    )
    _move(state, *((pool, accounts.cash(scout), amount) for scout, amount in e.payouts))
    _move(state, (pool, collateral, e.to_collateral))
    _move(state, (accounts.bond(e.market_id), accounts.cash(market.creator), e.bond_refund))
    market.bond -= e.bond_refund
    market.status, market.outcome = MarketStatus.RESOLVED, e.outcome
    market.sponsor_cost = market.reserved + e.from_collateral - e.to_collateral
    yes_retired, no_retired = dict(e.burned), dict(e.burned_no)
    for scout in yes_retired.keys() | no_retired.keys():
        market.retired[scout] = (yes_retired.get(scout, _ZERO), no_retired.get(scout, _ZERO))
    for scout, amount in e.payouts:
        state.payouts[(e.market_id, scout)] = amount


def _program_settled(state: ProgramState, e: ProgramSettled) -> None:
    _move(state, *((FEES, accounts.cash(scout), amount) for scout, amount in e.fee_refunds))
    _move(state, (FEES, WORLD, e.fees_rolled), (FEES, SPONSOR, e.dust_to_sponsor))
    _move(state, (SHARED, SPONSOR, e.shared_released), (SPONSOR, WORLD, e.collateral_returned))
    state.settled = True


def _collateral_withdrawn(state: ProgramState, e: CollateralWithdrawn) -> None:
    _move(state, (state.collateral_account(), WORLD, e.amount))


def _program_closed(state: ProgramState, _: ProgramClosed) -> None:
    state.closed = True


#: each event type's fold (the table checks that each takes its event)
_HANDLERS: HandlerTable[ProgramState, Event, [], None] = HandlerTable()
_HANDLERS.add(ProgramOpened, _program_opened)
_HANDLERS.add(CashDeposited, _cash_deposited)
_HANDLERS.add(CashWithdrawn, _cash_withdrawn)
_HANDLERS.add(MarketListed, _market_listed)
_HANDLERS.add(MarketApproved, _market_approved)
_HANDLERS.add(MarketRejected, _market_rejected)
_HANDLERS.add(OrderExecuted, _order_executed)
_HANDLERS.add(WindowClosed, _window_closed)
_HANDLERS.add(MarketRevealed, _market_revealed)
_HANDLERS.add(ActedOnRecorded, _acted_on)
_HANDLERS.add(MarketResolved, _market_resolved)
_HANDLERS.add(ProgramSettled, _program_settled)
_HANDLERS.add(CloseOrderPlaced, _close_order_placed)
_HANDLERS.add(CloseOrderCancelled, _close_order_cancelled)
_HANDLERS.add(AgentRegistered, _agent_registered)
_HANDLERS.add(TriggeredTrade, _triggered_trade)
_HANDLERS.add(CollateralWithdrawn, _collateral_withdrawn)
_HANDLERS.add(ProgramClosed, _program_closed)
