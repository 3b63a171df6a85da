"""Binary LMSR restricted to a probability band [pa, pb]: the opportunity markets' default AMM.

State is ``x``, the net YES shares sold since the market opened at price ``pa``. With liquidity
``b`` the price is ``p(x) = sigmoid(logit(pa) + x / b)`` and the cost function is
``C(x) = b * ln(1 + exp(logit(pa) + x / b))`` (so ``dC/dx = p``). From this:

* shares to move p -> p':  ``b * (logit(p') - logit(p))``
* cash for that move:      ``b * ln((1 - p) / (1 - p'))``
* loss if YES wins at P:   ``b * ln(P / pa)``, so a loss budget B gives ``b = B / ln(pb / pa)``.

Trades are clipped at the band: ``0 <= x <= x_max = b * (logit(pb) - logit(pa))``.

Rounding always favours the pool: shares a buyer receives are rounded **down** to the share
unit, the cash the buyer pays is the exact cost of those shares rounded **up**; shares sold are
exact and the proceeds rounded **down**. Hence the sponsor's loss never exceeds B, and a buy
followed by a sell of the same shares never profits the trader.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.money import quantize_down, quantize_up, with_money_context

__all__ = [
    "BandFill",
    "BandLMSR",
    "liquidity_for_budget",
]

_ONE = Decimal(1)


def _logit(p: Decimal) -> Decimal:
    return (p / (_ONE - p)).ln()


def _check_band(pa: Decimal, pb: Decimal) -> None:
    if not Decimal(0) < pa < pb < _ONE:
        raise ValidationError("bad_band", "the band needs 0 < pa < pb < 1")


@with_money_context
def liquidity_for_budget(budget: Decimal, pa: Decimal, pb: Decimal) -> Decimal:
    """``b = B / ln(pb / pa)``: the liquidity whose worst-case loss over the band is ``budget``."""
    _check_band(pa, pb)
    if budget <= 0:
        raise ValidationError("bad_budget", "the loss budget must be > 0")
    return budget / (pb / pa).ln()


@dataclass(frozen=True, slots=True)
class BandFill:
    """The result of one trade against the band.

    ``shares`` and ``cash`` are non-negative magnitudes: for a buy the trader receives ``shares``
    and pays ``cash``; for a sell the trader gives ``shares`` and receives ``cash``. ``clipped``
    says the band edge stopped the trade short of what was asked."""

    shares: Decimal
    cash: Decimal
    x_after: Decimal
    clipped: bool


@dataclass(frozen=True, slots=True)
class BandLMSR:
    """A binary LMSR in [pa, pb] with liquidity ``b``; shares and cash quantised to the given
    decimal places."""

    b: Decimal
    pa: Decimal
    pb: Decimal
    share_decimals: int = 6
    cash_decimals: int = 2

    def __post_init__(self) -> None:
        _check_band(self.pa, self.pb)
        if self.b <= 0:
            raise ValidationError("bad_liquidity", "liquidity b must be > 0")

    @classmethod
    def for_budget(
        cls,
        budget: Decimal,
        pa: Decimal,
        pb: Decimal,
        share_decimals: int = 6,
        cash_decimals: int = 2,
    ) -> BandLMSR:
        return cls(liquidity_for_budget(budget, pa, pb), pa, pb, share_decimals, cash_decimals)

    # -- exact curve ------------------------------------------------------------------------------
    @with_money_context
    def capacity(self) -> Decimal:
        """``x_max``: YES shares a full traverse of the band sells (exact)."""
        return self.b * (_logit(self.pb) - _logit(self.pa))

    @with_money_context
    def price(self, x: Decimal) -> Decimal:
        """The YES price after ``x`` net shares sold, clamped to [pa, pb] (trades keep x in
        [0, x_max], so the clamp only removes last-digit noise at the edges)."""
        if x == 0:
            return self.pa
        z = _logit(self.pa) + x / self.b
        return min(max(_ONE / (_ONE + (-z).exp()), self.pa), self.pb)

    @with_money_context
    def shares_to_price(self, p: Decimal) -> Decimal:
        """``x`` at which the price is ``p`` (exact)."""
        return self.b * (_logit(p) - _logit(self.pa))

    @with_money_context
    def cash_between(self, x0: Decimal, x1: Decimal) -> Decimal:
        """``C(x1) - C(x0)`` (exact; negative when x1 < x0)."""
        z0 = _logit(self.pa) + x0 / self.b
        z1 = _logit(self.pa) + x1 / self.b
        return self.b * ((_ONE + z1.exp()) / (_ONE + z0.exp())).ln()

    @with_money_context
    def loss_if_yes(self, x: Decimal) -> Decimal:
        """The sponsor's exact loss if YES wins after ``x`` net shares sold: ``b ln(p(x)/pa)``."""
        return self.b * (self.price(x) / self.pa).ln()

    @with_money_context
    def max_loss(self) -> Decimal:
        """Worst-case sponsor loss, at the top of the band: ``b ln(pb/pa)``."""
        return self.b * (self.pb / self.pa).ln()

    @with_money_context
    def shares_for_cash(self, x: Decimal, cash: Decimal) -> Decimal:
        """Exact shares ``cash`` buys at ``x``, ignoring the band.

        ``b ln((e^(c/b) - 1 + p) / p)`` with ``p`` the price at ``x``."""
        p = self.price(x)
        return self.b * (((cash / self.b).exp() - _ONE + p) / p).ln()

    # -- rounded trades -----------------------------------------------------------------------
    def _check_x(self, x: Decimal) -> None:
        if x < 0 or x != quantize_down(x, self.share_decimals):
            raise ValidationError(
                "bad_state", "x must be a non-negative whole number of share units"
            )

    def buy_with_cash(self, x: Decimal, cash: Decimal) -> BandFill:
        """Spend at most ``cash`` on YES at state ``x``; shares rounded down, cost rounded up."""
        self._check_x(x)
        if cash < 0 or cash != quantize_down(cash, self.cash_decimals):
            raise ValidationError("bad_amount", "cash must be a non-negative whole number of units")
        room = quantize_down(self.capacity() - x, self.share_decimals)
        wanted = (
            quantize_down(self.shares_for_cash(x, cash), self.share_decimals)
            if cash
            else Decimal(0)
        )
        return self._buy(x, min(wanted, max(room, Decimal(0))), clipped=wanted > room)

    def buy_shares(self, x: Decimal, shares: Decimal) -> BandFill:
        """Buy exactly ``shares`` YES (fewer if the band's top clips it); cost rounded up."""
        self._check_x(x)
        if shares < 0 or shares != quantize_down(shares, self.share_decimals):
            raise ValidationError(
                "bad_amount", "shares must be a non-negative whole number of units"
            )
        room = max(quantize_down(self.capacity() - x, self.share_decimals), Decimal(0))
        return self._buy(x, min(shares, room), clipped=shares > room)

    def _buy(self, x: Decimal, shares: Decimal, *, clipped: bool) -> BandFill:
        cost = (
            quantize_up(self.cash_between(x, x + shares), self.cash_decimals)
            if shares
            else Decimal(0)
        )
        return BandFill(shares, cost, x + shares, clipped)

    def sell_shares(self, x: Decimal, shares: Decimal) -> BandFill:
        """Sell ``shares`` YES back (fewer if the band's bottom clips it); proceeds rounded down."""
        self._check_x(x)
        if shares < 0 or shares != quantize_down(shares, self.share_decimals):
            raise ValidationError(
                "bad_amount", "shares must be a non-negative whole number of units"
            )
        sold = min(shares, x)
        proceeds = (
            quantize_down(self.cash_between(x - sold, x), self.cash_decimals)
            if sold
            else Decimal(0)
        )
        return BandFill(sold, proceeds, x - sold, sold < shares)
