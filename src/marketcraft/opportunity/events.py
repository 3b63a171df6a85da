"""What happened in an opportunity program (past-tense nouns). Each event carries every amount
its state change needs, computed once by the engine's decision, so replaying the events
rebuilds the state (and the ledger) exactly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from marketcraft.kernel.messages import Event, added_field, message_type
from marketcraft.opportunity.commands import Outcome
from marketcraft.opportunity.terms import ProgramTerms, Side, Token

__all__ = [
    "ActedOnRecorded",
    "AgentRegistered",
    "CashDeposited",
    "CashWithdrawn",
    "CloseOrderCancelled",
    "CloseOrderPlaced",
    "CollateralWithdrawn",
    "MarketApproved",
    "MarketListed",
    "MarketRejected",
    "MarketResolved",
    "MarketRevealed",
    "OrderExecuted",
    "ProgramClosed",
    "ProgramOpened",
    "ProgramSettled",
    "TriggeredTrade",
    "WindowClosed",
]


@message_type("opportunity.program_opened")
@dataclass(frozen=True, slots=True)
class ProgramOpened(Event):
    program_id: str
    title: str
    sponsor: str
    deposit: Decimal
    rolled_in: Decimal
    terms: ProgramTerms
    at: datetime


@message_type("opportunity.cash_deposited")
@dataclass(frozen=True, slots=True)
class CashDeposited(Event):
    holder: str
    amount: Decimal


@message_type("opportunity.cash_withdrawn")
@dataclass(frozen=True, slots=True)
class CashWithdrawn(Event):
    holder: str
    amount: Decimal


@message_type("opportunity.market_listed")
@dataclass(frozen=True, slots=True)
class MarketListed(Event):
    market_id: str
    title: str
    rules: str
    creator: str
    bond: Decimal
    scale: Decimal  # the AMM's liquidity parameter (the dynamic pm-AMM's L per sqrt second)
    reserved: Decimal  # budget moved from the sponsor's deposit into the market's pool
    opens_at: datetime | None  # None while it awaits approval
    closes_at: datetime | None


@message_type("opportunity.market_approved")
@dataclass(frozen=True, slots=True)
class MarketApproved(Event):
    market_id: str
    reserved: Decimal
    opens_at: datetime
    closes_at: datetime


@message_type("opportunity.market_rejected")
@dataclass(frozen=True, slots=True)
class MarketRejected(Event):
    market_id: str
    reason: str
    bond_forfeited: Decimal  # to the fee pool, which goes back to traders


@message_type("opportunity.order_executed")
@dataclass(frozen=True, slots=True)
class OrderExecuted(Event):
    """A blind order, escrowed and executed at once. ``escrow`` is what the scout's available
    cash drops by (a buy's max spend, zero for a sell) whatever the fill; the fill itself
    (``shares``, ``cash``, ``fee``) stays sealed until the market is revealed."""

    order_id: str
    market_id: str
    scout: str
    side: Side
    escrow: Decimal
    shares: Decimal
    cash: Decimal  # AMM cash: paid by a buyer, received by a seller (before the fee)
    fee: Decimal
    state_after: Decimal
    clipped: bool
    salt: bytes
    bond_refund: Decimal  # the creation bond, on a market's first order (rules 1; since: 0)
    at: datetime
    token: Token = Token.YES


@message_type("opportunity.close_order_placed")
@dataclass(frozen=True, slots=True)
class CloseOrderPlaced(Event):
    """A close order, pending. A buy-to-close moves ``escrow`` (its most possible cost) from
    the scout's cash into its escrow; a sell escrows nothing (its proceeds land there). ``side``
    and ``escrow`` were added after close orders were stored: records without them are sells."""

    order_id: str
    market_id: str
    scout: str
    token: Token
    trigger_price: Decimal
    max_shares: Decimal
    salt: bytes
    at: datetime
    side: Side = added_field(Side.SELL)
    escrow: Decimal = added_field(Decimal(0))


@message_type("opportunity.close_order_cancelled")
@dataclass(frozen=True, slots=True)
class CloseOrderCancelled(Event):
    order_id: str
    was_pending: bool  # False if it had already fired (the scout is not told)
    at: datetime


@message_type("opportunity.agent_registered")
@dataclass(frozen=True, slots=True)
class AgentRegistered(Event):
    agent_id: str
    market_id: str
    scout: str
    budget: Decimal  # escrowed from the scout's cash
    spend_per_trade: Decimal
    buy_below: Decimal
    sell_above: Decimal | None
    salt: bytes
    at: datetime


@message_type("opportunity.triggered_trade")
@dataclass(frozen=True, slots=True)
class TriggeredTrade(Event):
    """A trade the engine made for a scout: a close order firing (``agent`` False) or an
    agent's rule (``agent`` True). ``source_id`` is the close order's or the agent's id;
    ``trade_id`` is unique per trade."""

    trade_id: str
    source_id: str
    agent: bool
    market_id: str
    scout: str
    side: Side
    token: Token
    shares: Decimal
    cash: Decimal
    fee: Decimal
    state_after: Decimal
    clipped: bool
    at: datetime


@message_type("opportunity.window_closed")
@dataclass(frozen=True, slots=True)
class WindowClosed(Event):
    market_id: str
    at: datetime
    #: the creation bond, back to the market's creator when the window closes, whoever ordered
    #: (rules 2; under rules 1 it came back on the first order, and this is 0)
    bond_refund: Decimal = added_field(Decimal(0))


@message_type("opportunity.market_revealed")
@dataclass(frozen=True, slots=True)
class MarketRevealed(Event):
    """Escrows released: each order's unspent cash (buys) or net proceeds (sells)."""

    market_id: str
    releases: tuple[tuple[str, Decimal], ...]  # (order id, cash back to its scout)
    at: datetime


@message_type("opportunity.acted_on_recorded")
@dataclass(frozen=True, slots=True)
class ActedOnRecorded(Event):
    market_id: str
    rank: int  # 1 for the first market the sponsor acted on
    evidence: str
    at: datetime


@message_type("opportunity.market_resolved")
@dataclass(frozen=True, slots=True)
class MarketResolved(Event):
    market_id: str
    outcome: Outcome
    evidence: str
    burned: tuple[tuple[str, Decimal], ...]  # (scout, YES shares retired)
    burned_no: tuple[tuple[str, Decimal], ...]  # (scout, NO shares retired)
    payouts: tuple[tuple[str, Decimal], ...]  # (scout, cash paid)
    from_collateral: Decimal  # shortfall drawn from the sponsor's collateral
    to_collateral: Decimal  # what the pool hands back to the collateral
    bond_refund: Decimal
    at: datetime


@message_type("opportunity.program_settled")
@dataclass(frozen=True, slots=True)
class ProgramSettled(Event):
    fee_refunds: tuple[tuple[str, Decimal], ...]  # (scout, cash)
    fees_rolled: Decimal  # for the sponsor's next program
    dust_to_sponsor: Decimal  # rounding remainders of the pro-rata refund
    shared_released: Decimal  # FIRST_N's shared pool, back to the sponsor's collateral
    #: the sponsor's remaining collateral, out of the program (rules 1); since rules 2 it stays
    #: for the sponsor to withdraw (:class:`CollateralWithdrawn`), and this is 0
    collateral_returned: Decimal
    at: datetime


@message_type("opportunity.collateral_withdrawn")
@dataclass(frozen=True, slots=True)
class CollateralWithdrawn(Event):
    """The sponsor took ``amount`` of its collateral out of the program: from FIRST_N's shared
    pool until settlement, from the sponsor's own account otherwise."""

    amount: Decimal


@message_type("opportunity.program_closed")
@dataclass(frozen=True, slots=True)
class ProgramClosed(Event):
    """A settled program with every account at zero is closed: nothing more happens in it."""

    at: datetime
