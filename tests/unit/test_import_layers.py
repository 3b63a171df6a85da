"""Layers: the cores (kernel, amm, opportunity, peg, repo, deal) import nothing from the edge (the
store, the service, the command line, the application layer, the simulations, reports, demo,
config, the repo proof adapters), and no two subpackages import each other, however indirectly."""

import subprocess
import sys

import pytest

from tests.support.import_layers import (
    CORES,
    EDGE,
    TEMPORARY,
    Import,
    all_imports,
    all_modules,
    core_edge_imports,
    describe_cycle,
    find_cycle,
    imports_of,
    layer,
    layer_graph,
)


def test_every_layer_named_here_exists():
    layers = {layer(name) for name in all_modules()}
    assert layers >= CORES
    assert {"store", "service", "cli", "sim", "reports", "demo", "config", "repo.zk"} <= layers
    assert set(TEMPORARY) <= set(all_modules()), "a temporary exception names no module"


def test_no_core_imports_the_edge():
    found = core_edge_imports(all_imports())
    assert not found, "\n".join(found)


def test_no_cycle_between_packages():
    graph = layer_graph(all_imports())
    cycle = find_cycle(graph)
    assert cycle is None, describe_cycle(cycle, graph)


def test_the_temporary_exceptions_still_need_to_be_exceptions():
    """Each exception still imports the edge; once it does not, take it off the list."""
    for module in TEMPORARY:
        mine = [i for i in all_imports() if i.module == module]
        assert any(layer(i.target) in EDGE for i in mine), f"{module} is no exception any more"


#: what the imports marked "slow start" keep out of the command line's start
SLOW = (
    "sqlalchemy",
    "alembic",
    "scipy",
    "pyarrow",
    "matplotlib",
    "fastapi",
    "uvicorn",
    "py_ecc",
    "distributed",
    "marketcraft.store.database",
    "marketcraft.opportunity.engine",
    "marketcraft.sim.peg.model",
    "marketcraft.service.app",
)


def test_the_command_line_starts_without_what_it_imports_late():
    probe = "import sys, marketcraft.cli; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.split())
    assert "marketcraft.cli.deal" in loaded
    assert not [m for m in SLOW if m in loaded]


# -- the scanner itself ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("from marketcraft.store.records import EventStore", "marketcraft.store.records"),
        ("import marketcraft.service.app", "marketcraft.service.app"),
        ("def f():\n    from marketcraft.cli import main\n", "marketcraft.cli.main"),
        (
            "if TYPE_CHECKING:\n    from marketcraft.sim.deal import analyze\n",
            "marketcraft.sim.deal",
        ),
        ("from ..config import Settings", "marketcraft.config"),
        ("from .zk import ceremony", "marketcraft.repo.zk.ceremony"),
    ],
)
def test_the_scanner_sees_every_kind_of_import(source, target):
    known = {"marketcraft.cli.main", "marketcraft.repo.zk.ceremony"}
    found = imports_of(source, "marketcraft.repo.settlement", known=known)
    assert [i.target for i in found if i.target.startswith("marketcraft")] == [target]
    assert core_edge_imports(found), "a core importing the edge must be reported"


def test_a_core_importing_a_core_or_the_kernel_is_fine():
    source = "from marketcraft.kernel.money import Money\nfrom marketcraft.amm import lmsr\n"
    assert not core_edge_imports(imports_of(source, "marketcraft.opportunity.state"))


def test_a_cycle_is_found_and_its_path_named():
    imports = [
        Import("marketcraft.sim.deal", 3, "marketcraft.deal.analysis"),
        Import("marketcraft.deal.analysis", 9, "marketcraft.reports.deal_report"),
        Import("marketcraft.reports.deal_report", 5, "marketcraft.sim.peg.metrics"),
        Import("marketcraft.kernel.money", 1, "decimal"),
    ]
    graph = layer_graph(imports)
    cycle = find_cycle(graph)
    assert cycle == ["deal", "reports", "sim", "deal"]
    text = describe_cycle(cycle, graph)
    assert "deal -> reports (e.g. marketcraft.deal.analysis:9)" in text
    assert find_cycle(layer_graph(imports[:2])) is None
