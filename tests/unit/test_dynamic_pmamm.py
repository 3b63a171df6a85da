"""The dynamic pm-AMM against an 80-digit reference written from the paper's invariant
(tests/support/amm_reference.py: reserves, findroot, no formula of ours): the budget's L, the
fills at any time in the window, and a whole timed path."""

from decimal import Decimal as D

import mpmath
import pytest

from marketcraft.amm.pmamm import DynamicPmAmm
from tests.support.amm_reference import DynamicPmRef

mpf = mpmath.mpf
SHARE = mpf("1e-6")
CENT = mpf("0.01")
# (budget, pa, pb, horizon in seconds)
CASES = [
    (25000, "0.01", "0.30", 14 * 86400),
    (1000, "0.05", "0.25", 3600),
    (10**7, "0.2", "0.7", 100),
]


def near(a, b, tol):
    return abs(mpf(str(a)) - b) <= mpf(tol) * max(1, abs(b))


@pytest.mark.parametrize(("budget", "pa", "pb", "horizon"), CASES)
def test_the_budget_sets_l_as_the_paper_s_reserves_do_and_bounds_the_loss(budget, pa, pb, horizon):
    ref = DynamicPmRef(budget, pa, pb, horizon)
    dyn = DynamicPmAmm.for_budget(D(budget), D(pa), D(pb), D(horizon))
    assert near(dyn.liquidity, ref.liquidity, "1e-30")
    assert mpf(str(dyn.liquidity)) <= ref.liquidity * (1 + mpf("1e-38"))  # rounded down
    assert near(dyn.max_loss(), mpf(budget), "1e-30")
    assert dyn.max_loss() <= D(budget) * (1 + D("1e-38"))


@pytest.mark.parametrize(("budget", "pa", "pb", "horizon"), CASES)
@pytest.mark.parametrize("fraction", ["0", "0.3", "0.75", "0.999"])
def test_a_buy_and_a_sale_at_any_time_match_the_reference(budget, pa, pb, horizon, fraction):
    ref = DynamicPmRef(budget, pa, pb, horizon)
    dyn = DynamicPmAmm.for_budget(D(budget), D(pa), D(pb), D(horizon))
    t = D(horizon) * D(fraction)
    curve = dyn.at(t)
    start = curve.state_of_price((D(pa) * 3 + D(pb)) / 4)  # a quarter into the band
    p0 = mpmath.ncdf(mpf(str(start)))
    cash = D(budget) / 500
    fill = curve.buy_with_cash(start, cash)
    assert not fill.clipped
    shares, price = ref.buy(p0, t, cash)
    assert shares - SHARE - mpf("1e-20") <= mpf(str(fill.shares)) <= shares  # rounded down
    assert fill.cash == cash
    # the shares rounded down leave the state short by under a share unit / L_t
    assert abs(mpf(str(curve.price(fill.state_after))) - price) <= SHARE / mpf(str(curve.scale))
    sold = curve.sell_shares(fill.state_after, fill.shares)
    proceeds, back = ref.sell(mpmath.ncdf(mpf(str(fill.state_after))), t, fill.shares)
    assert proceeds - CENT <= mpf(str(sold.cash)) <= proceeds  # rounded down
    assert near(curve.price(sold.state_after), back, "1e-20")


def test_a_timed_path_of_buys_and_sales_follows_the_reference_and_costs_at_most_the_budget():
    budget, pa, pb, horizon = 5000, "0.02", "0.40", 1000
    ref = DynamicPmRef(budget, pa, pb, horizon)
    dyn = DynamicPmAmm.for_budget(D(budget), D(pa), D(pb), D(horizon))
    s, p = dyn.at(D(0)).open_state, mpf(pa)
    held = cash_in = D(0)
    ref_held = ref_cash = mpf(0)
    steps = [(0, "buy", 300), (100, "buy", 150), (400, "sell", 2000), (700, "buy", 250),
             (950, "sell", 500), (990, "buy", 40), (999, "sell", 100)]  # fmt: skip
    for i, (t, kind, amount) in enumerate(steps, 1):
        curve = dyn.at(D(t))
        if kind == "buy":
            fill = curve.buy_with_cash(s, D(amount))
            got, p = ref.buy(p, t, fill.cash)
            held, cash_in = held + fill.shares, cash_in + fill.cash
            ref_held, ref_cash = ref_held + got, ref_cash + mpf(str(fill.cash))
        else:
            fill = curve.sell_shares(s, min(D(amount), held))
            got, p = ref.sell(p, t, fill.shares)
            held, cash_in = held - fill.shares, cash_in - fill.cash
            ref_held, ref_cash = ref_held - mpf(str(fill.shares)), ref_cash - got
        s = fill.state_after
        # rounding keeps each step within a share unit and a cent of the exact path
        assert near(curve.price(s), p, f"{i}e-8")
        assert abs(mpf(str(held)) - ref_held) <= i * SHARE * 2
        assert abs(mpf(str(cash_in)) - ref_cash) <= i * CENT
        # the sponsor's loss if YES wins, on our rounded path, within the budget
        assert held - cash_in <= D(budget)
    assert held - cash_in <= ref_held - ref_cash + len(steps) * CENT  # rounding favours the pool
