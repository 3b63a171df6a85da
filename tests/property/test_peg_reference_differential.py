"""The peg engine against the exact reference model (tests/support/peg_reference.py), step by step.

Random sequences of funding, PEG and MMS trades (some with slippage limits either side of what
the trade gives, in markets with and without a per-trade size limit), feed reports, clock moves
and ticks run through both, under either rule for leaving recovery; after every step the two
must agree on whether the step was refused, on C, X, U, Dc, the MMS supply, every wallet, the
mode and which correction branch ran. Amounts are compared in minor
units with a tolerance of TOLERANCE units: the engine lowers every return by a guard of 1e-30 of
its scale before flooring (an exact whole result comes out one unit lower) and takes square
roots in 40 digits, so the two can part by a unit, and a unit apart on one step can become a
unit or two on later ones; a PEG or MMS amount may part by its worth at SPOT or net value (one
COL unit of fee moves U / C PEG units). Budget: SEQUENCES sequences of MIN_STEPS to STEPS steps
each (about 40 s on one core)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal as D
from fractions import Fraction as F

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketcraft.kernel import MarketcraftError
from marketcraft.peg.commands import BuyMms, BuyPeg, SellMms, SellPeg
from marketcraft.peg.market import PegMarket
from marketcraft.peg.modes import RECOVERY
from marketcraft.peg.terms import PegTerms
from tests.support.peg_reference import PegReference, RefRejected, RefTerms, floor

SEQUENCES = 3_000
MIN_STEPS = 20
STEPS = 60
TOLERANCE = 2  # minor units (the runs measured so far agree exactly)
UNIT = 10**6  # minor units per COL, PEG and MMS (6 places)
USERS = ("ann", "bob", "cy")
OPENER = "founder"


def units(value: D) -> int:
    return int(value * UNIT)


def dec(n: int) -> D:
    return D(n) / UNIT


def ref_terms(t: PegTerms, locked: int) -> RefTerms:
    return RefTerms(
        fee=F(str(t.fee_rate)),
        fee_slope=F(str(t.fee_slope)),
        max_fee=F(str(t.max_fee)),
        band=F(str(t.band)),
        delay=t.delay_seconds,
        correction_time=t.correction_seconds,
        feed_window=t.feed_window_seconds,
        ratio=F(str(t.ratio)),
        fees_to=t.fees_to,
        mms_locked=locked,
        swan_enter=F(str(t.swan_enter)),
        swan_exit=F(str(t.swan_exit)),
        recovery_discount=F(str(t.recovery_discount)),
        max_trade_fraction=None if t.max_trade_fraction is None else F(str(t.max_trade_fraction)),
        swan_exit_after_burn=t.swan_exit_after_burn,
    )


def slack(ref: PegReference, key: str) -> int:
    """TOLERANCE minor units of COL, or their worth in PEG at SPOT or in MMS at net value."""
    s = ref.s
    if key in ("U", "Dc") or key.endswith(".PEG"):
        return TOLERANCE * max(1, -(-s.U // s.C))
    if key == "MMS" or key.endswith(".MMS"):
        return TOLERANCE * max(1, -(-s.MMS // (s.C + s.X)))
    return TOLERANCE


class Diverged(Exception):
    """Two sides within the tolerance of each other took different sides of a boundary."""


@dataclass
class Pair:
    """The engine and the reference side by side, at the same clock (seconds since opening)."""

    market: PegMarket
    ref: PegReference
    clock: int = 0

    @classmethod
    def open(cls, terms: PegTerms, deposit: D, feed: D) -> Pair:
        market = PegMarket.open(deposit, feed, terms=terms, opener=OPENER)
        locked = units(market.snapshot()["mms_supply"]) - units(market.balance(OPENER, "MMS"))
        ref = PegReference(ref_terms(terms, locked), 0, OPENER, units(deposit), F(str(feed)))
        return cls(market, ref)

    def held(self, user: str, asset: str) -> int:
        return units(self.market.balance(user, asset))

    def step(self, label: str, engine_call, ref_call, edge: bool = False) -> object:
        """Run one step on both; both refuse or both apply. ``edge``: the step asks for an
        amount within the tolerance of what one side holds, so a refusal on one side only (for
        want of funds) is the tolerance showing, not a disagreement; the sequence ends there."""
        try:
            got = engine_call()
        except MarketcraftError as e:
            got = e
        try:
            want = ref_call()
        except RefRejected as e:
            want = e
        refused = (isinstance(got, MarketcraftError), isinstance(want, RefRejected))
        if refused[0] != refused[1] and edge:
            reason = got.code if refused[0] else want.reason  # type: ignore[union-attr]
            if reason == "insufficient_funds":
                raise Diverged
        assert refused[0] == refused[1], f"{label}: engine {got!r}, reference {want!r}"
        if refused[0]:
            assert got.code == want.reason, f"{label}: engine {got!r}, reference {want!r}"  # type: ignore[union-attr]
        self.compare(label)
        return got

    def compare(self, label: str) -> None:
        snap, ref = self.market.snapshot(), self.ref
        engine = {
            "C": units(snap["connector_col"]),
            "X": units(snap["excess_col"]),
            "U": units(snap["connector_peg"]),
            "Dc": units(snap["circulating_peg"]),
            "MMS": units(snap["mms_supply"]),
        }
        want = ref.snapshot()
        for user in (*USERS, OPENER):
            engine[f"{user}.COL"] = self.held(user, "COL")
            engine[f"{user}.PEG"] = self.held(user, "PEG")
            engine[f"{user}.MMS"] = self.held(user, "MMS")
            want[f"{user}.COL"] = ref.s.col.get(user, 0)
            want[f"{user}.PEG"] = ref.s.peg.get(user, 0)
            want[f"{user}.MMS"] = ref.s.mms.get(user, 0)
        apart = {k: (engine[k], want[k]) for k in want if abs(engine[k] - want[k]) > slack(ref, k)}
        assert not apart, f"{label}: engine and reference part (engine, reference): {apart}"
        assert (snap["mode"] == RECOVERY) == ref.s.recovery, f"{label}: mode {snap['mode']}"


terms_st = st.builds(
    lambda fee, slope, band, delay, span, window, ratio, fees_to, most, after_burn: PegTerms(
        fee_rate=fee,
        fee_slope=slope,
        band=band,
        delay_seconds=delay,
        correction_seconds=span,
        feed_window_seconds=window,
        ratio=ratio,
        fees_to=fees_to,
        max_trade_fraction=most,
        swan_exit_after_burn=after_burn,
    ),
    st.sampled_from([D(0), D("0.001"), D("0.003"), D("0.01"), D("0.03")]),
    st.sampled_from([D(0), D(0), D("0.5")]),
    st.sampled_from([D("0.005"), D("0.01"), D("0.02")]),
    st.sampled_from([0, 0, 600, 3600]),
    st.sampled_from([600, 3600]),
    st.sampled_from([1800, 3600, 86_400]),
    st.sampled_from([D(1), D("1.5"), D(2), D(4)]),
    st.sampled_from(["connector", "excess"]),
    st.sampled_from([D("0.25"), D("0.25"), D("0.5"), D(1), None]),
    st.booleans(),
)
share = st.integers(1, 1000).map(lambda n: F(n, 1000))
#: a trade's share of what the user holds, and a slippage limit as a multiple of what the trade
#: would return (or, selling MMS, of the PEG it would hand in); None: no limit
limited = st.tuples(share, st.sampled_from([None, None, F(9, 10), F(11, 10)]))
op_st = st.one_of(
    st.tuples(st.just("fund"), st.sampled_from(USERS), st.integers(1, 10**12)),
    st.tuples(st.just("buy_peg"), st.sampled_from(USERS), limited),
    st.tuples(st.just("sell_peg"), st.sampled_from(USERS), limited),
    st.tuples(st.just("buy_mms"), st.sampled_from(USERS), limited),
    st.tuples(st.just("sell_mms"), st.sampled_from((*USERS, OPENER)), limited),
    st.tuples(st.just("sell_all_mms"), st.sampled_from(USERS), st.just((F(1), None))),
    st.tuples(st.just("report"), st.just(""), st.integers(700, 1300).map(lambda n: F(n, 1000))),
    st.tuples(st.just("wait"), st.just(""), st.sampled_from([60, 600, 1800, 3600, 4 * 3600])),
    st.tuples(st.just("tick"), st.just(""), st.just(F(0))),
)


#: a slippage limit is set only on trades that return at least this many minor units, so that
#: a tenth of the return stays far wider than the tolerance between the two sides
LIMITED_FROM = 1000


def _limits(
    ref: PegReference, now: int, kind: str, user: str, amount: int, factor: F | None
) -> dict:
    """Slippage limits at ``factor`` times what the reference says the trade gives (a dry run
    on a copy) or, for an MMS sale's max_cost, the PEG it hands in; {} when none apply."""
    if factor is None:
        return {}
    trial = copy.copy(ref)  # a trade changes only the state (balances and books)
    trial.s = copy.deepcopy(ref.s)
    try:
        if kind == "buy_peg":
            got = trial.buy_peg(now, user, amount)
        elif kind == "sell_peg":
            got = trial.sell_peg(now, user, amount)
        elif kind == "buy_mms":
            got = trial.buy_mms(now, user, amount)[0]
        else:
            due = trial.mms_peg_due(amount)
            got = trial.sell_mms(now, user, amount)
            if due >= LIMITED_FROM and factor < 1:  # hand in at most 90% of the PEG due
                return {"max_cost": floor(due * factor)}
    except RefRejected:
        return {}
    if got < LIMITED_FROM:
        return {}
    return {"min_return": floor(got * factor)}


