"""Option values: the Monte Carlo of a European call matches Black-Scholes within three
standard errors; an early first-touch exercise is worth less than holding; the analysis gives
the same numbers however many processes ran it."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from marketcraft.deal import analysis
from marketcraft.deal.greeks import black_scholes
from marketcraft.deal.terms import Tranche, load_terms
from marketcraft.deal.valuation import VOL_SCALES, monte_carlo_calls, option_values

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
    value, stderr = monte_carlo_calls(
        calls, start=1.0, vols=np.array([vol]), years=1.0, step_hours=24.0, paths=40_000,
        seed=9, jumps=jumps,
    )  # fmt: skip
    reference = merton(1.0, strike, 1.0, vol, *jumps)
    if jumps[0] == 0:
        assert np.isclose(reference, float(black_scholes(1.0, strike, 1.0, vol).price))
    assert abs(value[0, 0] - reference) < 3 * stderr[0, 0]
    assert stderr[0, 0] < 0.01


def test_the_article_calls_are_worth_what_the_spec_says_and_first_touch_gives_some_away():
    t = load_terms(EXAMPLES / "article.toml")
    v = option_values(t, step_hours=4.0, paths=1_000)
    assert np.allclose(v.vols, np.array(VOL_SCALES) * 1.0)
    first = float(black_scholes(1.0, 1.25, 1.0, 1.0).price) * 100_000
    assert np.isclose(v.black_scholes[0], first) and np.isclose(first / 1e5, 0.315560, atol=1e-6)
    assert np.all(np.diff(v.by_vol_bs.sum(axis=1)) > 0)  # worth more at higher vol
    assert np.all(v.monte_carlo < v.black_scholes)  # exercising at first touch wastes time value


def test_results_do_not_depend_on_the_workers(monkeypatch):
    monkeypatch.setattr(analysis, "CHUNK", 30)
    t = load_terms(EXAMPLES / "article.toml")
    t = replace(t, loan=replace(t.loan, tenor_days=6))
    one = analysis.analyze(t, paths=70, workers=1, base=EXAMPLES)
    two = analysis.analyze(t, paths=70, workers=2, base=EXAMPLES)
    assert np.array_equal(one.metrics["pnl"], two.metrics["pnl"])
    assert one.metrics["pnl"].size == 70 and len(set(one.metrics["pnl"].tolist())) == 70
    assert one.summary == two.summary
