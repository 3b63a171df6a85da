"""The contract's rule: the joint-profit-maximising hurdle-feasible grid point, or no trade.

Per grid point i: spread ``s_i = r_rm,i - r_mm,i``, inter-dealer rate ``(r_rm,i + r_mm,i) / 2``,
each dealer's margin ``s_i / 2`` and joint profit ``J_i = s_i * Q_i``. A point is feasible when
``Q_i > 0``, ``s_i > 0`` and ``s_i / 2 >= h`` for both dealers' hurdles. The selected point is
the feasible argmax of J, ties to the larger volume; with none feasible there is no trade.
Exact integer arithmetic (rates in 1e-4 bp, volumes whole)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from marketcraft.kernel.errors import ValidationError
from marketcraft.repo.schedule import Report, Side

__all__ = ["Outcome", "check_pair", "select"]


@dataclass(frozen=True, slots=True)
class Outcome:
    trade: bool
    index: int | None  # the selected grid point
    volume: int
    rate_mm: int  # offered to MM (rate units)
    rate_rm: int  # offered to RM
    joint_profit: int  # J = (r_rm - r_mm) * Q, rate units x volume
    offset: int = 0  # the reports' rate offset: rates above are offset rates (see Report)

    @property
    def rate_bd(self) -> Fraction:
        """The inter-dealer rate, halfway between (may be half a unit)."""
        return Fraction(self.rate_mm + self.rate_rm, 2)

    @property
    def profit_each(self) -> Fraction:
        """Each dealer's share: half the joint profit."""
        return Fraction(self.joint_profit, 2)


NO_TRADE = Outcome(False, None, 0, 0, 0, 0)


def check_pair(mm: Report, rm: Report) -> None:
    """Both reports present, one per side, on the same grid."""
    if mm.side is not Side.MM or rm.side is not Side.RM:
        raise ValidationError("bad_report", "need the MM dealer's report and the RM dealer's")
    if mm.volumes != rm.volumes:
        raise ValidationError("bad_report", "the two reports must use the same volume grid")
    if mm.offset != rm.offset:
        raise ValidationError("bad_report", "the two reports must state the same rate offset")


def select(mm: Report, rm: Report) -> Outcome:
    """The contract's selection (see the module's docstring)."""
    check_pair(mm, rm)
    least = max(2 * mm.hurdle, 2 * rm.hurdle, 1)  # s/2 >= h for both, and s > 0
    best, best_j = None, -1
    for i, (q, low, high) in enumerate(zip(mm.volumes, mm.rates, rm.rates, strict=True)):
        s = high - low
        if q > 0 and s >= least:
            j = s * q
            if j >= best_j:  # a tie goes to the larger volume (the later point)
                best, best_j = i, j
    if best is None:
        return NO_TRADE
    return Outcome(True, best, mm.volumes[best], mm.rates[best], rm.rates[best], best_j, mm.offset)
