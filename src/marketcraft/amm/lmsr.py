"""Logarithmic market scoring rule (Hanson), n outcomes, exact Decimal.

Cost function ``C(q) = b * ln(sum_i exp(q_i / b))``, computed as log-sum-exp with the largest
term factored out so no exponent overflows. Prices ``p_i = exp(q_i / b) / sum_j exp(q_j / b)``.

Rounding (every amount is quantised by the caller's asset):
* :func:`cost_to_trade_up` — what a trader pays for a share vector, rounded **up**;
* :func:`proceeds_of_trade_down` — what a trader receives for selling, rounded **down**;
* :func:`max_loss` — the market maker's worst-case loss ``b * ln(n)`` (exact, unrounded).

All functions raise :class:`ValidationError` for non-positive liquidity or an empty outcome set.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from marketcraft.kernel.decmath import exp, ln
from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.money import quantize_down, quantize_up, with_money_context

__all__ = [
    "cost",
    "cost_to_trade_up",
    "liquidity_for_budget",
    "max_loss",
    "prices",
    "proceeds_of_trade_down",
    "shares_for_cash_down",
]


def _check(quantities: Sequence[Decimal], b: Decimal) -> None:
    if b <= 0:
        raise ValidationError("bad_liquidity", "liquidity b must be > 0")
    if len(quantities) < 2:
        raise ValidationError("bad_outcomes", "a market needs at least two outcomes")


@with_money_context
def cost(quantities: Sequence[Decimal], b: Decimal) -> Decimal:
    """``C(q)`` in cash units, unrounded (the money context's 40 significant digits)."""
    _check(quantities, b)
    top = max(quantities)
    total = sum((exp((q - top) / b) for q in quantities), Decimal(0))
    return top + b * ln(total)


@with_money_context
def prices(quantities: Sequence[Decimal], b: Decimal) -> list[Decimal]:
    """Instantaneous prices, each in (0, 1), summing to 1 up to the last digit."""
    _check(quantities, b)
    top = max(quantities)
    weights = [exp((q - top) / b) for q in quantities]
    total = sum(weights, Decimal(0))
    return [w / total for w in weights]


@with_money_context
def max_loss(b: Decimal, outcomes: int) -> Decimal:
    """Worst-case market-maker loss from the uniform start: ``b * ln(n)``."""
    if outcomes < 2:
        raise ValidationError("bad_outcomes", "a market needs at least two outcomes")
    return b * ln(Decimal(outcomes))


@with_money_context
def liquidity_for_budget(budget: Decimal, outcomes: int) -> Decimal:
    """``b = B / ln(n)``: the liquidity whose worst-case loss from the uniform start is B."""
    if budget <= 0:
        raise ValidationError("bad_budget", "the loss budget must be > 0")
    return budget / max_loss(Decimal(1), outcomes)


@with_money_context
def shares_for_cash_down(
    quantities: Sequence[Decimal], outcome: int, cash: Decimal, b: Decimal, share_decimals: int
) -> Decimal:
    """Shares of ``outcome`` that ``cash`` buys, rounded down:
    ``b * ln((e^(c/b) - 1 + p_i) / p_i)`` with ``p_i`` the outcome's current price."""
    if not 0 <= outcome < len(quantities):
        raise ValidationError("bad_outcome", "no such outcome")
    if cash < 0:
        raise ValidationError("bad_amount", "cash must be >= 0")
    p = prices(quantities, b)[outcome]
    exact = b * ln((exp(cash / b) - 1 + p) / p)
    return quantize_down(exact - Decimal("1e-24"), share_decimals) if cash else Decimal(0)


def _delta_cost(quantities: Sequence[Decimal], delta: Sequence[Decimal], b: Decimal) -> Decimal:
    if len(delta) != len(quantities):
        raise ValidationError("bad_trade", "a trade names one amount per outcome")
    after = [q + d for q, d in zip(quantities, delta, strict=True)]
    return cost(after, b) - cost(quantities, b)


def cost_to_trade_up(
    quantities: Sequence[Decimal], delta: Sequence[Decimal], b: Decimal, decimals: int
) -> Decimal:
    """Cash a trader pays to move ``q`` to ``q + delta``, rounded up to ``decimals``."""
    return quantize_up(_delta_cost(quantities, delta, b), decimals)


def proceeds_of_trade_down(
    quantities: Sequence[Decimal], delta: Sequence[Decimal], b: Decimal, decimals: int
) -> Decimal:
    """Cash a trader receives for a trade that lowers cost (``-(C(q+delta) - C(q))``), rounded
    down to ``decimals``."""
    return quantize_down(-_delta_cost(quantities, delta, b), decimals)
