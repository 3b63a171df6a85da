"""A static map of which marketcraft module imports which, read with ``ast`` (imports inside
functions and under ``TYPE_CHECKING`` count too), grouped into layers: one per subpackage
(``repo.zk``, the repo contract's proof adapters, is a layer of its own) and one per top-level
module (``config``, ``tables``...)."""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "marketcraft"

#: the pure cores
CORES = frozenset({"kernel", "amm", "opportunity", "peg", "repo", "deal"})
#: what no core may import: adapters, entry points, the application layer and the simulations
EDGE = frozenset({"store", "service", "cli", "app", "sim", "reports", "demo", "config", "repo.zk"})
#: layers of their own below ``marketcraft`` (a subpackage of a package that is one)
SUBLAYERS = ("repo.zk",)

#: core modules allowed to import the edge for now, each with the reason; their imports are
#: also left out of the package graph
TEMPORARY: dict[str, str] = {}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    line: int
    target: str  # the imported module (a name imported from a package resolves to its module)


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules(root: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def imports_of(
    source: str, module: str, *, is_package: bool = False, known: Iterable[str] = ()
) -> list[Import]:
    """Every import statement in ``source`` (``module``'s text), at any depth, resolved to
    absolute module names."""
    known = set(known)
    package = module.split(".") if is_package else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [Import(module, node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                origin = ".".join([*base, *([node.module] if node.module else [])])
            else:
                origin = node.module or ""
            for alias in node.names:
                sub = f"{origin}.{alias.name}"
                found.append(Import(module, node.lineno, sub if sub in known else origin))
    return found


def all_imports(root: Path = PACKAGE) -> list[Import]:
    modules = all_modules(root)
    found = []
    for name, path in modules.items():
        found += imports_of(
            path.read_text(), name, is_package=path.name == "__init__.py", known=modules
        )
    return found


def layer(module: str) -> str | None:
    """``marketcraft.peg.engine`` -> ``peg``; ``marketcraft.repo.zk.proof`` -> ``repo.zk``;
    ``marketcraft.config`` -> ``config``; None outside marketcraft (and for the root package)."""
    parts = module.split(".")
    if parts[0] != "marketcraft" or len(parts) < 2:
        return None
    rest = parts[1:]
    for sub in SUBLAYERS:
        if rest[: len(sub.split("."))] == sub.split("."):
            return sub
    return rest[0]


def core_edge_imports(imports: Iterable[Import]) -> list[str]:
    """Each import by a core module of an edge layer, as ``module:line imports target``."""
    found = []
    for imp in imports:
        if imp.module in TEMPORARY:
            continue
        source, target = layer(imp.module), layer(imp.target)
        if source in CORES and target in EDGE:
            found.append(f"{imp.module}:{imp.line} imports {imp.target}")
    return found


def layer_graph(imports: Iterable[Import]) -> dict[str, dict[str, list[str]]]:
    """``graph[a][b]``: the imports (``module:line``) by which layer ``a`` imports layer ``b``."""
    graph: dict[str, dict[str, list[str]]] = {}
    for imp in imports:
        source, target = layer(imp.module), layer(imp.target)
        if source is None or target is None or source == target or imp.module in TEMPORARY:
            continue
        graph.setdefault(source, {}).setdefault(target, []).append(f"{imp.module}:{imp.line}")
    return graph


def find_cycle(graph: Mapping[str, Mapping[str, object]]) -> list[str] | None:
    """A cycle ``[a, b, ..., a]`` in the graph, or None (depth-first, in sorted order)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def describe_cycle(cycle: list[str], graph: Mapping[str, Mapping[str, list[str]]]) -> str:
    """The cycle with, for each step, the first import that makes it."""
    steps = [f"{a} -> {b} (e.g. {graph[a][b][0]})" for a, b in itertools.pairwise(cycle)]
    return "package cycle: " + "; ".join(steps)
