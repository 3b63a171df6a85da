"""``ln`` and ``exp`` of Decimals, several times faster than Decimal's own, and as deterministic.

Both evaluate in MPFR (through gmpy2) at 150 bits, which MPFR rounds correctly, print the result
correctly rounded to 44 significant digits and round that to the money context's 40. Every step
is exactly specified, so the same input gives the same Decimal on every machine and every
library version; the result is within one unit in the 40th digit of the exact value (Decimal's
own functions are correctly rounded, and the tests compare the two).

Arguments outside the fast path's domain (ln of a non-positive number, exp of a huge one, NaN
or infinity) fall back to Decimal's own functions, so errors are Decimal's errors.
"""

from __future__ import annotations

from decimal import Decimal

import gmpy2

from marketcraft.kernel.money import MONEY_CONTEXT

__all__ = ["BINARY", "exp", "from_binary", "ln", "to_binary"]

_BITS = 150  # 45 decimal digits: 5 beyond the money context's 40
_DIGITS = 44
_MPFR = gmpy2.context(precision=_BITS)
#: the context for curve math done in binary: call its methods (``BINARY.mul(a, b)``), never the
#: operators, which round to gmpy2's ambient context
BINARY = _MPFR
#: |x| above this leaves exp to Decimal, whose context decides overflow and underflow
_EXP_REACH = Decimal(10_000)


def to_binary(x: Decimal) -> gmpy2.mpfr:
    """``x`` correctly rounded to 150 bits."""
    return gmpy2.mpfr(str(x), _BITS)


def from_binary(value: gmpy2.mpfr) -> Decimal:
    """``value`` printed correctly rounded to 44 digits, then rounded to the money context's 40."""
    mantissa, exponent, _ = value.digits(10, _DIGITS)  # value = 0.mantissa * 10**exponent
    return MONEY_CONTEXT.create_decimal(f"{mantissa}E{exponent - _DIGITS}")


def ln(x: Decimal) -> Decimal:
    """The natural logarithm of ``x`` > 0 to the money context's precision."""
    if not (x.is_finite() and x > 0):
        return x.ln(MONEY_CONTEXT)
    return from_binary(_MPFR.log(gmpy2.mpfr(str(x), _BITS)))


def exp(x: Decimal) -> Decimal:
    """e ** ``x`` to the money context's precision."""
    if not (x.is_finite() and abs(x) < _EXP_REACH):
        return x.exp(MONEY_CONTEXT)
    return from_binary(_MPFR.exp(gmpy2.mpfr(str(x), _BITS)))
