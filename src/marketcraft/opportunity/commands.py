"""What participants ask of an opportunity program (verbs). Who asks and when come in the
decision context, not the command, so a command cannot claim another identity or time."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from marketcraft.kernel.messages import Command, Context, added_field, message_type
from marketcraft.opportunity.terms import ProgramTerms, Side, Token

__all__ = [
    "ApproveMarket",
    "CancelCloseOrder",
    "CloseProgram",
    "CloseWindow",
    "Context",
    "DepositCash",
    "ListMarket",
    "OpenProgram",
    "Outcome",
    "PlaceCloseOrder",
    "PlaceOrder",
    "RecordActedOn",
    "RegisterAgent",
    "RejectMarket",
    "ResolveMarket",
    "RevealMarket",
    "SettleProgram",
    "WithdrawCash",
    "WithdrawCollateral",
]


class Outcome(StrEnum):
    """How a market resolved: YES (the opportunity happened) or NO."""

    YES = "yes"
    NO = "no"
    VOID = "void"  # everyone refunded at cost


@message_type("opportunity.open_program")
@dataclass(frozen=True, slots=True)
class OpenProgram(Command):
    program_id: str
    title: str
    deposit: Decimal
    terms: ProgramTerms
    rolled_in: Decimal = Decimal(0)  # fees rolled from the sponsor's previous program


@message_type("opportunity.deposit_cash")
@dataclass(frozen=True, slots=True)
class DepositCash(Command):
    amount: Decimal


@message_type("opportunity.withdraw_cash")
@dataclass(frozen=True, slots=True)
class WithdrawCash(Command):
    """A scout takes ``amount`` of its available cash out of the program (at any stage, after
    settlement too)."""

    amount: Decimal


@message_type("opportunity.withdraw_collateral")
@dataclass(frozen=True, slots=True)
class WithdrawCollateral(Command):
    """The sponsor takes ``amount`` of its free collateral out of the program: what no
    market's worst-case payout may still need (see :mod:`marketcraft.opportunity.collateral`);
    after settlement, all of it."""

    amount: Decimal


@message_type("opportunity.list_market")
@dataclass(frozen=True, slots=True)
class ListMarket(Command):
    market_id: str
    title: str
    rules: str = ""


@message_type("opportunity.approve_market")
@dataclass(frozen=True, slots=True)
class ApproveMarket(Command):
    market_id: str


@message_type("opportunity.reject_market")
@dataclass(frozen=True, slots=True)
class RejectMarket(Command):
    market_id: str
    reason: str


@message_type("opportunity.place_order")
@dataclass(frozen=True, slots=True)
class PlaceOrder(Command):
    """A blind order on YES or NO. A buy names ``max_spend`` (cash, fees included) and/or
    ``max_shares``; a sell names ``max_shares`` (capped at what the scout holds). ``limit_price``
    is the worst price of the ``token`` the order accepts. ``salt`` (32 random bytes from the
    service) seals the fill in the receipt's commitment."""

    order_id: str
    market_id: str
    side: Side
    salt: bytes
    max_spend: Decimal | None = None
    max_shares: Decimal | None = None
    limit_price: Decimal | None = None
    token: Token = Token.YES


@message_type("opportunity.place_close_order")
@dataclass(frozen=True, slots=True)
class PlaceCloseOrder(Command):
    """A limit order the engine executes for the scout, blind, while the window is open; it
    fires once, and the scout learns whether it did only at the reveal.

    * ``side`` SELL (sell-to-close): sell up to ``max_shares`` of ``token`` (capped at what the
      scout holds then) once its price rises to ``trigger_price``, never below that price.
    * ``side`` BUY (buy-to-close): buy up to ``max_shares`` of ``token`` once its price falls to
      ``trigger_price``, never above that price. Its most possible cost, ``max_shares`` at the
      trigger price plus the fee (see :func:`~marketcraft.opportunity.orders.max_spend_for`),
      is escrowed when it is placed; what it does not spend comes back at the reveal.

    ``side`` was added after close orders were stored: records without it are sells."""

    order_id: str
    market_id: str
    token: Token
    trigger_price: Decimal
    max_shares: Decimal
    salt: bytes
    side: Side = added_field(Side.SELL)


@message_type("opportunity.cancel_close_order")
@dataclass(frozen=True, slots=True)
class CancelCloseOrder(Command):
    order_id: str


@message_type("opportunity.register_agent")
@dataclass(frozen=True, slots=True)
class RegisterAgent(Command):
    """A trading rule the engine runs for the scout inside one market, blind like any order:
    buy YES for ``spend_per_trade`` whenever the price is below ``buy_below`` (never above it),
    until ``budget`` is spent; sell everything the agent bought once the price is above
    ``sell_above`` (never below it). The budget is escrowed now; the rest comes back at the
    reveal."""

    agent_id: str
    market_id: str
    budget: Decimal
    spend_per_trade: Decimal
    buy_below: Decimal
    salt: bytes
    sell_above: Decimal | None = None


@message_type("opportunity.close_window")
@dataclass(frozen=True, slots=True)
class CloseWindow(Command):
    market_id: str


@message_type("opportunity.reveal_market")
@dataclass(frozen=True, slots=True)
class RevealMarket(Command):
    market_id: str


@message_type("opportunity.record_acted_on")
@dataclass(frozen=True, slots=True)
class RecordActedOn(Command):
    market_id: str
    evidence: str


@message_type("opportunity.resolve_market")
@dataclass(frozen=True, slots=True)
class ResolveMarket(Command):
    market_id: str
    outcome: Outcome
    evidence: str


@message_type("opportunity.settle_program")
@dataclass(frozen=True, slots=True)
class SettleProgram(Command):
    pass


@message_type("opportunity.close_program")
@dataclass(frozen=True, slots=True)
class CloseProgram(Command):
    """The sponsor closes its settled program once every account in it is at zero (see
    :func:`marketcraft.opportunity.collateral.left_in`). Every command after it is refused."""
