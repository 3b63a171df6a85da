"""A deal's analysis: the strategy's paths gathered (by :mod:`marketcraft.sim.deal`, which runs
them) into the market maker's and the project's view."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from marketcraft.deal.book import BUCKETS
from marketcraft.deal.impact import daily_volume
from marketcraft.deal.risk import HORIZONS, LEVELS, share_se, tail_se, windows
from marketcraft.deal.strategy import SERIES, ChunkResult
from marketcraft.deal.terms import Terms
from marketcraft.deal.time_grid import TimeGrid
from marketcraft.deal.valuation import OptionValues, mean_se

__all__ = ["Analysis", "gather", "risk", "summarize"]


@dataclass
class Analysis:
    terms: Terms
    paths: int
    step_hours: float
    seed: int
    metrics: dict[str, np.ndarray]  # one value per path
    series: dict[str, np.ndarray]  # (days, paths)
    days: np.ndarray  # the day of each series row
    attribution: np.ndarray  # (days, buckets): mean cumulative bucket per path
    residual: float  # largest attribution gap on any path, relative to NAV
    values: OptionValues
    params: dict[str, float] = field(default_factory=dict)  # a sweep point's settings
    summary: dict[str, float] = field(default_factory=dict)
    base: Path = Path()  # where the terms' CSV files are
    scenario: str = ""  # the stress scenario run ("": the base case)


def gather(  # noqa: PLR0917
    terms: Terms,
    params: dict[str, float],
    outputs: list[ChunkResult],
    values: OptionValues,
    paths: int,
    step_hours: float,
    seed: int,
    base: Path,
    scenario: str = "",
) -> Analysis:
    """One point's analysis from its chunks of paths (in chunk order) and its option values;
    ``scenario``: the stress it ran under ("": none)."""
    clock = TimeGrid.span(terms.loan.tenor_days, step_hours)
    metrics = {k: np.concatenate([o.metrics[k] for o in outputs]) for k in outputs[0].metrics}
    series = {k: np.concatenate([o.series[k] for o in outputs], axis=1) for k in SERIES}
    attribution = sum(o.buckets_sum for o in outputs) / paths
    days = clock.records() * step_hours / 24.0
    found = Analysis(
        terms, paths, step_hours, seed, metrics, series, days, np.asarray(attribution),
        max(o.residual for o in outputs), values, params=params, base=base, scenario=scenario,
    )  # fmt: skip
    found.summary = summarize(found)
    return found


def risk(a: Analysis) -> dict[str, float]:
    """The desk's risk figures (see :mod:`marketcraft.deal.risk`), each with ``NAME_se``:
    VaR and CVaR of the PnL at maturity (``var_5%``: at 95%, named by the tail), and of the
    book's PnL over every overlapping 1- and 10-day window (``var_1d_1%``: 1 day at 99%;
    left out for a deal shorter than the horizon); the 95th percentile of the maximum
    drawdown; the probability of a margin call and of a liquidation (binomial)."""
    m = a.metrics
    out: dict[str, float] = {}

    def put(losses: np.ndarray, horizon: str) -> None:
        for level, found in tail_se(losses, LEVELS, a.seed).items():
            for kind, value, se in zip(("var", "cvar"), found[:2], found[2:], strict=True):
                key = f"{kind}_{horizon}{1.0 - level:.0%}"  # named by the tail: 5% or 1%
                out[key], out[f"{key}_se"] = value, se

    put(-m["pnl"], "")  # the PnL at maturity, one per path
    for days in HORIZONS:
        losses = windows(a.series["pnl"], days)
        if losses.size:  # a deal shorter than the horizon has no such figure
            put(losses, f"{days}d_")
    drawdown = tail_se(m["drawdown"], (0.95,), a.seed)[0.95]
    out["drawdown_p95"], out["drawdown_p95_se"] = drawdown[0], drawdown[2]
    for name, key in (("margin_call", "margin_calls"), ("liquidation", "liquidations")):
        out[f"{name}_probability"], out[f"{name}_probability_se"] = share_se(m[key] > 0)
    return out


def summarize(a: Analysis) -> dict[str, float]:
    """The headline numbers of both views (see :data:`marketcraft.reports.deal_report`): every
    mean over paths (and every share of paths) with its standard error under ``NAME_se``;
    VaR and CVaR as losses (positive: a loss; negative: even that tail makes money)."""
    m = a.metrics
    pnl = m["pnl"]
    out: dict[str, Any] = {}

    def mean(name: str, values: np.ndarray) -> None:
        out[name], out[f"{name}_se"] = mean_se(np.asarray(values, dtype=np.float64))

    mean("pnl_mean", pnl)
    out.update(pnl_median=np.median(pnl), pnl_std=pnl.std())
    mean("loss_probability", pnl < 0)
    mean("drawdown_mean", m["drawdown"])
    out["sharpe_median"] = np.median(m["sharpe"])
    for name, key in (
        ("hedge_turnover_mean", "turnover"), ("hedge_trades_mean", "hedge_trades"),
        ("hedge_cost_mean", "hedge_cost"), ("lvr_mean", "lvr"),
        ("pool_volume_arbitrage_mean", "pool_volume_arbitrage"),
        ("pool_volume_organic_mean", "pool_volume_organic"), ("peak_perp_mean", "peak_perp"),
        ("project_cash_mean", "project_cash"), ("tokens_sold_mean", "tokens_sold"),
        ("repaid_in_cash_share", "repaid_in_cash"), ("initial_impact_mean", "initial_impact"),
        ("impact_drift_mean", "impact_drift"), ("interest_paid_mean", "interest_paid"),
        ("interest_earned_mean", "interest_earned"), ("margin_calls_mean", "margin_calls"),
        ("liquidations_mean", "liquidations"), ("liquidation_cost_mean", "liquidation_cost"),
        ("hedge_short_mean", "hedge_short"),
    ):  # fmt: skip
        mean(name, m[key])
    out.update(
        peak_perp_p95=np.quantile(m["peak_perp"], 0.95),
        peak_margin_p95=np.quantile(m["peak_margin"], 0.95),
        min_cash_p5=np.quantile(m["min_cash"], 0.05),
        initial_sold=m["initial_sold"].mean(),
        delta_economic_start=float(a.series["delta_economic"][0].mean()),
        delta_inventory_start=float(a.series["delta_inventory"][0].mean()),
        attribution_residual=a.residual,
        daily_volume=daily_volume(a.terms),
    )
    out.update(a.values.totals())
    out.update(risk(a))
    for name in BUCKETS:
        mean(f"attr_{name}", m[name])
    for j in range(len(a.terms.calls)):
        mean(f"exercise_probability_{j}", m[f"exercised_{j}"])
    for v, venue in enumerate(a.terms.venues):
        mean(f"uptime_{venue.name}", m[f"uptime_{v}"])
    return {k: float(v) for k, v in out.items()}
