"""For ANY sequence of trades, in every band AMM: the sponsor loses at most the budget (rounding
included), a buy never costs more than offered, round trips never profit, prices stay in band."""

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from marketcraft.amm.band import BandLMSR
from marketcraft.amm.pmamm import DynamicPmAmm, PmAmm
from marketcraft.amm.v3range import RangePosition
from marketcraft.kernel.money import money_context

bands = st.tuples(st.integers(1, 10**7), st.integers(1, 98), st.integers(1, 98)).filter(
    lambda t: t[1] != t[2]
)
trades = st.lists(
    st.tuples(st.sampled_from(["cash", "shares", "sell"]), st.integers(0, 10**9)), max_size=20
)
fast_curves = st.sampled_from([BandLMSR, RangePosition])


def make(curve, budget: int, a: int, b: int):
    pa, pb = sorted((D(a) / 100, D(b) / 100))
    return curve.for_budget(D(budget), pa, pb)


def run_trades(amm, ops, budget):
    s, held, cash_in = amm.open_state, D(0), D(0)
    for kind, n in ops:
        if kind == "cash":
            spend = D(n) / 100
            fill = amm.buy_with_cash(s, spend)
            assert fill.cash <= spend
            held, cash_in = held + fill.shares, cash_in + fill.cash
        elif kind == "shares":
            fill = amm.buy_shares(s, D(n) / 10**6)
            held, cash_in = held + fill.shares, cash_in + fill.cash
        else:
            fill = amm.sell_shares(s, min(D(n) / 10**6, held))
            held, cash_in = held - fill.shares, cash_in - fill.cash
        s = fill.state_after
        assert amm.pa <= amm.price(s) <= amm.pb
        assert held >= 0
        # YES wins: scouts hold `held` shares paying 1 each; the pool keeps the cash it took.
        assert held - cash_in <= budget
        # NO wins: the pool never pays out more than it collected.
        assert cash_in >= 0


@given(fast_curves, bands, trades)
def test_sponsor_loss_never_exceeds_budget(curve, band, ops):
    run_trades(make(curve, *band), ops, D(band[0]))


@settings(max_examples=15)
@given(bands, trades)
def test_pmamm_sponsor_loss_never_exceeds_budget(band, ops):
    run_trades(make(PmAmm, *band), ops[:6], D(band[0]))


timed_trades = st.lists(
    st.tuples(
        st.integers(0, 999_999),  # the time, in millionths of the window
        st.sampled_from(["cash", "shares", "sell", "no_cash", "sell_no"]),
        st.integers(0, 10**9),
    ),
    max_size=10,
)


@settings(max_examples=150)
@given(bands, st.integers(1, 10**7), timed_trades)
def test_dynamic_pmamm_loss_never_exceeds_the_budget_whatever_the_orders_and_times(
    band, horizon, ops
):
    """Orders of every kind at any times in the window: if YES wins the sponsor loses at most
    B, if NO wins nothing; and each rounded trade costs the pool no more than the exact one
    (L_t (H(z1) - H(z0)) for YES, -L_t (G(z1) - G(z0)) for NO, H(z) = z - G(z))."""
    budget = D(band[0])
    pa, pb = sorted((D(band[1]) / 100, D(band[2]) / 100))
    dyn = DynamicPmAmm.for_budget(budget, pa, pb, D(horizon))
    s, yes, no, cash_in = dyn.at(D(0)).open_state, D(0), D(0), D(0)
    slack = D("1e-25")  # far below a share unit; above the 40-digit arithmetic error
    for tick, kind, n in sorted(ops):
        curve = dyn.at(D(horizon) * tick / 10**6)
        if kind == "cash":
            fill = curve.buy_with_cash(s, D(n) / 100)
            assert fill.cash <= D(n) / 100
            d_yes, d_no, d_cash = fill.shares, D(0), fill.cash
        elif kind == "shares":
            fill = curve.buy_shares(s, D(n) / 10**6)
            d_yes, d_no, d_cash = fill.shares, D(0), fill.cash
        elif kind == "sell":
            fill = curve.sell_shares(s, min(D(n) / 10**6, yes))
            d_yes, d_no, d_cash = -fill.shares, D(0), -fill.cash
        elif kind == "no_cash":
            fill = curve.buy_no_with_cash(s, D(n) / 100)
            d_yes, d_no, d_cash = D(0), fill.shares, fill.cash
        else:
            fill = curve.sell_no_shares(s, min(D(n) / 10**6, no))
            d_yes, d_no, d_cash = D(0), -fill.shares, -fill.cash
        with money_context():
            exact_yes = curve.scale * (curve.no_potential(fill.state_after) - curve.no_potential(s))
            exact_no = -curve.cash_between(s, fill.state_after)
            assert d_yes - d_cash <= exact_yes + slack  # rounding favours the pool
            assert d_no - d_cash <= exact_no + slack
        s, yes, no, cash_in = fill.state_after, yes + d_yes, no + d_no, cash_in + d_cash
        assert pa <= curve.price(s) <= pb
        assert yes >= 0 and no >= 0
        assert yes - cash_in <= budget  # YES wins
        assert no - cash_in <= 0  # NO wins: the traders' cash covers every NO share


