"""Financing, margin and the desk's own impact in the strategy: the buckets still add up to
the PnL on every path over random terms with impact, interest, margin and stresses on;
interest only where cash is negative (with no deposit rate); a liquidation exactly where the
maintenance test fails and the call cannot be met; the desk's permanent impact moves every
later mark, the pool's included."""

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketcraft.deal.book import BUCKETS, Book
from marketcraft.deal.financing import affordable, interest
from marketcraft.deal.impact import ImpactModel
from marketcraft.deal.strategy import simulate_deal_paths
from marketcraft.deal.terms import Stress, load_terms, validate

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "deals"
ARTICLE = load_terms(EXAMPLES / "article.toml")


def short(t, days, **market):
    """``t`` over ``days``, a TWAP strike fixed after 2 days, the market changed."""
    calls = tuple(replace(c, average_days=2) if c.average_days else c for c in t.calls)
    return replace(t, loan=replace(t.loan, tenor_days=days), market=replace(t.market, **market),
                   calls=calls)  # fmt: skip


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(["article", "article-sells-1.8m", "twap-strike", "cash-repay"]),
    coefficient=st.sampled_from([0.0, 0.3, 1.0, 5.0]),
    permanent=st.floats(0, 1),
    volume=st.sampled_from([0.0, 2e5, 5e6]),
    borrow=st.floats(0, 2),
    deposit=st.floats(0, 0.2),
    credit=st.sampled_from([0.0, 1e5, 1e6, 1e8]),
    margin=st.sampled_from([(0.1, 0.05), (0.05, 0.049), (0.5, 0.2)]),
    fee=st.floats(0, 0.05),
    scenario=st.sampled_from(["", "crash", "pump", "outage", "delisting"]),
    policy=st.sampled_from(["per_fill", "band", "interval"]),
)
def test_the_buckets_add_up_to_the_pnl_on_every_path(
    name, coefficient, permanent, volume, borrow, deposit, credit, margin, fee, scenario, policy
):
    t = short(load_terms(EXAMPLES / f"{name}.toml"), 6, jumps_per_year=30.0, jump_vol=0.3)
    stresses = (
        ("crash", "jump", 1.0, -0.8, 0.0, ""), ("pump", "jump", 1.0, 3.0, 0.0, ""),
        ("outage", "outage", 0.5, 0.0, 30.0, "perp"),
        ("delisting", "delisting", 2.0, -0.5, 0.0, ""),
    )  # fmt: skip
    t = replace(
        t,
        impact=replace(t.impact, coefficient=coefficient, permanent=permanent, daily_volume=volume),
        financing=replace(
            t.financing, borrow_rate=borrow, deposit_rate=deposit, credit_line=credit
        ),
        desk=replace(t.desk, margin=margin[0], maintenance=margin[1], liquidation_fee=fee),
        hedge=replace(t.hedge, policy=policy),
        stress=tuple(Stress(n, k, d, m, h, v) for n, k, d, m, h, v in stresses),
    )
    t = validate(t, EXAMPLES)
    r = simulate_deal_paths(t, 30, seed=5, step_hours=4.0, base=EXAMPLES, scenario=scenario)
    m = r.metrics
    booked = sum(m[b] for b in BUCKETS)
    assert np.all(np.isfinite(booked))
    scale = np.maximum(np.abs(m["pnl"]), max(t.desk.capital, t.loan.tokens))
    assert np.all(np.abs(booked - m["pnl"]) <= 1e-9 * scale)
    assert r.residual < 1e-9
    assert np.all(m["liquidations"] <= m["margin_calls"])
    if coefficient == 0:  # no temporary part: nothing in the bucket
        assert not m["impact"].any()
    if permanent == 0:  # no permanent part: the price is the desk's own
        assert not m["impact_drift"].any()


@settings(max_examples=200, deadline=None)
@given(
    cash=st.lists(st.floats(-1e12, 1e12), min_size=1, max_size=20),
    borrow=st.floats(0, 10),
    dt=st.floats(1e-6, 1.0),
)
def test_interest_is_charged_only_on_negative_cash(cash, borrow, dt):
    c = np.array(cash)
    paid = interest(c, borrow, 0.0, dt)
    assert np.all(paid[c >= 0] == 0)  # nothing earned or charged without a deposit rate
    owed = c < 0
    assert np.all(paid[owed] <= 0)
    assert np.allclose(paid[owed], c[owed] * borrow * dt, rtol=1e-15, atol=0)


