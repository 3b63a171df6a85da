"""Hostile numbers into the peg engine itself (behind the entry points' own bounds): opening,
funding, trading, reporting and ticking with magnitudes from 1e-30 to 1e30, values of up to 60
digits, NaN, infinities, extreme exponents, negatives and hostile terms. Whatever comes in, the
engine answers only with its own typed errors (never decimal.InvalidOperation, OverflowError
or the like), a refused command changes nothing, and what it accepts keeps the relay open and
its events replaying. Budget: MARKETS markets of up to STEPS steps each."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketcraft.kernel import MarketcraftError
from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.messages import decode, encode
from marketcraft.peg.commands import BuyMms, BuyPeg, FundCol, ReportPrice, SellMms, SellPeg, Tick
from marketcraft.peg.invariants import check_relay
from marketcraft.peg.market import PegMarket
from marketcraft.peg.state import PegState, evolve
from marketcraft.peg.terms import PegTerms

MARKETS = 600
STEPS = 40
USERS = ("ann", "bob")


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


#: a magnitude from 1e-30 to 1e30 written with 1 to 60 digits
scaled = st.builds(
    lambda digits, exponent: D(f"{int(digits or '0') or 1}E{exponent}"),
    st.integers(1, 60).flatmap(_digits),
    st.integers(-90, 30),
)
special = st.sampled_from([
    D(0), D("-0"), D(-1), D("-1e30"), D("NaN"), D("sNaN"), D("Infinity"), D("-Infinity"),
    D("1E+999999"), D("1E-999999"), D("1e15"), D("1e15") + 1, D("0.000001"), D("0.0000001"),
    D("999999999999999.999999"), D("1e9"), D("1e-6"), D("1" * 60),
])  # fmt: skip
#: ordinary sizes, so that some commands get through and the market moves
plain = st.integers(1, 10**9).map(lambda n: D(n) / 100)
#: valid but extreme: a whole number of minor units from 10^-6 to 10^15
extreme = st.builds(lambda n, e: D(n).scaleb(e), st.integers(1, 999), st.integers(-6, 12))
hostile = st.one_of(plain, extreme, scaled, special)
limit = st.one_of(st.none(), st.none(), hostile)
whole = st.one_of(st.integers(-5, 10**6), st.sampled_from([10**9, 10**9 + 1, 10**30, -(10**30)]))

terms_st = st.one_of(
    st.just(PegTerms(delay_seconds=0, correction_seconds=600, feed_window_seconds=3600)),
    # valid terms at their extremes: every place count, the largest ratio, no size limit
    st.builds(
        lambda **kw: kw,
        ratio=st.sampled_from([D(1), D("1.5"), D(4), D(1000)]),
        fee_rate=st.sampled_from([D(0), D("0.003"), D("0.49")]),
        max_fee=st.just(D("0.49")),
        max_trade_fraction=st.sampled_from([None, D("0.25"), D(1)]),
        delay_seconds=st.sampled_from([0, 366 * 86_400]),
        correction_seconds=st.sampled_from([0, 600]),
        feed_window_seconds=st.sampled_from([1, 3600]),
        col_decimals=st.integers(0, 18),
        peg_decimals=st.integers(0, 18),
        mms_decimals=st.integers(0, 18),
    ),
    st.builds(
        lambda **kw: kw,
        ratio=st.one_of(st.sampled_from([D(1), D(2), D(4)]), hostile),
        fee_rate=st.one_of(st.sampled_from([D(0), D("0.003")]), hostile),
        band=st.one_of(st.just(D("0.02")), hostile),
        fee_slope=st.one_of(st.just(D(0)), hostile),
        recovery_discount=st.one_of(st.just(D("0.1")), hostile),
        max_trade_fraction=st.one_of(st.sampled_from([None, D("0.25"), D(1)]), hostile),
        delay_seconds=st.one_of(st.just(0), whole),
        correction_seconds=st.one_of(st.just(600), whole),
        feed_window_seconds=st.one_of(st.just(3600), whole),
        col_decimals=st.one_of(st.just(6), st.integers(-1, 19)),
        peg_decimals=st.one_of(st.just(6), st.integers(-1, 19)),
        mms_decimals=st.one_of(st.just(6), st.integers(-1, 19)),
    ),
)
step_st = st.one_of(
    st.tuples(st.just("fund"), st.sampled_from(USERS), st.one_of(st.just(D(10) ** 15), hostile),
              st.none(), st.none()),
    st.tuples(st.just("buy_peg"), st.sampled_from(USERS), hostile, limit, st.none()),
    st.tuples(st.just("sell_peg"), st.sampled_from(USERS), hostile, limit, st.none()),
    st.tuples(st.just("buy_mms"), st.sampled_from(USERS), hostile, limit, st.none()),
    st.tuples(st.just("sell_mms"), st.sampled_from(USERS), hostile, limit, limit),
    st.tuples(st.just("report"), st.just("feed"), hostile, st.none(), st.none()),
    st.tuples(st.just("tick"), st.just("keeper"), st.sampled_from([1, 60, 3600, 10**6]),
              st.none(), st.none()),
)  # fmt: skip


def _typed(call):
    """Run ``call``; the engine's typed error it raised, or None. Anything else fails."""
    try:
        call()
    except MarketcraftError as e:
        return e
    return None


