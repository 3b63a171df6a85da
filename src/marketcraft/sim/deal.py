"""Analyse a deal: simulate the strategy on many paths (in chunks, on local processes or a
Dask cluster) and gather the market maker's and the project's view
(:mod:`marketcraft.deal.analysis`).

Paths are simulated in chunks of :data:`CHUNK`; chunk ``i`` draws from a generator seeded with
``(seed, i)``, so the results depend on the seed and the number of paths only, not on how many
workers ran them."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from marketcraft.deal.analysis import Analysis, gather
from marketcraft.deal.bounds import MAX_PATHS
from marketcraft.deal.strategy import ChunkResult, price_model, simulate_deal_paths
from marketcraft.deal.terms import Terms, with_params
from marketcraft.deal.time_grid import TimeGrid
from marketcraft.deal.valuation import Payoffs, option_chunk, option_chunks, option_values
from marketcraft.kernel.errors import ValidationError
from marketcraft.sim.dispatch import Progress, run_jobs
from marketcraft.sim.sweeps import combinations

__all__ = ["CHUNK", "analyze", "analyze_grid"]

CHUNK = 5_000


def _job(  # noqa: PLR0917 (a job's arguments travel as one tuple)
    kind: str,
    terms: Terms,
    paths: int,
    seed: int,
    chunk: int,
    step_hours: float,
    base: str,
    scenario: str = "",
    progress: Callable[[int], None] | None = None,
) -> ChunkResult | Payoffs:
    """One job: a chunk of the strategy's paths (under a stress ``scenario``, if named), or
    of the option Monte Carlo."""
    if kind == "options":
        return option_chunk(terms, paths, seed, chunk, step_hours, base, progress)
    return simulate_deal_paths(
        terms, paths, seed=seed, chunk=chunk, step_hours=step_hours, base=Path(base),
        progress=progress, scenario=scenario,
    )  # fmt: skip


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
    scenario: str = "",
) -> Analysis:
    """Simulate ``paths`` paths (default: the terms' ``[simulation]``), under the stress
    ``scenario`` named (none: the base case), and summarise them. ``base`` is where the
    terms' CSV files are looked for."""
    return analyze_grid(
        terms, {}, paths=paths, step_hours=step_hours, seed=seed, workers=workers,
        scheduler=scheduler, progress=progress, base=base,
        scenarios=[scenario] if scenario else [], with_base=not scenario,
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
    scenarios: list[str] | None = None,
    with_base: bool = True,
) -> list[Analysis]:
    """One analysis per point of the full grid of ``sweep`` (keys as in
    :data:`~marketcraft.deal.terms.SWEEPABLE`'s values) and, for each, the base case (unless
    not ``with_base``) and each stress scenario named in ``scenarios``; every point on the
    same seeds; all points' chunks share the workers."""
    sim = terms.simulation
    paths = sim.paths if paths is None else paths
    step_hours = step_hours or sim.step_hours
    seed = sim.seed if seed is None else seed
    if not 1 <= paths <= MAX_PATHS:
        raise ValidationError("bad_paths", f"paths must be 1..{MAX_PATHS:,}, not {paths}")
    if not 0 <= seed < 2**63:
        raise ValidationError("bad_seed", f"seed must be a whole number 0..2^63-1, not {seed}")
    names = ([""] if with_base else []) + list(scenarios or [])
    for name in names:
        if name:
            terms.scenario(name)  # ValidationError naming those there are
    points = [
        (params, name, with_params(terms, params, base))
        for params in combinations(sweep)
        for name in names
    ]
    clock = TimeGrid.span(terms.loan.tenor_days, step_hours)
    price_model(terms, base, step_hours)  # a bootstrap's data must serve the step
    sizes = [min(CHUNK, paths - start) for start in range(0, paths, CHUNK)]
    mc_sizes = option_chunks(paths)
    jobs = [
        (kind, point, n, seed, i, step_hours, str(base), name)
        for _, name, point in points
        for kind, chunks in (("paths", sizes), ("options", mc_sizes))
        for i, n in enumerate(chunks)
    ]
    outputs: list[Any] = run_jobs(
        _job, jobs, clock.steps, workers=workers or os.cpu_count() or 1,
        scheduler=scheduler, progress=progress,
    )  # fmt: skip
    found = []
    each = len(sizes) + len(mc_sizes)
    for p, (params, name, point) in enumerate(points):
        mine = outputs[p * each : (p + 1) * each]
        values = option_values(
            point, base=base, step_hours=step_hours, seed=seed, paths=paths,
            chunks=mine[len(sizes) :],
        )  # fmt: skip
        found.append(gather(point, params, mine[: len(sizes)], values, paths, step_hours, seed,
                             base, name))  # fmt: skip
    return found
