"""Pure pricing math for automated market makers, one concept per module, Decimal throughout.

Every rounding is named and favours the pool (costs up, payouts down).
"""

from marketcraft.amm import bancor, lmsr, normal
from marketcraft.amm.band import BandLMSR
from marketcraft.amm.curve import BandCurve, Fill
from marketcraft.amm.pmamm import DynamicPmAmm, PmAmm
from marketcraft.amm.v3range import RangePosition

__all__ = [
    "BandCurve",
    "BandLMSR",
    "DynamicPmAmm",
    "Fill",
    "PmAmm",
    "RangePosition",
    "bancor",
    "lmsr",
    "normal",
]