@given(fast_curves, bands, st.integers(0, 10**8), st.integers(0, 10**6))
def test_buying_then_selling_the_same_shares_never_profits(curve, band, spend, start):
    amm = make(curve, *band)
    s0 = amm.buy_shares(amm.open_state, D(start) / 10**3).state_after
    buy = amm.buy_with_cash(s0, D(spend) / 100)
    sell = amm.sell_shares(buy.state_after, buy.shares)
    assert sell.shares == buy.shares
    assert sell.cash <= buy.cash


@settings(max_examples=10)
@given(bands, st.integers(0, 10**6), st.integers(0, 10**5))
def test_pmamm_round_trips_never_profit(band, spend, start):
    amm = make(PmAmm, *band)
    s0 = amm.buy_shares(amm.open_state, D(start) / 10**3).state_after
    buy = amm.buy_with_cash(s0, D(spend) / 100)
    sell = amm.sell_shares(buy.state_after, buy.shares)
    assert sell.cash <= buy.cash
    no = amm.buy_no_with_cash(buy.state_after, D(spend) / 100)
    back = amm.sell_no_shares(no.state_after, no.shares)
    assert back.cash <= no.cash


@given(fast_curves, bands, st.integers(0, 10**8), st.integers(0, 10**6))
def test_no_round_trips_never_profit_and_stay_in_band(curve, band, spend, start):
    amm = make(curve, *band)
    s0 = amm.buy_shares(amm.open_state, D(start) / 10**3).state_after
    no = amm.buy_no_with_cash(s0, D(spend) / 100)
    assert no.cash <= D(spend) / 100
    assert amm.pa <= amm.price(no.state_after) <= amm.pb
    back = amm.sell_no_shares(no.state_after, no.shares)
    assert back.shares == no.shares
    assert back.cash <= no.cash


@given(fast_curves, bands, st.integers(1, 10**8))
def test_more_cash_never_buys_fewer_shares(curve, band, spend):
    amm = make(curve, *band)
    a = amm.buy_with_cash(amm.open_state, D(spend) / 100)
    b = amm.buy_with_cash(amm.open_state, D(spend + 1) / 100)
    assert b.shares >= a.shares


@given(bands, st.integers(0, 10**9), st.integers(1, 10**7), st.sampled_from([6, 2, 0]))
def test_a_buy_costs_what_its_rounded_shares_cost_exactly(band, start, spend, share_decimals):
    """A buy's cost equals the exact curve cost of the shares it gives, rounded up to the cent:
    when a share unit is worth less than a cash unit that is the cash offered, unevaluated;
    otherwise the Taylor step computes it."""
    pa, pb = sorted((D(band[1]) / 100, D(band[2]) / 100))
    amm = BandLMSR.for_budget(D(band[0]), pa, pb, share_decimals=share_decimals)
    if share_decimals != 2:  # at 2 places it depends on the band's top price
        assert amm.shortfall_under_a_cash_unit == (share_decimals == 6)
    s0 = amm.buy_shares(amm.open_state, D(start).scaleb(-share_decimals)).state_after
    fast = amm.buy_with_cash(s0, D(spend) / 100)
    if fast.shares:
        exact = amm.cash_between(s0, fast.state_after).quantize(D("0.01"), rounding="ROUND_CEILING")
        assert fast.cash == exact
    if fast.shares and not fast.clipped:
        reached = amm.reach_with_cash(s0, D(spend) / 100, amm.top_state)
        assert reached is not None
        exact_state, _, hint = reached
        step = amm.potential_step(exact_state, None, hint, fast.state_after)
        with money_context():  # the reference difference at 40 digits, not the default 28
            g_step = amm.potential(fast.state_after) - amm.potential(exact_state)
        assert abs(step - g_step) < D("1e-30")
