"""Simulation results as files: one row per run (``runs``), one per parameter set
(``summary``), one per mode flip (``flips``) and one per depeg episode (``episodes``), each as
Parquet and CSV; and the hourly series of every run in long format (``series``: one row per
run and hour), as Parquet only (a year of 100 runs is 876,000 rows)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from marketcraft.sim.peg.analysis import derived_series
from marketcraft.sim.peg.runner import PointResult
from marketcraft.sim.peg.scenario import Scenario

__all__ = [
    "episodes_table",
    "flips_table",
    "runs_table",
    "series_table",
    "summary_table",
    "write_results",
]

#: the long table's state columns, in order
_STATE = ("price", "feed", "c", "u", "x", "dc", "mms", "fees")


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


def episodes_table(results: Sequence[PointResult], hours_per_sample: float = 1.0) -> pa.Table:
    """Every depeg episode: grid point, run, start (day), hours outside the band, deepest
    signed deviation of SPOT from the price, hours from the deepest point back, and whether it
    ended before the run did."""
    parts = []
    for point, r in enumerate(results):
        e = r.episodes
        parts.append({
            "point": np.full(len(e), point, dtype=np.int64),
            "run": e.run,
            "start_day": e.start * hours_per_sample / 24 + hours_per_sample / 24,
            "hours": e.length * hours_per_sample,
            "deepest": e.deepest,
            "recover_hours": e.recover * hours_per_sample,
            "ended": e.ended,
        })  # fmt: skip
    if not parts:
        return pa.table({"point": np.zeros(0, np.int64)})
    return pa.table({k: np.concatenate([p[k] for p in parts]) for k in parts[0]})


def series_table(s: Scenario, results: Sequence[PointResult]) -> pa.Table:
    """The hourly series of every run in long format: one row per grid point, run and sample,
    with the point's swept values, the state (price and feed in COL per PEG; C, U, X, Dc, MMS,
    fees), SPOT, the mode and what PEG and MMS holders hold (see :mod:`.analysis`)."""
    columns: dict[str, list[np.ndarray]] = {"point": [], "run": [], "day": []}
    for point, r in enumerate(results):
        samples, runs = r.series["c"].shape
        columns["point"].append(np.full(samples * runs, point, dtype=np.int64))
        columns["run"].append(np.tile(np.arange(runs, dtype=np.int64), samples))
        columns["day"].append(np.repeat(r.series["day"], runs))
        for name, value in r.params.items():
            columns.setdefault(name, []).append(np.full(samples * runs, value))
        derived = derived_series(s, r.series)
        for name in _STATE:
            columns.setdefault(name, []).append(r.series[name].ravel())
        columns.setdefault("mode", []).append(
            np.where(r.series["recovery"].ravel(), "recovery", "normal")
        )
        for name, values in derived.items():
            columns.setdefault(name, []).append(values.ravel())
    return pa.table({k: np.concatenate(v) for k, v in columns.items()})


def write_results(
    results: Sequence[PointResult], out: Path, scenario: Scenario | None = None
) -> list[Path]:
    """Write ``runs``, ``summary``, ``flips`` (every mode flip) and ``episodes`` (every depeg
    episode) as .parquet and .csv under ``out``, and, given the ``scenario``, ``series``
    (hourly, long format) as .parquet; the paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    hours = _hours_per_sample(results)
    tables = (
        ("runs", runs_table(results)),
        ("summary", summary_table(results)),
        ("flips", flips_table(results)),
        ("episodes", episodes_table(results, hours)),
    )
    for name, table in tables:
        pq.write_table(table, out / f"{name}.parquet")
        pa_csv.write_csv(table, out / f"{name}.csv")
        paths += [out / f"{name}.parquet", out / f"{name}.csv"]
    if scenario is not None:
        pq.write_table(series_table(scenario, results), out / "series.parquet")
        paths.append(out / "series.parquet")
    return paths


def _hours_per_sample(results: Sequence[PointResult]) -> float:
    days = results[0].series["day"] if results else np.zeros(0)
    return float(days[0] * 24) if len(days) else 1.0