def test_a_run_pays_interest_only_on_paths_whose_cash_went_negative():
    t = short(ARTICLE, 20, vol=1.5)
    t = replace(t, financing=replace(t.financing, borrow_rate=0.5, deposit_rate=0.0))
    r = simulate_deal_paths(t, 200, seed=3, base=EXAMPLES, scenario="")
    m = r.metrics
    never = m["min_cash"] >= 0
    assert np.all(m["financing"][never] == 0)
    assert np.all(m["financing"][~never] <= 0)
    assert np.all(m["financing"] == -m["interest_paid"])
    # a pump on a thin desk: the margin calls on its short perps are met by borrowing, for
    # the rest of the tenor
    thin = replace(t, financing=replace(t.financing, credit_line=1e9),
                   desk=replace(t.desk, capital=1e5))  # fmt: skip
    pumped = simulate_deal_paths(thin, 50, seed=3, base=EXAMPLES, scenario="pump").metrics
    assert np.all(pumped["margin_calls"] >= 1) and np.all(pumped["min_cash"] < 0)
    assert np.all(pumped["financing"] <= 0) and np.mean(pumped["financing"] < 0) > 0.5


def test_a_liquidation_happens_exactly_where_the_maintenance_test_fails_and_cannot_be_met():
    """Checked per path against the rule as stated: equity at the perp venue below
    maintenance x notional is a margin call; the desk tops the collateral up to the initial
    margin x notional from its cash unless that takes cash below minus the credit line, in
    which case the venue closes the position and charges the liquidation fee."""
    t = replace(ARTICLE, impact=replace(ARTICLE.impact, coefficient=0.0))
    desk, credit = t.desk, t.financing.credit_line
    rng = np.random.default_rng(11)
    n = 400
    book = Book(t, n, np.array([1.0]), ImpactModel(0.0, 0.0, 0.0, 0.0))
    book.perp = rng.choice([-1.0, 1.0], n) * rng.uniform(0, 2e6, n) * (rng.random(n) > 0.1)
    price = rng.uniform(0.2, 3.0, n)
    book.collateral = rng.uniform(-2e5, 4e5, n)
    book.cash = rng.uniform(-2.5e6, 1e6, n)
    before = {k: v.copy() for k, v in (("perp", book.perp), ("col", book.collateral),
                                       ("cash", book.cash))}  # fmt: skip
    lost = book.margin_test(price)
    for i in range(n):
        perp, col, cash, p = before["perp"][i], before["col"][i], before["cash"][i], price[i]
        notional = abs(perp) * p
        call = perp != 0 and col < desk.maintenance * notional
        top_up = desk.margin * notional - col
        liquidated = call and cash - top_up < -credit
        assert bool(lost[i]) == liquidated, i
        assert book.track["margin_calls"][i] == call
        if liquidated:
            assert book.perp[i] == 0 and book.collateral[i] == 0
            fee = desk.liquidation_fee * notional
            assert book.track["liquidation_cost"][i] == pytest.approx(fee, rel=1e-12)
        elif call:
            assert book.perp[i] == perp
            assert book.collateral[i] == pytest.approx(desk.margin * notional, rel=1e-12)
        else:
            assert book.collateral[i] == col and book.cash[i] == cash
    assert 0 < lost.sum() < book.track["margin_calls"].sum() < n  # every case is reached


