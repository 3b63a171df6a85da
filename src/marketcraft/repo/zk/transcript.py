"""A setup's ceremony, checked before any proof is made or trusted with it.

A Groth16 setup is sound only if somebody's randomness went into both phases and was thrown
away. A setup whose phase 2 had no contribution has ``vk_delta_2 == vk_gamma_2`` (snarkjs starts
delta at the generator, as gamma stays), and then anyone proves anything: A = alpha, B = beta,
C = -vk_x passes the pairing check for any public signals. So a setup is used only when:

1. its phase-1 file (the powers of tau) verifies, contribution by contribution, and has one;
2. its circuit key verifies against the circuit compiled from this package's sources and that
   phase-1 file, contribution by contribution (``snarkjs zkey verify``);
3. every participant the setup names made at least one phase-2 contribution under its name;
4. its verification key is the circuit key's, and its delta differs from its gamma;
5. it is not the demo's setup (:mod:`marketcraft.repo.zk.demo`), unless the demo is running.

Steps 1 and 2 take snarkjs tens of seconds (minutes at K = 64), so their verdict is kept in
the verifier's own store (``repo/verdicts`` in the cache the setup is in, or the user's cache),
under the SHA-256 of the files checked (each file's SHA-256 and the circuit's source digest); a
later use re-hashes the files and repeats the checks unless this machine verified those very
files before. A copy of the record is written to the setup's folder (``ceremony.json``) for
people to read, and never read back: a folder handed over by someone else, whatever record it
carries, is checked in full. Steps 3 to 5 run on every use. The store is trusted as the Node
tools in the same cache are: whoever can write one can replace the other."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from marketcraft.kernel.errors import ValidationError
from marketcraft.repo.zk.circuit import cache_root, compile_circuit, source_digest
from marketcraft.repo.zk.node import ToolError, node_bin, run_tool

if TYPE_CHECKING:
    from marketcraft.repo.zk.ceremony import Setup

__all__ = [
    "RECORD",
    "Ceremony",
    "Contribution",
    "file_sha256",
    "fingerprint",
    "keep_verdict",
    "verdict_path",
    "verify_ceremony",
]

#: the copy of a verified ceremony's record in the setup's folder (to read; never trusted)
RECORD = "ceremony.json"
_PHASE1 = re.compile(r"^Contribution #(\d+): ?(.*)$")
_PHASE2 = re.compile(r"^contribution #(\d+) ?(.*?):\n(.*)$", re.DOTALL)
_HASH = re.compile(r"^Response Hash:\n(.*)$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Contribution:
    """One contribution to a setup: its phase (1, the powers of tau; 2, the circuit key), its
    place in that phase, the name its contributor gave and its hash (BLAKE2b-512, as snarkjs
    prints it), which the contributor saw when contributing and can look for here."""

    phase: int
    number: int
    name: str
    hash: str

    def to_plain(self) -> dict[str, Any]:
        return {"phase": self.phase, "number": self.number, "name": self.name, "hash": self.hash}

    @classmethod
    def from_plain(cls, plain: dict[str, Any]) -> Contribution:
        return cls(int(plain["phase"]), int(plain["number"]), str(plain["name"]), plain["hash"])


@dataclass(frozen=True, slots=True)
class Ceremony:
    """A setup whose ceremony verified: every contribution of both phases, in order."""

    setup_id: str
    participants: tuple[str, ...]
    contributions: tuple[Contribution, ...]
    demo: bool

    def phase(self, number: int) -> tuple[Contribution, ...]:
        return tuple(c for c in self.contributions if c.phase == number)

    def to_plain(self) -> dict[str, Any]:
        return {
            "setup": self.setup_id,
            "participants": list(self.participants),
            "contributions": [c.to_plain() for c in self.contributions],
            "demo_only": self.demo,
        }


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _hex(text: str) -> str:
    return "".join(text.split())


def _contributions(log: list[dict[str, str]], phase: int) -> list[Contribution]:
    """The contributions snarkjs names while verifying (newest first in its messages)."""
    found: list[Contribution] = []
    if phase == 1:
        current: tuple[int, str] | None = None
        for entry in log:
            text = entry["text"]
            head = _PHASE1.match(text)
            if head:
                current = (int(head.group(1)), head.group(2).strip())
                continue
            hashed = _HASH.match(text)
            if hashed and current is not None:  # the first "Response Hash" is the contribution's
                found.append(Contribution(1, current[0], current[1], _hex(hashed.group(1))))
                current = None
    else:
        for entry in log:
            head = _PHASE2.match(entry["text"])
            if head:
                found.append(
                    Contribution(2, int(head.group(1)), head.group(2).strip(), _hex(head.group(3)))
                )
    return sorted(found, key=lambda c: c.number)


def _why(log: list[dict[str, str]]) -> str:
    errors = [e["text"] for e in log if e["level"] == "error"]
    return errors[-1].splitlines()[0] if errors else "snarkjs did not accept it"


def _run_snarkjs_checks(setup: Setup) -> list[Contribution]:
    """Steps 1 and 2 with snarkjs; the contributions of both phases."""
    circuit = compile_circuit(setup.k, _cache_of(setup))
    main = node_bin("snarkjs").parent.parent / "snarkjs" / "main.js"
    script = resources.files("marketcraft.repo.zk").joinpath("circuits", "ceremony.mjs")
    with resources.as_file(script) as script_path:
        args = [str(script_path), str(main), str(circuit.r1cs), str(setup.ptau), str(setup.zkey)]
        done = subprocess.run(  # noqa: S603
            ["node", *args], capture_output=True, text=True, check=False,  # noqa: S607
        )  # fmt: skip
    if done.returncode != 0:
        raise ToolError(f"checking the ceremony failed: {done.stderr.strip()[-400:]}")
    verdict = json.loads(done.stdout)
    if not verdict["phase1"]:
        raise ValidationError(
            "bad_setup",
            f"setup {setup.id[:12]}: its phase-1 file does not verify: "
            + _why(verdict["phase1Log"]),
        )
    if not verdict["phase2"]:
        raise ValidationError(
            "bad_setup",
            f"setup {setup.id[:12]}: its circuit key does not verify against the circuit and its "
            f"phase-1 file: {_why(verdict['phase2Log'])}",
        )
    return _contributions(verdict["phase1Log"], 1) + _contributions(verdict["phase2Log"], 2)


def _key_of_zkey(setup: Setup) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="marketcraft-vkey-") as tmp:
        out = Path(tmp) / "vk.json"
        run_tool("snarkjs", "zkey", "export", "verificationkey", setup.zkey, out)
        key: dict[str, Any] = json.loads(out.read_text())
    return key


def fingerprint(folder: Path, k: int) -> dict[str, str]:
    """What a verdict is on: the SHA-256 of each file of the setup in ``folder`` that the
    ceremony's checks read, and the digest of the K-point circuit's sources."""
    return {
        "circuit": source_digest(k),
        "zkey": file_sha256(folder / "circuit.zkey"),
        "ptau": file_sha256(folder / "pot_final.ptau"),
        "vkey": file_sha256(folder / "verification_key.json"),
    }


def _cache_of(setup: Setup) -> Path | None:
    """The cache the setup's folder is in (``CACHE/repo/setups/ID``), if it is in one."""
    folder = setup.folder.resolve()
    in_cache = folder.parent.name == "setups" and folder.parent.parent.name == "repo"
    return folder.parent.parent.parent if in_cache else None


