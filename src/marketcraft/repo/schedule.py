"""Reported schedules on a common volume grid, their validation, and the forms that compile to
a grid (linear, piecewise linear).

A report is the inverse schedule of a dealer's client: at grid volume ``Q_i`` the money-market
side (MM) needs rate ``r_mm,i`` to lend ``Q_i`` (strictly increasing in Q), the repo side (RM)
pays at most ``r_rm,i`` to borrow ``Q_i`` (strictly decreasing). Flat stretches are refused: at a
flat rate the client takes the whole stretch, so a selected point inside it would be unmatched
and the contract's guarantees (an equilibrium, truthful reporting) would not hold. Rates are
integers in units of 1e-4 bp; volumes are integers. Both stay below 2**31 so every product fits
64 bits (and the circuit's range checks)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction
from itertools import pairwise

from marketcraft.kernel.errors import ValidationError

__all__ = [
    "LIMIT",
    "MAX_OFFSET_BP",
    "RATE_UNIT",
    "Report",
    "Side",
    "bp_text",
    "bp_to_units",
    "check_grid",
    "linear",
    "piecewise_linear",
    "units_to_bp",
]

#: rate units per basis point
RATE_UNIT = 10_000
#: volumes and rates are below this
LIMIT = 2**31
#: the largest rate offset a report may state, in whole basis points: rates down to minus
#: this are accepted (the offset rates, in units, stay below LIMIT from 0)
MAX_OFFSET_BP = 100_000
#: why a flat stretch is refused, and what to send instead
FLAT_HINT = (
    " (a flat stretch: a client offered that rate takes the whole stretch, more than the "
    "matched volume; tilt it by one rate unit, 1e-4 bp, per step)"
)


#: why a negative rate is refused, and what to send instead
NEGATIVE_HINT = " (a negative rate needs an offset at least its size: see the report format)"


class Side(StrEnum):
    MM = "mm"  # the money-market fund's dealer: rates rise with volume
    RM = "rm"  # the repo borrower's dealer: rates fall with volume


@dataclass(frozen=True, slots=True)
class Report:
    """One dealer's sealed report: its client's schedule on the grid and its hurdle (the least
    margin, in rate units, it accepts). ``rates`` are offset rates: each client rate plus
    ``offset`` (rate units), so that negative rates are whole numbers from 0 too; the
    circuit, the commitment and the selection see only offset rates (a spread, a margin and
    the joint profit are the same either way)."""

    side: Side
    volumes: tuple[int, ...]
    rates: tuple[int, ...]
    hurdle: int
    offset: int = 0

    def __post_init__(self) -> None:
        who = f"the {self.side.value.upper()} report"
        if len(self.volumes) < 2 or len(self.volumes) != len(self.rates):
            raise ValidationError(
                "bad_report", f"{who}: needs as many rates as volumes, at least two of each"
            )
        check_grid(self.volumes, who, "bad_report")
        if not 0 <= self.offset <= MAX_OFFSET_BP * RATE_UNIT or self.offset % RATE_UNIT:
            raise ValidationError(
                "bad_report", f"{who}: the offset must be whole basis points in 0..{MAX_OFFSET_BP}"
            )
        for v in self.rates:
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < LIMIT:
                raise ValidationError(
                    "bad_report",
                    f"{who}: rates plus the offset must be whole numbers in 0..2^31-1 units"
                    + (NEGATIVE_HINT if isinstance(v, int) and v < 0 else ""),
                )
        rising = self.side is Side.MM
        for i, (a, b) in enumerate(pairwise(self.rates)):
            if (b <= a) if rising else (b >= a):
                way = "rise" if rising else "fall"
                raise ValidationError(
                    "bad_report",
                    f"{who}: the {self.side.value.upper()} rates must {way} at every grid step; "
                    f"from volume {self.volumes[i]} to {self.volumes[i + 1]} they go from {a} "
                    f"to {b}" + (FLAT_HINT if a == b else ""),
                )
        if isinstance(self.hurdle, bool) or not isinstance(self.hurdle, int):
            raise ValidationError("bad_report", f"{who}: the hurdle must be a whole number")
        if not 0 <= self.hurdle < LIMIT:
            raise ValidationError("bad_report", f"{who}: the hurdle must be in 0..2^31-1")


def check_grid(volumes: Sequence[int], who: str, code: str) -> None:
    """A volume grid: whole numbers in 0..2^31-1, starting at 0, strictly increasing."""
    for v in volumes:
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < LIMIT:
            raise ValidationError(code, f"{who}: volumes must be whole numbers in 0..2^31-1")
    if not volumes or volumes[0] != 0:
        raise ValidationError(code, f"{who}: the grid must start at volume 0")
    if any(b <= a for a, b in pairwise(volumes)):
        raise ValidationError(code, f"{who}: volumes must strictly increase")


def bp_to_units(value: object, what: str) -> int:
    """A rate in basis points (int, float, Decimal or decimal text) as whole rate units; refuses
    more precision than 1e-4 bp rather than rounding a dealer's number silently, and, before
    any arithmetic, numbers of :data:`LIMIT` basis points or more (the report checks the range
    of the units)."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError("bad_report", f"{what}: not a number: {value!r}") from None
    if isinstance(value, bool) or not number.is_finite():
        raise ValidationError("bad_report", f"{what}: not a finite number: {value!r}")
    if abs(number) >= LIMIT:  # before any arithmetic: 1E+999999 is finite, and huge
        raise ValidationError("bad_report", f"{what}: {value!r} is out of range")
    # exact: the context holds every digit (Python's default would round the 29th)
    exact = number.scaleb(4, context=Context(prec=len(number.as_tuple().digits) + 8))
    if exact != exact.to_integral_value():
        raise ValidationError("bad_report", f"{what}: {value!r} is finer than 1e-4 bp")
    return int(exact)


