"""The report reads without guessing: VaR and CVaR are named losses (or gains), nothing is
printed as -0, every mean has its standard error beside it, the option Monte Carlo runs the
paths asked for, and the PnL picture does not pretend realised vol varies when it does not."""

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from marketcraft.deal.terms import load_terms
from marketcraft.reports.deal_report import LOSS, MONEY, SHARE, cell, fmt, write_report
from marketcraft.sim.deal import analyze

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "deals"


def short(days=6, **market):
    t = load_terms(EXAMPLES / "article.toml")
    return replace(t, loan=replace(t.loan, tenor_days=days), market=replace(t.market, **market))


@pytest.mark.parametrize(
    ("spec", "value", "text"),
    [
        (MONEY, -0.4, "0"), (MONEY, -0.6, "-1"), (SHARE, -0.0001, "0.0%"),
        ("{:.1e}", -0.0, "0.0e+00"),
        (LOSS, 1234.4, "loss 1,234"), (LOSS, -1234.4, "gain 1,234"), (LOSS, -0.2, "0"),
        (MONEY, float("nan"), "n/a"),
    ],
)  # fmt: skip
def test_numbers_are_printed_with_their_sign_named(spec, value, text):
    assert fmt(spec, value) == text


def test_a_mean_is_printed_with_its_standard_error():
    assert cell({"x": 1234.0, "x_se": 56.2}, "x", MONEY) == "1,234 ± 56"
    assert cell({"x": 0.25, "x_se": 0.0123}, "x", SHARE) == "25.0% ± 1.2%"
    assert cell({"x": 5.0}, "x", MONEY) == "5"  # exact: nothing to add


def tables(report: str) -> str:
    return re.sub(r"<img[^>]*>", "", report)


def test_a_run_that_always_gains_prints_var_as_a_gain(tmp_path):
    t = short(days=30, vol=0.0)  # a still price; the article's short perps earn funding
    found = analyze(replace(t, funding=replace(t.funding, rate=0.0005)), paths=30, step_hours=6.0,
                    workers=1)  # fmt: skip
    assert found.metrics["pnl"].min() > 0 and found.summary["var_5%"] < 0
    page = tables(write_report(found, tmp_path / "r.html").read_text())
    row = re.search(r"<td>to maturity</td><td>([^<]*)", page)  # VaR 95%
    assert row and row.group(1).startswith("gain ")
    assert not re.search(r"[\s>(]-0(?:\.0+)?(?:%|e\+00)?[\s<),]", page)  # no -0 anywhere


def test_every_mean_has_its_standard_error(tmp_path):
    found = analyze(short(), paths=40, step_hours=6.0, workers=1)
    s = found.summary
    means = [k for k in s if not k.endswith("_se") and (
        k.endswith("_mean") or k.startswith(("attr_", "exercise_probability_", "uptime_"))
        or k in ("loss_probability", "repaid_in_cash_share")
    )]  # fmt: skip
    assert len(means) > 25 and all(f"{k}_se" in s for k in means)
    pnl = found.metrics["pnl"]
    assert s["pnl_mean_se"] == pytest.approx(pnl.std(ddof=1) / np.sqrt(pnl.size), rel=1e-12)
    page = tables(write_report(found, tmp_path / "r.html").read_text())
    assert f"PnL, mean</td><td>{cell(s, 'pnl_mean', MONEY)}</td>" in page and " ± " in page


def test_the_option_monte_carlo_runs_the_paths_asked_for():
    found = analyze(short(), paths=37, step_hours=6.0, workers=1)
    assert found.values.payoffs.rule.shape == (3, 5, 37)


def test_pnl_is_not_drawn_against_a_vol_that_does_not_vary(tmp_path):
    gbm = analyze(short(days=60), paths=60, step_hours=1.0, workers=1)
    vol = gbm.metrics["realised_vol"]
    assert np.quantile(vol, 0.95) < 1.1 * np.quantile(vol, 0.05)  # GBM: a percent or two
    page = write_report(gbm, tmp_path / "gbm.html").read_text()
    assert "too narrow to show PnL against vol" in page
    jumps = analyze(short(days=60, jumps_per_year=12, jump_vol=0.4), paths=60, step_hours=1.0,
                    workers=1)  # fmt: skip
    page = write_report(jumps, tmp_path / "jumps.html").read_text()
    assert "PnL over realised volatility and drift" in page and "too narrow" not in page


def test_a_deal_shorter_than_ten_days_has_no_ten_day_risk(tmp_path):
    found = analyze(short(days=6), paths=20, step_hours=6.0, workers=1)
    s = found.summary
    assert "var_1d_5%" in s and "cvar_1d_1%_se" in s
    assert not any(k.startswith(("var_10d", "cvar_10d")) for k in s)
    page = tables(write_report(found, tmp_path / "r.html").read_text())
    assert "<td>1 day</td>" in page and "<td>10 days</td>" not in page
    assert cell(s, "var_10d_5%", LOSS) == "n/a"
