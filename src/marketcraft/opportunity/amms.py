"""The band AMMs a program can choose, by name.

Every kind trades on a :class:`~marketcraft.amm.curve.BandCurve`. The static kinds keep one
curve for the market's whole window; the dynamic pm-AMM's liquidity decays as
``L sqrt(T - t)`` (T the program's window, t the time since the market opened), so the curve in
force depends on the moment of the trade, which the engine takes from the decision's context.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from marketcraft.amm.band import BandLMSR
from marketcraft.amm.curve import BandCurve
from marketcraft.amm.pmamm import DynamicPmAmm, PmAmm
from marketcraft.amm.v3range import RangePosition

__all__ = ["AmmKind", "curve_class", "curve_for_budget", "dynamic_amm", "liquidity_for_budget"]


class AmmKind(StrEnum):
    """The market maker each market of a program prices with."""

    LMSR = "lmsr"  # LMSR restricted to the band (default)
    RANGE = "range"  # constant-product range position (Uniswap v3 style)
    PMAMM = "pmamm"  # pm-AMM restricted to the band (static)
    #: pm-AMM restricted to the band whose liquidity decays as L sqrt(T - t) over the window
    PMAMM_DYNAMIC = "pmamm_dynamic"


_CURVES: dict[AmmKind, type[BandCurve]] = {
    AmmKind.LMSR: BandLMSR,
    AmmKind.RANGE: RangePosition,
    AmmKind.PMAMM: PmAmm,
    AmmKind.PMAMM_DYNAMIC: PmAmm,  # its curve at any one moment
}


def curve_class(kind: AmmKind) -> type[BandCurve]:
    return _CURVES[kind]


def curve_for_budget(
    kind: AmmKind,
    budget: Decimal,
    pa: Decimal,
    pb: Decimal,
    *,
    share_decimals: int = 6,
    cash_decimals: int = 2,
) -> BandCurve:
    """The curve of ``kind`` whose worst-case sponsor loss over [pa, pb] is ``budget``: for the
    dynamic pm-AMM, the curve at the window's opening (whose loss bounds every later path)."""
    return _CURVES[kind].for_budget(
        budget, pa, pb, share_decimals=share_decimals, cash_decimals=cash_decimals
    )


def liquidity_for_budget(
    kind: AmmKind, budget: Decimal, pa: Decimal, pb: Decimal, window_seconds: int
) -> Decimal:
    """The liquidity parameter a market is listed with: the curve's scale for a static kind;
    for the dynamic pm-AMM its ``L`` per square root of a second,
    ``B / (D sqrt(window_seconds))`` rounded down (see :mod:`marketcraft.amm.pmamm`)."""
    if kind is AmmKind.PMAMM_DYNAMIC:
        return DynamicPmAmm.liquidity_for_budget(budget, pa, pb, Decimal(window_seconds))
    return _CURVES[kind].scale_for_budget(budget, pa, pb)


def dynamic_amm(
    kind: AmmKind,
    liquidity: Decimal,
    pa: Decimal,
    pb: Decimal,
    window_seconds: int,
    *,
    share_decimals: int = 6,
    cash_decimals: int = 2,
) -> DynamicPmAmm | None:
    """The time-dependent AMM of a market listed with ``liquidity``, or None for a static kind."""
    if kind is not AmmKind.PMAMM_DYNAMIC:
        return None
    return DynamicPmAmm(liquidity, pa, pb, Decimal(window_seconds), share_decimals, cash_decimals)