def units_to_bp(units: int | Fraction) -> Decimal:
    """Rate units as basis points (exact: a half unit is 0.00005 bp)."""
    value = Fraction(units) / RATE_UNIT
    # exact: the denominator divides 2 * 10**4, and the context holds every digit
    exact = Context(prec=len(str(value.numerator)) + 8)
    return exact.divide(Decimal(value.numerator), Decimal(value.denominator))


def bp_text(value: Decimal) -> str:
    """Basis points as exact decimal text, no exponent and no trailing zeros (``510``,
    ``510.5``): how every output writes a rate or a profit, never a float."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def linear(
    side: Side, grid: Sequence[int], r0_bp: object, a: object, hurdle_bp: object = 0
) -> Report:
    """``r(Q) = r0 + Q / a`` for MM, ``r0 - Q / a`` for RM (``a`` in volume per bp), on
    ``grid``; rates rounded half-even to the unit (the exact line is the reference)."""
    r0 = Fraction(bp_to_units(r0_bp, "r0"))
    slope = Fraction(Decimal(str(a)))
    if slope <= 0:
        raise ValidationError("bad_report", "the slope parameter a must be > 0")
    sign = 1 if side is Side.MM else -1
    rates = [_round(r0 + sign * Fraction(q) * RATE_UNIT / slope) for q in grid]
    return Report(side, tuple(grid), tuple(rates), bp_to_units(hurdle_bp, "hurdle"))


def piecewise_linear(
    side: Side, grid: Sequence[int], knots: Sequence[tuple[int, object]], hurdle_bp: object = 0
) -> Report:
    """Interpolate ``knots`` ((volume, rate in bp), volumes increasing, covering the grid)
    linearly at each grid volume."""
    points = [(Fraction(q), Fraction(bp_to_units(r, "knot rate"))) for q, r in knots]
    if len(points) < 2 or any(b[0] <= a[0] for a, b in pairwise(points)):
        raise ValidationError("bad_report", "knots need two or more strictly increasing volumes")
    rates = []
    for q in grid:
        if not points[0][0] <= q <= points[-1][0]:
            raise ValidationError("bad_report", f"grid volume {q} lies outside the knots")
        (q0, r0), (q1, r1) = next((a, b) for a, b in pairwise(points) if a[0] <= q <= b[0])
        rates.append(_round(r0 + (r1 - r0) * (q - q0) / (q1 - q0)))
    return Report(side, tuple(grid), tuple(rates), bp_to_units(hurdle_bp, "hurdle"))


def _round(value: Fraction) -> int:
    return int(
        (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
            Decimal(1), rounding=ROUND_HALF_EVEN
        )
    )