def _trade(pair: Pair, kind: str, user: str, arg: tuple[F, F | None]) -> None:
    """Buy or sell a share of what the user holds (the lesser of the two sides' balances),
    with or without a slippage limit."""
    share, factor = arg
    m, ref, now = pair.market, pair.ref, pair.clock
    asset = {"buy_peg": "COL", "buy_mms": "COL", "sell_peg": "PEG"}.get(kind, "MMS")
    book = {"COL": ref.s.col, "PEG": ref.s.peg, "MMS": ref.s.mms}[asset]
    amount = int(min(pair.held(user, asset), book.get(user, 0)) * share)
    if amount <= 0:
        return
    limits = _limits(ref, now, kind, user, amount, factor)
    label = f"t={now} {kind} {user} {amount} {asset} units {limits}"
    engine_call = _ENGINE_TRADES.get(kind, _ENGINE_TRADES["sell_mms"])
    ref_call = {
        "buy_peg": ref.buy_peg, "buy_mms": ref.buy_mms, "sell_peg": ref.sell_peg,
    }.get(kind, ref.sell_mms)  # fmt: skip
    edge = False
    if asset == "MMS":  # the PEG due may sit within the tolerance of what the seller holds
        due = ref.mms_peg_due(amount)
        held = min(pair.held(user, "PEG"), ref.s.peg.get(user, 0))
        edge = abs(held - due) <= slack(ref, "Dc")
    engine_limits = {k: dec(v) for k, v in limits.items()}
    pair.step(
        label,
        lambda: engine_call(m, user, dec(amount), **engine_limits),
        lambda: ref_call(now, user, amount, **limits),
        edge,
    )


