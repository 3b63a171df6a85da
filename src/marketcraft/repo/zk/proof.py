"""Proving a settlement with snarkjs, and checking a proof with snarkjs and with the pure-Python
verifier."""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from marketcraft.repo.proving import Proof
from marketcraft.repo.zk import groth16
from marketcraft.repo.zk.node import node_bin, run_tool
from marketcraft.repo.zk.transcript import verify_ceremony

if TYPE_CHECKING:
    from marketcraft.repo.zk.ceremony import Setup

__all__ = ["prove", "verify_both", "verify_snarkjs"]


def prove(setup: Setup, witness: dict[str, object]) -> Proof:
    """A Groth16 proof for the circuit input ``witness`` (which holds both openings: it is
    written only to a private temporary folder, removed at once), once the setup's ceremony
    verifies (a ValidationError naming what failed otherwise). A witness that does not satisfy
    the circuit (a wrong selection, a wrong opening) fails here with a ToolError."""
    verify_ceremony(setup, allow_demo=setup.demo_allowed)
    with tempfile.TemporaryDirectory(prefix="marketcraft-prove-") as tmp:
        work = Path(tmp)
        (work / "input.json").write_text(json.dumps(witness))
        run_tool(
            "snarkjs",
            "groth16",
            "fullprove",
            "input.json",
            setup.wasm,
            setup.zkey,
            "proof.json",
            "public.json",
            cwd=work,
        )
        proof = json.loads((work / "proof.json").read_text())
        public = [int(x) for x in json.loads((work / "public.json").read_text())]
    return Proof(proof, public)


def verify_snarkjs(vkey: dict[str, Any], public: Sequence[object], proof: dict[str, Any]) -> bool:
    """snarkjs's verdict (its ``groth16.verify``, called from a small script rather than the
    CLI, which takes longer to start): True only when it prints OK and exits 0."""
    main = node_bin("snarkjs").parent.parent / "snarkjs" / "main.js"
    script = resources.files("marketcraft.repo.zk").joinpath("circuits", "verify.mjs")
    with (
        tempfile.TemporaryDirectory(prefix="marketcraft-verify-") as tmp,
        resources.as_file(script) as script_path,
    ):
        work = Path(tmp)
        (work / "vk.json").write_text(json.dumps(vkey))
        (work / "public.json").write_text(json.dumps([str(x) for x in public]))
        (work / "proof.json").write_text(json.dumps(proof))
        done = subprocess.run(  # noqa: S603
            ["node", str(script_path), str(main), "vk.json", "public.json", "proof.json"],  # noqa: S607
            cwd=work, capture_output=True, text=True, check=False,
        )  # fmt: skip
    return done.returncode == 0 and done.stdout.strip() == "OK!"


def verify_both(
    vkey: dict[str, Any], public: Sequence[object], proof: dict[str, Any]
) -> dict[str, bool]:
    """Both verifiers' verdicts (``snarkjs``, ``python``): the contract's
    :class:`~marketcraft.repo.proving.Verifier`. Malformed input is a False from the Python
    verifier."""
    try:
        python = groth16.verify(vkey, public, proof)
    except groth16.ProofFormatError:
        python = False
    return {"snarkjs": verify_snarkjs(vkey, public, proof), "python": python}
