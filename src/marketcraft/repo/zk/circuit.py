"""The settlement circuit: its sources for a grid of K points, compiled with circom2 into a
cache folder outside the source tree (its public signals and witness are in
:mod:`marketcraft.repo.proving`)."""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from marketcraft.kernel.errors import ValidationError
from marketcraft.repo.poseidon import _parameters
from marketcraft.repo.proving import MAX_K, PUBLIC_SIGNALS
from marketcraft.repo.zk.node import run_tool

__all__ = ["Circuit", "cache_root", "compile_circuit", "source_digest", "sources"]


def cache_root() -> Path:
    """``$MARKETCRAFT_CACHE``, else ``$XDG_CACHE_HOME/marketcraft``, else
    ``~/.cache/marketcraft``."""
    env = os.environ.get("MARKETCRAFT_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "marketcraft"


def _text(name: str) -> str:
    return resources.files("marketcraft.repo.zk").joinpath("circuits", name).read_text()


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


def source_digest(k: int) -> str:
    """The circuit's name for a K-point grid: the SHA-256 of its sources (16 hex digits)."""
    files = sources(k)
    return hashlib.sha256(
        "\0".join(f"{n}\0{t}" for n, t in sorted(files.items())).encode()
    ).hexdigest()[:16]


def compile_circuit(k: int, cache: Path | None = None) -> Circuit:
    """Compile (once; later calls reuse the cache) the circuit for a K-point grid."""
    files = sources(k)
    digest = source_digest(k)
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
