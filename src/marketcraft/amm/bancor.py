"""The Bancor formula: a smart token backed by connector (reserve) balances with fixed weights.

Weights are fractions in (0, 1] (Bancor's contracts write them in parts per million). With
supply ``S``, connector balance ``B`` and weight ``w``, the token's price is ``B / (S * w)``, and:

* ``purchase_return``      tokens issued for depositing ``amount`` of the connector:
                           ``S * ((1 + amount / B) ** w - 1)``
* ``sale_return``          connector paid out for selling ``amount`` tokens:
                           ``B * (1 - (1 - amount / S) ** (1 / w))``
* ``cross_reserve_return`` the other connector paid out for ``amount`` of one (a relay trade):
                           ``B_to * (1 - (B_from / (B_from + amount)) ** (w_from / w_to))``;
                           with equal weights this is constant product, ``B_to * A / (B_from + A)``.

Every return is something the pool pays, so it is rounded DOWN: computed in the money context
(40 digits), lowered by a guard far above the arithmetic error (1e-30 of the supply or balance
the formula scales), then floored to ``decimals`` places when they are given (never below
zero). Fees are something the pool collects, so :func:`fee` rounds UP.
"""

from __future__ import annotations

from decimal import Decimal

from marketcraft.kernel.decmath import exp, ln
from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.money import fee_up, quantize_down, with_money_context

__all__ = [
    "cross_reserve_return",
    "fee",
    "net_of_fee",
    "purchase_return",
    "sale_return",
]

_ZERO, _ONE = Decimal(0), Decimal(1)
#: guard, relative to the formula's scale, subtracted before rounding a return down (the
#: 40-digit arithmetic error is ~1e-38 of that scale)
_GUARD = Decimal("1e-30")


def _positive(value: Decimal, what: str) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise ValidationError("bad_amount", f"{what} must be a Decimal > 0")


def _amount(value: Decimal) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise ValidationError("bad_amount", "the amount must be a Decimal >= 0")


def _weight(value: Decimal, what: str = "weight") -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or not _ZERO < value <= _ONE:
        raise ValidationError("bad_weight", f"the {what} must be in (0, 1]")


def _check_token(supply: Decimal, balance: Decimal, weight: Decimal, amount: Decimal) -> None:
    _positive(supply, "the supply")
    _positive(balance, "the connector balance")
    _weight(weight)
    _amount(amount)


def _power(base: Decimal, exponent: Decimal) -> Decimal:
    """``base ** exponent`` for base > 0: exact for exponent 1, else through ln and exp."""
    if exponent == _ONE:
        return base
    return exp(exponent * ln(base))


def _paid(exact: Decimal, scale: Decimal, cap: Decimal, decimals: int | None) -> Decimal:
    """A return the pool pays: lowered by a guard relative to ``scale`` (the size of the terms
    the formula subtracts, whose error it carries), within [0, cap], floored to ``decimals``."""
    value = min(max(exact - scale * _GUARD, _ZERO), cap)
    return value if decimals is None else quantize_down(value, decimals)


@with_money_context
def purchase_return(
    supply: Decimal,
    balance: Decimal,
    weight: Decimal,
    amount: Decimal,
    *,
    decimals: int | None = None,
) -> Decimal:
    """Tokens issued for depositing ``amount`` into a connector of ``balance`` and ``weight``."""
    _check_token(supply, balance, weight, amount)
    if not amount:
        return _ZERO
    exact = (
        supply * (amount / balance)
        if weight == _ONE
        else supply * (_power(_ONE + amount / balance, weight) - _ONE)
    )
    return _paid(exact, supply, exact, decimals)


@with_money_context
def sale_return(
    supply: Decimal,
    balance: Decimal,
    weight: Decimal,
    amount: Decimal,
    *,
    decimals: int | None = None,
) -> Decimal:
    """Connector paid out for selling ``amount`` (<= ``supply``) tokens."""
    _check_token(supply, balance, weight, amount)
    if amount > supply:
        raise ValidationError("exceeds_supply", "cannot sell more than the supply")
    if not amount:
        return _ZERO
    if amount == supply:  # the last token takes the whole connector
        return balance if decimals is None else quantize_down(balance, decimals)
    exact = (
        balance * (amount / supply)
        if weight == _ONE
        else balance * (_ONE - _power(_ONE - amount / supply, _ONE / weight))
    )
    return _paid(exact, balance, balance, decimals)


@with_money_context
def cross_reserve_return(
    from_balance: Decimal,
    from_weight: Decimal,
    to_balance: Decimal,
    to_weight: Decimal,
    amount: Decimal,
    *,
    decimals: int | None = None,
) -> Decimal:
    """The ``to`` connector paid out for ``amount`` paid into the ``from`` connector."""
    _positive(from_balance, "the source connector balance")
    _positive(to_balance, "the target connector balance")
    _weight(from_weight, "source weight")
    _weight(to_weight, "target weight")
    _amount(amount)
    if not amount:
        return _ZERO
    if from_weight == to_weight:  # constant product, no transcendental functions
        exact = to_balance * amount / (from_balance + amount)
    else:
        ratio = from_balance / (from_balance + amount)
        exact = to_balance * (_ONE - _power(ratio, from_weight / to_weight))
    return _paid(exact, to_balance, to_balance, decimals)


@with_money_context
def fee(amount: Decimal, rate: Decimal, decimals: int) -> Decimal:
    """The fee on ``amount`` at ``rate`` (a fraction in [0, 1)), rounded UP to ``decimals``."""
    _amount(amount)
    if not isinstance(rate, Decimal) or not rate.is_finite() or not _ZERO <= rate < _ONE:
        raise ValidationError("bad_fee", "the fee rate must be in [0, 1)")
    return fee_up(amount, rate, decimals, amount)


def net_of_fee(amount: Decimal, rate: Decimal, decimals: int) -> tuple[Decimal, Decimal]:
    """``(amount - fee, fee)``: what is left to trade and what the pool keeps."""
    charged = fee(amount, rate, decimals)
    return amount - charged, charged
