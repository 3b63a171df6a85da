"""An analysis as files: ``paths.parquet`` (one row per path), ``daily.parquet`` (per day: the
series' mean and percentiles over paths, and the mean cumulative attribution),
``options.parquet`` (each tranche's value by volatility), ``summary.json``, and what it was run
from (``inputs/`` and ``run.json``, see :mod:`marketcraft.deal.record`); and the comparison of
two result folders, for a re-run."""

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
from marketcraft.deal.record import Run, write_inputs, write_run
from marketcraft.deal.terms import Terms
from marketcraft.deal.valuation import mean_se

__all__ = [
    "COMPARED", "daily_table", "differences", "options_table", "paths_table", "write_results",
    "write_sweep",
]  # fmt: skip

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


def write_results(a: Analysis, out: Path, command: str = "") -> list[Path]:
    """Write the files under ``out``, with the inputs and the run (``command``: the command
    line that ran it, if any); their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in (
        ("paths", paths_table(a)), ("daily", daily_table(a)), ("options", options_table(a)),
    ):  # fmt: skip
        pq.write_table(table, out / f"{name}.parquet")
        written.append(out / f"{name}.parquet")
    summary = {
        "deal": a.terms.name, "paths": a.paths, "step_hours": a.step_hours, "seed": a.seed,
        "scenario": a.scenario or "base",
        "summary": {k: (v if math.isfinite(v) else None) for k, v in a.summary.items()},
    }  # fmt: skip
    (out / "summary.json").write_text(json.dumps(summary, indent=2, allow_nan=False))
    written.append(out / "summary.json")
    terms = write_inputs(a.terms, a.base, out)
    run = Run(a.paths, a.step_hours, a.seed, params=a.params, command=command,
              scenario=a.scenario)  # fmt: skip
    written += [terms, write_run(out, run, terms)]
    return written


def _same_bits(old: pa.Table, new: pa.Table) -> bool:
    """Same columns holding the same bits (NaN equal to itself, -0 not equal to 0)."""
    if old.schema != new.schema:
        return False
    for name in old.column_names:
        a, b = old[name].to_numpy(), new[name].to_numpy()
        if a.dtype.kind == "f":
            a, b = a.view(f"i{a.dtype.itemsize}"), b.view(f"i{b.dtype.itemsize}")
        if not np.array_equal(a, b):
            return False
    return True


#: the files of a result that a re-run must reproduce
COMPARED = ("paths.parquet", "daily.parquet", "options.parquet", "summary.json")


def differences(recorded: Path, rerun: Path) -> list[str]:
    """The result files of ``rerun`` that differ from ``recorded`` (tables compared value for
    value, the summary key for key); empty if every one is the same."""
    found = []
    for name in COMPARED:
        old, new = recorded / name, rerun / name
        if not old.exists() or not new.exists():
            found.append(name)
        elif name.endswith(".parquet"):
            if not _same_bits(pq.read_table(old), pq.read_table(new)):
                found.append(name)
        elif json.loads(old.read_text())["summary"] != json.loads(new.read_text())["summary"]:
            found.append(name)
    return found


def write_sweep(
    found: Sequence[Analysis],
    out: Path,
    source: tuple[Terms, Path, dict[str, list[float]], list[str]],
    command: str = "",
) -> list[Path]:
    """One row per sweep point (and stress scenario), its parameters and summary, as
    ``sweep.parquet``; and what the whole sweep ran from: ``source`` is the terms before the
    sweep, where their CSVs are, the grid and the scenarios beside the base case."""
    rows = [
        {"point": i, "scenario": a.scenario or "base", **a.params, **a.summary}
        for i, a in enumerate(found)
    ]
    out.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), out / "sweep.parquet")
    terms, base, grid, scenarios = source
    first = found[0]
    inputs = write_inputs(terms, base, out)
    run = Run(first.paths, first.step_hours, first.seed, sweep=grid, command=command,
              scenarios=scenarios)  # fmt: skip
    return [out / "sweep.parquet", inputs, write_run(out, run, inputs)]
