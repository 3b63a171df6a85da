"""The circuit-specific Groth16 setup: powers of tau (phase 1) and the circuit's key (phase 2),
each with one contribution per participant, so that a forged proof needs every participant to
have kept and shared its randomness.

Every contribution draws 64 fresh random bytes, hands them to snarkjs on its standard input
(never on a command line) and forgets them. A finished setup lives in its own folder of the cache,
named by the SHA-256 of its verification key; the proving key never leaves that folder.

No setup is used before its ceremony verifies (:mod:`marketcraft.repo.zk.transcript`):
:func:`setup_for` and proving refuse one that does not, and a new setup or contribution is
verified (and its contributions' hashes recorded) as soon as it is made."""

from __future__ import annotations

import hashlib
import json
import math
import re
import secrets
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from marketcraft.kernel.errors import ValidationError
from marketcraft.repo.proving import PUBLIC_SIGNALS, Proof, vkey_id
from marketcraft.repo.zk.circuit import Circuit, cache_root, compile_circuit
from marketcraft.repo.zk.node import ToolError, run_tool
from marketcraft.repo.zk.proof import prove
from marketcraft.repo.zk.transcript import RECORD, Ceremony, Contribution, verify_ceremony

__all__ = [
    "Setup",
    "accept_contribution",
    "adopt_setup",
    "constraint_count",
    "contribute",
    "contribute_zkey",
    "find_setup",
    "load_setup",
    "run_setup",
    "setup_for",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_PATH = re.compile(r"(?:[A-Za-z]:)?[/\\][^\s:'\"]+")
_CONTRIBUTION_HASH = re.compile(r"Contribution Hash:\s*\n((?:\s*[0-9a-f]{8}){16})")


@dataclass(frozen=True, slots=True)
class Setup:
    folder: Path
    k: int
    constraints: int
    contributors: tuple[str, ...]
    #: whether the demo's setup may be used (:mod:`marketcraft.repo.zk.demo`)
    demo_allowed: bool = False

    @property
    def zkey(self) -> Path:
        return self.folder / "circuit.zkey"

    @property
    def ptau(self) -> Path:
        """The phase-1 file (powers of tau, prepared for phase 2) the key was made from."""
        return self.folder / "pot_final.ptau"

    @property
    def wasm(self) -> Path:
        return self.folder / "main.wasm"

    @property
    def vkey_path(self) -> Path:
        return self.folder / "verification_key.json"

    @property
    def vkey(self) -> dict[str, object]:
        loaded: dict[str, object] = json.loads(self.vkey_path.read_text())
        return loaded

    @property
    def id(self) -> str:
        """Its verification key's SHA-256 (its folder's name, in a cache): what a settlement
        names, whatever the folder is called."""
        try:
            return vkey_id(self.vkey)
        except (OSError, ValueError):
            return self.folder.name

    def prove(self, witness: dict[str, object]) -> Proof:
        """A proof of ``witness`` with this setup's key (the contract's
        :class:`~marketcraft.repo.proving.Prover`), once its ceremony verifies."""
        return prove(self, witness)

    def ceremony(self) -> Ceremony:
        """Its verified ceremony (a ValidationError if it does not verify)."""
        return verify_ceremony(self, allow_demo=self.demo_allowed)


def constraint_count(circuit: Circuit) -> int:
    """The R1CS constraint count, read from the .r1cs header section."""
    data = circuit.r1cs.read_bytes()
    # "r1cs", version, section count, then sections (type u32, size u64); type 1 is the header:
    # field size n8 (u32), prime (n8 bytes), wires u32, pub out u32, pub in u32, priv in u32,
    # labels u64, constraints u32
    pos = 12
    while pos < len(data):
        kind = int.from_bytes(data[pos : pos + 4], "little")
        size = int.from_bytes(data[pos + 4 : pos + 12], "little")
        body = pos + 12
        if kind == 1:
            n8 = int.from_bytes(data[body : body + 4], "little")
            at = body + 4 + n8 + 16 + 8
            return int.from_bytes(data[at : at + 4], "little")
        pos = body + size
    raise ValidationError("bad_circuit", f"{circuit.r1cs} has no header section")


def find_setup(k: int, cache: Path | None = None, *, allow_demo: bool = False) -> Setup | None:
    """The newest setup in the cache for a K-point grid, if any (not yet verified); outside
    the demo, none built on the demo's phase-1 file, and never one a session made of an
    uploaded contribution."""
    setups = (cache or cache_root()) / "repo" / "setups"
    found = [
        load_setup(p, allow_demo=allow_demo)
        for p in setups.glob("*")
        if (p / "setup.json").exists()
        and (allow_demo or not _recorded_demo(p))
        and not _uploaded(p)
    ]
    matching = [s for s in found if s.k == k]
    return max(matching, key=lambda s: s.zkey.stat().st_mtime, default=None)


def _uploaded(folder: Path) -> bool:
    """Whether the setup was made of a contribution uploaded to a session (which only that
    session uses)."""
    try:
        return bool(json.loads((folder / "setup.json").read_text()).get("uploaded"))
    except (OSError, ValueError, AttributeError):
        return True


def _recorded_demo(folder: Path) -> bool:
    """Whether the folder's ceremony record says it is built on the demo's phase-1 file."""
    from marketcraft.repo.zk import demo  # noqa: PLC0415 (demo is an edge of this module)

    try:
        record = json.loads((folder / RECORD).read_text())
        return bool(record["files"]["ptau"] == demo.DEMO_PTAU_SHA256)
    except (OSError, ValueError, KeyError, TypeError):
        return False


def setup_for(
    k: int, setup_id: str | None = None, cache: Path | None = None, *, allow_demo: bool = False
) -> Setup:
    """The named setup (which must be for a K-point grid), or the newest cached one for K,
    once its ceremony verifies; a ValidationError saying what to run when there is none, or
    naming what failed in its ceremony."""
    setup = (
        load_setup(setup_id, cache, allow_demo=allow_demo)
        if setup_id
        else find_setup(k, cache, allow_demo=allow_demo)
    )
    if setup is None:
        raise ValidationError(
            "no_setup",
            f"no proof setup for a {k}-point grid: run `marketcraft repo setup --grid-size {k}`"
            " (minutes) first",
        )
    if setup.k != k:
        raise ValidationError(
            "bad_setup", f"setup {setup.id[:12]} is for a {setup.k}-point grid, not {k}"
        )
    setup.ceremony()
    return setup


def _power(constraints: int) -> int:
    # snarkjs needs 2^power >= constraints + public inputs + 1
    return max(8, math.ceil(math.log2(constraints + len(PUBLIC_SIGNALS) + 1)))


def _check_names(names: Sequence[str]) -> None:
    if not names:
        raise ValidationError("bad_setup", "a setup needs at least one contributor")
    for name in names:
        if not _NAME.match(name):
            raise ValidationError(
                "bad_setup", f"contributor name {name!r}: letters, digits, space . _ - (1-64)"
            )
    if len(set(names)) != len(names):
        raise ValidationError("bad_setup", "contributor names must differ")


def _entropy() -> str:
    return secrets.token_hex(64) + "\n"


def _finish(
    work: Path,
    k: int,
    constraints: int,
    names: Sequence[str],
    root: Path,
    *,
    allow_demo: bool = False,
    uploaded: bool = False,
) -> Setup:
    run_tool(
        "snarkjs",
        "zkey",
        "export",
        "verificationkey",
        "circuit.zkey",
        "verification_key.json",
        cwd=work,
    )
    digest = vkey_id(json.loads((work / "verification_key.json").read_text()))
    meta: dict[str, object] = {"k": k, "constraints": constraints, "contributors": list(names)}
    if uploaded:  # a session's: never another session's default
        meta["uploaded"] = True
    (work / "setup.json").write_text(json.dumps(meta, indent=2) + "\n")
    folder = root / "repo" / "setups" / digest
    if folder.exists():  # a key made before: never replace a setup in use
        raise ValidationError(
            "bad_contribution", f"the key is setup {digest[:12]}, which is here already"
        )
    work.replace(folder)
    made = Setup(folder, k, constraints, tuple(names), allow_demo)
    try:
        made.ceremony()  # records each contribution's hash
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return made


def run_setup(
    k: int,
    contributors: Sequence[str],
    cache: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> Setup:
    """A new setup for the K-point circuit with one contribution per named participant in both
    phases (minutes at K = 64 on two cores; most of it is snarkjs preparing phase 2)."""
    _check_names(contributors)
    say = progress or (lambda _step: None)
    root = cache or cache_root()
    say("compiling the circuit")
    circuit = compile_circuit(k, root)
    constraints = constraint_count(circuit)
    power = _power(constraints)
    work = root / "repo" / "setups" / f"new-{secrets.token_hex(8)}"
    work.mkdir(parents=True)
    try:
        say(f"phase 1: powers of tau 2^{power}")
        run_tool("snarkjs", "powersoftau", "new", "bn128", str(power), "pot_0.ptau", cwd=work)
        for i, name in enumerate(contributors):
            say(f"phase 1: contribution from {name}")
            run_tool(
                "snarkjs",
                "powersoftau",
                "contribute",
                f"pot_{i}.ptau",
                f"pot_{i + 1}.ptau",
                f"--name={name}",
                cwd=work,
                stdin=_entropy(),
            )
            (work / f"pot_{i}.ptau").unlink()
        say("phase 1: preparing phase 2")
        run_tool(
            "snarkjs",
            "powersoftau",
            "prepare",
            "phase2",
            f"pot_{len(contributors)}.ptau",
            "pot_final.ptau",
            cwd=work,
        )
        (work / f"pot_{len(contributors)}.ptau").unlink()
        say("phase 2: circuit key")
        run_tool(
            "snarkjs", "groth16", "setup", circuit.r1cs, "pot_final.ptau", "zkey_0.zkey", cwd=work
        )
        for i, name in enumerate(contributors):
            say(f"phase 2: contribution from {name}")
            run_tool(
                "snarkjs",
                "zkey",
                "contribute",
                f"zkey_{i}.zkey",
                f"zkey_{i + 1}.zkey",
                f"--name={name}",
                cwd=work,
                stdin=_entropy(),
            )
            (work / f"zkey_{i}.zkey").unlink()
        (work / f"zkey_{len(contributors)}.zkey").replace(work / "circuit.zkey")
        shutil.copyfile(circuit.r1cs, work / "main.r1cs")
        shutil.copyfile(circuit.wasm, work / "main.wasm")
        return _finish(work, k, constraints, contributors, root)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def contribute_zkey(zkey: Path, out: Path, name: str) -> str:
    """Add one phase-2 contribution named ``name`` to the circuit key ``zkey``, written to
    ``out`` (fresh randomness, handed to snarkjs on its standard input and forgotten); the
    contribution's hash, which the ceremony's record must then show under ``name``."""
    _check_names([name])
    printed = run_tool(
        "snarkjs", "zkey", "contribute", zkey, out, f"--name={name}", stdin=_entropy()
    )
    found = _CONTRIBUTION_HASH.search(_ANSI.sub("", printed))
    if not found:
        raise ValidationError("bad_setup", "snarkjs did not print the contribution's hash")
    return "".join(found.group(1).split())


def _derived(
    current: Setup,
    names: Sequence[str],
    root: Path,
    write_key: Callable[[Path], None],
    *,
    uploaded: bool = False,
) -> Setup:
    """A new setup in the cache: ``current``'s phase-1 file and compiled circuit with the
    circuit key ``write_key`` writes to the path it is given, checked and verified by
    :func:`_finish`; nothing is left behind if it fails."""
    _check_names(names)
    work = root / "repo" / "setups" / f"new-{secrets.token_hex(8)}"
    work.mkdir(parents=True)
    try:
        for kept in ("pot_final.ptau", "main.wasm"):  # the circuit is compiled from source
            shutil.copyfile(current.folder / kept, work / kept)
        write_key(work / "circuit.zkey")
        return _finish(
            work,
            current.k,
            current.constraints,
            names,
            root,
            allow_demo=current.demo_allowed,
            uploaded=uploaded,
        )
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def contribute(setup: Setup, name: str, cache: Path | None = None) -> Setup:
    """A new setup: ``setup``'s key with one more phase-2 contribution (a participant who joins
    later, on its own machine)."""

    def add_ours(out: Path) -> None:
        contribute_zkey(setup.zkey, out, name)

    return _derived(setup, [*setup.contributors, name], cache or cache_root(), add_ours)


def accept_contribution(
    current: Setup, zkey: bytes, name: str, cache: Path | None = None
) -> tuple[Setup, Contribution]:
    """The setup made of ``current`` and an uploaded circuit key that must add exactly one
    phase-2 contribution to ``current``'s, named ``name``: verified (against the circuit and
    ``current``'s phase-1 file) before it is kept. The new setup and its contribution; a
    ValidationError (``bad_contribution``) naming what is wrong otherwise."""
    before = current.ceremony()
    names = [*current.contributors, name]
    _check_names(names)  # a bad name is the uploader's mistake, not the key's

    def uploaded(out: Path) -> None:
        out.write_bytes(zkey)

    if hashlib.sha256(zkey).digest() == _sha256(current.zkey):
        raise ValidationError(
            "bad_contribution", "the uploaded key is the current key: it adds no contribution"
        )
    try:
        made = _derived(current, names, cache or cache_root(), uploaded, uploaded=True)
    except ToolError:
        raise ValidationError(
            "bad_contribution",
            "the upload is not a circuit key snarkjs can read (the .zkey file of this "
            "session's circuit, with your contribution added)",
        ) from None
    except ValidationError as exc:
        raise ValidationError(
            "bad_contribution", f"the uploaded key does not verify: {_without_paths(str(exc))}"
        ) from None
    after = made.ceremony()
    added = after.contributions[len(before.contributions) :]
    if (
        after.contributions[: len(before.contributions)] != before.contributions
        or len(added) != 1
        or added[0].phase != 2
        or added[0].name != name
    ):
        shutil.rmtree(made.folder, ignore_errors=True)
        raise ValidationError(
            "bad_contribution",
            f"the uploaded key must add exactly one phase-2 contribution, named {name!r}, to "
            f"the current key {current.id[:12]}",
        )
    return made, added[0]


def adopt_setup(
    zkey: Path,
    ptau: Path,
    k: int,
    names: Sequence[str],
    cache: Path | None = None,
    *,
    allow_demo: bool = False,
) -> Setup:
    """A setup made elsewhere (a session's, which an auditor fetched) from its circuit key and
    phase-1 file, for the circuit compiled here from this package's sources: kept in the
    cache under its verification key's hash (exported here, from the key) once its ceremony
    verifies, with every participant in ``names`` among its phase-2 contributors."""
    _check_names(names)
    root = cache or cache_root()
    circuit = compile_circuit(k, root)
    work = root / "repo" / "setups" / f"new-{secrets.token_hex(8)}"
    work.mkdir(parents=True)
    try:
        shutil.copyfile(zkey, work / "circuit.zkey")
        shutil.copyfile(ptau, work / "pot_final.ptau")
        shutil.copyfile(circuit.wasm, work / "main.wasm")
        return _finish(work, k, constraint_count(circuit), names, root, allow_demo=allow_demo)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _sha256(path: Path) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()


def _without_paths(text: str) -> str:
    """``text`` without colour codes or file paths (what a refusal tells an uploader)."""
    return _PATH.sub("…", _ANSI.sub("", text)).splitlines()[0] if text else text


def load_setup(where: str | Path, cache: Path | None = None, *, allow_demo: bool = False) -> Setup:
    """A setup by folder, or by id (its verification key's SHA-256, or a unique prefix); not
    yet verified (:meth:`Setup.ceremony`)."""
    folder = Path(where)
    if not (folder / "setup.json").exists():
        setups = (cache or cache_root()) / "repo" / "setups"
        prefix = str(where)  # a prefix of a folder's name, never a pattern or a path
        folders = setups.iterdir() if setups.is_dir() else iter(())
        matches = [p for p in folders if p.name.startswith(prefix) and (p / "setup.json").exists()]
        if len(matches) != 1:
            raise ValidationError(
                "no_setup",
                f"no setup {str(where)!r} (run `marketcraft repo setup` first)"
                if not matches
                else f"{str(where)!r} names more than one setup",
            )
        folder = matches[0]
    meta = json.loads((folder / "setup.json").read_text())
    return Setup(
        folder, int(meta["k"]), int(meta["constraints"]), tuple(meta["contributors"]), allow_demo
    )
