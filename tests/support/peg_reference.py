"""Reference model of the pegged-token market maker, written from docs/spec (pegged-token.md) alone.

Exact rational arithmetic (fractions.Fraction) on integer minor units; amounts are rounded to
whole minor units only where they change hands, each time in the mechanism's favour. Where the
spec leaves a choice open the choice is a named field of `RefTerms` or a named constant below, so
a comparison can say which reading it used.

Units: COL and PEG balances are integers in minor units; the feed and SPOT are COL per PEG
(SPOT = C / U, the spec's "Numbers to check" example has SPOT 0.5 COL per PEG when one COL is
worth 2 PEG). MMS is counted in its own minor units; the opening deposit D mints D MMS.

Readings taken where the spec is open (first written from the spec alone; the ones marked [E]
were then aligned with the engine's documented choice for the same open question, so that a
comparison tests arithmetic, rounding and the spec's rules rather than two schedules):
- Fees are charged in COL, on the COL side of every trade (what a PEG buyer pays in, what a PEG
  seller is paid out, an MMS buyer's deposit, an MMS seller's payout), so that a fee kept in the
  connector raises SPOT ("SPOT rises with volume"). `fees_to="connector"` is the spec; the fee is
  ceil(amount * rate) of the gross COL amount. `fees_to="excess"` is the other setting.
- [E] An MMS sale's fee is held back from the part of the payout that the fees_to account pays
  (the connector's share or excess's share) as far as that part goes, and from the other part
  for the rest: no sale moves COL between excess and the connector.
- [E] Dynamic fee: a relay trade that moves SPOT away from the feed pays
  min(max_fee, fee + fee_slope * |SPOT / feed - 1|); fee_slope = 0 keeps the base fee.
- The last MMS: `mms_locked` minor units of the opening MMS are issued to nobody and can never be
  redeemed (as Uniswap v2 locks its minimum liquidity), so every holder can sell all it holds.
- An MMS buy scales by g = net / (C + X): the buyer receives m = floor(g * MMS) MMS and
  max(floor(g * Dc), ceil(Dc * m / MMS)) PEG. The second term keeps the hand-in for selling the
  same m back, ceil(Dc' * m / MMS'), at or below what the buyer got, so a buyer can always sell
  back all it bought (at most one minor unit more than floor(g * Dc), liability that comes back).
  floor(g * U) PEG is minted into the connector and the net deposit is split
  floor(g * C) to the connector, the rest to excess [E].
- Feed [E]: the median of the reports inside (t - feed_window, t], taken at each report and each
  tick (an even count averages the middle two); with no report in the window the feed is stale,
  keeps its last value and no correction runs.
- Correction [E]: "outside the band" is observed at ticks; SPOT has been outside since the first
  tick of the current stretch; the correction is due after since + delay (strictly later) and is
  paced to reach the feed by due + correction_time: pace = 1 past that deadline, otherwise
  (now - prev) / (deadline - prev), prev the later of the last tick and the due time. One branch
  per tick, each step at most one fee's worth (f C of COL moved or spent, f U_min of PEG minted,
  U_min the least connector PEG since the last tick, that tick's own before its correction
  included) so that trading around a tick cannot pay
  ("cannot be front-run for profit"); a zero fee makes no correction.
  Above the feed: if the COL that may still move to excess without passing (r - 1) * C,
  floor(((r - 1) * C - X) / r), is at least one minor unit, move min(that, paced gap, cap);
  otherwise (excess at target to within one minor unit) mint PEG into the connector. Below the
  feed (not in recovery, [E]: buying PEG back pulls PEG out of the connector, which the spec
  forbids in a black swan): buy PEG from the relay with excess COL (fee-free, the pool trades
  with itself) and burn it.
- Black swan [E]: at a tick, after its correction, X <= swan_enter * (r - 1) * C enters recovery
  and X >= swan_exit * (r - 1) * C leaves it. In recovery MMS sales are refused; an MMS buy puts
  the net deposit into excess and issues floor(MMS * net / ((1 - discount) * NAV)) MMS and no
  PEG, NAV = C + X - Dc * feed (refused when NAV <= 0).
- Leaving recovery after the buy-back (`swan_exit_after_burn`, the engine's documented exit
  threshold, marketcraft.peg.modes): "normal mode resumes" only once the excess would still be at
  swan_exit of its target after the buy-back that normal mode then makes. While SPOT is below the
  band (C < F (1 - band) U) that buy-back spends a = sqrt(F C U) - C COL (the PEG bought back takes
  SPOT to the feed) and raises the connector to C + a, so recovery ends when
  X - a >= swan_exit * (r - 1) * (C + a); otherwise a = 0.
- Trade size (`max_trade_fraction`, a term; None: no limit): a PEG buy may bring at most that
  share of C in COL, a PEG sale that share of U in PEG, an MMS buy that share of C + X in COL;
  anything larger is refused whole ("too_large"), checked after the wallet. MMS sales have no
  limit (they take the same share of everything and move no price).
- Slippage limits: a trade may name min_return, the least it accepts to receive (PEG for a PEG
  buy, COL after the fee for a PEG or MMS sale, MMS for an MMS buy), and an MMS sale max_cost, the
  most PEG it hands in; a trade that would break either is refused whole ("slippage"), after every
  other check (max_cost before the PEG in the wallet is looked at).
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
    fee_slope: Fraction = F(0)  # noqa: RUF009
    max_fee: Fraction = F(5, 100)  # noqa: RUF009
    band: Fraction = F(2, 100)  # noqa: RUF009
    delay: int = 24 * 3600
    correction_time: int = 3600
    feed_window: int = 24 * 3600
    ratio: Fraction = F(4)  # noqa: RUF009
    fees_to: str = "connector"
    mms_locked: int = 1000
    swan_enter: Fraction = F(1, 100)  # noqa: RUF009
    swan_exit: Fraction = F(1, 2)  # noqa: RUF009
    recovery_discount: Fraction = F(1, 10)  # noqa: RUF009
    #: the MMS buyer's PEG rounded up (False: down, the engine's first rule, which strands)
    mms_peg_up: bool = True
    #: the most one trade may bring, as a share of the reserve it trades against; None: no limit
    max_trade_fraction: Fraction | None = F(1, 4)  # noqa: RUF009
    #: recovery ends only once the excess covers the buy-back to the feed and swan_exit after it
    swan_exit_after_burn: bool = True


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
    """One market. Amounts are integers in minor units; prices are Fractions (COL per PEG)."""

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
        self.feed_now = F(feed)
        self.stale = False
        self.now = t
        self.outside_since: int | None = None
        self.last_tick: int | None = None
        self.u_min = u
        self.deposited = deposit  # COL that came in from outside, for conservation
        self.fees = 0
        self.last_branch = ""

    # ---- reading -------------------------------------------------------------------------------
    @property
    def spot(self) -> Fraction:
        return F(self.s.C, self.s.U)

    def median(self, t: int) -> Fraction | None:
        window = sorted(p for (rt, p) in self.reports if t - self.terms.feed_window < rt <= t)
        if not window:
            return None
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

    def _fee(self, gross: int, rate: Fraction | None = None) -> int:
        return ceil(gross * (self.terms.fee if rate is None else rate))

    def _relay_rate(self, buying_peg: bool) -> Fraction:
        t = self.terms
        if t.fee_slope == 0:
            return t.fee
        dev = self.spot / self.feed_now - 1
        away = dev > 0 if buying_peg else dev < 0
        return min(t.max_fee, t.fee + t.fee_slope * abs(dev)) if away else t.fee

    def _keep_fee(self, fee: int) -> None:
        self.fees += fee
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

    def _seen(self) -> None:
        self.u_min = min(self.u_min, self.s.U)

    def _size(self, amount: int, reserve: int) -> None:
        limit = self.terms.max_trade_fraction
        if limit is not None and amount > limit * reserve:
            raise RefRejected("too_large")

    @staticmethod
    def _at_least(got: int, min_return: int | None) -> None:
        if min_return is not None and got < min_return:
            raise RefRejected("slippage")

    # ---- commands ------------------------------------------------------------------------------
    def fund(self, t: int, user: str, col: int) -> None:
        self._time(t)
        if col <= 0:
            raise RefRejected("bad_amount")
        self._give(self.s.col, user, col)
        self.deposited += col

    def report(self, t: int, price: Fraction) -> Fraction:
        self._time(t)
        if price <= 0:
            raise RefRejected("bad_price")
        self.reports.append((t, F(price)))
        feed = self.median(t)
        assert feed is not None
        self.feed_now, self.stale = feed, False
        return feed

    def buy_peg(self, t: int, user: str, col_in: int, min_return: int | None = None) -> int:
        """Pay col_in COL (fee included), receive PEG; returns the PEG received."""
        self._time(t)
        s = self.s
        if col_in <= 0:
            raise RefRejected("bad_amount")
        if s.col.get(user, 0) < col_in:
            raise RefRejected("insufficient_funds")
        self._size(col_in, s.C)
        fee = self._fee(col_in, self._relay_rate(buying_peg=True))
        net = col_in - fee
        out = floor(F(s.U * net, s.C + net)) if net > 0 else 0
        if out <= 0:
            raise RefRejected("too_small")
        if out >= s.U:
            raise RefRejected("empty_relay")
        self._at_least(out, min_return)
        self._take(s.col, user, col_in)
        s.C += net
        self._keep_fee(fee)
        s.U -= out
        s.Dc += out
        self._give(s.peg, user, out)
        self._seen()
        return out

    def sell_peg(self, t: int, user: str, peg_in: int, min_return: int | None = None) -> int:
        """Hand in peg_in PEG, receive COL (fee deducted); returns the COL received."""
        self._time(t)
        s = self.s
        if peg_in <= 0:
            raise RefRejected("bad_amount")
        if s.peg.get(user, 0) < peg_in:
            raise RefRejected("insufficient_funds")
        self._size(peg_in, s.U)
        gross = floor(F(s.C * peg_in, s.U + peg_in))
        fee = self._fee(gross, self._relay_rate(buying_peg=False))
        paid = gross - fee
        if paid <= 0:
            raise RefRejected("too_small")
        if gross >= s.C:
            raise RefRejected("empty_relay")
        self._at_least(paid, min_return)
        self._take(s.peg, user, peg_in)
        s.U += peg_in
        s.Dc -= peg_in
        s.C -= gross
        self._keep_fee(fee)
        self._give(s.col, user, paid)
        self._seen()
        return paid

    def buy_mms(
        self, t: int, user: str, col_in: int, min_return: int | None = None
    ) -> tuple[int, int]:
        """Deposit col_in COL; returns (MMS received, PEG received)."""
        self._time(t)
        s = self.s
        if col_in <= 0:
            raise RefRejected("bad_amount")
        if s.col.get(user, 0) < col_in:
            raise RefRejected("insufficient_funds")
        self._size(col_in, s.C + s.X)
        fee = self._fee(col_in)
        net = col_in - fee
        pool = s.C + s.X
        if s.recovery:
            nav = pool - s.Dc * self.feed_now
            if nav <= 0:
                raise RefRejected("no_net_value")
            m = floor(F(s.MMS * net) / ((1 - self.terms.recovery_discount) * nav))
            if m <= 0:
                raise RefRejected("too_small")
            self._at_least(m, min_return)
            self._take(s.col, user, col_in)
            s.X += net
            self._keep_fee(fee)
            s.MMS += m
            self._give(s.mms, user, m)
            return m, 0
        m = floor(F(s.MMS * net, pool))
        if m <= 0:
            raise RefRejected("too_small")
        self._at_least(m, min_return)
        p = floor(F(s.Dc * net, pool))
        if self.terms.mms_peg_up:  # never below what selling these m MMS back asks for
            p = max(p, ceil(F(s.Dc * m, s.MMS)))
        du = floor(F(s.U * net, pool))
        dc = floor(F(s.C * net, pool))
        self._take(s.col, user, col_in)
        s.C += dc
        s.X += net - dc
        self._keep_fee(fee)
        s.U += du
        s.Dc += p
        s.MMS += m
        self._give(s.mms, user, m)
        if p:
            self._give(s.peg, user, p)
        return m, p

    def mms_peg_due(self, m: int) -> int:
        return ceil(F(self.s.Dc * m, self.s.MMS))

    def sell_mms(
        self,
        t: int,
        user: str,
        m: int,
        min_return: int | None = None,
        max_cost: int | None = None,
    ) -> int:
        """Sell m MMS, handing in the PEG due; returns the COL received."""
        self._time(t)
        s = self.s
        if s.recovery:
            raise RefRejected("recovery_mode")
        if m <= 0:
            raise RefRejected("bad_amount")
        if s.mms.get(user, 0) < m:
            raise RefRejected("insufficient_funds")
        if m >= s.MMS:
            raise RefRejected("last_mms")
        due = self.mms_peg_due(m)
        if max_cost is not None and due > max_cost:
            raise RefRejected("slippage")
        if s.peg.get(user, 0) < due:
            raise RefRejected("insufficient_funds")
        dc = floor(F(s.C * m, s.MMS))
        dx = floor(F(s.X * m, s.MMS))
        du = floor(F(s.U * m, s.MMS))
        fee = self._fee(dc + dx)
        paid = dc + dx - fee
        # the fee is held back from the payout: from the part its fees_to account pays as far
        # as that goes, and from the other part for the rest ([E]: a fee larger than the
        # connector's part leaves the rest in excess rather than moving excess COL into the
        # connector)
        held_x = fee - min(fee, dc) if self.terms.fees_to == "connector" else min(fee, dx)
        c_after = s.C - dc + (fee - held_x)
        if s.U - du <= 0 or c_after <= 0:
            raise RefRejected("empty_relay")
        self._at_least(paid, min_return)
        s.mms[user] -= m
        if due:
            s.peg[user] -= due
        s.C = c_after
        s.X -= dx - held_x
        self.fees += fee
        s.U -= du
        s.Dc -= due
        s.MMS -= m
        self._give(s.col, user, paid)
        self._seen()
        return paid

    def tick(self, t: int) -> str:
        """The periodic tick: feed, band, correction, mode; returns the branch that ran."""
        self._time(t)
        terms, s = self.terms, self.s
        feed = self.median(t)
        self.stale = feed is None
        if feed is not None:
            self.feed_now = feed
        outside = abs(self.spot / self.feed_now - 1) > terms.band
        since = (self.outside_since if self.outside_since is not None else t) if outside else None
        branch = ""
        u_at_tick = s.U
        if not self.stale and since is not None:
            start = since + terms.delay
            if t > start:
                deadline = start + terms.correction_time
                prev = max(self.last_tick if self.last_tick is not None else start, start)
                pace = F(1) if t >= deadline else F(t - prev, deadline - prev)
                branch = self._correct(self.feed_now, pace)
        self.outside_since, self.last_tick = since, t
        self.last_branch = branch
        self.u_min = min(u_at_tick, s.U)  # [E] the tick's U before its correction counts
        target = (terms.ratio - 1) * s.C
        if target > 0:
            level = F(s.X) / target
            if not s.recovery and level <= terms.swan_enter:
                s.recovery = True
            elif s.recovery and self._exit_level(level) >= terms.swan_exit:
                s.recovery = False
        return branch

    def _exit_level(self, level: Fraction) -> Fraction:
        """The excess ratio recovery ends on: after the buy-back to the feed, if one is due."""
        terms, s, f = self.terms, self.s, self.feed_now
        if not terms.swan_exit_after_burn or f * (1 - terms.band) * s.U <= s.C:
            return level
        a = floor_sqrt(f * s.C * s.U) - s.C
        if a <= 0:
            return level
        return (s.X - a) / ((terms.ratio - 1) * (s.C + a))

    def _correct(self, f: Fraction, pace: Fraction) -> str:
        s, terms = self.s, self.terms
        step = terms.fee
        if step <= 0 or pace <= 0:
            return ""
        spot = self.spot
        r = terms.ratio
        if spot > f:
            room = floor(((r - 1) * s.C - s.X) / r)
            if room >= 1:
                move = floor(min((s.C - f * s.U) * pace, step * s.C, F(room)))
                if move >= 1:
                    s.C -= move
                    s.X += move
                    return "to_excess"
                return ""
            mint = floor(min((F(s.C) / f - s.U) * pace, step * self.u_min))
            if mint >= 1:
                s.U += mint
                return "mint"
            return ""
        if spot < f and s.X > 0 and not s.recovery:
            full = floor_sqrt(f * s.C * s.U) - s.C
            a = floor(min(full * pace, step * s.C, F(s.X)))
            if a < 1:
                return ""
            out = floor(F(s.U * a, s.C + a))
            if out < 1:
                return ""
            s.X -= a
            s.C += a
            s.U -= out
            return "buy_burn"
        return ""
