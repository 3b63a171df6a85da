"""Simulation results as files: one row per run (``runs``) and one per parameter set
(``summary``), each as Parquet and CSV."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from marketcraft.sim.peg.runner import PointResult

__all__ = ["flips_table", "runs_table", "summary_table", "write_results"]


def runs_table(results: Sequence[PointResult]) -> pa.Table:
    columns: dict[str, list[np.ndarray]] = {"point": [], "run": []}
    for point, r in enumerate(results):
        count = len(r.metrics["black_swan"])
        columns["point"].append(np.full(count, point))
        columns["run"].append(np.arange(count))
        for name, value in r.params.items():
            columns.setdefault(name, []).append(np.full(count, value))
        for name, values in r.metrics.items():
            columns.setdefault(name, []).append(np.asarray(values))
    return pa.table({k: np.concatenate(v) for k, v in columns.items()})


def summary_table(results: Sequence[PointResult]) -> pa.Table:
    rows = [{"point": i, **r.params, **r.summary} for i, r in enumerate(results)]
    return pa.Table.from_pylist(rows)


def flips_table(results: Sequence[PointResult]) -> pa.Table:
    """Every mode flip: grid point, run, day and the mode it switched to."""
    points = [np.full(len(r.flips), i) for i, r in enumerate(results)]
    flips = np.concatenate([r.flips for r in results]) if results else np.zeros((0, 3))
    return pa.table({
        "point": np.concatenate(points).astype(np.int64) if points else np.zeros(0, np.int64),
        "run": flips[:, 0].astype(np.int64),
        "day": flips[:, 1],
        "mode": np.where(flips[:, 2] > 0, "recovery", "normal"),
    })  # fmt: skip


def write_results(results: Sequence[PointResult], out: Path) -> list[Path]:
    """Write ``runs``, ``summary`` and ``flips`` (every mode flip) as .parquet and .csv under
    ``out``; the paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    tables = (
        ("runs", runs_table(results)),
        ("summary", summary_table(results)),
        ("flips", flips_table(results)),
    )
    for name, table in tables:
        pq.write_table(table, out / f"{name}.parquet")
        pa_csv.write_csv(table, out / f"{name}.csv")
        paths += [out / f"{name}.parquet", out / f"{name}.csv"]
    return paths