def verdict_path(fingerprint: dict[str, str], cache: Path | None) -> Path:
    """Where this machine keeps its verdict on the files ``fingerprint`` names."""
    digest = hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()
    return (cache or cache_root()) / "repo" / "verdicts" / f"{digest}.json"


def keep_verdict(fingerprint: dict[str, str], contributions: list[Contribution],
                 cache: Path | None) -> None:  # fmt: skip
    """Record that the files ``fingerprint`` names verified, with their contributions."""
    path = verdict_path(fingerprint, cache)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"files": fingerprint, "contributions": [c.to_plain() for c in contributions]}
    work = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    work.write_text(json.dumps(record, indent=1) + "\n")
    work.replace(path)


def _recorded(fingerprint: dict[str, str], cache: Path | None) -> list[Contribution] | None:
    path = verdict_path(fingerprint, cache)
    try:
        plain = json.loads(path.read_text())
        if plain.get("files") != fingerprint:
            return None
        return [Contribution.from_plain(c) for c in plain["contributions"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def verify_ceremony(setup: Setup, *, allow_demo: bool = False) -> Ceremony:
    """The setup's ceremony if it verified (see the module's docstring); a ValidationError
    (``bad_setup``, or ``demo_setup`` for the demo's outside the demo) naming what failed."""
    from marketcraft.repo.zk import demo  # noqa: PLC0415 (demo names this module's record)

    missing = [p.name for p in (setup.zkey, setup.ptau, setup.vkey_path) if not p.exists()]
    if missing:
        raise ValidationError(
            "bad_setup", f"setup {setup.id[:12]} lacks {', '.join(missing)}: its ceremony "
            "cannot be checked",
        )  # fmt: skip
    files, cache = fingerprint(setup.folder, setup.k), _cache_of(setup)
    contributions = _recorded(files, cache)
    if contributions is None:
        contributions = _run_snarkjs_checks(setup)
        if _key_of_zkey(setup) != setup.vkey:
            raise ValidationError(
                "bad_setup",
                f"setup {setup.id[:12]}: its verification key is not its circuit key's",
            )
        keep_verdict(files, contributions, cache)
        record = {"files": files, "contributions": [c.to_plain() for c in contributions]}
        (setup.folder / RECORD).write_text(json.dumps(record, indent=1) + "\n")  # to read
    ceremony = Ceremony(
        setup.id,
        setup.contributors,
        tuple(contributions),
        demo.is_demo(files["ptau"], setup.id, contributions),
    )
    check_rules(ceremony, setup.vkey)
    if ceremony.demo and not allow_demo:
        raise ValidationError(
            "demo_setup",
            f"setup {setup.id[:12]} is built on the demo's phase-1 file, whose randomness one "
            "party made: it is for the demo only (MARKETCRAFT_DEMO=true) and refused here",
        )
    return ceremony


def check_rules(ceremony: Ceremony, vkey: dict[str, Any]) -> None:
    """Steps 3 and 4: a contribution in each phase, one in phase 2 from every named
    participant, and a key whose delta is not its gamma."""
    short = ceremony.setup_id[:12]
    if not ceremony.phase(1):
        raise ValidationError("bad_setup", f"setup {short}: its phase 1 had no contribution")
    if not ceremony.phase(2):
        raise ValidationError(
            "bad_setup",
            f"setup {short}: its phase 2 had no contribution, so anyone can forge a proof with it",
        )
    made = {c.name for c in ceremony.phase(2)}
    absent = [name for name in ceremony.participants if name not in made]
    if absent:
        raise ValidationError(
            "bad_setup",
            f"setup {short}: no phase-2 contribution from {', '.join(absent)}, whom it names",
        )
    if vkey.get("vk_delta_2") == vkey.get("vk_gamma_2"):
        raise ValidationError(
            "bad_setup",
            f"setup {short}: its key's delta equals its gamma (phase 2 added no randomness), "
            "so anyone can forge a proof with it",
        )
