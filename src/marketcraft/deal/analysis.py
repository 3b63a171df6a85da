"""Analyse a deal: simulate the strategy on many paths (in chunks, on local processes or a
Dask cluster) and gather the market maker's and the project's view.

Paths are simulated in chunks of :data:`CHUNK`; chunk ``i`` draws from a generator seeded with
``(seed, i)``, so the results depend on the seed and the number of paths only, not on how many
workers ran them."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from marketcraft.deal.book import BUCKETS
from marketcraft.deal.bounds import MAX_PATHS
from marketcraft.deal.clock import Clock
from marketcraft.deal.strategy import SERIES, ChunkResult, price_model, simulate_deal_paths
from marketcraft.deal.terms import Terms, validate
from marketcraft.deal.valuation import (
    OptionValues,
    Payoffs,
    mean_se,
    option_chunk,
    option_chunks,
    option_values,
)
from marketcraft.kernel.errors import ValidationError
from marketcraft.sim.dispatch import Progress, run_jobs
from marketcraft.sim.sweeps import combinations

__all__ = ["CHUNK", "SWEEPABLE", "Analysis", "analyze", "analyze_grid", "summarize", "with_params"]

CHUNK = 5_000


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


def _job(  # noqa: PLR0917 (a job's arguments travel as one tuple)
    kind: str,
    terms: Terms,
    paths: int,
    seed: int,
    chunk: int,
    step_hours: float,
    base: str,
    progress: Callable[[int], None] | None = None,
) -> ChunkResult | Payoffs:
    """One job: a chunk of the strategy's paths, or of the option Monte Carlo."""
    if kind == "options":
        return option_chunk(terms, paths, seed, chunk, step_hours, base, progress)
    return simulate_deal_paths(
        terms, paths, seed=seed, chunk=chunk, step_hours=step_hours, base=Path(base),
        progress=progress,
    )  # fmt: skip


#: what ``--sweep`` may vary: the name a user writes -> (table, key) in the terms
SWEEPABLE = {
    "vol": "market.vol",
    "drift": "market.drift",
    "jumps_per_year": "market.jumps_per_year",
    "band_tokens": "hedge.band_tokens",
    "interval_hours": "hedge.interval_hours",
    "funding_rate": "funding.rate",
    "pool_value": "pool.value",
    "capital": "desk.capital",
}


def with_params(terms: Terms, params: dict[str, float], base: Path = Path()) -> Terms:
    """The terms with swept parameters set (``"market.vol": 0.8``...), validated."""
    for dotted, value in params.items():
        table, key = dotted.split(".")
        changed = replace(getattr(terms, table), **{key: value})
        terms = replace(terms, **{table: changed})
    return validate(terms, base)


def analyze(
    terms: Terms,
    *,
    paths: int | None = None,
    step_hours: float | None = None,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
    base: Path = Path(),
) -> Analysis:
    """Simulate ``paths`` paths (default: the terms' ``[simulation]``) and summarise them.
    ``base`` is where the terms' CSV files are looked for."""
    return analyze_grid(
        terms, {}, paths=paths, step_hours=step_hours, seed=seed, workers=workers,
        scheduler=scheduler, progress=progress, base=base,
    )[0]  # fmt: skip


