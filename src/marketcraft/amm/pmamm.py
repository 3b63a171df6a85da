"""pm-AMM (Moallemi & Robinson, 2024) restricted to a band, static and dynamic.

The pool holds YES and NO outcome tokens (x, y) on the invariant
``(y - x) Phi((y - x) / L) + L phi((y - x) / L) - y = 0`` with price ``P = Phi((y - x) / L)``.
Writing ``z = (y - x) / L``: ``y = L (z Phi(z) + phi(z))`` and ``x = y - L z``. A buy of YES with
cash c mints c complete sets, puts the c NO into the pool (y += c) and takes YES out; the scout
receives c plus the YES drained. In the curve's terms (see :mod:`marketcraft.amm.curve`) the
state is ``z``, shares between states are ``L (z1 - z0)`` and cash is ``L (G(z1) - G(z0))`` with
``G(z) = z Phi(z) + phi(z)`` (``G'(z) = Phi(z) = P``).

Dynamic pm-AMM: the liquidity decays as ``L_t = L sqrt(T - t)`` over a window of length T; the
state z (the price) carries across time, and the pool's reserves shrink with ``L_t`` (the
paper's LP withdraws them; here nothing moves: shares are minted per trade, so only the fills
change). A trade at time t is the static curve's trade at liquidity ``L_t``, so the sponsor's
loss if YES wins is ``sum_i L_i (H(z_(i+1)) - H(z_i))`` with ``H(z) = z - G(z)`` increasing and
``L_i`` non-increasing. By Abel summation, with every ``H(z_i)`` in ``[H(za), H(zb)]`` and the
path starting at ``za``, that sum is at most ``L_0 (H(zb) - H(za)) = L_0 D`` (D the band's loss
per unit of liquidity): the worst case is a full traverse at the opening. A budget B therefore
sets ``L = B / (D sqrt(T))``. (If NO wins the sponsor loses ``-sum_i L_i (G(z_(i+1)) - G(z_i))
<= 0`` by the same argument.)

Rounding favours the pool: ``L`` and each ``L_t`` are rounded down (toward zero), so the
liquidity in force never exceeds the exact ``L sqrt(T - t)``, never rises from one moment to
the next, and never exceeds the opening liquidity of the static curve for the same budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from functools import lru_cache

from marketcraft.amm.curve import BandCurve, check_band
from marketcraft.amm.normal import cdf, inverse_cdf, pdf
from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.money import MONEY_CONTEXT, with_money_context

__all__ = ["DynamicPmAmm", "PmAmm"]

_EPS = Decimal("1e-33")
#: the money context's precision, rounding toward zero: for the liquidity parameters
_FLOOR = MONEY_CONTEXT.copy()
_FLOOR.rounding = ROUND_FLOOR


@with_money_context
def _g(z: Decimal) -> Decimal:
    return z * cdf(z) + pdf(z)


class PmAmm(BandCurve):
    """Static pm-AMM in a band; ``scale`` is the liquidity ``L``."""

    @staticmethod
    @lru_cache(maxsize=1024)
    @with_money_context
    def state_of_price(p: Decimal) -> Decimal:
        return inverse_cdf(p)

    @staticmethod
    @lru_cache(maxsize=16384)
    @with_money_context
    def price_of_state(s: Decimal) -> Decimal:
        return cdf(s)

    @staticmethod
    @lru_cache(maxsize=16384)
    @with_money_context
    def potential(s: Decimal) -> Decimal:
        return _g(s)

    @staticmethod
    @with_money_context
    def state_of_potential(g: Decimal) -> Decimal:
        # G is increasing and convex: Newton from a point right of the root converges
        # monotonically from above.
        if g <= 0:
            raise ValidationError("out_of_range", "G(z) is always > 0")
        z = max(g, Decimal(1))
        for _ in range(400):
            step = (_g(z) - g) / cdf(z)
            z -= step
            if abs(step) < _EPS:
                return z
        raise ArithmeticError("pm-AMM inverse did not converge")  # pragma: no cover

    @with_money_context
    def reserves(self, s: Decimal) -> tuple[Decimal, Decimal]:
        """(YES, NO) the pool holds at state ``s``: ``y = L G(z)``, ``x = y - L z``."""
        y = self.scale * _g(s)
        return y - self.scale * s, y


@dataclass(frozen=True)
class DynamicPmAmm:
    """pm-AMM whose liquidity decays as ``L sqrt(T - t)``; :meth:`at` gives the curve at time t.

    ``liquidity`` is the paper's ``L`` (liquidity per square root of a time unit); ``horizon``
    (T) and elapsed time are in one unit of the caller's choosing (the engine: seconds)."""

    liquidity: Decimal
    pa: Decimal
    pb: Decimal
    horizon: Decimal
    share_decimals: int = 6
    cash_decimals: int = 2

    def __post_init__(self) -> None:
        check_band(self.pa, self.pb)
        if self.liquidity <= 0 or self.horizon <= 0:
            raise ValidationError("bad_liquidity", "liquidity and horizon must be > 0")

    @classmethod
    def liquidity_for_budget(
        cls, budget: Decimal, pa: Decimal, pb: Decimal, horizon: Decimal
    ) -> Decimal:
        """``L = B / (D sqrt(T))``, rounded down: the worst-case loss is at most ``budget``."""
        if horizon <= 0:
            raise ValidationError("bad_horizon", "the window length must be > 0")
        opening = PmAmm.scale_for_budget(budget, pa, pb)  # B / D
        return _FLOOR.divide(opening, _FLOOR.sqrt(horizon))

    @classmethod
    def for_budget(
        cls,
        budget: Decimal,
        pa: Decimal,
        pb: Decimal,
        horizon: Decimal,
        *,
        share_decimals: int = 6,
        cash_decimals: int = 2,
    ) -> DynamicPmAmm:
        liquidity = cls.liquidity_for_budget(budget, pa, pb, horizon)
        return cls(liquidity, pa, pb, horizon, share_decimals, cash_decimals)

    def scale_at(self, elapsed: Decimal) -> Decimal:
        """``L_t = L sqrt(T - t)``, rounded down; ValidationError outside ``[0, T)``."""
        if not 0 <= elapsed < self.horizon:
            raise ValidationError("window_closed", "the pm-AMM trades only inside its window")
        return _FLOOR.multiply(self.liquidity, _FLOOR.sqrt(_FLOOR.subtract(self.horizon, elapsed)))

    def at(self, elapsed: Decimal) -> PmAmm:
        """The static curve in force ``elapsed`` time units into the window."""
        scale = self.scale_at(elapsed)
        return PmAmm(scale, self.pa, self.pb, self.share_decimals, self.cash_decimals)

    def max_loss(self) -> Decimal:
        """Worst-case sponsor loss over any path: that of the curve at t = 0."""
        return self.at(Decimal(0)).max_loss()
