"""Every package names what a user imports from it (``from marketcraft.peg import PegMarket``):
each name listed in its ``__all__`` imports and is the object its module defines, and the
packages that import their names on first use list each name in all three places (the
type checker's imports, ``__all__`` and the map of homes), and import none of them up front."""

import ast
import importlib
import inspect
import subprocess
import sys
import types

import pytest

from marketcraft.opportunity import ProgramState, decide, evolve
from marketcraft.peg import PegMarket, PegState
from marketcraft.peg import decide as peg_decide
from tests.support.import_layers import PACKAGE

#: every package with public names: whether they are imported on first use (lazy)
PACKAGES = {
    "marketcraft": False,
    "marketcraft.kernel": False,
    "marketcraft.amm": False,
    "marketcraft.opportunity": True,
    "marketcraft.peg": False,
    "marketcraft.app": False,
    "marketcraft.repo": False,
    "marketcraft.repo.zk": False,
    "marketcraft.deal": True,
    "marketcraft.sim": True,
    "marketcraft.reports": True,
    "marketcraft.store": False,
    "marketcraft.service": True,
    "marketcraft.cli": False,
    "marketcraft.demo": False,
}
#: packages whose modules are their own business: nobody outside imports from the package
INTERNAL = {
    "marketcraft.service.routers",
    "marketcraft.store.migrations",
    "marketcraft.store.migrations.versions",
}


def test_every_package_is_listed():
    found = {
        ".".join(p.parent.relative_to(PACKAGE.parent).parts) for p in PACKAGE.rglob("__init__.py")
    }
    assert found == set(PACKAGES) | INTERNAL


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_each_public_name_imports_and_is_its_modules_own(name):
    package = importlib.import_module(name)
    public = package.__all__
    assert public, f"{name} lists no public names"
    assert len(set(public)) == len(public)
    for attr in public:
        value = getattr(package, attr)  # raises AttributeError for a name that does not import
        namespace: dict[str, object] = {}
        exec(f"from {name} import {attr} as found", namespace)  # the import a user writes
        assert namespace["found"] is value
        if isinstance(value, types.ModuleType):
            assert value.__name__.startswith(name + "."), f"{name}.{attr} is not its own module"
        elif inspect.isclass(value) or inspect.isfunction(value):
            home = importlib.import_module(value.__module__)
            assert getattr(home, value.__name__, None) is value


def _type_checking_imports(tree: ast.Module, package: str) -> dict[str, str]:
    """The names the ``if TYPE_CHECKING:`` block imports -> their module, relative to the
    package (``".engine"``)."""
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom) and imp.module
                for alias in imp.names:
                    module = imp.module if imp.module != package else f"{package}.{alias.name}"
                    found[alias.name] = module.removeprefix(package)
    return found


def _homes(tree: ast.Module) -> dict[str, str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "__getattr__":
            call = node.value
            assert isinstance(call, ast.Call)
            homes = ast.literal_eval(call.args[1])
            assert isinstance(homes, dict)
            return homes
    raise AssertionError("no __getattr__ = lazy_exports(...)")


@pytest.mark.parametrize("name", sorted(n for n, lazy in PACKAGES.items() if lazy))
def test_a_lazy_package_lists_each_name_in_all_three_places(name):
    package = importlib.import_module(name)
    source = inspect.getsource(package)
    tree = ast.parse(source)
    assert _type_checking_imports(tree, name) == _homes(tree)
    assert set(_homes(tree)) == set(package.__all__)


@pytest.mark.parametrize("name", sorted(n for n, lazy in PACKAGES.items() if lazy))
def test_a_lazy_package_imports_none_of_its_modules_up_front(name):
    probe = f"import sys, {name}; print(sorted(m for m in sys.modules if m.startswith('{name}.')))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout


def test_an_unknown_name_is_an_attribute_error():
    opportunity = importlib.import_module("marketcraft.opportunity")
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        _ = opportunity.nonsense
    with pytest.raises(ImportError):
        exec("from marketcraft.deal import nonsense", {})


def test_the_names_the_issue_asks_for():
    assert PegMarket.__module__ == "marketcraft.peg.market"
    assert PegState.__module__ == "marketcraft.peg.state"
    assert peg_decide.__module__ == "marketcraft.peg.engine"
    assert (decide.__module__, evolve.__module__) == (
        "marketcraft.opportunity.engine",
        "marketcraft.opportunity.state",
    )
    assert ProgramState.__module__ == "marketcraft.opportunity.state"
