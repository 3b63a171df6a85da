"""The band AMMs a program can choose, by name."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from marketcraft.amm.band import BandLMSR
from marketcraft.amm.curve import BandCurve
from marketcraft.amm.pmamm import PmAmm
from marketcraft.amm.v3range import RangePosition

__all__ = ["AmmKind", "curve_class", "curve_for_budget"]


class AmmKind(StrEnum):
    LMSR = "lmsr"  # LMSR restricted to the band (default)
    RANGE = "range"  # constant-product range position (Uniswap v3 style)
    PMAMM = "pmamm"  # pm-AMM restricted to the band (static)


_CURVES: dict[AmmKind, type[BandCurve]] = {
    AmmKind.LMSR: BandLMSR,
    AmmKind.RANGE: RangePosition,
    AmmKind.PMAMM: PmAmm,
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
    """The curve of ``kind`` whose worst-case sponsor loss over [pa, pb] is ``budget``."""
    return _CURVES[kind].for_budget(
        budget, pa, pb, share_decimals=share_decimals, cash_decimals=cash_decimals
    )
