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

__all__ = ["runs_table", "summary_table", "write_results"]


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


def write_results(results: Sequence[PointResult], out: Path) -> list[Path]:
    """Write ``runs`` and ``summary`` as .parquet and .csv under ``out``; the paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, table in (("runs", runs_table(results)), ("summary", summary_table(results))):
        pq.write_table(table, out / f"{name}.parquet")
        pa_csv.write_csv(table, out / f"{name}.csv")
        paths += [out / f"{name}.parquet", out / f"{name}.csv"]
    return paths
