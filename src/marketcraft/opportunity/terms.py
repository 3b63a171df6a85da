"""A program's terms, fixed when it opens: the sponsor's commitments, enforced by the engine."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from marketcraft.amm.curve import check_band
from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.messages import added_field
from marketcraft.kernel.money import quantize_down
from marketcraft.opportunity.amms import AmmKind

__all__ = [
    "LATE_REVEAL_DEFAULT",
    "RULES",
    "CollateralMode",
    "FeePolicy",
    "ProgramTerms",
    "RevealPolicy",
    "Side",
    "Token",
]

#: the engine's rules for programs opened now. A program keeps the rules it opened under, so a
#: stored program decides the same way whenever it is replayed or audited:
#:
#: 1. programs stored before ``rules`` existed: a scout's creation bond came back on its
#:    market's first order (which told the creator that someone ordered), and settlement paid
#:    the sponsor's collateral out of the program;
#: 2. the bond comes back when the market's window closes, whoever ordered; settlement leaves
#:    the collateral for the sponsor to withdraw, and a settled program can be closed.
RULES = 2
#: SIZE_THRESHOLD's default delay, after a market's window, before its large orders show
LATE_REVEAL_DEFAULT = 30 * 86400


class Side(StrEnum):
    """Buy or sell."""

    BUY = "buy"
    SELL = "sell"


class Token(StrEnum):
    """The share traded: YES pays 1 if the opportunity happens, NO pays 1 if it does not."""

    YES = "yes"  # pays 1 if the opportunity happens
    NO = "no"  # pays 1 if it does not


class CollateralMode(StrEnum):
    """How the sponsor's deposit backs its markets' worst-case losses."""

    #: each market's loss budget is reserved from the sponsor's deposit when it is listed
    UNLIMITED = "unlimited"
    #: one shared pool of N x the per-market budget; only the first N markets acted on are YES
    FIRST_N = "first_n"


class FeePolicy(StrEnum):
    """Where a program's trading fees go at settlement."""

    REFUND_PRO_RATA_FEES = "refund_fees"  # back to traders, pro rata to fees paid
    REFUND_PRO_RATA_VOLUME = "refund_volume"  # back to traders, pro rata to cash traded
    ROLL_TO_NEXT_PROGRAM = "roll"  # kept as liquidity for the sponsor's next program


class RevealPolicy(StrEnum):
    """What the public (everyone but the sponsor and an order's own scout) learns of a market
    after its window; see :mod:`marketcraft.opportunity.visibility`.

    * PUBLIC_ALL: at the reveal, the final price and every order's fill.
    * PER_TRADER: never anything; each scout sees only its own fills.
    * SIZE_THRESHOLD: at the reveal, the orders of at most ``reveal_threshold`` cash, as a
      count and a total only; ``late_reveal_seconds`` after the window closes, each order above
      the threshold, one by one, and the final price. Until then nothing is shown of the large
      orders, not even how many there are (nor the final price, which they moved).
    """

    PUBLIC_ALL = "public_all"
    PER_TRADER = "per_trader"
    SIZE_THRESHOLD = "size_threshold"


@dataclass(frozen=True, slots=True)
class ProgramTerms:
    """Everything a sponsor commits to up front. Amounts are in the program's cash asset."""

    market_budget: Decimal  # loss budget B of each market
    pa: Decimal = Decimal("0.01")
    pb: Decimal = Decimal("0.30")
    #: the band AMM: LMSR, a constant-product range, or the pm-AMM, static or dynamic (its
    #: liquidity decays as L sqrt(T - t), T = window_seconds, t = time since the market opened)
    amm: AmmKind = AmmKind.LMSR
    window_seconds: int = 14 * 86400
    fee_rate: Decimal = Decimal("0.01")  # 1% of the cash traded
    fee_policy: FeePolicy = FeePolicy.REFUND_PRO_RATA_FEES
    reveal_policy: RevealPolicy = RevealPolicy.PER_TRADER
    collateral: CollateralMode = CollateralMode.UNLIMITED
    first_n: int = 0  # N, for FIRST_N collateral
    #: SIZE_THRESHOLD: an order whose AMM cash is above this is revealed late, one by one
    reveal_threshold: Decimal = Decimal(0)
    #: paid by a scout listing a market: refunded when the market's window closes, forfeited to
    #: the traders if the sponsor rejects the market. Not 0 by default, so spam costs money.
    creation_bond: Decimal = Decimal(25)
    approval_required: bool = False  # community listings wait for the sponsor's approval
    cash_decimals: int = 2
    share_decimals: int = 6
    #: scouts may list markets (with the bond, and the sponsor's approval if required); off,
    #: only the sponsor lists. Added after programs were stored: programs without it had it on.
    community_listing: bool = added_field(True)
    #: the engine rules the program runs under (see :data:`RULES`); programs stored before the
    #: field existed ran under rules 1
    rules: int = added_field(RULES, absent=1)
    #: SIZE_THRESHOLD: how long after a market's window closes its large orders (and its final
    #: price) are revealed. Added after programs were stored: those read it as 30 days.
    late_reveal_seconds: int = added_field(LATE_REVEAL_DEFAULT)

    def __post_init__(self) -> None:
        check_band(self.pa, self.pb)
        for name in ("market_budget", "creation_bond", "reveal_threshold"):
            value = getattr(self, name)
            if value < 0 or value != quantize_down(value, self.cash_decimals):
                raise ValidationError("bad_terms", f"{name} must be >= 0 in whole cash units")
        if self.market_budget <= 0:
            raise ValidationError("bad_terms", "market_budget must be > 0")
        if self.window_seconds <= 0:
            raise ValidationError("bad_terms", "window_seconds must be > 0")
        if self.late_reveal_seconds < 0:
            raise ValidationError("bad_terms", "late_reveal_seconds must be >= 0")
        if not Decimal(0) <= self.fee_rate < Decimal("0.5"):
            raise ValidationError("bad_terms", "fee_rate must be in [0, 0.5)")
        if self.community_listing and not self.creation_bond and not self.approval_required:
            raise ValidationError(
                "bad_terms",
                "community_listing needs a creation_bond > 0 or approval_required, "
                "or anyone could list markets at no cost",
            )
        if self.rules not in (1, RULES):
            raise ValidationError("bad_terms", f"rules must be 1 or {RULES}")
        if self.collateral is CollateralMode.FIRST_N and self.first_n < 1:
            raise ValidationError("bad_terms", "FIRST_N collateral needs first_n >= 1")

    def required_deposit(self) -> Decimal:
        """The deposit FIRST_N needs up front (UNLIMITED needs one budget per market listed)."""
        if self.collateral is CollateralMode.FIRST_N:
            return self.market_budget * self.first_n
        return self.market_budget
