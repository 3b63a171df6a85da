"""Public names a package exports without importing their modules up front: each is imported
from its module the first time it is asked for (a module ``__getattr__``, PEP 562). Packages
whose modules are slow to import (the opportunity engine, the deal desk's scipy) use it, so
that importing one of their modules, as the command line does at start, loads no more."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

__all__ = ["lazy_exports"]


def lazy_exports(package: str, homes: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package``: ``homes`` maps each public name to the module
    that defines it, relative to the package (``".engine"``); a name whose home is the module
    of that name (``"deal_report": ".deal_report"``) is the module itself. AttributeError for
    any other name, as for a module without it."""

    def __getattr__(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(home, package)
        return module if home == f".{name}" else getattr(module, name)

    return __getattr__
