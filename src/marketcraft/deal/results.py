"""An analysis as files: ``paths.parquet`` (one row per path), ``daily.parquet`` (per day: the
series' mean and percentiles over paths, and the mean cumulative attribution),
``options.parquet`` (each tranche's value by volatility) and ``summary.json``."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from marketcraft.deal.analysis import Analysis
from marketcraft.deal.book import BUCKETS
from marketcraft.deal.valuation import mean_se

__all__ = ["daily_table", "options_table", "paths_table", "write_results", "write_sweep"]

PERCENTILES = (5, 25, 50, 75, 95)


def paths_table(a: Analysis) -> pa.Table:
    columns = {"path": np.arange(a.paths)}
    columns.update({k: np.asarray(v) for k, v in a.metrics.items()})
    return pa.table(columns)


def daily_table(a: Analysis) -> pa.Table:
    columns: dict[str, np.ndarray] = {"day": a.days}
    for name, values in a.series.items():
        columns[f"{name}_mean"] = values.mean(axis=1, dtype=np.float64)
        for q, row in zip(PERCENTILES, np.percentile(values, PERCENTILES, axis=1), strict=True):
            columns[f"{name}_p{q}"] = row
    for j, name in enumerate(BUCKETS):
        columns[f"attr_{name}"] = a.attribution[:, j]
    return pa.table(columns)


def options_table(a: Analysis) -> pa.Table:
    """One row per (vol, option): each tranche (``option`` = its number), and the cash
    repayment (``option`` = -1) where the deal has one. Monte Carlo columns: held to expiry
    (the fair value) and under the deal's exercise rule, each with its standard error."""
    v = a.values
    expiry, expiry_se = v.by_vol(rule=False)
    rule, rule_se = v.by_vol(rule=True)
    cash, cash_se = mean_se(v.owed * v.payoffs.cash)
    rows = []
    for i, vol in enumerate(v.vols):
        for j in range(v.by_vol_bs.shape[1]):
            rows.append({
                "option": j, "vol": float(vol), "black_scholes": float(v.by_vol_bs[i, j]),
                "mc_expiry": float(expiry[i, j]), "mc_expiry_se": float(expiry_se[i, j]),
                "mc_rule": float(rule[i, j]), "mc_rule_se": float(rule_se[i, j]),
            })  # fmt: skip
        if a.terms.repayment.mode == "cash":
            rows.append({
                "option": -1, "vol": float(vol), "black_scholes": float(v.cash_bs[i]),
                "mc_expiry": float(cash[i]), "mc_expiry_se": float(cash_se[i]),
                "mc_rule": float(cash[i]), "mc_rule_se": float(cash_se[i]),
            })  # fmt: skip
    return pa.Table.from_pylist(rows)


def write_results(a: Analysis, out: Path) -> list[Path]:
    """Write the files under ``out``; their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in (
        ("paths", paths_table(a)), ("daily", daily_table(a)), ("options", options_table(a)),
    ):  # fmt: skip
        pq.write_table(table, out / f"{name}.parquet")
        written.append(out / f"{name}.parquet")
    summary = {
        "deal": a.terms.name, "paths": a.paths, "step_hours": a.step_hours, "seed": a.seed,
        "summary": {k: (v if math.isfinite(v) else None) for k, v in a.summary.items()},
    }  # fmt: skip
    (out / "summary.json").write_text(json.dumps(summary, indent=2, allow_nan=False))
    written.append(out / "summary.json")
    return written


def write_sweep(found: Sequence[Analysis], out: Path) -> Path:
    """One row per sweep point: its parameters and summary, as ``sweep.parquet``."""
    rows = [{"point": i, **a.params, **a.summary} for i, a in enumerate(found)]
    out.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), out / "sweep.parquet")
    return out / "sweep.parquet"
