"""For ANY sequence of trades the band's sponsor loses at most the budget (rounding included),
round trips never profit the trader, and the price stays in the band."""

from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from marketcraft.amm.band import BandLMSR

bands = st.tuples(
    st.integers(1, 10**7),  # budget in whole cash units
    st.integers(1, 98),  # pa in percent
    st.integers(1, 98),
).filter(lambda t: t[1] != t[2])
trades = st.lists(
    st.tuples(st.sampled_from(["cash", "shares", "sell"]), st.integers(0, 10**9)), max_size=25
)


def make(budget: int, a: int, b: int) -> BandLMSR:
    pa, pb = sorted((D(a) / 100, D(b) / 100))
    return BandLMSR.for_budget(D(budget), pa, pb)


@given(bands, trades)
def test_sponsor_loss_never_exceeds_budget_and_price_stays_in_band(band, ops):
    amm = make(*band)
    budget = D(band[0])
    x, cash_in = D(0), D(0)
    for kind, n in ops:
        if kind == "cash":
            fill = amm.buy_with_cash(x, D(n) / 100)
            cash_in += fill.cash
        elif kind == "shares":
            fill = amm.buy_shares(x, D(n) / 10**6)
            cash_in += fill.cash
        else:
            fill = amm.sell_shares(x, min(D(n) / 10**6, x * 2))
            cash_in -= fill.cash
        x = fill.x_after
        assert 0 <= x <= amm.capacity()
        assert amm.pa <= amm.price(x) <= amm.pb
        # YES wins: traders hold x shares, each paying 1; the pool keeps the cash it took in.
        assert x - cash_in <= budget
        # NO wins: the pool never pays out more than it collected.
        assert cash_in >= 0


@given(bands, st.integers(0, 10**8), st.integers(0, 10**10))
def test_buying_then_selling_the_same_shares_never_profits(band, spend, start):
    amm = make(*band)
    x0 = min(D(start) / 10**6, amm.capacity()).quantize(D("0.000001"), rounding="ROUND_FLOOR")
    buy = amm.buy_with_cash(x0, D(spend) / 100)
    sell = amm.sell_shares(buy.x_after, buy.shares)
    assert sell.shares == buy.shares
    assert sell.x_after == x0
    assert sell.cash <= buy.cash
    assert buy.cash <= D(spend) / 100


@given(bands, st.integers(1, 10**8))
def test_more_cash_never_buys_fewer_shares(band, spend):
    amm = make(*band)
    a = amm.buy_with_cash(D(0), D(spend) / 100)
    b = amm.buy_with_cash(D(0), D(spend + 1) / 100)
    assert b.shares >= a.shares