def analyze_grid(
    terms: Terms,
    sweep: dict[str, list[float]],
    *,
    paths: int | None = None,
    step_hours: float | None = None,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
    base: Path = Path(),
) -> list[Analysis]:
    """One analysis per point of the full grid of ``sweep`` (keys as in :data:`SWEEPABLE`'s
    values), every point on the same seeds; all points' chunks share the workers."""
    sim = terms.simulation
    paths = sim.paths if paths is None else paths
    step_hours = step_hours or sim.step_hours
    seed = sim.seed if seed is None else seed
    if not 1 <= paths <= MAX_PATHS:
        raise ValidationError("bad_paths", f"paths must be 1..{MAX_PATHS:,}, not {paths}")
    if not 0 <= seed < 2**63:
        raise ValidationError("bad_seed", f"seed must be a whole number 0..2^63-1, not {seed}")
    points = [(params, with_params(terms, params, base)) for params in combinations(sweep)]
    clock = Clock.span(terms.loan.tenor_days, step_hours)
    price_model(terms, base, step_hours)  # a bootstrap's data must serve the step
    sizes = [min(CHUNK, paths - start) for start in range(0, paths, CHUNK)]
    mc_sizes = option_chunks(paths)
    jobs = [
        (kind, point, n, seed, i, step_hours, str(base))
        for _, point in points
        for kind, chunks in (("paths", sizes), ("options", mc_sizes))
        for i, n in enumerate(chunks)
    ]
    outputs: list[Any] = run_jobs(
        _job, jobs, clock.steps, workers=workers or os.cpu_count() or 1,
        scheduler=scheduler, progress=progress,
    )  # fmt: skip
    found = []
    each = len(sizes) + len(mc_sizes)
    for p, (params, point) in enumerate(points):
        mine = outputs[p * each : (p + 1) * each]
        values = option_values(
            point, base=base, step_hours=step_hours, seed=seed, paths=paths,
            chunks=mine[len(sizes) :],
        )  # fmt: skip
        found.append(_gather(point, params, mine[: len(sizes)], values, paths, step_hours, seed,
                             base))  # fmt: skip
    return found


def _gather(  # noqa: PLR0917
    terms: Terms,
    params: dict[str, float],
    outputs: list[ChunkResult],
    values: OptionValues,
    paths: int,
    step_hours: float,
    seed: int,
    base: Path,
) -> Analysis:
    clock = Clock.span(terms.loan.tenor_days, step_hours)
    metrics = {k: np.concatenate([o.metrics[k] for o in outputs]) for k in outputs[0].metrics}
    series = {k: np.concatenate([o.series[k] for o in outputs], axis=1) for k in SERIES}
    attribution = sum(o.buckets_sum for o in outputs) / paths
    days = clock.records() * step_hours / 24.0
    found = Analysis(
        terms, paths, step_hours, seed, metrics, series, days, np.asarray(attribution),
        max(o.residual for o in outputs), values, params=params, base=base,
    )  # fmt: skip
    found.summary = summarize(found)
    return found


def _tail(pnl: np.ndarray, level: float) -> tuple[float, float]:
    """Value at risk and expected shortfall at ``level`` (losses as positive numbers)."""
    cut = float(np.quantile(pnl, level))
    below = pnl[pnl <= cut]
    return -cut, -float(below.mean()) if below.size else -cut


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
    out["drawdown_p95"] = np.quantile(m["drawdown"], 0.95)
    out["sharpe_median"] = np.median(m["sharpe"])
    for name, key in (
        ("hedge_turnover_mean", "turnover"), ("hedge_trades_mean", "hedge_trades"),
        ("hedge_cost_mean", "hedge_cost"), ("lvr_mean", "lvr"),
        ("pool_volume_arbitrage_mean", "pool_volume_arbitrage"),
        ("pool_volume_organic_mean", "pool_volume_organic"), ("peak_perp_mean", "peak_perp"),
        ("project_cash_mean", "project_cash"), ("tokens_sold_mean", "tokens_sold"),
        ("repaid_in_cash_share", "repaid_in_cash"),
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
    )
    out.update(a.values.totals())
    for level in (0.05, 0.01):
        var, cvar = _tail(pnl, level)
        out[f"var_{level:.0%}"] = var
        out[f"cvar_{level:.0%}"] = cvar
    for name in BUCKETS:
        mean(f"attr_{name}", m[name])
    for j in range(len(a.terms.calls)):
        mean(f"exercise_probability_{j}", m[f"exercised_{j}"])
    for v, venue in enumerate(a.terms.venues):
        mean(f"uptime_{venue.name}", m[f"uptime_{v}"])
    return {k: float(v) for k, v in out.items()}