def test_the_desks_permanent_impact_moves_every_later_mark_and_the_pool():
    """The same random draws with and without a permanent part: the price with it is the
    price without it times exp(the desk's permanent impact so far), from the first step on
    (the article's opening sale of 2.3M and its hedges push it down), and every mark that
    follows the price (calls, loan, the pool through arbitrage) moves with it."""
    t = short(ARTICLE, 5, vol=0.3)
    still = replace(t, impact=replace(t.impact, permanent=0.0))
    moved, flat = (simulate_deal_paths(x, 8, seed=1, base=EXAMPLES) for x in (t, still))
    assert np.all(flat.metrics["impact_drift"] == 0)
    ratio = moved.series["price"] / flat.series["price"]
    assert np.all(ratio[0] == 1.0) and np.all(ratio[1] < 0.995)
    drift = moved.metrics["impact_drift"]
    assert np.allclose(np.log(ratio[-1]), drift, rtol=1e-9, atol=1e-12) and np.all(drift < 0)
    for bucket in ("options", "liability", "lp_divergence", "spot"):
        assert np.all(moved.metrics[bucket] != flat.metrics[bucket]), bucket
    assert moved.residual < 1e-9


def test_a_crash_a_delisting_and_an_outage_do_what_they_say():
    t = replace(short(ARTICLE, 5, vol=0.0), impact=replace(ARTICLE.impact, coefficient=0.0))
    base = simulate_deal_paths(t, 3, seed=1, base=EXAMPLES)
    crash = simulate_deal_paths(t, 3, seed=1, base=EXAMPLES, scenario="crash")
    assert np.all(crash.series["price"][1:-1] == pytest.approx(0.2, rel=1e-12))
    assert np.all(base.series["price"] == 1.0)
    delisted = simulate_deal_paths(replace(t, stress=(replace(t.stress[2], day=2.0),)), 3, seed=1,
                                   base=EXAMPLES, scenario="delisting")  # fmt: skip
    assert np.all(delisted.series["perp"][2:] == 0) and np.all(base.series["perp"][2:-1] != 0)
    assert np.all(delisted.series["price"][2:] == pytest.approx(0.4, rel=1e-12))
    assert np.all(delisted.metrics["uptime_0"] <= 2 / 5 + 1e-9)  # no venue is up after day 2
    out = simulate_deal_paths(t, 3, seed=1, base=EXAMPLES, scenario="perp-outage")
    # 12 hourly steps without a hedge: the per-fill policy's trades in them are not made
    assert np.all(out.metrics["hedge_trades"] <= base.metrics["hedge_trades"] - 11)
    assert not math.isclose(float(out.metrics["pnl"][0]), float(base.metrics["pnl"][0]))
    # venue A down for a day of the five: no fills there, and not up, for 24 of 120 steps
    down = replace(t, stress=(Stress("a-down", "outage", 1.0, 0.0, 24.0, "A"),))
    a_out = simulate_deal_paths(down, 3, seed=1, base=EXAMPLES, scenario="a-down").metrics
    assert np.all(a_out["uptime_0"] * 120 <= 96 + 1e-9)
    assert np.all(a_out["uptime_0"] < base.metrics["uptime_0"])


@settings(max_examples=300, deadline=None)
@given(
    perp=st.floats(-1e7, 1e7),
    wanted=st.floats(-1e7, 1e7),
    collateral=st.floats(-1e6, 1e7),
    cash=st.floats(-1e7, 1e7),
    price=st.floats(0.01, 100),
    margin=st.floats(0.01, 1),
    credit=st.floats(0, 1e7),
)
def test_a_hedge_grows_the_position_only_as_far_as_its_margin_can_be_posted(
    perp, wanted, collateral, cash, price, margin, credit
):
    """As the rule says: a smaller position on the same side (or none) is always allowed; a
    larger one only up to what collateral plus the cash the desk may still borrow covers at
    the initial margin, and never beyond what was wanted."""
    held = float(
        affordable(
            *(np.array([x]) for x in (perp, wanted, collateral, cash, price)), margin, credit
        )[0]
    )
    covered = max(collateral + max(cash + credit, 0.0), 0.0) / (margin * price)
    assert abs(held) <= abs(wanted) and (held == 0 or np.sign(held) == np.sign(wanted))
    shrinking = abs(wanted) <= abs(perp) and (wanted == 0 or np.sign(wanted) == np.sign(perp))
    if shrinking or abs(wanted) <= covered:
        assert held == wanted
    else:
        assert abs(held) == pytest.approx(max(covered, abs(perp) if wanted * perp > 0 else 0))
