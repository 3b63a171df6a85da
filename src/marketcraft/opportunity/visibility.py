"""Who sees what: the reveal policy as pure functions of a program's state (and, for the
public, of the time, which the caller passes: these functions never read a clock).

* The **sponsor** sees every market's live price, volume and traders at all times.
* A **scout**, while a market is open or closed-but-not-revealed, sees only what it already
  knew: its own orders as placed (ids, sides, limits, escrows), never a fill, a price or a
  position. After the reveal it sees its own fills, positions and payouts, whatever the policy
  and whatever their size (its escrows come back at the reveal, so its cash shows them anyway).
* The **public** (every other caller, scouts included for orders not their own) sees nothing of
  a market before its reveal; after it:

  - PUBLIC_ALL: the final price and every order's fill, one by one;
  - PER_TRADER: nothing beyond the outcome;
  - SIZE_THRESHOLD: at the reveal, the **small** orders (size at most ``reveal_threshold``)
    as a count and a total size only; from the **late reveal** (``late_reveal_seconds`` after
    the window closed, if the market is revealed by then) also each **large** order's fill, one
    by one, and the final price. Before the late reveal no field, count or total includes a
    large order, and the final price (which they moved) is withheld too. Small orders stay
    aggregated for good: their fills one by one would trace the price path, and with it what
    the large orders did.

An order's **size** is the cash it put at stake: a buy's escrow (its max spend, fixed when it
was placed, whatever the price) or a sell's proceeds. A sell's proceeds, and so whether it is
small, depend on the price it met, which large orders may have moved; a buy's size never does.

Every view has the same shape whatever the fills were: what varies is only what a policy
reveals, after the reveal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from marketcraft.opportunity import accounts
from marketcraft.opportunity.order_book import OrderRecord
from marketcraft.opportunity.state import MarketState, MarketStatus, ProgramState
from marketcraft.opportunity.terms import RevealPolicy, Side, Token

__all__ = [
    "FillView",
    "MarketPublicView",
    "OrderView",
    "SponsorMarketView",
    "is_revealed",
    "late_reveal_at",
    "order_size",
    "public_market_view",
    "scout_orders",
    "sponsor_market_view",
]

_REVEALED = (MarketStatus.REVEALED, MarketStatus.RESOLVED)
_ZERO = Decimal(0)


def is_revealed(market: MarketState) -> bool:
    return market.status in _REVEALED


@dataclass(frozen=True, slots=True)
class FillView:
    shares: Decimal
    cash: Decimal
    fee: Decimal
    clipped: bool


@dataclass(frozen=True, slots=True)
class OrderView:
    """A scout's own order. ``fill`` is None until the market is revealed."""

    order_id: str
    market_id: str
    side: Side
    token: Token
    escrow: Decimal
    revealed: bool
    fill: FillView | None
    placed_at: datetime  # when the program accepted it


def scout_orders(state: ProgramState, scout: str) -> list[OrderView]:
    """The scout's own orders, oldest first (by acceptance time, then id)."""
    views = []
    for order in state.orders.of_scout(scout):
        market = state.markets[order.market_id]
        revealed = is_revealed(market)
        fill = FillView(order.shares, order.cash, order.fee, order.clipped) if revealed else None
        views.append(
            OrderView(
                order.order_id,
                order.market_id,
                order.side,
                order.token,
                order.escrow,
                revealed,
                fill,
                order.at,
            )
        )
    views.sort(key=lambda v: (v.placed_at, v.order_id))
    return views


@dataclass(frozen=True, slots=True)
class SponsorMarketView:
    market_id: str
    title: str
    status: MarketStatus
    price: Decimal
    volume: Decimal  # AMM cash traded, both directions
    traders: int
    yes_outstanding: Decimal


def sponsor_market_view(state: ProgramState, market_id: str) -> SponsorMarketView:
    market = state.markets[market_id]
    volume = market.volume
    yes = -state.ledger.balance(accounts.mint(market_id), market.yes).amount
    return SponsorMarketView(
        market_id, market.title, market.status, market.curve.price(market.amm_state), volume,
        len(market.net_paid), yes,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class MarketPublicView:
    """A market as the public sees it. ``complete`` is False while the policy still holds
    something back that it will show later (at ``late_reveal_at``, SIZE_THRESHOLD's time, which
    depends on the terms and the window only)."""

    market_id: str
    title: str
    revealed: bool
    final_price: Decimal | None
    fills: tuple[FillView, ...]  # shown one by one
    aggregated_count: int  # orders shown only in aggregate (SIZE_THRESHOLD's small ones)
    aggregated_size: Decimal  # their total size (see :func:`order_size`)
    complete: bool
    late_reveal_at: datetime | None


def order_size(order: OrderRecord) -> Decimal:
    """The cash an order put at stake: a buy's escrow, a sell's proceeds (before its fee)."""
    return order.escrow if order.side is Side.BUY else order.cash


def late_reveal_at(state: ProgramState, market: MarketState) -> datetime | None:
    """When a SIZE_THRESHOLD market's large orders and final price are shown (None for the
    other policies, and for a market whose window never opened)."""
    terms = state.require_terms()
    if terms.reveal_policy is not RevealPolicy.SIZE_THRESHOLD or market.closes_at is None:
        return None
    return market.closes_at + timedelta(seconds=terms.late_reveal_seconds)


def _fill(order: OrderRecord) -> FillView:
    return FillView(order.shares, order.cash, order.fee, order.clipped)


def public_market_view(state: ProgramState, market_id: str, now: datetime) -> MarketPublicView:
    """What the public may see of ``market_id`` at ``now`` (the caller's time)."""
    market = state.markets[market_id]
    terms = state.require_terms()
    revealed = is_revealed(market)
    late_at = late_reveal_at(state, market)
    if not revealed or terms.reveal_policy is RevealPolicy.PER_TRADER:
        return MarketPublicView(market_id, market.title, revealed, None, (), 0, _ZERO, revealed,
                                late_at)  # fmt: skip
    orders = state.orders.of_market(market_id)
    price = market.curve.price(market.amm_state)
    if terms.reveal_policy is RevealPolicy.PUBLIC_ALL:
        fills = tuple(_fill(o) for o in orders)
        return MarketPublicView(market_id, market.title, True, price, fills, 0, _ZERO, True, None)
    small = [o for o in orders if order_size(o) <= terms.reveal_threshold]
    count, size = len(small), sum((order_size(o) for o in small), _ZERO)
    assert late_at is not None  # a revealed market had a window
    if now < late_at:
        return MarketPublicView(market_id, market.title, True, None, (), count, size, False,
                                late_at)  # fmt: skip
    large = tuple(_fill(o) for o in orders if order_size(o) > terms.reveal_threshold)
    return MarketPublicView(market_id, market.title, True, price, large, count, size, True,
                            late_at)  # fmt: skip
