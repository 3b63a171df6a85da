"""Rounding never strands an MMS holder: whoever buys MMS can sell all of it back at once, in
any market state the other traders and the corrections leave, and the last MMS never empties
the relay (the opening locks some that no one can redeem). Budget: ROUND_TRIPS markets."""

from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketcraft.kernel import MarketcraftError
from marketcraft.peg.engine import MMS_LOCKED_UNITS
from marketcraft.peg.market import PegMarket
from marketcraft.peg.modes import NORMAL
from marketcraft.peg.terms import PegTerms

ROUND_TRIPS = 600
UNIT = D("0.000001")
cents = st.integers(1, 10**9).map(lambda n: D(n) / 100)
part = st.integers(1, 999).map(lambda n: D(n) / 1000)
history = st.lists(
    st.tuples(st.sampled_from(["buy_peg", "sell_peg", "buy_mms", "sell_mms", "tick"]), part),
    max_size=25,
)


def shake(m: PegMarket, steps) -> None:
    """Other traders and ticks move the market (refused steps are skipped)."""
    for kind, share in steps:
        try:
            if kind == "buy_peg":
                m.buy_peg("other", (m.balance("other", "COL") * share).quantize(UNIT, "ROUND_DOWN"))
            elif kind == "sell_peg":
                m.sell_peg(
                    "other", (m.balance("other", "PEG") * share).quantize(UNIT, "ROUND_DOWN")
                )
            elif kind == "buy_mms":
                m.buy_mms("other", (m.balance("other", "COL") * share).quantize(UNIT, "ROUND_DOWN"))
            elif kind == "sell_mms":
                m.sell_mms(
                    "other", (m.balance("other", "MMS") * share).quantize(UNIT, "ROUND_DOWN")
                )
            else:
                m.advance(1800)
                m.update_feed((m.state.feed * (D(1) + (share - D("0.5")) / 10)).quantize(UNIT))
                m.tick()
        except MarketcraftError:
            pass


@settings(
    max_examples=ROUND_TRIPS,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    deposit=st.integers(1, 10**8).map(D),
    feed=st.integers(1, 10_000).map(lambda n: D(n) / 1000),
    ratio=st.sampled_from([D(1), D("1.5"), D(4)]),
    fee=st.sampled_from([D(0), D("0.003"), D("0.03")]),
    fees_to=st.sampled_from(["connector", "excess"]),
    steps=history,
    spend=cents,
)
def test_an_mms_buyer_can_always_sell_all_it_bought(
    deposit, feed, ratio, fee, fees_to, steps, spend
):
    terms = PegTerms(
        ratio=ratio, fee_rate=fee, fees_to=fees_to, delay_seconds=0, correction_seconds=600,
        feed_window_seconds=3600,
    )  # fmt: skip
    try:
        m = PegMarket.open(deposit, feed, terms=terms)
    except MarketcraftError:
        return  # too small a deposit to open
    m.fund("other", 10**8)
    shake(m, steps)
    if m.state.mode != NORMAL:
        return  # recovery blocks every MMS sale by design
    # at most the share of the pool one trade may bring (larger purchases are refused whole)
    snap = m.snapshot()
    most = (terms.max_trade_fraction * (snap["connector_col"] + snap["excess_col"])).quantize(
        UNIT, "ROUND_FLOOR"
    )
    spend = min(spend, most)
    if spend <= 0:
        return
    m.fund("zed", spend)
    try:
        mms = m.buy_mms("zed", spend)
    except MarketcraftError as e:
        assert e.code in ("too_small", "insufficient_funds")
        return
    peg = m.balance("zed", "PEG")
    back = m.sell_mms("zed", mms)  # must not raise
    assert m.balance("zed", "MMS") == 0
    # what comes back is no more than went in: the round trip pays the fees and the rounding
    assert back <= spend
    assert m.balance("zed", "COL") == back
    # the PEG handed back is what came with the MMS, give or take the one unit rounded up
    assert 0 <= m.balance("zed", "PEG") <= max(UNIT, peg)
    snap = m.snapshot()
    assert snap["connector_col"] > 0 and snap["connector_peg"] > 0


@settings(max_examples=ROUND_TRIPS // 3, deadline=None, derandomize=True)
@given(deposit=st.integers(1, 10**8).map(D), feed=st.integers(1, 10_000).map(lambda n: D(n) / 1000))
def test_the_opener_can_sell_all_it_holds_and_the_locked_mms_stay(deposit, feed):
    try:
        m = PegMarket.open(deposit, feed, opener="ann")
    except MarketcraftError:
        return
    locked = D(MMS_LOCKED_UNITS) * UNIT
    assert m.snapshot()["mms_supply"] - m.balance("ann", "MMS") == locked
    m.sell_mms("ann", m.balance("ann", "MMS"))
    snap = m.snapshot()
    assert snap["mms_supply"] == locked
    assert snap["connector_col"] > 0 and snap["connector_peg"] > 0
