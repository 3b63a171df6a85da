"""Reference model of the pegged-token market maker, written from docs/spec (pegged-token.md) alone.

Exact rational arithmetic (fractions.Fraction) on integer minor units; amounts are rounded to
whole minor units only where they change hands, each time in the mechanism's favour. Where the
spec leaves a choice open the choice is a named field of `RefTerms` or a named constant below, so
a comparison can say which reading it used.

Units: COL and PEG balances are integers in minor units; the feed and SPOT are COL per PEG
(SPOT = C / U, the spec's "Numbers to check" example has SPOT 0.5 COL per PEG when one COL is
worth 2 PEG). MMS is counted in its own minor units; the opening deposit D mints D MMS.

Readings taken where the spec is open:
- Fees are charged in COL, on the COL side of every trade (what a PEG buyer pays in, what a PEG
  seller is paid out, an MMS buyer's deposit, an MMS seller's payout), so that a fee kept in the
  connector raises SPOT ("SPOT rises with volume"). `fees_to="connector"` is the spec; the fee is
  ceil(amount * fee) of the gross COL amount.
- The last MMS: `mms_locked` minor units of the opening MMS are issued to nobody and can never be
  redeemed (as Uniswap v2 locks its minimum liquidity), so every holder can sell all it holds.
- An MMS buyer receives m = floor(MMS * net / (C + X)) MMS and ceil(Dc * m / MMS) PEG: rounding the
  PEG up keeps the seller's hand-in ceil(Dc' * m / MMS') at or below what the buyer got, so a buyer
  can always sell back all it bought (the extra part of a minor unit is liability that comes back).
- Correction: on each tick when SPOT has been outside the band for at least `delay` seconds, the
  target SPOT is S + (F - S) * k with k = min(1, dt / correction_time), dt the time since the later
  of the last correction and the moment correction became due; one branch per tick.
  Above the feed: if the COL that may still move to excess without passing (r - 1) * C,
  floor(((r - 1) * C - X) / r), is at least one minor unit, move min(that, needed); otherwise
  (excess at target to within one minor unit) mint PEG into the connector. Below the feed: buy PEG
  from the relay with excess COL (fee-free, the pool trades with itself) and burn it.
- Black swan: X == 0 enters recovery; recovery ends when X >= recovery_exit * (r - 1) * C.
  In recovery MMS sales are refused; an MMS buy puts the net deposit into excess and issues
  floor(MMS * net / ((C + X) * (1 - discount))) MMS and no PEG.
- Feed: median of the reports inside (t - feed_window, t]; an even count averages the middle two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from math import isqrt

F = Fraction


def floor(x: Fraction) -> int:
    return x.numerator // x.denominator


def ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def floor_sqrt(x: Fraction) -> Fraction:
    """Largest multiple of 1/2**64 whose square is at most x (exact enough for minor units)."""
    scale = 2**64
    return F(isqrt(floor(x * scale * scale)), scale)


class RefRejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RefTerms:
    fee: Fraction = F(3, 1000)  # noqa: RUF009
    band: Fraction = F(2, 100)  # noqa: RUF009
    delay: int = 24 * 3600
    correction_time: int = 3600
    feed_window: int = 24 * 3600
    ratio: Fraction = F(4)  # noqa: RUF009
    fees_to: str = "connector"
    mms_locked: int = 1000
    recovery_discount: Fraction = F(1, 10)  # noqa: RUF009
    recovery_exit: Fraction = F(1, 2)  # noqa: RUF009


@dataclass
class RefState:
    C: int
    X: int
    U: int
    Dc: int
    MMS: int
    col: dict[str, int] = field(default_factory=dict)
    peg: dict[str, int] = field(default_factory=dict)
    mms: dict[str, int] = field(default_factory=dict)
    recovery: bool = False


class PegReference:
    def __init__(self, terms: RefTerms, t: int, depositor: str, deposit: int, feed: Fraction):
        if deposit <= 0 or feed <= 0:
            raise RefRejected("bad_open")
        self.terms = terms
        c = floor(F(deposit) / terms.ratio)
        u = floor(F(c) / F(feed))
        if c <= 0 or u <= 0 or deposit <= terms.mms_locked:
            raise RefRejected("too_small")
        self.s = RefState(C=c, X=deposit - c, U=u, Dc=0, MMS=deposit)
        self.s.mms[depositor] = deposit - terms.mms_locked
        self.reports: list[tuple[int, Fraction]] = [(t, F(feed))]
        self.now = t
        self.out_since: int | None = None
        self.last_step: int | None = None
        self.deposited = deposit  # COL that came in from outside, for conservation
        self._observe(t)

    # ---- reading -------------------------------------------------------------------------------
    @property
    def spot(self) -> Fraction:
        return F(self.s.C, self.s.U)

    def feed(self, t: int) -> Fraction | None:
        window = [p for (rt, p) in self.reports if t - self.terms.feed_window < rt <= t]
        if not window:
            return None
        window.sort()
        n = len(window)
        if n % 2:
            return window[n // 2]
        return (window[n // 2 - 1] + window[n // 2]) / 2

    def snapshot(self) -> dict[str, int]:
        return {"C": self.s.C, "X": self.s.X, "U": self.s.U, "Dc": self.s.Dc, "MMS": self.s.MMS}

    def total_col(self) -> int:
        return self.s.C + self.s.X + sum(self.s.col.values())

    # ---- helpers -------------------------------------------------------------------------------
    def _time(self, t: int) -> None:
        if t < self.now:
            raise RefRejected("time_backwards")
        self.now = t

    def _fee(self, gross: int) -> int:
        return ceil(gross * self.terms.fee)

    def _keep_fee(self, fee: int) -> None:
        if self.terms.fees_to == "connector":
            self.s.C += fee
        else:
            self.s.X += fee

    def _take(self, book: dict[str, int], user: str, amount: int) -> None:
        if amount <= 0:
            raise RefRejected("bad_amount")
        if book.get(user, 0) < amount:
            raise RefRejected("insufficient_funds")
        book[user] -= amount

    def _give(self, book: dict[str, int], user: str, amount: int) -> None:
        book[user] = book.get(user, 0) + amount

    def _outside(self, t: int) -> bool:
        f = self.feed(t)
        if f is None:
            return False
        return abs(self.spot / f - 1) > self.terms.band

    def _observe(self, t: int) -> None:
        if self._outside(t):
            if self.out_since is None:
                self.out_since = t
        else:
            self.out_since = None
            self.last_step = None
        r = self.terms.ratio
        if not self.s.recovery and self.s.X == 0:
            self.s.recovery = True
        elif self.s.recovery and self.terms.recovery_exit * (r - 1) * self.s.C <= self.s.X:
            self.s.recovery = False

    # ---- commands ------------------------------------------------------------------------------
    def fund(self, t: int, user: str, col: int) -> None:
        self._time(t)
        if col <= 0:
            raise RefRejected("bad_amount")
        self._give(self.s.col, user, col)
        self.deposited += col

    def report(self, t: int, price: Fraction) -> None:
        self._time(t)
        if price <= 0:
            raise RefRejected("bad_price")
        self.reports.append((t, F(price)))
        self._observe(t)

    def buy_peg(self, t: int, user: str, col_in: int) -> int:
        """Pay col_in COL (fee included), receive PEG; returns the PEG received."""
        self._time(t)
        s = self.s
        fee = self._fee(col_in)
        net = col_in - fee
        if net <= 0:
            raise RefRejected("too_small")
        out = floor(F(s.U * net, s.C + net))
        if out <= 0 or out >= s.U:
            raise RefRejected("too_small")
        self._take(s.col, user, col_in)
        s.C += net
        self._keep_fee(fee)
        s.U -= out
        s.Dc += out
        self._give(s.peg, user, out)
        self._observe(t)
        return out

    def buy_peg_out(self, t: int, user: str, peg_out: int) -> int:
        """Receive exactly peg_out PEG; returns the COL paid (fee included)."""
        self._time(t)
        s = self.s
        if peg_out <= 0 or peg_out >= s.U:
            raise RefRejected("bad_amount")
        net = ceil(F(s.C * peg_out, s.U - peg_out))
        gross = ceil(F(net) / (1 - self.terms.fee))
        while gross - self._fee(gross) < net:
            gross += 1
        while gross > 1 and (gross - 1) - self._fee(gross - 1) >= net:
            gross -= 1
        fee = self._fee(gross)
        self._take(s.col, user, gross)
        s.C += gross - fee
        self._keep_fee(fee)
        s.U -= peg_out
        s.Dc += peg_out
        self._give(s.peg, user, peg_out)
        self._observe(t)
        return gross

    def sell_peg(self, t: int, user: str, peg_in: int) -> int:
        """Hand in peg_in PEG, receive COL (fee deducted); returns the COL received."""
        self._time(t)
        s = self.s
        gross = floor(F(s.C * peg_in, s.U + peg_in)) if peg_in > 0 else 0
        fee = self._fee(gross)
        paid = gross - fee
        if paid <= 0:
            raise RefRejected("too_small")
        self._take(s.peg, user, peg_in)
        s.U += peg_in
        s.Dc -= peg_in
        s.C -= gross
        self._keep_fee(fee)
        self._give(s.col, user, paid)
        self._observe(t)
        return paid

    def buy_mms(self, t: int, user: str, col_in: int) -> tuple[int, int]:
        """Deposit col_in COL; returns (MMS received, PEG received)."""
        self._time(t)
        s = self.s
        fee = self._fee(col_in)
        net = col_in - fee
        if net <= 0:
            raise RefRejected("too_small")
        pool = s.C + s.X
        if s.recovery:
            m = floor(F(s.MMS * net) / (pool * (1 - self.terms.recovery_discount)))
            if m <= 0:
                raise RefRejected("too_small")
            self._take(s.col, user, col_in)
            s.X += net
            self._keep_fee(fee)
            s.MMS += m
            self._give(s.mms, user, m)
            self._observe(t)
            return m, 0
        m = floor(F(s.MMS * net, pool))
        if m <= 0:
            raise RefRejected("too_small")
        p = ceil(F(s.Dc * m, s.MMS))
        du = floor(F(s.U * m, s.MMS))
        dx = floor(F(s.X * net, pool))
        self._take(s.col, user, col_in)
        s.X += dx
        s.C += net - dx
        self._keep_fee(fee)
        s.U += du
        s.Dc += p
        s.MMS += m
        self._give(s.mms, user, m)
        if p:
            self._give(s.peg, user, p)
        self._observe(t)
        return m, p

    def mms_peg_due(self, m: int) -> int:
        return ceil(F(self.s.Dc * m, self.s.MMS))

    def sell_mms(self, t: int, user: str, m: int) -> int:
        """Sell m MMS, handing in the PEG due; returns the COL received."""
        self._time(t)
        s = self.s
        if s.recovery:
            raise RefRejected("recovery")
        if m <= 0:
            raise RefRejected("bad_amount")
        if s.mms.get(user, 0) < m:
            raise RefRejected("insufficient_funds")
        if m >= s.MMS:
            raise RefRejected("last_mms")
        due = self.mms_peg_due(m)
        if s.peg.get(user, 0) < due:
            raise RefRejected("insufficient_funds")
        dc = floor(F(s.C * m, s.MMS))
        dx = floor(F(s.X * m, s.MMS))
        du = floor(F(s.U * m, s.MMS))
        gross = dc + dx
        fee = self._fee(gross)
        paid = gross - fee
        if paid <= 0 or s.U - du <= 0 or s.C - dc + fee <= 0:
            raise RefRejected("too_small")
        s.mms[user] -= m
        if due:
            s.peg[user] -= due
        s.C -= dc
        s.X -= dx
        self._keep_fee(fee)
        s.U -= du
        s.Dc -= due
        s.MMS -= m
        self._give(s.col, user, paid)
        self._observe(t)
        return paid

    def tick(self, t: int) -> str:
        """Run the periodic correction; returns which branch ran ("" when none)."""
        self._time(t)
        self._observe(t)
        branch = ""
        f = self.feed(t)
        if f is not None and self.out_since is not None and t - self.out_since >= self.terms.delay:
            due_from = self.out_since + self.terms.delay
            start = max(self.last_step if self.last_step is not None else due_from, due_from)
            k = min(F(1), F(t - start, self.terms.correction_time))
            if k > 0:
                branch = self._correct(f, k)
                self.last_step = t
        self._observe(t)
        return branch

    def _correct(self, f: Fraction, k: Fraction) -> str:
        s = self.s
        spot = self.spot
        target = spot + (f - spot) * k
        r = self.terms.ratio
        if spot > f:
            room = floor(((r - 1) * s.C - s.X) / r)
            if room >= 1:
                move = min(floor(s.C - target * s.U), room)
                if move >= 1:
                    s.C -= move
                    s.X += move
                    return "to_excess"
                return ""
            mint = floor(F(s.C) / target - s.U)
            if mint >= 1:
                s.U += mint
                return "mint"
            return ""
        if spot < f and s.X > 0:
            a = floor(floor_sqrt(target * s.C * s.U) - s.C)
            a = min(a, s.X)
            if a < 1:
                return ""
            out = floor(F(s.U * a, s.C + a))
            if out < 1 or out >= s.U:
                return ""
            s.X -= a
            s.C += a
            s.U -= out
            return "burn"
        return ""
