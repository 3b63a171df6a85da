"""A static check that deterministic cores use no wall clock, randomness, UUIDs or floats.

A line may opt out with a trailing ``# determinism-ok: <why>`` comment.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "marketcraft"

#: the deterministic cores: the kernel, the AMM math, and each mechanism's core modules (the
#: deal desk is a Monte Carlo simulator over float arrays, with no ledger: not a core)
CORE_GLOBS = [
    "kernel/*.py",
    "amm/*.py",
    "*/engine.py",
    "*/engine/*.py",
    "*/commands.py",
    "*/events.py",
    "*/state.py",
    "opportunity/terms.py",
    "peg/terms.py",
    "peg/market.py",
    "peg/correction.py",
    "peg/feed.py",
    "peg/fees.py",
    "peg/modes.py",
    "*/invariants.py",
    "*/math/*.py",
    "repo/selection.py",
]

_BANNED_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "monotonic"),
    ("time", "perf_counter"),
    ("uuid", "uuid1"),
    ("uuid", "uuid4"),
    ("os", "urandom"),
}
_BANNED_MODULES = {"random", "secrets", "math", "numpy"}
_BANNED_NAMES = {"uuid4", "uuid1", "urandom"}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def core_files() -> list[Path]:
    found: set[Path] = set()
    for pattern in CORE_GLOBS:
        found.update(PACKAGE.glob(pattern))
    return sorted(found)


def scan_source(source: str, path: str = "<string>") -> list[Finding]:
    tree = ast.parse(source)
    lines = source.splitlines()
    findings: list[Finding] = []

    def flag(node: ast.AST, what: str) -> None:
        line = getattr(node, "lineno", 0)
        if line and "# determinism-ok" in lines[line - 1]:
            return
        findings.append(Finding(path, line, what))

    for node in ast.walk(tree):
        for what in [*_import_problems(node), *_use_problems(node)]:
            flag(node, what)
    return findings


def _import_problems(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [f"imports {a.name}" for a in node.names if a.name.split(".")[0] in _BANNED_MODULES]
    if isinstance(node, ast.ImportFrom):
        found = []
        if (node.module or "").split(".")[0] in _BANNED_MODULES:
            found.append(f"imports from {node.module}")
        return found + [f"imports {a.name}" for a in node.names if a.name in _BANNED_NAMES]
    return []


def _use_problems(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Attribute) and isinstance(node.value, (ast.Name, ast.Attribute)):
        owner = node.value.id if isinstance(node.value, ast.Name) else node.value.attr
        return [f"uses {owner}.{node.attr}"] if (owner, node.attr) in _BANNED_CALLS else []
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id == "float":
            return ["converts to float"]
        return [f"calls {node.func.id}"] if node.func.id in _BANNED_NAMES else []
    if isinstance(node, ast.Constant) and isinstance(node.value, float):
        return [f"float literal {node.value!r}"]
    return []


def scan_cores() -> list[Finding]:
    findings: list[Finding] = []
    for path in core_files():
        findings.extend(scan_source(path.read_text(), str(path.relative_to(PACKAGE))))
    return findings
