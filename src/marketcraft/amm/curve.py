"""A band AMM as ``scale * G(s)``: the one shape shared by the LMSR band, the Uniswap-v3-style
range position and the pm-AMM.

Each design picks a state coordinate ``s`` and a convex potential ``G`` with ``G'(s) = price``:

* YES shares between two states:  ``scale * (s1 - s0)``
* cash between two states:        ``scale * (G(s1) - G(s0))``
* sponsor loss if YES wins at s:  ``shares_between(sa, s) - cash_between(sa, s)``

where ``sa``/``sb`` are the states at the band's edges pa/pb. A loss budget ``B`` therefore sets
``scale = B / ((sb - sa) - (G(sb) - G(sa)))``, and every trade is clipped to ``sa <= s <= sb``.

Rounding always favours the pool. Shares a buyer receives are rounded **down** to the share
unit after subtracting a tiny guard (``GUARD``, far above the 40-digit arithmetic error) so that
no computed value can round in the trader's favour; the cash a buyer pays is rounded **up**; the
cash a seller receives is rounded **down**. So the sponsor's loss never exceeds ``B``, a buy
never costs more than the cash offered, and a round trip never profits the trader.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Self

from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.money import quantize_down, quantize_up, with_money_context

__all__ = ["GUARD", "BandCurve", "Fill"]

_NEWTON_TOL = Decimal("1e-33")

#: subtracted before rounding shares down, so arithmetic error (~1e-30 at the largest sizes
#: under the 40-digit context) never rounds in a trader's favour; far below a share unit
GUARD = Decimal("1e-24")
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Fill:
    """One trade's result. ``shares`` and ``cash`` are non-negative magnitudes: a buyer receives
    ``shares`` and pays ``cash``; a seller gives ``shares`` and receives ``cash``. ``clipped``
    says a band edge stopped the trade short of what was asked."""

    shares: Decimal
    cash: Decimal
    state_after: Decimal
    clipped: bool


@dataclass(frozen=True)
class BandCurve(ABC):
    """A band AMM with liquidity ``scale`` in [pa, pb]; amounts quantised to the given places."""

    scale: Decimal
    pa: Decimal
    pb: Decimal
    share_decimals: int = 6
    cash_decimals: int = 2

    # -- the design: a coordinate and a potential, all scale-free ---------------------------------
    @staticmethod
    @abstractmethod
    def state_of_price(p: Decimal) -> Decimal: ...

    @staticmethod
    @abstractmethod
    def price_of_state(s: Decimal) -> Decimal: ...

    @staticmethod
    @abstractmethod
    def potential(s: Decimal) -> Decimal:
        """G(s), increasing and convex, with G'(s) = price_of_state(s)."""

    @staticmethod
    @abstractmethod
    def state_of_potential(g: Decimal) -> Decimal:
        """The inverse of G."""

    @classmethod
    @with_money_context
    def no_potential(cls, s: Decimal) -> Decimal:
        """H(s) = s - G(s), increasing (H' = 1 - price): the cost of NO is scale * dH."""
        return s - cls.potential(s)

    @classmethod
    @with_money_context
    def state_of_no_potential(cls, h: Decimal, lo: Decimal, hi: Decimal) -> Decimal:
        """The s in [lo, hi] with H(s) = h, by bracketed Newton (designs may override)."""
        s = hi
        for _ in range(200):
            f = cls.no_potential(s) - h
            if f > 0:
                hi = s
            else:
                lo = s
            step = f / (1 - cls.price_of_state(s))
            candidate = s - step
            if not lo <= candidate <= hi:
                candidate = (lo + hi) / 2
            if abs(candidate - s) < _NEWTON_TOL:
                return candidate
            s = candidate
        raise ArithmeticError("H inverse did not converge")  # pragma: no cover

    # -- construction -------------------------------------------------------------------------
    def __post_init__(self) -> None:
        check_band(self.pa, self.pb)
        if self.scale <= 0:
            raise ValidationError("bad_liquidity", "liquidity must be > 0")

    @classmethod
    @with_money_context
    def scale_for_budget(cls, budget: Decimal, pa: Decimal, pb: Decimal) -> Decimal:
        """The liquidity whose worst-case sponsor loss over the band is exactly ``budget``."""
        check_band(pa, pb)
        if budget <= 0:
            raise ValidationError("bad_budget", "the loss budget must be > 0")
        sa, sb = cls.state_of_price(pa), cls.state_of_price(pb)
        return budget / ((sb - sa) - (cls.potential(sb) - cls.potential(sa)))

    @classmethod
    def for_budget(
        cls,
        budget: Decimal,
        pa: Decimal,
        pb: Decimal,
        *,
        share_decimals: int = 6,
        cash_decimals: int = 2,
    ) -> Self:
        return cls(cls.scale_for_budget(budget, pa, pb), pa, pb, share_decimals, cash_decimals)

    @cached_property
    def open_state(self) -> Decimal:
        """The state at pa, where the market opens."""
        return self.state_of_price(self.pa)

    @cached_property
    def top_state(self) -> Decimal:
        return self.state_of_price(self.pb)

    # -- exact curve --------------------------------------------------------------------------
    @with_money_context
    def price(self, s: Decimal) -> Decimal:
        """The YES price at ``s``, clamped to [pa, pb] (removes last-digit noise at the edges)."""
        if s == self.open_state:
            return self.pa
        return min(max(self.price_of_state(s), self.pa), self.pb)

    @with_money_context
    def shares_between(self, s0: Decimal, s1: Decimal) -> Decimal:
        return self.scale * (s1 - s0)

    @with_money_context
    def cash_between(self, s0: Decimal, s1: Decimal) -> Decimal:
        return self.scale * (self.potential(s1) - self.potential(s0))

    @with_money_context
    def state_after_cash(self, s: Decimal, cash: Decimal) -> Decimal:
        """The state that ``cash`` spent at ``s`` reaches, ignoring the band."""
        return self.state_of_potential(self.potential(s) + cash / self.scale)

    @with_money_context
    def shares_for_cash(self, s: Decimal, cash: Decimal) -> Decimal:
        """Exact YES shares ``cash`` buys at ``s``, ignoring the band."""
        return self.shares_between(s, self.state_after_cash(s, cash))

    @with_money_context
    def capacity(self) -> Decimal:
        """YES shares a full traverse of the band sells (exact)."""
        return self.shares_between(self.open_state, self.top_state)

    @with_money_context
    def traverse_cash(self) -> Decimal:
        """Cash a full traverse of the band collects (exact)."""
        return self.cash_between(self.open_state, self.top_state)

    @with_money_context
    def loss_if_yes(self, s: Decimal) -> Decimal:
        """The sponsor's exact loss if YES wins with the market at ``s``."""
        sa = self.open_state
        return self.shares_between(sa, s) - self.cash_between(sa, s)

    @with_money_context
    def max_loss(self) -> Decimal:
        """Worst-case sponsor loss: at the top of the band."""
        return self.loss_if_yes(self.top_state)

    # -- rounded, clipped trades --------------------------------------------------------------
    def _shares_down(self, exact: Decimal) -> Decimal:
        return max(quantize_down(exact - GUARD, self.share_decimals), _ZERO)

    def _check_units(self, amount: Decimal, decimals: int, what: str) -> None:
        if amount < 0 or amount != quantize_down(amount, decimals):
            raise ValidationError(
                "bad_amount", f"{what} must be a non-negative whole number of units"
            )

    @with_money_context
    def _check_state(self, s: Decimal) -> None:
        if not self.open_state - GUARD <= s <= self.top_state + GUARD:
            raise ValidationError("bad_state", "the state is outside the band")

    def _ceiling(self, upto: Decimal | None) -> Decimal:
        return self.top_state if upto is None else min(max(upto, self.open_state), self.top_state)

    def _floor(self, downto: Decimal | None) -> Decimal:
        return (
            self.open_state if downto is None else max(min(downto, self.top_state), self.open_state)
        )

    @with_money_context
    def buy_with_cash(self, s: Decimal, cash: Decimal, *, upto: Decimal | None = None) -> Fill:
        """Spend at most ``cash`` on YES at ``s``, never moving past the band's top (or the state
        ``upto``, a buyer's limit). The unspent rest stays with the trader."""
        self._check_state(s)
        self._check_units(cash, self.cash_decimals, "cash")
        ceiling = self._ceiling(upto)
        room = max(self.shares_between(s, ceiling), _ZERO)
        if not cash:
            return self._buy(s, _ZERO, clipped=False)
        reached = self.reach_with_cash(s, cash, ceiling)
        if reached is None:
            return self._buy(s, self._shares_down(room), clipped=True)
        exact, g_exact, hint = reached
        wanted = self.shares_between(s, exact)
        if wanted > room:
            return self._buy(s, self._shares_down(room), clipped=True)
        shares = self._shares_down(wanted)
        if not shares:
            return self._buy(s, _ZERO, clipped=False)
        # The buyer pays ``cash`` for reaching ``exact``; rounding shares down stops short of it
        # (by at least GUARD / scale), which the step G(s1) - G(exact) < 0 takes off again.
        s1 = s + shares / self.scale
        if self.shortfall_under_a_cash_unit:
            return Fill(shares, cash, s1, False)
        step = self.potential_step(exact, g_exact, hint, s1)
        cost = min(quantize_up(cash + self.scale * step, self.cash_decimals), cash)
        return Fill(shares, cost, s1, False)

    @cached_property
    def shortfall_under_a_cash_unit(self) -> bool:
        """True when the shares a buy's rounding withholds (under one share unit plus GUARD)
        are worth less than one cash unit even at the band's top price.

        Then the cost of the rounded buy lies in (cash - one cash unit, cash], which rounds up
        to exactly ``cash``: no second evaluation of the curve is needed. It holds whenever
        shares carry more places than cash (the default: 6 against 2)."""
        share_unit = Decimal(1).scaleb(-self.share_decimals)
        return self.pb * (share_unit + GUARD) <= Decimal(1).scaleb(-self.cash_decimals)

    def reach_with_cash(
        self, s: Decimal, cash: Decimal, ceiling: Decimal
    ) -> tuple[Decimal, Decimal | None, object] | None:
        """Where spending ``cash`` at ``s`` leads, ignoring rounding: ``(state, G(state) if
        known, a design's hint for :meth:`potential_step` or None)``, or None if it would pass
        ``ceiling``. The default
        clips in potential space first, so G is never inverted beyond the ceiling."""
        target = self.potential(s) + cash / self.scale
        if target >= self.potential(ceiling):
            return None
        exact, hint = self.state_after_potential(target)
        return exact, target, hint

    def state_after_potential(self, g: Decimal) -> tuple[Decimal, object]:
        """The state where G = g, and a hint for :meth:`potential_step` (None by default)."""
        return self.state_of_potential(g), None

    def potential_step(self, s0: Decimal, g0: Decimal | None, hint: object, s1: Decimal) -> Decimal:
        """G(s1) - G(s0) for s1 within a share unit of s0, given G(s0) = g0 when known and the
        design's hint from :meth:`reach_with_cash`. A design may use a short Taylor series."""
        return self.potential(s1) - (self.potential(s0) if g0 is None else g0)

    @with_money_context
    def buy_shares(self, s: Decimal, shares: Decimal, *, upto: Decimal | None = None) -> Fill:
        """Buy ``shares`` YES at ``s`` (fewer if the band's top, or ``upto``, clips the trade)."""
        self._check_state(s)
        self._check_units(shares, self.share_decimals, "shares")
        room = self._shares_down(self.shares_between(s, self._ceiling(upto)))
        return self._buy(s, min(shares, room), clipped=shares > room)

    @with_money_context
    def _buy(self, s: Decimal, shares: Decimal, *, clipped: bool) -> Fill:
        if not shares:
            return Fill(_ZERO, _ZERO, s, clipped)
        s1 = min(s + shares / self.scale, self.top_state)
        cost = quantize_up(self.cash_between(s, s1), self.cash_decimals)
        return Fill(shares, cost, s1, clipped)

    @with_money_context
    def sell_shares(self, s: Decimal, shares: Decimal, *, downto: Decimal | None = None) -> Fill:
        """Sell ``shares`` YES back at ``s`` (fewer if the band's bottom, or ``downto``, a
        seller's limit, clips it); proceeds rounded down."""
        self._check_state(s)
        self._check_units(shares, self.share_decimals, "shares")
        floor = self._floor(downto)
        room = quantize_down(self.shares_between(floor, s) + GUARD, self.share_decimals)
        sold = min(shares, max(room, _ZERO))
        if not sold:
            return Fill(_ZERO, _ZERO, s, shares > 0)
        s1 = max(s - sold / self.scale, floor)
        proceeds = max(quantize_down(self.cash_between(s1, s), self.cash_decimals), _ZERO)
        return Fill(sold, proceeds, s1, sold < shares)

    # -- the NO side: complete sets minted or redeemed against the same curve ------------------
    # Buying n NO mints n complete sets (n cash) and sells their n YES into the curve, so the
    # state moves DOWN by n/scale and the buyer pays n - YES proceeds = scale * (H(s) - H(s1)).
    # Selling n NO buys n YES from the curve to redeem n sets: the state moves UP and the seller
    # receives n - YES cost = scale * (H(s1) - H(s)). Rounding as for YES: shares down, costs
    # up, proceeds down.
    @with_money_context
    def no_cash_between(self, s0: Decimal, s1: Decimal) -> Decimal:
        """scale * (H(s1) - H(s0)): cash a NO holder gets for moving the state s0 -> s1 (> s0)."""
        return self.shares_between(s0, s1) - self.cash_between(s0, s1)

    @with_money_context
    def buy_no_with_cash(self, s: Decimal, cash: Decimal, *, downto: Decimal | None = None) -> Fill:
        """Spend at most ``cash`` on NO at ``s``, never moving the state below the band's
        bottom (or ``downto``, the state at a buyer's worst NO price)."""
        self._check_state(s)
        self._check_units(cash, self.cash_decimals, "cash")
        floor = self._floor(downto)
        room = max(self.shares_between(floor, s), _ZERO)
        if not cash:
            return self._buy_no(s, _ZERO, clipped=False)
        target = self.no_potential(s) - cash / self.scale
        if target <= self.no_potential(floor):
            return self._buy_no(s, self._shares_down(room), clipped=True)
        wanted = self.shares_between(self.state_of_no_potential(target, floor, s), s)
        return self._buy_no(s, self._shares_down(min(wanted, room)), clipped=wanted > room)

    @with_money_context
    def buy_no_shares(self, s: Decimal, shares: Decimal, *, downto: Decimal | None = None) -> Fill:
        self._check_state(s)
        self._check_units(shares, self.share_decimals, "shares")
        room = self._shares_down(self.shares_between(self._floor(downto), s))
        return self._buy_no(s, min(shares, room), clipped=shares > room)

    @with_money_context
    def _buy_no(self, s: Decimal, shares: Decimal, *, clipped: bool) -> Fill:
        if not shares:
            return Fill(_ZERO, _ZERO, s, clipped)
        s1 = max(s - shares / self.scale, self.open_state)
        cost = quantize_up(self.no_cash_between(s1, s), self.cash_decimals)
        return Fill(shares, cost, s1, clipped)

    @with_money_context
    def sell_no_shares(self, s: Decimal, shares: Decimal, *, upto: Decimal | None = None) -> Fill:
        """Sell ``shares`` NO back at ``s`` (fewer if the band's top, or ``upto``, clips it)."""
        self._check_state(s)
        self._check_units(shares, self.share_decimals, "shares")
        ceiling = self._ceiling(upto)
        room = quantize_down(self.shares_between(s, ceiling) + GUARD, self.share_decimals)
        sold = min(shares, max(room, _ZERO))
        if not sold:
            return Fill(_ZERO, _ZERO, s, shares > 0)
        s1 = min(s + sold / self.scale, ceiling)
        proceeds = max(quantize_down(self.no_cash_between(s, s1), self.cash_decimals), _ZERO)
        return Fill(sold, proceeds, s1, sold < shares)


def check_band(pa: Decimal, pb: Decimal) -> None:
    if not Decimal(0) < pa < pb < Decimal(1):
        raise ValidationError("bad_band", "the band needs 0 < pa < pb < 1")
