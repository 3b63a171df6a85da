"""Exact money: Decimal under one explicit context, quantised to an asset's minor unit.

Engines and ledgers never hold money as float. Every value that enters goes through
:func:`to_decimal`, which refuses float with ``TypeError``; every value that leaves a computation
is quantised with a *named* rounding that says who it favours:

* :func:`quantize_up` (toward +infinity) — use for amounts the mechanism **collects** (costs,
  fees, required collateral): the mechanism never collects less than the exact amount.
* :func:`quantize_down` (toward -infinity) — use for amounts the mechanism **pays out** (payouts,
  refunds, shares issued): the mechanism never pays more than the exact amount.

Arithmetic on raw Decimals runs inside :func:`money_context` so precision, rounding and traps are
the same on every machine; Decimal's ``exp``/``ln`` are correctly rounded, so replays agree
bit for bit.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, getcontext, setcontext
from functools import wraps
from typing import ParamSpec, TypeVar

from marketcraft.kernel.errors import ValidationError

__all__ = [
    "MONEY_CONTEXT",
    "QUANTA",
    "Asset",
    "Money",
    "fee_up",
    "fits_decimals",
    "money_context",
    "money_context_once",
    "quantize_down",
    "quantize_exact",
    "quantize_up",
    "to_decimal",
    "with_money_context",
]

#: The one context every engine computes in: 40 significant digits (money needs at most ~20:
#: 10^12 at 6 decimals; the rest absorbs the error of exp/ln chains), banker's rounding for
#: intermediate steps (final amounts are quantised explicitly), and traps on every signal that
#: would silently lose information — including mixing Decimal with float.
MONEY_CONTEXT = decimal.Context(
    prec=40,
    rounding=ROUND_HALF_EVEN,
    Emin=-999_999,
    Emax=999_999,
    capitals=1,
    clamp=0,
    flags=[],
    traps=[
        decimal.InvalidOperation,
        decimal.DivisionByZero,
        decimal.Overflow,
        decimal.FloatOperation,
    ],
)

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def money_context() -> Iterator[decimal.Context]:
    """Run the enclosed Decimal arithmetic under :data:`MONEY_CONTEXT` (a fresh copy)."""
    with decimal.localcontext(MONEY_CONTEXT) as ctx:
        yield ctx


def with_money_context(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorate a pure math function so its Decimal arithmetic runs under MONEY_CONTEXT.

    Calls nested inside another decorated call find the context already in force and run
    directly, which keeps deep call chains cheap."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        outer = getcontext()
        if outer is MONEY_CONTEXT:  # the common, nested case
            return fn(*args, **kwargs)
        setcontext(MONEY_CONTEXT)
        try:
            return fn(*args, **kwargs)
        finally:
            setcontext(outer)

    return wrapper


class money_context_once:
    """Like :func:`money_context`, but free when MONEY_CONTEXT is already in force.

    Unlike :func:`money_context` this installs MONEY_CONTEXT itself, not a copy: nothing in
    the engines changes a context (only its flags, which nothing reads), and Decimal keeps the
    current context per thread and per task, so the switch is two pointer swaps."""

    __slots__ = ("_outer",)

    def __enter__(self) -> None:
        outer = getcontext()
        self._outer = None if outer is MONEY_CONTEXT else outer
        if self._outer is not None:
            setcontext(MONEY_CONTEXT)

    def __exit__(self, *_exc: object) -> None:
        if self._outer is not None:
            setcontext(self._outer)


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Convert an exact value to Decimal.

    Accepts Decimal, int and decimal strings. Raises ``TypeError`` for float (and bool), whose
    binary value is not the decimal the caller meant, and :class:`ValidationError` for strings
    that are not finite decimal numbers.
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"money must be Decimal, int or str, not {type(value).__name__}")
    else:
        try:
            result = Decimal(value)
        except decimal.InvalidOperation:
            raise ValidationError("not_a_number", f"not a decimal number: {value!r}") from None
    if not result.is_finite():
        raise ValidationError("not_finite", f"amount must be finite, got {value!r}")
    return result


#: the minor unit of 0..18 decimal places: QUANTA[2] == Decimal("0.01")
QUANTA = tuple(Decimal(1).scaleb(-d) for d in range(19))


def _quantum(decimals: int) -> Decimal:
    return QUANTA[decimals] if 0 <= decimals <= 18 else Decimal(1).scaleb(-decimals)


def fits_decimals(value: Decimal, decimals: int) -> bool:
    """True iff finite ``value`` has no more than ``decimals`` places (trailing zeros aside)."""
    quantum = _quantum(decimals)
    # Amounts the engines make sit exactly on the quantum: one exponent comparison.
    return value.same_quantum(quantum) or value == quantize_down(value, decimals)


def quantize_up(value: Decimal, decimals: int) -> Decimal:
    """Round toward +infinity to ``decimals`` places.

    Favours the mechanism on amounts it collects."""
    return value.quantize(_quantum(decimals), rounding=ROUND_CEILING, context=MONEY_CONTEXT)


def fee_up(cash: Decimal, rate: Decimal, decimals: int, cap: Decimal) -> Decimal:
    """The fee on ``cash`` at ``rate`` (a fraction): ``cash * rate`` computed in the money
    context and rounded UP to ``decimals`` places (:func:`quantize_up`: the mechanism collects
    it, so it never collects less than the exact fee), then capped at ``cap`` (what there is to
    take the fee from, e.g. the trade's proceeds or what is left of an escrow)."""
    return min(quantize_up(MONEY_CONTEXT.multiply(cash, rate), decimals), cap)


def quantize_down(value: Decimal, decimals: int) -> Decimal:
    """Round toward -infinity to ``decimals`` places. Favours the mechanism on amounts it pays."""
    return value.quantize(_quantum(decimals), rounding=ROUND_FLOOR, context=MONEY_CONTEXT)


def quantize_exact(value: Decimal, decimals: int) -> Decimal:
    """Return ``value`` at ``decimals`` places; raise :class:`ValidationError` if it would round.

    Use on amounts that come from outside (a deposit, an order's spend): they must already be a
    whole number of minor units, and no one gets rounded silently.
    """
    q = value.quantize(_quantum(decimals), rounding=ROUND_FLOOR, context=MONEY_CONTEXT)
    if q != value:
        raise ValidationError(
            "too_many_decimals", f"{value} has more than {decimals} decimal places"
        )
    return q


@dataclass(frozen=True, slots=True)
class Asset:
    """A unit of account: a code (``USD``, ``COL``, ``YES:m-12``) and its minor-unit decimals."""

    code: str
    decimals: int

    def __post_init__(self) -> None:
        if not self.code or not self.code.strip() or self.code != self.code.strip():
            raise ValidationError("bad_asset", "asset code must be a non-empty trimmed string")
        if isinstance(self.decimals, bool) or not isinstance(self.decimals, int):
            raise TypeError("asset decimals must be int")
        if not 0 <= self.decimals <= 18:
            raise ValidationError("bad_asset", "asset decimals must be between 0 and 18")

    def money(self, value: Decimal | int | str) -> Money:
        """An exact amount of this asset; raises if ``value`` has more decimals than allowed."""
        return Money(quantize_exact(to_decimal(value), self.decimals), self)

    def up(self, value: Decimal) -> Money:
        """``value`` rounded up to a minor unit: for amounts the mechanism collects."""
        return Money(quantize_up(value, self.decimals), self)

    def down(self, value: Decimal) -> Money:
        """``value`` rounded down to a minor unit: for amounts the mechanism pays."""
        return Money(quantize_down(value, self.decimals), self)

    def zero(self) -> Money:
        return Money(Decimal(0).quantize(_quantum(self.decimals)), self)


@dataclass(frozen=True, slots=True, order=False)
class Money:
    """An exact amount of one asset. Arithmetic with another asset or with float raises."""

    amount: Decimal
    asset: Asset

    def __post_init__(self) -> None:
        if type(self.amount) is not Decimal:
            raise TypeError(f"Money amount must be Decimal, not {type(self.amount).__name__}")
        if not self.amount.is_finite():
            raise ValidationError("not_finite", "amount must be finite")
        if not fits_decimals(self.amount, self.asset.decimals):
            raise ValidationError(
                "too_many_decimals",
                f"{self.amount} has more than {self.asset.decimals} decimals for {self.asset.code}",
            )

    def _same(self, other: object) -> Money:
        if isinstance(other, Money):
            if other.asset != self.asset:
                raise ValidationError(
                    "asset_mismatch", f"cannot combine {self.asset.code} with {other.asset.code}"
                )
            return other
        raise TypeError(f"cannot combine Money with {type(other).__name__}")

    def __add__(self, other: object) -> Money:
        o = self._same(other)
        with decimal.localcontext(MONEY_CONTEXT):
            return Money(self.amount + o.amount, self.asset)

    def __sub__(self, other: object) -> Money:
        o = self._same(other)
        with decimal.localcontext(MONEY_CONTEXT):
            return Money(self.amount - o.amount, self.asset)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.asset)

    def __lt__(self, other: object) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: object) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: object) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: object) -> bool:
        return self.amount >= self._same(other).amount

    def __mul__(self, other: object) -> Money:
        raise TypeError("multiply the amount and round with Asset.up() or Asset.down()")

    __rmul__ = __mul__
    __radd__ = __add__

    def is_zero(self) -> bool:
        return self.amount == 0

    def __str__(self) -> str:
        return f"{self.amount} {self.asset.code}"
