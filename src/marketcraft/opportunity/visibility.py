"""Who sees what: the reveal policy as pure functions of a program's state.

* The **sponsor** sees every market's live price, volume and traders at all times.
* A **scout**, while a market is open or closed-but-not-revealed, sees only what it already
  knew: its own orders as placed (ids, sides, limits, escrows), never a fill, a price or a
  position. After the reveal it sees its own fills, positions and payouts, whatever the policy.
* The **public** (every other caller) sees nothing of a market before its reveal; after it:
  PUBLIC_ALL — the final price and every fill; PER_TRADER — nothing beyond the outcome;
  SIZE_THRESHOLD — the final price, fills up to the threshold one by one, and fills above it
  only as a count and a total.

Every view has the same shape whatever the fills were: what varies is only what a policy
reveals, after the reveal.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from marketcraft.opportunity import accounts
from marketcraft.opportunity.state import MarketState, MarketStatus, ProgramState
from marketcraft.opportunity.terms import RevealPolicy, Side, Token

__all__ = [
    "FillView",
    "MarketPublicView",
    "OrderView",
    "SponsorMarketView",
    "is_revealed",
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


def scout_orders(state: ProgramState, scout: str) -> list[OrderView]:
    views = []
    for order in state.orders.values():
        if order.scout != scout:
            continue
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
            )
        )
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
    volume = sum(
        (state.orders[o].cash for o in market.orders),
        _ZERO,
    )
    yes = -state.ledger.balance(accounts.mint(market_id), market.yes).amount
    return SponsorMarketView(
        market_id, market.title, market.status, market.curve.price(market.amm_state), volume,
        len(market.net_paid), yes,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class MarketPublicView:
    market_id: str
    title: str
    revealed: bool
    final_price: Decimal | None
    fills: tuple[FillView, ...]  # shown one by one
    aggregated_count: int  # fills shown only in aggregate (SIZE_THRESHOLD)
    aggregated_cash: Decimal


def public_market_view(state: ProgramState, market_id: str) -> MarketPublicView:
    market = state.markets[market_id]
    terms = state.require_terms()
    if not is_revealed(market) or terms.reveal_policy is RevealPolicy.PER_TRADER:
        return MarketPublicView(market_id, market.title, is_revealed(market), None, (), 0, _ZERO)
    fills = [state.orders[o] for o in market.orders]
    shown = [f for f in fills if terms.reveal_policy is RevealPolicy.PUBLIC_ALL
             or f.cash <= terms.reveal_threshold]  # fmt: skip
    hidden = [f for f in fills if f not in shown]
    return MarketPublicView(
        market_id,
        market.title,
        True,
        market.curve.price(market.amm_state),
        tuple(FillView(f.shares, f.cash, f.fee, f.clipped) for f in shown),
        len(hidden),
        sum((f.cash for f in hidden), _ZERO),
    )
