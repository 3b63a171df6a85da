"""What the project gives away: the Monte Carlo of a call held to expiry matches the closed
form (Merton, QuantLib) within three standard errors; the calls are given away at fair value
and the cash-repayment option is counted; the desk's first-touch exercise is worth less than
holding, and what it costs is reported with a paired standard error; the analysis gives the
same numbers however many processes ran it."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from marketcraft.deal import valuation
from marketcraft.deal.bounds import MAX_VOL_SCALE
from marketcraft.deal.greeks import black_scholes
from marketcraft.deal.terms import Tranche, load_terms
from marketcraft.deal.valuation import VOL_SCALES, mean_se, monte_carlo_calls, option_values
from marketcraft.sim import deal as deal_runs
from tests.support.quantlib_reference import european_call

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "deals"


def merton(spot, strike, years, vol, rate, mean, spread):
    """Merton's jump-diffusion call (r = 0): a Poisson mixture of Black-Scholes prices."""
    kappa = np.exp(mean + spread**2 / 2) - 1
    boosted = rate * (1 + kappa) * years
    total, weight = 0.0, np.exp(-boosted)
    for n in range(60):
        sigma = np.sqrt(vol**2 + n * spread**2 / years)
        r_n = -rate * kappa + n * np.log1p(kappa) / years
        total += weight * float(black_scholes(spot, strike, years, sigma, r_n, r_n).price)
        weight *= boosted / (n + 1)
    return total


@pytest.mark.parametrize(
    ("strike", "vol", "jumps"), [(1.25, 1.0, (0.0, 0.0, 0.0)), (0.8, 0.5, (6.0, -0.1, 0.2))]
)
def test_a_european_call_prices_like_the_closed_form(strike, vol, jumps):
    calls = (Tranche(tokens=1.0, strike=strike, style="european"),)
    payoffs = monte_carlo_calls(
        calls, start=1.0, vols=np.array([vol]), years=1.0, step_hours=24.0, paths=40_000,
        seed=9, jumps=jumps,
    )  # fmt: skip
    value, stderr = mean_se(payoffs.expiry[0, 0])
    reference = merton(1.0, strike, 1.0, vol, *jumps)
    if jumps[0] == 0:
        assert np.isclose(reference, float(black_scholes(1.0, strike, 1.0, vol).price))
    assert abs(value - reference) < 3 * stderr
    assert stderr < 0.01
    assert np.array_equal(payoffs.rule, payoffs.expiry)  # a European tranche: the same


def test_the_article_calls_are_given_away_at_fair_value_and_first_touch_costs_the_desk():
    t = load_terms(EXAMPLES / "article.toml")
    v = option_values(t, step_hours=24.0, paths=4_000)
    assert np.allclose(v.vols, np.array(VOL_SCALES) * 1.0)
    first = float(black_scholes(1.0, 1.25, 1.0, 1.0).price) * 100_000
    assert np.isclose(v.black_scholes[0], first) and np.isclose(first / 1e5, 0.315560, atol=1e-6)
    assert np.all(np.diff(v.by_vol_bs.sum(axis=1)) > 0)  # worth more at higher vol
    s = v.totals()
    fair = sum(100_000 * european_call(1.0, k, 1.0, 1.0) for k in (1.25, 1.5, 2.0))
    assert s["options_fair"] == pytest.approx(fair, rel=1e-6)  # the 76,991
    assert round(fair) == 76_991 and s["given_away"] == s["options_fair"]  # no cash option
    assert abs(s["options_mc_expiry"] - fair) < 3 * s["options_mc_expiry_se"]
    # exercising at the first touch of strike x 1.05 gives away time value: the issue's
    # Monte Carlo "given away" of 12,229 was this value, not the fair one
    assert s["options_mc_rule"] < fair / 3
    cost = s["options_mc_expiry"] - s["options_mc_rule"]
    assert s["exercise_rule_cost"] == pytest.approx(cost)
    assert s["exercise_rule_cost"] > 10 * s["exercise_rule_cost_se"]
    # pairing the paths makes the cost's error smaller than the two values' errors combined
    assert s["exercise_rule_cost_se"] < np.hypot(s["options_mc_expiry_se"], s["options_mc_rule_se"])


def test_the_right_to_repay_in_cash_is_given_away_too():
    t = load_terms(EXAMPLES / "cash-repay.toml")
    v = option_values(t, step_hours=24.0, paths=4_000)
    s = v.totals()
    cash = 2_000_000 * european_call(0.60, 0.90, 2.0, 0.9)
    assert round(cash) == 443_995  # the figure, 12x the calls
    assert s["cash_option_bs"] == pytest.approx(cash, rel=1e-6)
    assert abs(s["cash_option_mc"] - cash) < 3 * s["cash_option_mc_se"]
    calls = 250_000 * european_call(0.60, 1.50, 2.0, 0.9)
    assert s["options_fair"] == pytest.approx(calls, rel=1e-6)
    assert s["given_away"] == pytest.approx(cash + calls, rel=1e-6)
    assert s["given_away"] > 12 * s["options_fair"]
    with_interest = replace(t, loan=replace(t.loan, interest=0.1))
    owed = option_values(with_interest, step_hours=24.0, paths=10).totals()["cash_option_bs"]
    assert owed == pytest.approx(cash * 1.2, rel=1e-9)  # on what is owed at maturity


def test_a_twap_tranche_is_valued_by_its_monte_carlo():
    t = load_terms(EXAMPLES / "twap-strike.toml")
    v = option_values(t, step_hours=24.0, paths=500)
    fair, se = v.fair()
    expiry, expiry_se = v.by_vol(rule=False)
    assert np.array_equal(fair, expiry[v.base]) and np.all(se == expiry_se[v.base])
    assert np.all(se > 0) and not v.fixed.any()


def test_results_do_not_depend_on_the_workers(monkeypatch):
    monkeypatch.setattr(deal_runs, "CHUNK", 30)
    monkeypatch.setattr(valuation, "MC_CHUNK", 25)  # the option Monte Carlo in 3 jobs too
    t = load_terms(EXAMPLES / "article.toml")
    t = replace(t, loan=replace(t.loan, tenor_days=6))
    one = deal_runs.analyze(t, paths=70, workers=1, base=EXAMPLES)
    two = deal_runs.analyze(t, paths=70, workers=2, base=EXAMPLES)
    assert np.array_equal(one.metrics["pnl"], two.metrics["pnl"])
    assert one.metrics["pnl"].size == 70 and len(set(one.metrics["pnl"].tolist())) == 70
    assert one.summary == two.summary
    assert one.values.payoffs.rule.shape[-1] == 70
    assert np.array_equal(one.values.payoffs.expiry, two.values.payoffs.expiry)


def test_the_bounds_allow_for_the_highest_vol_the_valuation_uses():
    assert max(VOL_SCALES) == MAX_VOL_SCALE