def _open(terms, deposit, feed) -> PegMarket | None:
    made: list[PegMarket] = []

    def build() -> None:
        t = terms if isinstance(terms, PegTerms) else PegTerms(**terms)
        made.append(PegMarket.open(deposit, feed, terms=t))

    error = _typed(build)
    return None if error else made[0]


def _command(kind: str, amount, first, second):
    if kind == "fund":
        return FundCol(amount)
    if kind == "buy_peg":
        return BuyPeg(amount, first)
    if kind == "sell_peg":
        return SellPeg(amount, first)
    if kind == "buy_mms":
        return BuyMms(amount, first)
    if kind == "sell_mms":
        return SellMms(amount, first, second)
    return ReportPrice(amount) if kind == "report" else Tick()


@settings(
    max_examples=MARKETS,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    terms=terms_st,
    deposit=st.one_of(plain.map(lambda d: d * 1000), st.just(D(10) ** 15), hostile),
    feed=st.one_of(st.sampled_from([D("0.5"), D(2), D("0.000001"), D(10) ** 9]), hostile),
    steps=st.lists(step_st, min_size=STEPS // 3, max_size=STEPS),
)
def test_no_input_raises_anything_but_a_typed_error(terms, deposit, feed, steps):
    market = _open(terms, deposit, feed)
    if market is None:  # refused with a typed error: open a plain one to trade against
        market = PegMarket.open(D(1_000_000), D("0.5"))
    for kind, user, amount, first, second in steps:
        if kind == "tick":
            market.advance(amount)
        before, events = market.snapshot(), len(market.events)
        error = _typed(lambda: market.handle(_command(kind, amount, first, second), user))  # noqa: B023
        if error is not None:
            assert market.snapshot() == before and len(market.events) == events
        check_relay(market.state)
    replayed = PegState()
    for event in market.events:
        evolve(replayed, decode(encode(event)))
    assert replayed.ledger.balances() == market.state.ledger.balances()


@pytest.mark.parametrize(
    ("deposit", "feed", "code"),
    [
        (D("1e25"), D("1e-20"), "bad_amount"),  # the open: was a raw InvalidOperation
        (D(1_000_000), D("1e-20"), "bad_price"),
        (D(1_000_000), D("1e-30"), "bad_price"),
        (D(1_000_000), D("1e30"), "bad_price"),
        (D("1E+999999"), D(1), "bad_amount"),
        (D("1" * 60), D(1), "bad_amount"),
    ],
)
def test_hostile_opens_get_typed_errors_that_name_the_value(deposit, feed, code):
    with pytest.raises(ValidationError) as refused:
        PegMarket.open(deposit, feed)
    assert refused.value.code == code
    assert ("deposit" if code == "bad_amount" else "feed") in refused.value.reason


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"ratio": D(1001)}, "ratio"),
        ({"band": D("0.0" + "1" * 30)}, "band"),
        ({"delay_seconds": 10**9}, "delay_seconds"),
        ({"feed_window_seconds": 400 * 86_400}, "feed_window_seconds"),
        ({"fee_slope": D(10) ** 6}, "fee_slope"),
    ],
)
def test_terms_beyond_the_open_bounds_are_refused_by_name(changes, named):
    terms = replace(PegTerms(), **changes)
    with pytest.raises(ValidationError) as refused:
        PegMarket.open(10_000_000, "0.5", terms=terms)
    assert refused.value.code == "bad_terms" and named in refused.value.reason


def test_a_hostile_report_is_refused_and_the_feed_stays():
    m = PegMarket.open(10_000_000, "0.5")
    for price in (D("1e-30"), D("1e30"), D("-1"), D(0)):
        with pytest.raises(ValidationError) as refused:
            m.update_feed(price)
        assert refused.value.code == "bad_price" and "price" in refused.value.reason
    assert m.snapshot()["feed"] == D("0.5")
