"""What the dealers earn at any pair of rates, for checking the selection: equilibrium
(no unilateral deviation pays) and truthful reporting (no misreport pays).

Clients are price takers. At rate r, MM lends the largest grid volume whose reported rate is
at most r, ``D(r)``; RM borrows the largest volume whose rate is at least r, ``S(r)``. The
inter-dealer volume is ``Q = min(D, S)`` and, with ``r_bd = (r_rm + r_mm) / 2``:

* BDmm earns ``(r_rm - r_mm) Q / 2 - max(0, D - Q) r_mm``  (it carries MM's excess);
* BDrm earns ``(r_rm - r_mm) Q / 2 - max(0, S - Q) r_bd``.

The contract's guarantees (the selected point is an equilibrium; telling the truth is a best
response) are the paper's, for strictly monotone schedules, and the contract accepts no other
(:class:`~marketcraft.repo.schedule.Report` refuses a flat stretch): at a flat rate a client
takes the whole stretch, which can leave a selected point unmatched and reward a misreport."""

from __future__ import annotations

from fractions import Fraction

from marketcraft.repo.schedule import Report
from marketcraft.repo.selection import Outcome

__all__ = ["demand", "is_equilibrium", "profits", "supply"]


def demand(mm: Report, rate: int) -> int:
    """MM's lending at ``rate``: the largest volume whose rate it needs is ``<= rate``."""
    return max((q for q, r in zip(mm.volumes, mm.rates, strict=True) if r <= rate), default=0)


def supply(rm: Report, rate: int) -> int:
    """RM's borrowing at ``rate``: the largest volume whose rate it pays is ``>= rate``."""
    return max((q for q, r in zip(rm.volumes, rm.rates, strict=True) if r >= rate), default=0)


def profits(mm: Report, rm: Report, rate_mm: int, rate_rm: int) -> tuple[Fraction, Fraction]:
    """(BDmm, BDrm) when MM is offered ``rate_mm`` and RM ``rate_rm`` (true schedules)."""
    d, s = demand(mm, rate_mm), supply(rm, rate_rm)
    q = min(d, s)
    half = Fraction(rate_rm - rate_mm, 2) * q
    bd = Fraction(rate_rm + rate_mm, 2)
    return half - max(0, d - q) * rate_mm, half - max(0, s - q) * bd


def is_equilibrium(mm: Report, rm: Report, outcome: Outcome) -> bool:
    """No dealer gains by offering its client another grid rate while the other keeps its
    offer (brute force over the grid)."""
    if not outcome.trade:
        return True
    mine_mm, mine_rm = profits(mm, rm, outcome.rate_mm, outcome.rate_rm)
    return all(profits(mm, rm, r, outcome.rate_rm)[0] <= mine_mm for r in mm.rates) and all(
        profits(mm, rm, outcome.rate_mm, r)[1] <= mine_rm for r in rm.rates
    )
