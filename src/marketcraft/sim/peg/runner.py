"""Run a scenario, or a full grid of parameter sets over it, on local processes or on a Dask
cluster, and gather one result per parameter set.

Runs of one parameter set are split into chunks so every worker is busy; a run's price path
depends only on the seed and its index, so results do not depend on the chunking or on the
number of workers, and every grid point sees the same paths."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from marketcraft.kernel.errors import ValidationError
from marketcraft.sim import sweeps
from marketcraft.sim.dispatch import Progress, run_jobs
from marketcraft.sim.peg.analysis import analyse
from marketcraft.sim.peg.metrics import summarize
from marketcraft.sim.peg.model import simulate_peg_scenario
from marketcraft.sim.peg.scenario import Scenario
from marketcraft.sim.peg.study import Episodes, depeg_episodes

__all__ = ["PointResult", "grid", "parse_sweep", "run_scenario"]

#: sweepable names (the spec's band, delay, fee and ratio) and the field each sets: a market
#: field by its name, another section's as "section.field"
SWEEPABLE = {
    "band": "band",
    "delay": "delay_hours",
    "delay_hours": "delay_hours",
    "fee": "fee",
    "ratio": "ratio",
    "correction_hours": "correction_hours",
    "fee_slope": "fee_slope",
    "max_trade_fraction": "max_trade_fraction",
    # 0 or 1: the rule for leaving recovery (1: only once the buy-back is paid for)
    "swan_exit_after_burn": "swan_exit_after_burn",
    # the feed: how late its reports are, and how stale it gets between them
    "feed_lag": "feed.lag_minutes",
    "feed_lag_minutes": "feed.lag_minutes",
    "report_minutes": "feed.report_minutes",
    # the traders
    "arbitrage_latency": "traders.arbitrage_latency_minutes",
    "arbitrage_latency_minutes": "traders.arbitrage_latency_minutes",
    "panic_per_hour": "traders.panic_per_hour",
}
#: swept parameters that are switches: 0 is off, 1 is on
_SWITCHES = ("swan_exit_after_burn",)


@dataclass
class PointResult:
    params: dict[str, float]
    metrics: dict[str, np.ndarray]  # one value per run
    series: dict[str, np.ndarray]  # (samples, runs); "day": (samples,)
    histogram: np.ndarray
    summary: dict[str, float]
    #: every mode flip, rows of (run, day, 1 into recovery / 0 back to normal), by run and time
    flips: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    #: every depeg episode (SPOT further than the band from the outside price), hourly
    episodes: Episodes = field(default_factory=lambda: depeg_episodes(np.zeros((0, 0)), 0.0))


def parse_sweep(specs: Sequence[str]) -> dict[str, list[float]]:
    """``["band=0.01,0.02", "delay=1,24"]`` -> ``{"band": [...], "delay_hours": [...]}``."""
    return sweeps.parse_sweep(specs, SWEEPABLE)


def grid(s: Scenario, sweep: dict[str, list[float]]) -> list[tuple[dict[str, float], Scenario]]:
    """Every combination of the swept values (a full grid), each as a validated scenario."""
    return [
        (params, s.with_values(**_values(params)) if params else s)
        for params in sweeps.combinations(sweep)
    ]


def _values(params: dict[str, float]) -> dict[str, Any]:
    """A sweep point's values as the fields take them (a switch: 0 or 1 to a bool)."""
    values: dict[str, Any] = dict(params)
    for name in _SWITCHES:
        if name in values:
            if values[name] not in (0.0, 1.0):
                raise ValidationError("bad_sweep", f"{name} is a switch: sweep it over 0,1")
            values[name] = values[name] == 1.0
    return values


def _chunk(s: Scenario, ids: list[int], progress: Callable[[int], None] | None = None) -> Any:
    """One worker's share: simulate runs ``ids``, telling ``progress`` how far it got about
    once a simulated day."""
    metrics, series, _ = simulate_peg_scenario(s, ids, progress=progress)
    return metrics, series


def run_scenario(
    s: Scenario,
    sweep: dict[str, list[float]] | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> list[PointResult]:
    """Simulate every grid point; one :class:`PointResult` per point, in grid order.
    ``workers`` local processes (default: every core; 1 runs in this process), or the Dask
    cluster at ``scheduler``."""
    points = grid(s, sweep or {})
    workers = workers or os.cpu_count() or 1
    per_point = max(1, min(s.runs, math.ceil(workers / len(points))))
    size = math.ceil(s.runs / per_point)
    jobs = [
        (p, list(range(start, min(start + size, s.runs))))
        for p in range(len(points))
        for start in range(0, s.runs, size)
    ]
    outputs = run_jobs(
        _chunk, [(points[p][1], ids) for p, ids in jobs], s.steps,
        workers=workers, scheduler=scheduler, progress=progress,
    )  # fmt: skip
    return _gather(s, points, jobs, outputs)


def _gather(
    s: Scenario,
    points: list[tuple[dict[str, float], Scenario]],
    jobs: list[tuple[int, list[int]]],
    outputs: list[Any],
) -> list[PointResult]:
    results = []
    years = s.days / 365.0
    for p, (params, point) in enumerate(points):
        mine = [out for (point, _), out in zip(jobs, outputs, strict=True) if point == p]
        metrics = {k: np.concatenate([m[k] for m, _ in mine]) for k in mine[0][0]}
        first = mine[0][1]
        series = {
            k: first[k] if k == "day" else np.concatenate([sr[k] for _, sr in mine], axis=1)
            for k in first
            if k not in ("deviation_histogram", "mode_flips")
        }
        histogram = np.sum([sr["deviation_histogram"] for _, sr in mine], axis=0)
        flips = _flips([(ids, sr["mode_flips"]) for (point, ids), (_, sr) in
                        zip(jobs, outputs, strict=True) if point == p])  # fmt: skip
        per_run, episodes, study = analyse(point, metrics, series)
        metrics |= per_run
        summary = summarize(metrics, histogram, years) | study
        results.append(PointResult(params, metrics, series, histogram, summary, flips, episodes))
    return results


def _flips(chunks: list[tuple[list[int], np.ndarray]]) -> np.ndarray:
    """The chunks' mode flips with each chunk's own run numbers made the scenario's."""
    tables = []
    for ids, chunk in chunks:
        table = chunk.copy()
        table[:, 0] = np.asarray(ids, dtype=float)[chunk[:, 0].astype(int)]
        tables.append(table)
    joined = np.concatenate(tables) if tables else np.zeros((0, 3))
    return joined[np.lexsort((joined[:, 1], joined[:, 0]))]
