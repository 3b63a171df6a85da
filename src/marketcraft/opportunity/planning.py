"""What a sponsor asks before funding a market: what a budget buys, and what a trade does."""

from __future__ import annotations

from decimal import Decimal

from marketcraft.amm.curve import check_band
from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.money import quantize_down, quantize_up, with_money_context
from marketcraft.opportunity.amms import AmmKind, curve_for_budget

__all__ = ["plan", "quote"]

_SHOWN = 6  # decimal places shown for exact, unrounded quantities


@with_money_context
def plan(kind: AmmKind, budget: Decimal, pa: Decimal, pb: Decimal) -> dict[str, Decimal]:
    """The liquidity a budget buys over [pa, pb] and what a full traverse and a doubling cost.

    Keys: ``liquidity``; ``max_loss`` (the sponsor's worst case); ``full_traverse_shares`` and
    ``full_traverse_cash`` (YES sold and cash collected moving pa -> pb);
    ``depth_to_double_price`` (2 pa, capped at pb), ``depth_to_double_shares`` and
    ``depth_to_double_cash`` (what moves the price from pa to there)."""
    curve = curve_for_budget(kind, budget, pa, pb)
    target = min(2 * pa, pb)
    s_target = curve.state_of_price(target)
    return {
        "liquidity": quantize_down(curve.scale, _SHOWN),
        "max_loss": quantize_up(curve.max_loss(), _SHOWN),
        "full_traverse_shares": quantize_down(curve.capacity(), _SHOWN),
        "full_traverse_cash": quantize_up(curve.traverse_cash(), _SHOWN),
        "depth_to_double_price": target,
        "depth_to_double_shares": quantize_down(
            curve.shares_between(curve.open_state, s_target), _SHOWN
        ),
        "depth_to_double_cash": quantize_up(curve.cash_between(curve.open_state, s_target), _SHOWN),
    }


@with_money_context
def quote(
    kind: AmmKind, budget: Decimal, pa: Decimal, pb: Decimal, *, price: Decimal, cash: Decimal
) -> dict[str, Decimal | bool]:
    """A buy of ``cash`` at ``price``: ``shares`` received, ``cost`` charged (never more than
    ``cash``), ``new_price``, and whether the band's top ``clipped`` it."""
    check_band(pa, pb)
    if not pa <= price <= pb:
        raise ValidationError("price_outside_band", f"price must be within [{pa}, {pb}]")
    curve = curve_for_budget(kind, budget, pa, pb)
    state = curve.open_state if price == pa else curve.state_of_price(price)
    fill = curve.buy_with_cash(state, cash)
    return {
        "shares": fill.shares,
        "cost": fill.cash,
        "new_price": quantize_down(curve.price(fill.state_after), 10),
        "clipped": fill.clipped,
    }
