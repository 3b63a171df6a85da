"""The public view under every reveal policy, for any orders and any time: nothing before the
reveal; under SIZE_THRESHOLD nothing of the large orders (no field, count, total, nor the final
price they moved) before the late reveal, so that a program with large buys looks exactly like
one without them; after it, each large order one by one."""

from contextlib import suppress
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from marketcraft.kernel import MarketcraftError
from marketcraft.opportunity.commands import (
    Context,
    DepositCash,
    ListMarket,
    OpenProgram,
    PlaceOrder,
    RevealMarket,
)
from marketcraft.opportunity.runner import ProgramRunner
from marketcraft.opportunity.terms import ProgramTerms, RevealPolicy, Side
from marketcraft.opportunity.visibility import (
    late_reveal_at,
    order_size,
    public_market_view,
    sponsor_market_view,
)

T0 = datetime(2026, 6, 1, tzinfo=UTC)
WINDOW = 3600
LATE = 7200
THRESHOLD = D(40)
small_buys = st.lists(st.integers(1, 4000), max_size=6)  # cents, at most the threshold
large_buys = st.lists(st.integers(4001, 90_000), min_size=1, max_size=3)  # cents, above it
# seconds after the window closes at which the view is asked for
moments = st.integers(0, LATE + 600) | st.sampled_from([LATE - 1, LATE, LATE + 1, 10 * LATE])


def run(policy, orders, *, sells=()):
    """A program with one market: ``orders`` are (scout, cents) buys in order, then ``sells``
    (scout, micro-shares); revealed a minute after the window."""
    terms = ProgramTerms(
        market_budget=D(2000), window_seconds=WINDOW, reveal_policy=policy,
        reveal_threshold=THRESHOLD, late_reveal_seconds=LATE,
    )  # fmt: skip
    runner = ProgramRunner()
    runner.handle(OpenProgram("p", "P", D(10_000), terms), Context("label", T0))
    runner.handle(ListMarket("m", "M"), Context("label", T0))
    for scout in ("small", "whale"):
        runner.handle(DepositCash(D(10_000)), Context(scout, T0))
    at = T0
    for i, (scout, cents) in enumerate(orders):
        at += timedelta(seconds=1)
        order = PlaceOrder(f"o{i}", "m", Side.BUY, bytes(32), max_spend=D(cents) / 100)
        runner.handle(order, Context(scout, at))
    for i, (scout, micro) in enumerate(sells):
        at += timedelta(seconds=1)
        order = PlaceOrder(f"s{i}", "m", Side.SELL, bytes(32), max_shares=D(micro) / 10**6)
        with suppress(MarketcraftError):  # a refusal changes nothing
            runner.handle(order, Context(scout, at))
    closes = T0 + timedelta(seconds=WINDOW)
    runner.handle(RevealMarket("m"), Context("anyone", closes + timedelta(minutes=1)))
    return runner.state, closes


@settings(max_examples=60)
@given(small_buys, large_buys, st.data(), moments)
def test_before_the_late_reveal_large_buys_leave_no_trace(small, large, data, moment):
    # the large buys go in anywhere among the small ones
    orders = [("small", c) for c in small]
    for cents in large:
        orders.insert(data.draw(st.integers(0, len(orders)), label="at"), ("whale", cents))
    with_large, closes = run(RevealPolicy.SIZE_THRESHOLD, orders)
    without, _ = run(RevealPolicy.SIZE_THRESHOLD, [("small", c) for c in small])
    now = closes + timedelta(seconds=moment)
    seen = public_market_view(with_large, "m", now)
    assert late_reveal_at(with_large, with_large.markets["m"]) == closes + timedelta(seconds=LATE)
    if now < closes + timedelta(seconds=LATE):
        assert seen == public_market_view(without, "m", now)
        assert (seen.final_price, seen.fills, seen.complete) == (None, (), False)
    else:
        assert seen.complete
        assert seen.final_price == sponsor_market_view(with_large, "m").price
        large_fills = [o for o in with_large.orders.values() if o.scout == "whale"]
        assert [(f.shares, f.cash) for f in seen.fills] == [(o.shares, o.cash) for o in large_fills]
    # the small orders, in aggregate, from the reveal on
    assert (seen.aggregated_count, seen.aggregated_size) == (len(small), sum(map(D, small)) / 100)


@settings(max_examples=40)
@given(
    st.sampled_from(RevealPolicy),
    st.lists(st.tuples(st.sampled_from(["small", "whale"]), st.integers(1, 90_000)), max_size=6),
    st.lists(st.tuples(st.sampled_from(["small", "whale"]), st.integers(1, 10**9)), max_size=3),
    moments,
)
def test_each_policy_shows_only_what_it_promises_and_never_takes_it_back(
    policy, buys, sells, moment
):
    state, closes = run(policy, buys, sells=sells)
    now = closes + timedelta(seconds=moment)
    seen = public_market_view(state, "m", now)
    later = public_market_view(state, "m", now + timedelta(days=365))
    orders = [o for o in state.orders.values() if o.market_id == "m"]
    assert seen.revealed
    if policy is RevealPolicy.PER_TRADER:
        assert (seen.final_price, seen.fills, seen.aggregated_count) == (None, (), 0)
        assert seen == later
    elif policy is RevealPolicy.PUBLIC_ALL:
        assert len(seen.fills) == len(orders) and seen.aggregated_count == 0
        assert seen == later
    else:
        large = [o for o in orders if order_size(o) > THRESHOLD]
        assert seen.aggregated_count + len(later.fills) == len(orders)
        assert len(later.fills) == len(large) and later.complete
        assert seen.fills in ((), later.fills)  # all of them at once, at the late reveal
    # a view once complete stays as it is
    if seen.complete:
        assert seen == later


def test_before_the_reveal_no_policy_shows_anything():
    for policy in RevealPolicy:
        terms = ProgramTerms(market_budget=D(2000), window_seconds=WINDOW, reveal_policy=policy,
                             reveal_threshold=THRESHOLD)  # fmt: skip
        runner = ProgramRunner()
        runner.handle(OpenProgram("p", "P", D(10_000), terms), Context("label", T0))
        runner.handle(ListMarket("m", "M"), Context("label", T0))
        runner.handle(DepositCash(D(500)), Context("whale", T0))
        runner.handle(PlaceOrder("o", "m", Side.BUY, bytes(32), max_spend=D(400)),
                      Context("whale", T0))  # fmt: skip
        for years in (0, 10):
            seen = public_market_view(runner.state, "m", T0 + timedelta(days=365 * years))
            assert not seen.revealed and not seen.complete
            assert (seen.final_price, seen.fills, seen.aggregated_count) == (None, (), 0)
