"""A Uniswap-v3-style constant-product range position on YES/cash inside [pa, pb].

Price P is cash per YES. With liquidity L the position holds
``YES = L (1/sqrt(P) - 1/sqrt(pb))`` and ``cash = L (sqrt(P) - sqrt(pa))``: at pa it is all YES,
at pb all cash. In the curve's terms (see :mod:`marketcraft.amm.curve`) the state is
``s = -1/sqrt(P)``, so shares between states are ``L * (s1 - s0)`` and cash is
``L * (G(s1) - G(s0))`` with ``G(s) = -1/s = sqrt(P)`` and ``G'(s) = 1/s^2 = P``.

Loss if YES wins at P: ``L * ((1/sqrt(pa) - 1/sqrt(P)) - (sqrt(P) - sqrt(pa)))``; a loss budget
B sets ``L = B / ((1/sqrt(pa) - 1/sqrt(pb)) - (sqrt(pb) - sqrt(pa)))``.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from marketcraft.amm.curve import BandCurve
from marketcraft.kernel.money import with_money_context

__all__ = ["RangePosition"]

_ONE = Decimal(1)


class RangePosition(BandCurve):
    """A concentrated-liquidity range position; ``scale`` is the liquidity ``L``."""

    @staticmethod
    @lru_cache(maxsize=1024)
    @with_money_context
    def state_of_price(p: Decimal) -> Decimal:
        return -_ONE / p.sqrt()

    @staticmethod
    @lru_cache(maxsize=16384)
    @with_money_context
    def price_of_state(s: Decimal) -> Decimal:
        return _ONE / (s * s)

    @staticmethod
    @lru_cache(maxsize=16384)
    @with_money_context
    def potential(s: Decimal) -> Decimal:
        return -_ONE / s

    @staticmethod
    @with_money_context
    def state_of_potential(g: Decimal) -> Decimal:
        return -_ONE / g

    @with_money_context
    def reserves(self, s: Decimal) -> tuple[Decimal, Decimal]:
        """(YES, cash) the position holds at state ``s`` (exact)."""
        return self.shares_between(s, self.top_state), self.cash_between(self.open_state, s)
