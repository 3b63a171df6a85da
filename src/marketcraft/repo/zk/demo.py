"""The demo's proof setup: a small one (a 4-point grid) shipped in this package, so that
``make run`` shows a repo session without minutes of setup first.

DEMO ONLY. One party made every contribution of both of its phases, so that party could forge
any proof with it, and so could any setup built on its phase-1 file. A setup is known for the
demo's by the SHA-256 of its phase-1 file, whatever its folder or its metadata say, and
:func:`marketcraft.repo.zk.transcript.verify_ceremony` refuses it unless the demo is running
(``MARKETCRAFT_DEMO=true``, which ``make run`` sets)."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from marketcraft.repo.zk.circuit import cache_root

__all__ = ["DEMO_GRID", "DEMO_PTAU_SHA256", "DEMO_SETUP_ID", "install_demo_setup"]

#: the SHA-256 of the demo's phase-1 file: any setup made from it is the demo's
DEMO_PTAU_SHA256 = "ccc7c2974d6d926155723d3675905ff242c85f7c789b498662acf4ea4d8f9641"
#: the demo setup's id (its verification key's SHA-256)
DEMO_SETUP_ID = "d33a2bc94805565669214d74ef7c47eda97287f1dc936f8a917dee727c74d7bc"
#: the grid the demo's sessions use (the setup is for 4 points)
DEMO_GRID = (0, 10, 20, 30)
_FILES = (
    "circuit.zkey",
    "main.wasm",
    "pot_final.ptau",
    "verification_key.json",
    "setup.json",
    "ceremony.json",  # the record of its verified ceremony (checked again if a file differs)
)


def install_demo_setup(cache: Path | None = None) -> Path:
    """Copy the demo's setup into the cache (once); its folder there."""
    folder = (cache or cache_root()) / "repo" / "setups" / DEMO_SETUP_ID
    if (folder / "setup.json").exists():
        return folder
    shipped = resources.files("marketcraft.repo.zk").joinpath("demo_setup")
    work = folder.with_name(folder.name + ".tmp")
    work.mkdir(parents=True, exist_ok=True)
    for name in _FILES:
        with resources.as_file(shipped.joinpath(name)) as source:
            shutil.copyfile(source, work / name)
    work.replace(folder)
    return folder
