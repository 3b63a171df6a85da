"""The strategy Monte Carlo: attribution adds up to the NAV change on every path, runs are
seeded and reproducible, and each part of the strategy does what the terms say (initial hedge
presets, TWAP fixing, exercise, cash repayment, funding, obligations)."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from marketcraft.deal.book import BUCKETS
from marketcraft.deal.greeks import black_scholes
from marketcraft.deal.hedge import load_positions
from marketcraft.deal.returns import Bootstrap
from marketcraft.deal.strategy import simulate_deal_paths
from marketcraft.deal.terms import load_terms

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "deals"


def short(name: str, days: float = 40, **market):
    t = load_terms(EXAMPLES / f"{name}.toml")
    return replace(t, loan=replace(t.loan, tenor_days=days), market=replace(t.market, **market))


def run(terms, paths=200, seed=1, **kw):
    return simulate_deal_paths(terms, paths, seed=seed, base=EXAMPLES, **kw)


@pytest.mark.parametrize("name", ["article", "twap-strike", "cash-repay"])
def test_buckets_add_up_to_the_nav_change_on_every_path(name):
    r = run(short(name, days=45, jumps_per_year=20, jump_vol=0.2))
    m = r.metrics
    booked = sum(m[b] for b in BUCKETS)
    scale = np.maximum(np.abs(m["pnl"]), 1e6)
    assert np.all(np.abs(booked - m["pnl"]) < 1e-6 * scale)
    assert r.residual < 1e-9  # also checked every simulated day, against NAV from holdings
    assert np.all(np.isfinite(m["pnl"])) and m["pnl"].std() > 0
    # every bucket is used by some deal: none is stuck at zero here
    assert sum(np.any(m[b] != 0) for b in BUCKETS) >= 8


def test_a_seed_gives_the_same_paths_and_another_seed_others():
    t = short("article", days=10)
    a, b, c = run(t, seed=3), run(t, seed=3), run(t, seed=4)
    assert np.array_equal(a.metrics["pnl"], b.metrics["pnl"])
    assert np.array_equal(a.series["price"], b.series["price"])
    assert not np.array_equal(a.metrics["pnl"], c.metrics["pnl"])


def test_the_article_preset_is_inventory_neutral_and_economically_short_the_loan():
    t = short("article", days=5)
    r = run(t, paths=20)
    start_inventory = r.series["delta_inventory"][0]
    start_economic = r.series["delta_economic"][0]
    assert np.allclose(start_inventory, 0, atol=1e-6)
    assert np.allclose(start_economic, -t.loan.tokens, rtol=1e-6)
    # the article sells 2.3M at once and keeps 700k for the pool (500k) and the venues
    assert np.all(r.metrics["initial_sold"] == 2_300_000) and np.all(r.series["sold"][0] == 2.3e6)
    other = run(short("article-sells-1.8m", days=5), paths=4)
    assert np.all(other.metrics["initial_sold"] == 1_800_000)


def test_the_positions_example_is_the_article_desk_on_day_one():
    t = short("article", days=365)
    r = run(t, paths=2)
    p = load_positions(EXAMPLES / "positions.toml")
    venues = dict(p.inventory)
    assert sum(venues.values()) + p.pool.tokens == t.hedge.keep_inventory == 700_000
    depth = {v.name: v.depth for v in t.venues}
    assert venues == {k: 200_000 * d / sum(depth.values()) for k, d in depth.items()}
    assert abs(p.perp.tokens - r.series["perp"][0, 0]) < 100  # -857,013 on the first day
    assert p.pool.tokens * p.pool.stable == (t.pool.value / 2) ** 2


def test_the_economic_preset_counts_the_loan_and_sells_nothing_by_default():
    t = short("article", days=5)
    t = replace(t, hedge=replace(t.hedge, initial="economic", delta_mode="economic",
                                 keep_inventory=0.0, sell_for_quotes=0.0))  # fmt: skip
    r = run(t, paths=20)
    assert np.allclose(r.series["delta_economic"][0], 0, atol=1e-6)
    # holding the whole loan is neutral but for the calls' delta, which the perps short
    calls = sum(
        c.tokens * black_scholes(1.0, c.strike, 5 / 365, t.market.vol).delta for c in t.calls
    )
    assert np.allclose(r.series["perp"][0], -calls, rtol=1e-6)
    assert np.all(r.metrics["initial_sold"] == 0)


def test_a_twap_strike_fixes_at_its_multiple_of_the_average():
    t = short("twap-strike", days=45, vol=0.0, drift=0.5, jumps_per_year=0.0)
    r = run(t, paths=3)
    steps = 30 * 24
    hourly = 0.4 * np.exp(0.5 * np.arange(1, steps + 1) / (365 * 24))
    for j, multiple in enumerate((1.5, 2.0, 3.0)):
        assert np.allclose(r.metrics[f"strike_{j}"], multiple * hourly.mean(), rtol=1e-9)


def test_calls_are_exercised_above_their_strike_and_pay_the_project():
    t = short("article", days=30, vol=0.0, drift=6.0)  # 1.00 -> 1.64 in 30 days, smoothly
    r = run(t, paths=2)
    m = r.metrics
    assert m["exercised_0"].all() and m["exercised_1"].all() and not m["exercised_2"].any()
    # the first touch of strike x 1.05: day ln(1.25 x 1.05) / 6 x 365
    assert np.allclose(m["exercise_day_0"], np.log(1.25 * 1.05) / 6 * 365, atol=1 / 24)
    assert np.allclose(m["project_cash"], 100_000 * 1.25 + 100_000 * 1.5)


@pytest.mark.parametrize(("drift", "in_cash"), [(-3.0, False), (3.0, True)])
def test_cash_repayment_is_chosen_when_cheaper(drift, in_cash):
    t = short("cash-repay", days=60, vol=0.0, drift=drift)
    r = run(t, paths=2)
    assert bool(r.metrics["repaid_in_cash"].all()) == in_cash
    if in_cash:
        assert np.all(r.metrics["project_cash"] >= 2_000_000 * 0.9)
    # the book ends flat: loan repaid, perps closed, tokens left over sold
    assert np.all(r.series["delta_economic"][-1] == 0) and np.all(r.series["perp"][-1] == 0)
    assert np.all(r.metrics["tokens_left"] == 0)


def test_shorts_receive_positive_funding_and_pay_negative():
    t = short("article", days=10)
    paid = run(replace(t, funding=replace(t.funding, rate=-0.001)), paths=20).metrics["funding"]
    got = run(replace(t, funding=replace(t.funding, rate=0.001)), paths=20).metrics["funding"]
    assert np.all(got > 0) and np.all(paid < 0)  # the article's book is short perps


def test_a_venue_without_inventory_starts_stocked_out():
    t = short("article-sells-1.8m", days=5)  # 700k tokens on the venues
    pool_only = replace(t.hedge, keep_inventory=500_000.0)  # the pool's tokens, none to quote
    empty = run(replace(t, hedge=pool_only), paths=10).metrics
    full = run(t, paths=10).metrics
    assert np.all(empty["stockouts_0"] >= 1)  # until bid fills bring tokens in
    assert empty["uptime_0"].mean() < 0.8 < 0.9 < full["uptime_0"].mean()
    assert np.all(full["stockouts_0"] == 0)


def test_a_bootstrap_replays_only_the_datas_own_returns(tmp_path):
    rng = np.random.default_rng(8)
    prices = 0.5 * np.exp(np.cumsum(rng.normal(0, 0.02, 500)))
    rows = (f"{3600 * i},{float(p)!r}" for i, p in enumerate(prices))  # hourly, Unix seconds
    (tmp_path / "prices.csv").write_text("time,price\n" + "\n".join(rows))
    t = short("article", days=6)
    t = replace(t, market=replace(t.market, model="bootstrap", csv="prices.csv", block_hours=12))
    r = simulate_deal_paths(t, 30, seed=2, base=tmp_path)
    daily = np.diff(np.log(r.series["price"].astype(np.float64)), axis=0)
    data = np.diff(np.log(prices))
    # a day's move is the sum of 24 hourly returns drawn from the data: within its range
    assert np.all(np.abs(daily) <= 24 * np.abs(data).max() + 1e-6)
    assert r.residual < 1e-9 and daily.std() > 0

    boot = Bootstrap(prices, 12)
    drawn = boot.block(np.random.default_rng(1), 100, 7)
    assert drawn.shape == (100, 7) and np.isin(drawn, data).all()
    # blocks are consecutive stretches of the data
    first = drawn[:12, 0]
    start = int(np.flatnonzero(data == first[0])[0])
    assert np.array_equal(first, data[start : start + 12])
    assert np.isclose(boot.vol(1.0), data.std(ddof=1) * np.sqrt(8760))


def test_adverse_selection_moves_the_mid_against_the_market_maker():
    t = short("article-sells-1.8m", days=6, vol=0.0)  # inventory enough for fills both ways
    still = run(t, paths=40)
    assert np.all(still.series["price"] == 1.0)  # no vol, no adverse: no move
    venues = tuple(replace(v, adverse=0.5) for v in t.venues)
    moved = run(replace(t, venues=venues), paths=40)
    change = np.log(moved.series["price"][-2].astype(np.float64))
    sold = (moved.series["sold"][-2] - moved.series["sold"][0]).astype(np.float64)
    # takers who buy from the MM push the mid up after it sold, and down after it bought
    assert np.corrcoef(change, sold)[0, 1] > 0.5 and change.std() > 0  # fills differ in size
    assert moved.residual < 1e-9
