"""Binary LMSR restricted to a probability band [pa, pb]: the opportunity markets' default AMM.

In the curve's terms (see :mod:`marketcraft.amm.curve`) the state is ``s = logit(p)``, the
liquidity is ``b`` and the potential is ``G(s) = ln(1 + e^s)`` (so ``G'(s) = p``). From this:

* shares to move p -> p':  ``b * (logit(p') - logit(p))``
* cash for that move:      ``b * ln((1 - p) / (1 - p'))``
* shares for cash c at p:  ``b * ln((e^(c/b) - 1 + p) / p)``
* loss if YES wins at P:   ``b * ln(P / pa)``, so a loss budget B gives ``b = B / ln(pb / pa)``.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property, lru_cache

from gmpy2 import mpfr

from marketcraft.amm.curve import BandCurve, check_band
from marketcraft.kernel.decmath import BINARY, exp, from_binary, ln, to_binary
from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.money import with_money_context

__all__ = ["BandLMSR", "liquidity_for_budget"]

_ONE = Decimal(1)
_BIN_ONE = mpfr(1)
#: how far (in state units) a buy's cost uses the Taylor expansion of G instead of exp/ln
_TAYLOR_REACH = Decimal("1e-7")


@with_money_context
def liquidity_for_budget(budget: Decimal, pa: Decimal, pb: Decimal) -> Decimal:
    """``b = B / ln(pb / pa)``: the liquidity whose worst-case loss over the band is ``budget``."""
    check_band(pa, pb)
    if budget <= 0:
        raise ValidationError("bad_budget", "the loss budget must be > 0")
    return budget / ln(pb / pa)


class BandLMSR(BandCurve):
    """LMSR in a band; ``scale`` is the LMSR liquidity ``b``."""

    @property
    def b(self) -> Decimal:
        return self.scale

    @classmethod
    def scale_for_budget(cls, budget: Decimal, pa: Decimal, pb: Decimal) -> Decimal:
        # The closed form is exact; the generic formula agrees to the last digits.
        return liquidity_for_budget(budget, pa, pb)

    @staticmethod
    @lru_cache(maxsize=1024)
    @with_money_context
    def state_of_price(p: Decimal) -> Decimal:
        return ln(p / (_ONE - p))

    @staticmethod
    @lru_cache(maxsize=16384)
    @with_money_context
    def price_of_state(s: Decimal) -> Decimal:
        return _ONE / (_ONE + exp(-s))

    @staticmethod
    @lru_cache(maxsize=16384)
    @with_money_context
    def potential(s: Decimal) -> Decimal:
        return ln(_ONE + exp(s))

    @staticmethod
    @with_money_context
    def state_of_potential(g: Decimal) -> Decimal:
        return ln(exp(g) - _ONE)

    @staticmethod
    @lru_cache(maxsize=16384)
    def binary_odds(s: Decimal) -> mpfr:
        """e^s = p / (1 - p) at 150 bits (see :mod:`marketcraft.kernel.decmath`)."""
        return BINARY.exp(to_binary(s))

    @staticmethod
    def odds(s: Decimal) -> Decimal:
        """e^s = p / (1 - p)."""
        return from_binary(BandLMSR.binary_odds(s))

    @cached_property
    def binary_scale(self) -> mpfr:
        return to_binary(self.scale)

    @with_money_context
    def cash_between(self, s0: Decimal, s1: Decimal) -> Decimal:
        # b * ln((1 + e^s1) / (1 + e^s0)), in binary, rounded once at the end.
        odds0, odds1 = self.binary_odds(s0), self.binary_odds(s1)
        ratio = BINARY.div(BINARY.add(_BIN_ONE, odds1), BINARY.add(_BIN_ONE, odds0))
        return from_binary(BINARY.mul(self.binary_scale, BINARY.log(ratio)))

    @with_money_context
    def reach_with_cash(
        self, s: Decimal, cash: Decimal, ceiling: Decimal
    ) -> tuple[Decimal, Decimal | None, object] | None:
        # G(s') = G(s) + c/b  <=>  e^s' = (1 + e^s) e^(c/b) - 1: one exp and one ln. The ceiling
        # is compared in odds space; the odds are the hint for potential_step.
        growth = BINARY.exp(BINARY.div(to_binary(cash), self.binary_scale))
        odds = BINARY.sub(BINARY.mul(BINARY.add(_BIN_ONE, self.binary_odds(s)), growth), _BIN_ONE)
        if odds >= self.binary_odds(ceiling):
            return None
        return from_binary(BINARY.log(odds)), None, odds

    @with_money_context
    def potential_step(self, s0: Decimal, g0: Decimal | None, hint: object, s1: Decimal) -> Decimal:
        d = s1 - s0
        if not isinstance(hint, mpfr) or abs(d) > _TAYLOR_REACH:
            return self.cash_between(s0, s1) / self.scale
        # Derivatives of G at s0, with p the price there: p, p(1-p), p(1-p)(1-2p) and
        # p(1-p)(1-6p+6p^2). For |d| <= 1e-7 the first omitted term is below 1e-36.
        p = from_binary(BINARY.div(hint, BINARY.add(hint, _BIN_ONE)))
        q = p * (_ONE - p)
        d3 = q * (1 - 2 * p) / 6
        d4 = q * (1 - 6 * p + 6 * p * p) / 24
        return d * (p + d * (q / 2 + d * (d3 + d * d4)))

    @classmethod
    @with_money_context
    def state_of_no_potential(cls, h: Decimal, lo: Decimal, hi: Decimal) -> Decimal:
        # H(s) = s - ln(1 + e^s) = ln(sigmoid(s)), so s = logit(e^h).
        p = exp(h)
        return ln(p / (_ONE - p))
