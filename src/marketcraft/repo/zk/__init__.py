"""The repo contract's proof system, as adapters around the pure core: the settlement circuit
compiled with circom2, the Groth16 setup ceremony and proving with snarkjs (Node processes and
files in a cache folder), and two verifiers (snarkjs and a pure-Python one). A
:class:`~marketcraft.repo.zk.ceremony.Setup` is the core's
:class:`~marketcraft.repo.proving.Prover`; :func:`~marketcraft.repo.zk.proof.verify_both` its
:class:`~marketcraft.repo.proving.Verifier`."""

from marketcraft.repo.zk.ceremony import (
    Setup,
    contribute,
    find_setup,
    load_setup,
    run_setup,
    setup_for,
)
from marketcraft.repo.zk.node import ToolError, Unsatisfied
from marketcraft.repo.zk.proof import prove, verify_both

__all__ = [
    "Setup",
    "ToolError",
    "Unsatisfied",
    "contribute",
    "find_setup",
    "load_setup",
    "prove",
    "run_setup",
    "setup_for",
    "verify_both",
]