def _engine_trade(command: type):
    """A trade through the engine's command, with the slippage limits it was given."""

    def call(m: PegMarket, user: str, amount: D, **limits: D) -> object:
        return m.handle(command(amount, **limits), user)

    return call


_ENGINE_TRADES = {
    "buy_peg": _engine_trade(BuyPeg),
    "sell_peg": _engine_trade(SellPeg),
    "buy_mms": _engine_trade(BuyMms),
    "sell_mms": _engine_trade(SellMms),
}


def apply(pair: Pair, op: tuple[str, str, object]) -> None:
    kind, user, arg = op
    m, ref, now = pair.market, pair.ref, pair.clock
    label = f"t={now} {kind} {user} {arg}"
    if kind == "fund":
        assert isinstance(arg, int)
        pair.step(label, lambda: m.fund(user, dec(arg)), lambda: ref.fund(now, user, arg))
    elif kind == "report":
        assert isinstance(arg, F)
        feed = ref.feed_now * arg
        price = (D(feed.numerator) / D(feed.denominator)).quantize(D("1e-9"))
        if price > 0:
            pair.step(label, lambda: m.update_feed(price), lambda: ref.report(now, F(price)))
    elif kind == "wait":
        assert isinstance(arg, int)
        pair.clock += arg
        m.advance(arg)
    elif kind == "tick":
        got = pair.step(label, m.tick, lambda: ref.tick(now))
        engine_branch = "" if got is None else got.kind  # type: ignore[attr-defined]
        assert engine_branch == ref.last_branch, (
            f"{label}: engine corrected {engine_branch!r}, reference {ref.last_branch!r}"
        )
    else:
        assert isinstance(arg, tuple)
        _trade(pair, kind, user, arg)


