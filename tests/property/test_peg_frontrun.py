"""A correction cannot be front-run for profit: a trader who trades just before a tick and
reverses just after ends with no more than they started with, in every branch (COL to excess,
minting PEG, buying and burning PEG), for any trade size, with a fixed or a dynamic fee.

The markets here have no per-trade size limit (``max_trade_fraction=None``, as markets stored
before the term had): the cap on a correction must hold against trades of any size, not only
against those a new market's limit lets through."""

from decimal import Decimal as D

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from marketcraft.kernel import MarketcraftError
from marketcraft.peg.market import PegMarket
from marketcraft.peg.terms import PegTerms

UNIT = D("0.000001")


def market_off_peg(ratio, fee_rate, slope, pre_buy, feed_move, excess_full=False):
    terms = PegTerms(
        ratio=ratio,
        fee_rate=fee_rate,
        fee_slope=slope,
        delay_seconds=0,
        correction_seconds=0,  # every due tick moves as far as the cap allows
        feed_window_seconds=3600,
        max_trade_fraction=None,
    )
    m = PegMarket.open(10_000_000, "0.5", terms=terms)
    for user in ("trader", "crowd"):
        m.fund(user, 5_000_000)
    m.buy_peg("crowd", pre_buy)  # PEG in circulation, and excess below its target
    m.buy_peg("trader", 1_000_000)
    m.advance(3601)  # the opening report leaves the window
    m.update_feed((D("0.5") * feed_move).quantize(UNIT))
    m.tick()  # SPOT is outside the band from here on
    m.advance(1)
    if excess_full:  # let corrections fill excess to its target, until they must mint
        for _ in range(5_000):
            correction = m.tick()
            m.advance(1)
            if correction is None or correction.kind == "mint":
                break
    return m


@given(
    ratio=st.sampled_from([D("1.5"), D(2), D(4)]),
    fee_rate=st.sampled_from([D("0.001"), D("0.003"), D("0.01")]),
    slope=st.sampled_from([D(0), D(1)]),
    pre_buy=st.integers(1, 2_000_000),
    feed_move=st.integers(50, 200).map(lambda n: D(n) / 100),
    sell_first=st.booleans(),
    size=st.integers(1, 1000).map(lambda n: D(n) / 1000),
)
def test_trading_around_a_tick_never_profits(
    ratio, fee_rate, slope, pre_buy, feed_move, sell_first, size
):
    m = market_off_peg(ratio, fee_rate, slope, pre_buy, feed_move)
    event(f"correction: {sandwich(m, sell_first, size)}")


@given(
    fee_rate=st.sampled_from([D("0.003"), D("0.01")]),
    feed_move=st.integers(30, 80).map(lambda n: D(n) / 100),
    sell_first=st.booleans(),
    size=st.integers(1, 1000).map(lambda n: D(n) / 1000),
)
def test_trading_around_a_minting_tick_never_profits(fee_rate, feed_move, sell_first, size):
    m = market_off_peg(D(4), fee_rate, D(0), 10_000, feed_move, excess_full=True)
    event(f"correction: {sandwich(m, sell_first, size)}")


def sandwich(m, sell_first, size):
    try:
        if sell_first:  # expects SPOT to fall: sell PEG now, buy it back after the tick
            peg = (m.balance("trader", "PEG") * size).quantize(UNIT, "ROUND_FLOOR")
            col = m.sell_peg("trader", peg)
            correction = m.tick()
            back = m.buy_peg("trader", col)
            assert back <= peg
        else:  # expects SPOT to rise: buy PEG now, sell it after the tick
            col = (m.balance("trader", "COL") * size).quantize(UNIT, "ROUND_FLOOR")
            peg = m.buy_peg("trader", col)
            correction = m.tick()
            back = m.sell_peg("trader", peg)
            assert back <= col
    except MarketcraftError:
        return "refused"  # the trade was too small to make
    return correction.kind if correction else None


@pytest.mark.parametrize(
    ("feed_move", "sell_first", "excess_full", "size", "kind"),
    [
        (D("0.8"), True, False, D("0.5"), "to_excess"),
        (D(3), False, False, D("0.01"), "buy_burn"),
        (D("0.6"), True, True, D("0.5"), "mint"),
    ],
)
def test_each_branch_is_sandwiched(feed_move, sell_first, excess_full, size, kind):
    """The property tests above reach every branch: here one fixed case of each, so they can
    not pass by only ever meeting refused trades or idle ticks."""
    m = market_off_peg(D(4), D("0.003"), D(0), 10_000, feed_move, excess_full=excess_full)
    assert sandwich(m, sell_first, size) == kind


def sandwich_profit(c, u, trade, moved):
    """COL a trader gains selling ``trade`` PEG into a fee-free relay (C, U), letting a
    correction take ``moved`` COL out of the connector, then buying the PEG back."""
    got = c * trade / (u + trade)
    c1, u1 = c - got, u + trade
    c2 = c1 - moved
    cost = c2 * trade / (u1 - trade)
    return got - cost


def test_without_the_cap_the_same_correction_could_be_front_run():
    """The threat is real: a one-tick correction that closes a 10% gap in one go (what the
    pacing asks for at the deadline) pays a sandwich far more than two 0.3% fees."""
    c, u, feed = D(2_750_000), D(5_000_000), D("0.5")  # SPOT 0.55: 10% above the feed
    trade = D(100_000)
    got = c * trade / (u + trade)
    c1, u1 = c - got, u + trade
    full = c1 - feed * u1  # the whole gap, moved to excess in one tick
    fees = 2 * D("0.003") * got
    assert sandwich_profit(c, u, trade, full) > 3 * fees
    capped = D("0.003") * c1  # the engine's cap: one fee's worth of the connector
    assert sandwich_profit(c, u, trade, capped) < fees
