"""The pool's part of the market maker's book, against a pool rebuilt by hand from the spec: the
PancakeSwap v2 swap formula, an arbitrageur who trades while it pays (solved numerically), the
protocol's cut leaving pro rata, and the organic volume's fee. LP fees are the LP fee rate x
the volume; the divergence is the pool's value change less x dP (which is in ``spot``) less
the fees; the buckets still add up to the PnL."""

from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import brentq

from marketcraft.deal.book import BUCKETS
from marketcraft.deal.strategy import simulate_deal_paths
from marketcraft.deal.terms import load_terms

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "deals"
ARTICLE = load_terms(EXAMPLES / "article.toml")


def pool_deal(days: int, vol: float, share: float = 0.6):
    """The article's pool and loan, no venues, the loan held whole: the pool is all that
    trades."""
    t = ARTICLE
    return replace(
        t, loan=replace(t.loan, tenor_days=days), venues=(), calls=(),
        pool=replace(t.pool, share=share), market=replace(t.market, vol=vol, drift=0.0),
        hedge=replace(t.hedge, initial="economic", keep_inventory=0.0, sell_for_quotes=0.0),
    )  # fmt: skip


def swap_out(amount_in: float, r_in: float, r_out: float) -> float:
    """The spec's PancakeSwap v2 swap: out = in 9975 R_out / (R_in 10000 + in 9975)."""
    return amount_in * 9975 * r_out / (r_in * 10_000 + amount_in * 9975)


def best_input(r_in: float, r_out: float, worth: float) -> float:
    """What an arbitrageur pays in to maximise ``worth`` x out - in (0 if nothing pays): the
    root, found numerically, of worth x d(out)/d(in) = 1, the derivative taken from the swap
    formula."""

    def edge(u: float) -> float:
        return worth * 9975 * r_out * r_in * 10_000 / (r_in * 10_000 + u * 9975) ** 2 - 1.0

    if edge(0.0) <= 0:
        return 0.0
    return brentq(edge, 0.0, 100 * r_in, xtol=1e-12, rtol=1e-15)


def rebuild(prices: np.ndarray, t) -> dict[str, float]:
    """One path's pool buckets over ``prices`` (one per step, the first at listing)."""
    p = t.pool
    x, y = p.value / 2 / prices[0], p.value / 2
    share, protocol = p.share, p.fee - p.lp_fee
    organic = p.organic_volume * p.value  # a day's volume, at 24-hour steps
    out = {"x_dp": 0.0, "fees": 0.0, "divergence": 0.0, "arbitrage": 0.0}
    for old, new in pairwise(prices):
        out["x_dp"] += share * x * (new - old)
        before = x * new + y
        buy = best_input(y, x, new)  # stablecoin in, tokens out
        sell = best_input(x, y, 1 / new)  # tokens in, stablecoin out
        x, y = x - swap_out(buy, y, x) + sell, y + buy - swap_out(sell, x, y)
        paid_in = buy + sell * new
        keep = 1 - protocol * paid_in / (x * new + y)
        x, y = x * keep, y * keep
        fee = p.lp_fee * paid_in
        out["fees"] += share * fee
        out["divergence"] += share * (x * new + y - before - fee)
        out["arbitrage"] += paid_in
        grow = p.lp_fee * organic / (x * new + y)  # the fee stays in the pool pro rata
        x, y = x * (1 + grow), y * (1 + grow)
        out["fees"] += share * p.lp_fee * organic
    return out


def test_the_pool_buckets_match_a_pool_rebuilt_by_hand():
    t = pool_deal(30, vol=0.9)
    r = simulate_deal_paths(t, 6, seed=5, step_hours=24.0)
    m = r.metrics
    held = t.loan.tokens - t.pool.share * t.pool.value / 2  # the loan less the pool's tokens
    for path in range(6):
        prices = r.series["price"][:, path]
        hand = rebuild(prices, t)
        assert hand["arbitrage"] > 0  # the price moved enough to trade
        assert m["lp_fees"][path] == pytest.approx(hand["fees"], rel=1e-7)
        assert m["lp_divergence"][path] == pytest.approx(hand["divergence"], rel=1e-6)
        assert m["pool_volume_arbitrage"][path] == pytest.approx(hand["arbitrage"], rel=1e-7)
        spot = held * np.diff(prices).sum() + hand["x_dp"]
        assert m["spot"][path] == pytest.approx(spot, rel=1e-9)
    assert np.all(m["lp_divergence"] <= 0)  # arbitrage takes, net of its fees
    booked = sum(m[b] for b in BUCKETS)
    assert np.allclose(booked, m["pnl"], rtol=0, atol=1e-6 * 1e6)


def test_organic_fees_are_the_volume_times_the_lp_fee():
    """The issue's figure: 0.25 a day x $1M x 0.17% x 365 days = 155,125 at a full share."""
    for share, step in ((1.0, 24.0), (0.4, 6.0)):
        r = simulate_deal_paths(pool_deal(365, vol=0.0, share=share), 2, seed=1, step_hours=step)
        assert np.allclose(r.metrics["pool_volume_organic"], 0.25 * 1e6 * 365, rtol=1e-12)
        assert np.allclose(r.metrics["lp_fees"], share * 155_125.0, rtol=1e-9)
        assert np.all(r.metrics["lp_divergence"] == 0) and np.all(r.metrics["spot"] == 0)


def test_the_divergence_is_small_beside_the_pools_directional_pnl():
    """At vol 0.6 the price moves of the pool's tokens dwarf what arbitrage takes: the issue
    found the old bucket's sd 40x the divergence's."""
    t = pool_deal(120, vol=0.6, share=1.0)
    r = simulate_deal_paths(t, 200, seed=2, step_hours=6.0)
    m = r.metrics
    held = t.loan.tokens - t.pool.value / 2
    pool_dp = m["spot"] - held * (m["final_price"] - 1.0)  # the pool's x dP
    assert m["lp_divergence"].std() < pool_dp.std() / 10
    assert np.all(m["lp_divergence"] < 0) and np.all(m["lp_fees"] > 0)
