"""A peg market's parameters, with the spec's defaults.

Times are whole seconds. Fractions (band, fee, thresholds, discount) are Decimals in [0, 1)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.messages import added_field

__all__ = ["FEES_TO", "PegTerms"]

#: where a fee goes: ``connector`` (stays in the relay, so SPOT rises with volume and the fee
#: accrues to MMS holders: the spec's reading) or ``excess`` (kept as excess collateral)
FEES_TO = ("connector", "excess")

_ZERO, _ONE, _HALF = Decimal(0), Decimal(1), Decimal("0.5")


@dataclass(frozen=True, slots=True)
class PegTerms:
    #: target reserve ratio r: (C + X) / C at rest, so excess X = (r - 1) C
    ratio: Decimal = Decimal(4)
    #: base fee on every trade (PEG, COL and MMS), kept by the pool for MMS holders; it also
    #: caps how far one tick's correction may move SPOT, which is what makes a correction
    #: unprofitable to front-run (see :mod:`marketcraft.peg.correction`); 0 turns corrections off
    fee_rate: Decimal = Decimal("0.003")
    #: dynamic fee: a relay trade that moves SPOT further from the feed pays
    #: ``min(max_fee, fee_rate + fee_slope * |SPOT / feed - 1|)``; 0 keeps the fee fixed
    fee_slope: Decimal = Decimal(0)
    max_fee: Decimal = Decimal("0.05")
    #: SPOT may stray this far (relative) from the feed before a correction is due
    band: Decimal = Decimal("0.02")
    #: ... for this long (measured at ticks) ...
    delay_seconds: int = 86_400
    #: ... and the correction then aims to have SPOT at the feed this long after it starts
    correction_seconds: int = 3_600
    #: the feed is the median of the reports of the last ``feed_window_seconds``; with no report
    #: that recent the feed is stale and no correction runs
    feed_window_seconds: int = 86_400
    #: black swan when excess X falls to ``swan_enter`` of its target (r - 1) C; normal mode
    #: resumes once X is back to ``swan_exit`` of the target (the gap is the hysteresis)
    swan_enter: Decimal = Decimal("0.01")
    swan_exit: Decimal = Decimal("0.5")
    #: recovery-mode MMS purchases are priced this far below net asset value per MMS
    recovery_discount: Decimal = Decimal("0.10")
    col_decimals: int = 6
    peg_decimals: int = 6
    mms_decimals: int = 6
    #: where every fee (COL) goes: ``connector`` keeps it in the relay (the spec: SPOT rises
    #: with volume, the fee accrues to MMS holders), ``excess`` adds it to excess collateral.
    #: Markets stored before the term existed kept fees in excess and replay that way.
    fees_to: str = added_field("connector", absent="excess")
    #: the most one trade may put into the pool, as a share of what it trades against: a PEG
    #: buy's COL of the connector's COL, a PEG sale's PEG of the connector's PEG, an MMS buy's
    #: COL of the pool's COL (connector and excess). None: no limit, which is what markets
    #: stored before the term existed had, and how they replay
    max_trade_fraction: Decimal | None = added_field(Decimal("0.25"), absent=None)
    #: recovery ends only once the excess left after buying back and burning the PEG that
    #: takes SPOT to the feed would still be ``swan_exit`` of its target (see
    #: :mod:`marketcraft.peg.modes`), so the buy-back that follows cannot drain the market
    #: straight back into recovery. False: the excess ratio alone decides (markets stored
    #: before the term existed)
    swan_exit_after_burn: bool = added_field(True, absent=False)

    def __post_init__(self) -> None:
        self._check_fees()
        self._check_fractions()
        self._check_whole_numbers()
        if self.max_trade_fraction is not None and (
            not _decimal(self.max_trade_fraction) or not _ZERO < self.max_trade_fraction <= _ONE
        ):
            raise ValidationError("bad_terms", "max_trade_fraction must be in (0, 1] or None")
        if not isinstance(self.swan_exit_after_burn, bool):
            raise ValidationError("bad_terms", "swan_exit_after_burn must be true or false")

    def _check_fees(self) -> None:
        if not _decimal(self.ratio) or not self.ratio >= 1:
            raise ValidationError("bad_terms", "the target ratio must be a Decimal >= 1")
        if not _decimal(self.fee_rate) or not _ZERO <= self.fee_rate < _HALF:
            raise ValidationError("bad_terms", "the fee rate must be in [0, 0.5)")
        if not _decimal(self.max_fee) or not self.fee_rate <= self.max_fee < _HALF:
            raise ValidationError("bad_terms", "the maximum fee must be in [fee_rate, 0.5)")
        if self.fees_to not in FEES_TO:
            raise ValidationError("bad_terms", "fees_to must be 'connector' or 'excess'")

    def _check_fractions(self) -> None:
        for name in ("fee_slope", "band", "swan_enter", "swan_exit", "recovery_discount"):
            value = getattr(self, name)
            if not _decimal(value) or value < 0:
                raise ValidationError("bad_terms", f"{name} must be a Decimal >= 0")
        if not self.band < _ONE or not self.recovery_discount < _ONE:
            raise ValidationError("bad_terms", "the band and the discount must be below 1")
        if not self.swan_enter < self.swan_exit <= _ONE:
            raise ValidationError("bad_terms", "need swan_enter < swan_exit <= 1 (hysteresis)")

    def _check_whole_numbers(self) -> None:
        for name in ("delay_seconds", "correction_seconds", "feed_window_seconds"):
            if not _whole(getattr(self, name), 0, 10**9):
                raise ValidationError("bad_terms", f"{name} must be whole seconds >= 0")
        if self.feed_window_seconds == 0:
            raise ValidationError("bad_terms", "the feed window must be at least one second")
        for places in (self.col_decimals, self.peg_decimals, self.mms_decimals):
            if not _whole(places, 0, 18):
                raise ValidationError("bad_terms", "decimals must be whole numbers in 0..18")


def _decimal(value: object) -> bool:
    return isinstance(value, Decimal) and value.is_finite()


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
