"""The study of one grid point: per-run numbers, depeg episodes and summary numbers with
confidence intervals across runs, from the point's hourly series (:mod:`.study` holds the
math)."""

from __future__ import annotations

import numpy as np

from marketcraft.sim.peg.scenario import Scenario
from marketcraft.sim.peg.study import (
    Episodes,
    depeg_episodes,
    max_drawdown,
    mean_interval,
    redemption_values,
    value_at_risk,
    value_per_mms_and_col,
    wilson_interval,
)

__all__ = ["STUDY_HEADLINES", "analyse", "derived_series"]

#: (summary key, label, format) of the study's numbers, for the printed table
STUDY_HEADLINES = [
    ("depeg_episodes_per_year_mean", "depeg episodes per run-year (mean)", "{:.2f}"),
    ("depeg_hours_p95", "depeg episode length, p95 (h)", "{:,.0f}"),
    ("depeg_deepest", "deepest depeg of all runs", "{:+.1%}"),
    ("depeg_recover_hours_p95", "hours from the deepest point back, p95", "{:,.0f}"),
    ("redemption_small_min_p5", "PEG sold / feed, worst hour, p5 of runs", "{:.3f}"),
    ("redemption_large_min_p5", "10% of PEG sold at once / feed, worst, p5", "{:.3f}"),
    ("mms_max_drawdown_median", "MMS max drawdown (median)", "{:.1%}"),
    ("col_max_drawdown_median", "COL max drawdown (median)", "{:.1%}"),
    ("mms_daily_var95", "MMS daily VaR 95%", "{:.2%}"),
    ("col_daily_var95", "COL daily VaR 95%", "{:.2%}"),
    ("mms_horizon_var95", "MMS VaR 95% over the run", "{:.1%}"),
    ("col_horizon_var95", "COL VaR 95% over the run", "{:.1%}"),
]


def derived_series(s: Scenario, series: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Hourly: SPOT, SPOT against the price, redemption values and MMS and COL values in PEG."""
    c, u, x, dc = series["c"], series["u"], series["x"], series["dc"]
    price, feed, mms = series["price"], series["feed"], series["mms"]
    small, large = redemption_values(c, u, dc, feed, s.market.fee)
    per_mms, per_col = value_per_mms_and_col(c, x, dc, mms, price)
    spot = c / u
    return {
        "spot": spot,
        "depeg": spot / price - 1.0,
        "redemption_small": small,
        "redemption_large": large,
        "mms_value_peg": per_mms,
        "col_value_peg": per_col,
    }


def analyse(
    s: Scenario, metrics: dict[str, np.ndarray], series: dict[str, np.ndarray]
) -> tuple[dict[str, np.ndarray], Episodes, dict[str, float]]:
    """(per-run numbers, depeg episodes, summary numbers) for one grid point."""
    d = derived_series(s, series)
    runs = len(metrics["black_swan"])
    hours_per_sample = _hours_per_sample(series)
    episodes = depeg_episodes(d["depeg"], s.market.band)
    years = s.days / 365.0
    counts = np.bincount(episodes.run, minlength=runs)
    deepest = np.zeros(runs)
    for run in range(runs):
        mine = episodes.deepest[episodes.run == run]
        deepest[run] = mine[np.argmax(np.abs(mine))] if len(mine) else 0.0
    per_run = {
        "depeg_episodes": counts,
        "depeg_deepest": deepest,
        "redemption_small_min": _column_min(d["redemption_small"], runs),
        "redemption_large_min": _column_min(d["redemption_large"], runs),
        "mms_max_drawdown": max_drawdown(_with_start(d["mms_value_peg"], s.price.start)),
        "col_max_drawdown": max_drawdown(_with_start(d["col_value_peg"], s.price.start)),
    }
    summary = _summary(metrics, per_run, episodes, d, hours_per_sample=hours_per_sample,
                       years=years)  # fmt: skip
    return per_run, episodes, summary


def _summary(
    metrics: dict[str, np.ndarray],
    per_run: dict[str, np.ndarray],
    episodes: Episodes,
    d: dict[str, np.ndarray],
    *,
    hours_per_sample: float,
    years: float,
) -> dict[str, float]:
    runs = len(metrics["black_swan"])
    out: dict[str, float] = {}
    mean, low, high = mean_interval(per_run["depeg_episodes"] / years)
    low = max(low, 0.0)  # a count: the normal interval's lower end can fall below 0
    out |= {"depeg_episodes_per_year_mean": mean, "depeg_episodes_per_year_ci_low": low,
            "depeg_episodes_per_year_ci_high": high}  # fmt: skip
    hours = episodes.length * hours_per_sample
    recover = episodes.recover * hours_per_sample
    out["depeg_hours_p50"] = _quantile(hours, 0.5)
    out["depeg_hours_p95"] = _quantile(hours, 0.95)
    out["depeg_hours_max"] = float(hours.max()) if len(hours) else float("nan")
    out["depeg_deepest"] = (
        float(episodes.deepest[np.argmax(np.abs(episodes.deepest))]) if len(episodes) else 0.0
    )
    out["depeg_recover_hours_p50"] = _quantile(recover, 0.5)
    out["depeg_recover_hours_p95"] = _quantile(recover, 0.95)
    out["depeg_open_at_end_share"] = float(np.mean(~episodes.ended)) if len(episodes) else 0.0
    out["redemption_small_min_p5"] = _quantile(per_run["redemption_small_min"], 0.05)
    out["redemption_large_min_p5"] = _quantile(per_run["redemption_large_min"], 0.05)
    out["mms_max_drawdown_median"] = _quantile(per_run["mms_max_drawdown"], 0.5)
    out["col_max_drawdown_median"] = _quantile(per_run["col_max_drawdown"], 0.5)
    day = max(1, round(24 / hours_per_sample))
    for name in ("mms", "col"):
        values = d[f"{name}_value_peg"]
        with np.errstate(divide="ignore", invalid="ignore"):
            daily = values[day::day] / values[:-day:day][: len(values[day::day])] - 1.0
        out[f"{name}_daily_var95"] = value_at_risk(daily.ravel())
        out[f"{name}_horizon_var95"] = value_at_risk(metrics[f"{name}_return_peg"])
    mean, low, high = mean_interval(metrics["mms_return_peg"] - metrics["col_return_peg"])
    out |= {"mms_minus_col_mean": mean, "mms_minus_col_ci_low": low,
            "mms_minus_col_ci_high": high}  # fmt: skip
    mean, low, high = mean_interval(metrics["outside_band_share"])
    out |= {"outside_band_share_ci_low": low, "outside_band_share_ci_high": high}
    low, high = wilson_interval(int(np.sum(metrics["black_swan"])), runs)
    out |= {"black_swan_probability_ci_low": low, "black_swan_probability_ci_high": high}
    return out


def _hours_per_sample(series: dict[str, np.ndarray]) -> float:
    days = series["day"]
    return float(days[0] * 24) if len(days) else 1.0


def _with_start(values: np.ndarray, start: float) -> np.ndarray:
    """``values`` (samples, runs) with the opening value as the first row (one MMS and one
    COL are both worth the opening price, in PEG)."""
    return np.vstack([np.full((1, values.shape[1]), start), values])


def _column_min(values: np.ndarray, runs: int) -> np.ndarray:
    return values.min(axis=0) if len(values) else np.full(runs, np.nan)


def _quantile(values: np.ndarray, q: float) -> float:
    finite = values[np.isfinite(values)]
    return float(np.quantile(finite, q)) if len(finite) else float("nan")
