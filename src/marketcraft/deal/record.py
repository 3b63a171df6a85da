"""What a deal's results record of their inputs, so they can be read and re-run bit for bit.

Beside the results, ``inputs/terms.toml`` holds the terms as they were run, every key written
out (defaults included, so a later change of a default does not change a re-run) and every CSV
they read copied into ``inputs/`` beside them; ``run.json`` holds the paths, step, seed, the
sweep and its stress scenarios (for a sweep's folder) or the point's settings and scenario,
the command line, and the versions of marketcraft, Python, NumPy and SciPy that ran it.
:func:`read_run` gives back what ``deal analyze --from`` needs to run it again."""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import scipy

from marketcraft.__about__ import __version__
from marketcraft.deal.terms import Terms, load_terms
from marketcraft.kernel.errors import ValidationError

__all__ = ["Run", "read_run", "terms_toml", "versions", "write_inputs", "write_run"]

CODE = "bad_results"


def versions() -> dict[str, str]:
    return {
        "marketcraft": __version__, "python": platform.python_version(),
        "numpy": np.__version__, "scipy": scipy.__version__,
    }  # fmt: skip


def _value(v: Any) -> str:
    if isinstance(v, str):
        return json.dumps(v)  # a TOML basic string
    if isinstance(v, bool):
        return "true" if v else "false"
    return repr(v)  # ints, and floats that read back to the same bits


def _table(t: Any) -> tuple[list[str], list[tuple[str, Any]]]:
    """A dataclass's scalar lines, and its nested tables (name, value)."""
    lines, nested = [], []
    for f in fields(t):
        v = getattr(t, f.name)
        if is_dataclass(v) or isinstance(v, tuple):
            nested.append((f.name, v))
        else:
            lines.append(f"{f.name} = {_value(v)}")
    return lines, nested


def terms_toml(t: Terms) -> str:
    """The terms as TOML, every key written; ``load_terms`` reads back equal terms."""
    lines, nested = _table(t)
    for name, value in nested:
        for item in value if isinstance(value, tuple) else (value,):
            inner, _ = _table(item)
            lines += ["", f"[[{name}]]" if isinstance(value, tuple) else f"[{name}]", *inner]
    return "\n".join(lines) + "\n"


def write_inputs(t: Terms, base: Path, out: Path) -> Path:
    """Copy the CSVs the terms read (from ``base``) into ``out/inputs`` and write the terms
    there, pointing at the copies; the terms file's path."""
    inputs = out / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    if t.market.model == "bootstrap":
        shutil.copyfile(base / t.market.csv, inputs / "market.csv")
        t = replace(t, market=replace(t.market, csv="market.csv"))
    if t.funding.model == "csv":
        shutil.copyfile(base / t.funding.csv, inputs / "funding.csv")
        t = replace(t, funding=replace(t.funding, csv="funding.csv"))
    path = inputs / "terms.toml"
    path.write_text(terms_toml(t))
    return path


@dataclass(frozen=True)
class Run:
    """How a result folder was made."""

    paths: int
    step_hours: float
    seed: int
    sweep: dict[str, list[float]] = field(default_factory=dict)  # a sweep's whole grid
    params: dict[str, float] = field(default_factory=dict)  # one point's settings
    command: str = ""
    versions: dict[str, str] = field(default_factory=versions)
    scenarios: list[str] = field(default_factory=list)  # a sweep's stresses beside the base
    scenario: str = ""  # one point's stress scenario


def write_run(out: Path, run: Run, terms_file: Path) -> Path:
    """``out/run.json``: the run and the terms file's SHA-256."""
    data = {
        "paths": run.paths, "step_hours": run.step_hours, "seed": run.seed, "sweep": run.sweep,
        "params": run.params, "command": run.command, "versions": run.versions,
        "scenarios": run.scenarios, "scenario": run.scenario,
        "terms": str(terms_file.relative_to(out)),
        "terms_sha256": hashlib.sha256(terms_file.read_bytes()).hexdigest(),
    }  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    (out / "run.json").write_text(json.dumps(data, indent=2, allow_nan=False))
    return out / "run.json"


def read_run(folder: Path) -> tuple[Terms, Path, Run]:
    """The terms (and the folder their CSVs are in) and the run recorded in ``folder``;
    ``ValidationError`` if it holds no record, or the terms were changed since."""
    try:
        data = json.loads((folder / "run.json").read_text())
        terms_file = folder / data["terms"]
        recorded = data["terms_sha256"]
        found = hashlib.sha256(terms_file.read_bytes()).hexdigest()
        run = Run(
            paths=int(data["paths"]), step_hours=float(data["step_hours"]), seed=int(data["seed"]),
            sweep=dict(data["sweep"]), params=dict(data["params"]), command=str(data["command"]),
            versions=dict(data["versions"]), scenarios=list(data.get("scenarios", [])),
            scenario=str(data.get("scenario", "")),
        )  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValidationError(CODE, f"{folder}: no readable run.json ({exc})") from None
    if found != recorded:
        raise ValidationError(CODE, f"{terms_file}: changed since the run (its SHA-256 differs)")
    return load_terms(terms_file), terms_file.parent, run
