"""A peg market's parameters, with the spec's defaults."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from marketcraft.kernel.errors import ValidationError

__all__ = ["PegTerms"]


@dataclass(frozen=True, slots=True)
class PegTerms:
    #: target reserve ratio r: (C + X) / C at rest, so excess X = (r - 1) C
    ratio: Decimal = Decimal(4)
    #: fee on every trade (PEG, COL and MMS), kept by the pool for MMS holders
    fee_rate: Decimal = Decimal("0.003")
    col_decimals: int = 6
    peg_decimals: int = 6
    mms_decimals: int = 6

    def __post_init__(self) -> None:
        if not isinstance(self.ratio, Decimal) or not self.ratio >= 1:
            raise ValidationError("bad_terms", "the target ratio must be a Decimal >= 1")
        if not isinstance(self.fee_rate, Decimal) or not Decimal(0) <= self.fee_rate < Decimal(
            "0.5"
        ):
            raise ValidationError("bad_terms", "the fee rate must be in [0, 0.5)")
        for places in (self.col_decimals, self.peg_decimals, self.mms_decimals):
            if isinstance(places, bool) or not isinstance(places, int) or not 0 <= places <= 18:
                raise ValidationError("bad_terms", "decimals must be whole numbers in 0..18")