@settings(
    max_examples=SEQUENCES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    terms=terms_st,
    deposit=st.integers(1_000, 10**8).map(D),
    feed=st.integers(50, 5_000).map(lambda n: D(n) / 1000),
    funds=st.lists(st.integers(1, 10**7), min_size=3, max_size=3),
    ops=st.lists(op_st, min_size=MIN_STEPS, max_size=STEPS),
)
def test_engine_agrees_with_the_reference(terms, deposit, feed, funds, ops):
    pair = Pair.open(terms, deposit, feed)
    for user, amount in zip(USERS, funds, strict=True):
        apply(pair, ("fund", user, amount * UNIT))
    try:
        for op in ops:
            apply(pair, op)
    except Diverged:
        pass
    # the run went somewhere: the market is still open with a relay and MMS
    assert pair.ref.s.C > 0 and pair.ref.s.U > 0 and pair.ref.s.MMS > 0


@pytest.mark.parametrize("fees_to", ["connector", "excess"])
def test_the_stall_repro_agrees_with_the_reference_and_converges(fees_to):
    """The issue's repro through both: open 10M COL at 0.5, report 0.468345, buy with
    3801.635731 COL, then 48 hourly reports and ticks. Excess ends within one unit of its
    target and the mint branch brings SPOT back inside the band."""
    terms = PegTerms(
        band=D("0.01"), fee_rate=D("0.01"), delay_seconds=0, correction_seconds=600,
        feed_window_seconds=3600, fees_to=fees_to,
    )  # fmt: skip
    pair = Pair.open(terms, D(10_000_000), D("0.5"))
    apply(pair, ("fund", "ann", 100_000 * UNIT))
    apply(pair, ("report", "", F(468345, 500000)))  # 0.5 * 0.93669 = 0.468345
    assert pair.ref.feed_now == F("0.4841725")  # the median of 0.5 and 0.468345
    pair.step(
        "buy",
        lambda: pair.market.buy_peg("ann", D("3801.635731")),
        lambda: pair.ref.buy_peg(0, "ann", 3_801_635_731),
    )
    branches = []
    for _ in range(48):
        apply(pair, ("wait", "", 3600))
        pair.step(
            "report",
            lambda: pair.market.update_feed(D("0.468345")),
            lambda: pair.ref.report(pair.clock, F("0.468345")),
        )
        apply(pair, ("tick", "", F(0)))
        branches.append(pair.ref.last_branch)
    assert "to_excess" in branches and "mint" in branches
    assert abs(pair.ref.spot / F("0.468345") - 1) <= F(1, 100)
    snap = pair.market.snapshot()
    assert abs(snap["spot"] / snap["feed"] - 1) <= D("0.01")


