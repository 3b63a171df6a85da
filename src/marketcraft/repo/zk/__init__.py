"""The repo contract's proof system, as adapters around the pure core: the settlement circuit
compiled with circom2, the Groth16 setup ceremony and proving with snarkjs (Node processes and
files in a cache folder), and two verifiers (snarkjs and a pure-Python one). A
:class:`~marketcraft.repo.zk.ceremony.Setup` is the core's
:class:`~marketcraft.repo.proving.Prover`; :func:`~marketcraft.repo.zk.proof.verify_both` its
:class:`~marketcraft.repo.proving.Verifier`."""
