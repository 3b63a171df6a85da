"""The demo's proof setup: a small one (a 4-point grid) shipped in this package, so that
``make run`` shows a repo session without minutes of setup first.

DEMO ONLY. One party made every contribution of both of its phases, so that party could forge
any proof with it, and so could any setup built on its phase-1 file. A setup is known for the
demo's by its phase-1 contribution (the hash snarkjs computes when it verifies the file, which
bytes added to the file do not change), by the SHA-256 of its phase-1 file or by its
verification key's, whatever its folder or its metadata say, and
:func:`marketcraft.repo.zk.transcript.verify_ceremony` refuses it unless the demo is running
(``MARKETCRAFT_DEMO=true``, which ``make run`` sets)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from marketcraft.repo.zk.circuit import cache_root
from marketcraft.repo.zk.transcript import Contribution, fingerprint, keep_verdict

__all__ = [
    "DEMO_GRID",
    "DEMO_PHASE1_HASH",
    "DEMO_PTAU_SHA256",
    "DEMO_SETUP_ID",
    "install_demo_setup",
    "is_demo",
]

#: the SHA-256 of the demo's phase-1 file: any setup made from it is the demo's
DEMO_PTAU_SHA256 = "ccc7c2974d6d926155723d3675905ff242c85f7c789b498662acf4ea4d8f9641"
#: the demo setup's id (its verification key's SHA-256)
DEMO_SETUP_ID = "d33a2bc94805565669214d74ef7c47eda97287f1dc936f8a917dee727c74d7bc"
#: the demo's phase-1 contribution, as snarkjs hashes it: any setup whose phase 1 has it is
#: the demo's
DEMO_PHASE1_HASH = (
    "1d8e6899d8c3c9e81a889f180bebd1fa8fd87d24fdfc367c736ff6a3d8b46850"
    "55ee3471ac3e56458800d552e6beba881b0e0781d222a22fc7de68b205a56053"
)
#: the grid the demo's sessions use (the setup is for 4 points)
DEMO_GRID = (0, 10, 20, 30)
_FILES = (
    "circuit.zkey",
    "main.wasm",
    "pot_final.ptau",
    "verification_key.json",
    "setup.json",
    "ceremony.json",  # the record of its verified ceremony
)


def is_demo(ptau_sha256: str, setup_id: str, contributions: Iterable[Contribution]) -> bool:
    """Whether a setup is the demo's, or built on the demo's phase-1 file."""
    return (
        ptau_sha256 == DEMO_PTAU_SHA256
        or setup_id == DEMO_SETUP_ID
        or any(c.phase == 1 and c.hash == DEMO_PHASE1_HASH for c in contributions)
    )


def install_demo_setup(cache: Path | None = None) -> Path:
    """Copy the demo's setup into the cache (once); its folder there."""
    folder = (cache or cache_root()) / "repo" / "setups" / DEMO_SETUP_ID
    shipped = resources.files("marketcraft.repo.zk").joinpath("demo_setup")
    if (folder / "setup.json").exists():
        _keep_shipped_verdict(folder, cache)
        return folder
    work = folder.with_name(folder.name + ".tmp")
    work.mkdir(parents=True, exist_ok=True)
    for name in _FILES:
        with resources.as_file(shipped.joinpath(name)) as source:
            shutil.copyfile(source, work / name)
    work.replace(folder)
    _keep_shipped_verdict(folder, cache)
    return folder


def _keep_shipped_verdict(folder: Path, cache: Path | None) -> None:
    """The shipped record is this package's own, so trusted as its code is: kept as this
    machine's verdict when the installed files are the ones it names (the circuit's sources
    included), so that the demo starts without minutes of checks."""
    record = resources.files("marketcraft.repo.zk").joinpath("demo_setup", "ceremony.json")
    shipped = json.loads(record.read_text())  # the package's, never the folder's
    files = fingerprint(folder, len(DEMO_GRID))
    if shipped.get("files") == files:
        contributions = [Contribution.from_plain(c) for c in shipped["contributions"]]
        keep_verdict(files, contributions, cache)