def _crash_into_recovery(after_burn: bool) -> Pair:
    """Open 10M COL at 0.5 with r = 2, sell 200,000 COL of PEG, then COL loses 95% (the feed
    goes to 10 COL per PEG): corrections spend the excess buying PEG back until it is gone."""
    terms = PegTerms(
        ratio=D(2), delay_seconds=0, correction_seconds=600, feed_window_seconds=3600,
        swan_exit_after_burn=after_burn,
    )  # fmt: skip
    pair = Pair.open(terms, D(10_000_000), D("0.5"))
    apply(pair, ("fund", "ann", 200_000 * UNIT))
    apply(pair, ("fund", "bob", 100_000_000 * UNIT))
    apply(pair, ("buy_peg", "ann", (F(1), None)))
    for _ in range(24 * 60):
        _minute(pair)
        if pair.ref.s.recovery:
            return pair
    raise AssertionError("no black swan")


def _minute(pair: Pair) -> None:
    """A minute on: the feed reports 10 COL per PEG, and a tick."""
    apply(pair, ("wait", "", 60))
    pair.step(
        "report",
        lambda: pair.market.update_feed(D(10)),
        lambda: pair.ref.report(pair.clock, F(10)),
    )
    apply(pair, ("tick", "", F(0)))


def _rescue(pair: Pair) -> None:
    """Bob buys discounted MMS with 2% of the pool's COL (a steady stream of rescuers)."""
    s = pair.ref.s
    col = floor(F(s.C + s.X, 50))
    pair.step(
        "rescue",
        lambda: pair.market.buy_mms("bob", dec(col)),
        lambda: pair.ref.buy_mms(pair.clock, "bob", col),
    )


@pytest.mark.parametrize("after_burn", [True, False])
def test_recovery_after_a_crash_agrees_with_the_reference(after_burn):
    """Recovery purchases refill excess past swan_exit while SPOT is far below the feed. With
    swan_exit_after_burn (the default) the market stays in recovery until the excess covers the
    buy-back to the feed with swan_exit of the new target to spare; then the buy-back restores
    the peg and the market stays in normal mode. Without it (markets stored before the rule),
    normal mode resumes at swan_exit and the buy-back drains the excess straight back into
    recovery. Engine and reference agree at every step."""
    pair = _crash_into_recovery(after_burn)
    ref = pair.ref
    spent_before_exit = 0
    plain_exit_passed = False
    while ref.s.recovery:
        _rescue(pair)
        spent_before_exit += 1
        _minute(pair)
        level = F(ref.s.X) / ((ref.terms.ratio - 1) * ref.s.C)
        plain_exit_passed |= level >= ref.terms.swan_exit and ref.s.recovery
        assert spent_before_exit < 200
    assert plain_exit_passed == after_burn  # the new rule waited past the plain threshold
    flips = 0
    for _ in range(48 * 60):  # two days of minutes after leaving recovery
        was = ref.s.recovery
        _minute(pair)
        flips += ref.s.recovery != was
    spot, feed = pair.ref.spot, pair.ref.feed_now
    if after_burn:
        assert flips == 0 and not ref.s.recovery
        assert abs(spot / feed - 1) <= ref.terms.band  # the peg is back
        level = F(ref.s.X) / ((ref.terms.ratio - 1) * ref.s.C)
        assert level >= ref.terms.swan_exit
    else:
        assert flips >= 1  # straight back into recovery within 48 h
        assert spot / feed < 1 - ref.terms.band  # and the peg is not back
