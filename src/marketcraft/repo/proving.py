"""What the contract asks of a proof system, and nothing of how one runs: the circuit's public
signals and witness for a settlement, a proof, the prover that makes one and the verifier that
checks one. The Groth16 setup (circom, snarkjs) and the verifiers are the adapters in
:mod:`marketcraft.repo.zk`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from marketcraft.repo.commitment import commit, grid_hash
from marketcraft.repo.schedule import Report
from marketcraft.repo.selection import Outcome, check_pair

__all__ = [
    "MAX_K",
    "PUBLIC_SIGNALS",
    "Proof",
    "Prover",
    "Verifier",
    "public_signals",
    "vkey_id",
    "witness_input",
]

#: the circuit's public inputs, in the order snarkjs lists them
PUBLIC_SIGNALS = ("commit_mm", "commit_rm", "grid", "trade", "volume", "rate_mm", "rate_rm")
#: the largest grid a circuit is made for
MAX_K = 4096


@dataclass(frozen=True, slots=True)
class Proof:
    proof: dict[str, Any]
    public: list[int]

    def to_json(self) -> dict[str, Any]:
        return {"proof": self.proof, "public": [str(x) for x in self.public]}


class Prover(Protocol):
    """A setup of the settlement circuit for a ``k``-point grid, named ``id``, that proves a
    witness (an unsatisfied witness raises)."""

    @property
    def id(self) -> str: ...

    @property
    def k(self) -> int: ...

    def prove(self, witness: dict[str, object]) -> Proof: ...


class Verifier(Protocol):
    """Checks a proof of ``public`` under a verification key: each verifier's verdict by name
    (malformed input is a False, never an exception)."""

    def __call__(
        self, vkey: dict[str, Any], public: Sequence[object], proof: dict[str, Any]
    ) -> dict[str, bool]: ...


def vkey_id(vkey: dict[str, object]) -> str:
    """A setup's id: the SHA-256 of its verification key as canonical JSON."""
    canonical = json.dumps(vkey, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


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
