"""The settlement circuit: its sources for a grid of K points, compiled with circom2 into a
cache folder outside the source tree, and the witness input for one settlement."""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from marketcraft.kernel.errors import ValidationError
from marketcraft.repo.commitment import commit, grid_hash
from marketcraft.repo.node import run_tool
from marketcraft.repo.poseidon import _parameters
from marketcraft.repo.schedule import Report
from marketcraft.repo.selection import Outcome, check_pair

__all__ = [
    "PUBLIC_SIGNALS",
    "Circuit",
    "cache_root",
    "compile_circuit",
    "public_signals",
    "sources",
    "witness_input",
]

#: the circuit's public inputs, in the order snarkjs lists them
PUBLIC_SIGNALS = ("commit_mm", "commit_rm", "grid", "trade", "volume", "rate_mm", "rate_rm")
MAX_K = 4096


def cache_root() -> Path:
    """``$MARKETCRAFT_CACHE``, else ``$XDG_CACHE_HOME/marketcraft``, else
    ``~/.cache/marketcraft``."""
    env = os.environ.get("MARKETCRAFT_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "marketcraft"


def _text(name: str) -> str:
    return resources.files("marketcraft.repo").joinpath("circuits", name).read_text()


def _poseidon16() -> str:
    constants, mds = _parameters(17)
    matrix = ",".join("[" + ",".join(map(str, row)) + "]" for row in mds)
    return (
        _text("poseidon16.circom.in")
        .replace("@CONSTANTS@", ",".join(map(str, constants)))
        .replace("@MATRIX@", matrix)
    )


def sources(k: int) -> dict[str, str]:
    """The circuit's files for a K-point grid."""
    if not 2 <= k <= MAX_K:
        raise ValidationError("bad_grid", f"the circuit's grid size must be 2..{MAX_K}, not {k}")
    main = (
        'pragma circom 2.1.0;\n\ninclude "repo.circom";\n\n'
        f"component main {{public [{', '.join(PUBLIC_SIGNALS)}]}} = RepoSettle({k});\n"
    )
    return {
        "main.circom": main,
        "repo.circom": _text("repo.circom"),
        "poseidon16.circom": _poseidon16(),
    }


@dataclass(frozen=True, slots=True)
class Circuit:
    k: int
    folder: Path

    @property
    def r1cs(self) -> Path:
        return self.folder / "main.r1cs"

    @property
    def wasm(self) -> Path:
        return self.folder / "main_js" / "main.wasm"

    @property
    def digest(self) -> str:
        return self.folder.name.rsplit("-", 1)[-1]


def compile_circuit(k: int, cache: Path | None = None) -> Circuit:
    """Compile (once; later calls reuse the cache) the circuit for a K-point grid."""
    files = sources(k)
    digest = hashlib.sha256(
        "\0".join(f"{n}\0{t}" for n, t in sorted(files.items())).encode()
    ).hexdigest()[:16]
    folder = (cache or cache_root()) / "repo" / f"k{k}-{digest}"
    circuit = Circuit(k, folder)
    if circuit.r1cs.exists() and circuit.wasm.exists():
        return circuit
    work = folder.with_name(folder.name + ".tmp")
    work.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (work / name).write_text(text)
    run_tool("circom2", "main.circom", "--r1cs", "--wasm", "--O2", "-o", ".", cwd=work)
    if folder.exists():  # another process compiled it meanwhile
        shutil.rmtree(work)
    else:
        work.replace(folder)
    return circuit


def public_signals(
    commit_mm: int, commit_rm: int, volumes: tuple[int, ...], outcome: Outcome
) -> list[int]:
    """The public inputs a proof of ``outcome`` is checked against."""
    return [
        commit_mm,
        commit_rm,
        grid_hash(volumes),
        int(outcome.trade),
        outcome.volume,
        outcome.rate_mm,
        outcome.rate_rm,
    ]


def witness_input(
    mm: Report, rm: Report, salt_mm: int, salt_rm: int, outcome: Outcome
) -> dict[str, object]:
    """The circuit's input for a settlement: public signals and both openings."""
    check_pair(mm, rm)
    pick = [0] * len(mm.volumes)
    if outcome.index is not None:
        pick[outcome.index] = 1
    public = public_signals(commit(mm, salt_mm), commit(rm, salt_rm), mm.volumes, outcome)
    values: dict[str, object] = {n: str(v) for n, v in zip(PUBLIC_SIGNALS, public, strict=True)}
    values |= {
        "volumes": [str(v) for v in mm.volumes],
        "r_mm": [str(v) for v in mm.rates],
        "r_rm": [str(v) for v in rm.rates],
        "hurdle_mm": str(mm.hurdle),
        "hurdle_rm": str(rm.hurdle),
        "salt_mm": str(salt_mm),
        "salt_rm": str(salt_rm),
        "pick": [str(v) for v in pick],
    }
    return values
