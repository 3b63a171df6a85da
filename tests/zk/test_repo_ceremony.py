"""A setup is used only once its ceremony verifies: both phases' transcripts with snarkjs, a
phase-2 contribution from every participant it names, a key that is its circuit key's, and a
delta that is not its gamma. The forged-proof attack (a setup nobody contributed to in phase
2, so delta = gamma, and a proof A = alpha, B = beta, C = -vk_x of a false outcome on the real
commitments) passes both pairing verifiers, and is refused by every prove and verify."""

import json
import shutil

import pytest
from typer.testing import CliRunner

from marketcraft.cli import app
from marketcraft.kernel.errors import ValidationError
from marketcraft.repo.commitment import commit
from marketcraft.repo.proving import public_signals, vkey_id, witness_input
from marketcraft.repo.schedule import Report, Side
from marketcraft.repo.selection import Outcome, select
from marketcraft.repo.settlement import CEREMONY_CHECK, audit
from marketcraft.repo.zk import groth16, transcript
from marketcraft.repo.zk.ceremony import load_setup, setup_for
from marketcraft.repo.zk.circuit import compile_circuit
from marketcraft.repo.zk.demo import DEMO_SETUP_ID, install_demo_setup
from marketcraft.repo.zk.node import run_tool
from marketcraft.repo.zk.proof import prove, verify_both
from marketcraft.repo.zk.transcript import RECORD
from tests.conftest import ZK_TEST_K

runner = CliRunner()
GRID = (0, 5, 10, 15)
MM = Report(Side.MM, GRID, (5_000_000, 5_050_000, 5_100_000, 5_150_000), 0)
RM = Report(Side.RM, GRID, (5_400_000, 5_350_000, 5_300_000, 5_250_000), 0)
SALT_MM, SALT_RM = 1234567, 7654321
HEX128 = set("0123456789abcdef")


def test_a_setup_s_ceremony_lists_every_contribution_with_its_hash(zk_setup):
    done = zk_setup.ceremony()
    for phase in (1, 2):
        assert [c.name for c in done.phase(phase)] == ["contract", "mm", "rm"]
        assert [c.number for c in done.phase(phase)] == [1, 2, 3]
    hashes = [c.hash for c in done.contributions]
    assert all(len(h) == 128 and set(h) <= HEX128 for h in hashes) and len(set(hashes)) == 6
    recorded = json.loads((zk_setup.folder / RECORD).read_text())
    assert [c["hash"] for c in recorded["contributions"]] == hashes
    assert not done.demo and done.participants == ("contract", "mm", "rm")


def _point(g1):
    bn = groth16._curve()  # py_ecc, imported without its process-wide recursion limit
    return (bn.FQ(int(g1[0])), bn.FQ(int(g1[1])), bn.FQ.one())


def _g1(point):
    x, y = groth16._curve().normalize(point)
    return [str(x.n), str(y.n), "1"]


def forge(vkey, public):
    """A = alpha, B = beta, C = -vk_x: with delta = gamma the pairing check
    e(A, B) = e(alpha, beta) e(vk_x, gamma) e(C, delta) holds for any public signals."""
    bn = groth16._curve()
    ic = vkey["IC"]
    vk_x = _point(ic[0])
    for x, point in zip(public, ic[1:], strict=True):
        vk_x = bn.add(vk_x, bn.multiply(_point(point), int(x)))
    return {
        "pi_a": vkey["vk_alpha_1"],
        "pi_b": vkey["vk_beta_2"],
        "pi_c": _g1(bn.neg(vk_x)),
        "protocol": "groth16",
        "curve": "bn128",
    }


@pytest.fixture(scope="module")
def uncontributed(zk_setup, tmp_path_factory):
    """`snarkjs groth16 setup` and no `zkey contribute`: the real phase-1 file, no phase 2
    randomness, and metadata that claims the usual contributors."""
    cache = tmp_path_factory.mktemp("forged-cache")
    circuit = compile_circuit(ZK_TEST_K, cache)
    work = cache / "work"
    work.mkdir()
    shutil.copyfile(zk_setup.ptau, work / "pot_final.ptau")
    shutil.copyfile(zk_setup.wasm, work / "main.wasm")
    run_tool("snarkjs", "groth16", "setup", circuit.r1cs, "pot_final.ptau", "circuit.zkey",
             cwd=work)  # fmt: skip
    run_tool("snarkjs", "zkey", "export", "verificationkey", "circuit.zkey",
             "verification_key.json", cwd=work)  # fmt: skip
    vkey = json.loads((work / "verification_key.json").read_text())
    meta = {"k": ZK_TEST_K, "constraints": zk_setup.constraints,
            "contributors": ["contract", "mm", "rm"]}  # fmt: skip
    (work / "setup.json").write_text(json.dumps(meta))
    folder = cache / "repo" / "setups" / vkey_id(vkey)
    folder.parent.mkdir(parents=True)
    work.replace(folder)
    return load_setup(folder), cache


def test_the_forged_proof_attack_passes_the_pairings_and_fails_every_check(
    uncontributed, tmp_path, monkeypatch
):
    setup, cache = uncontributed
    vkey = setup.vkey
    assert vkey["vk_delta_2"] == vkey["vk_gamma_2"]  # what no contribution leaves
    # a false outcome on the real commitments: Q = 15, where the joint profit is not largest
    assert select(MM, RM).volume == 10
    false = Outcome(True, 3, 15, MM.rates[3], RM.rates[3], (RM.rates[3] - MM.rates[3]) * 15)
    public = public_signals(commit(MM, SALT_MM), commit(RM, SALT_RM), GRID, false)
    forged = forge(vkey, public)
    # the attack is real: both pairing verifiers accept it under this key
    assert verify_both(vkey, public, forged) == {"snarkjs": True, "python": True}

    # ...and every use of the setup refuses it
    with pytest.raises(ValidationError, match="phase 2 had no contribution") as refused:
        setup_for(ZK_TEST_K, setup.id, cache)
    assert refused.value.code == "bad_setup"
    with pytest.raises(ValidationError, match="phase 2 had no contribution"):
        setup.prove(witness_input(MM, RM, SALT_MM, SALT_RM, select(MM, RM)))
    settlement = {
        "setup": setup.id, "grid": list(GRID),
        "commitments": {"mm": str(public[0]), "rm": str(public[1])},
        "outcome": {"trade": True, "volume": 15, "rate_mm": "515", "rate_rm": "525",
                    "rate_bd": "520", "joint_profit": "150", "profit_each": "75"},
        "proof": forged, "public": [str(x) for x in public],
    }  # fmt: skip
    checks = audit(settlement, vkey, verify_both, (public[0], public[1]), ceremony=False)
    assert checks[CEREMONY_CHECK] is False
    assert checks["the key's delta differs from its gamma (phase 2 added randomness)"] is False
    assert checks["proof verified by snarkjs"] and checks["proof verified by the Python verifier"]

    path = tmp_path / "forged.json"
    path.write_text(json.dumps(settlement))
    monkeypatch.setenv("MARKETCRAFT_CACHE", str(cache))
    (tmp_path / "vk.json").write_text(json.dumps(vkey))
    for extra in ([], ["--vkey", str(tmp_path / "vk.json")]):
        done = runner.invoke(app, ["repo", "verify", str(path), *extra, "--posted-mm",
                                   str(public[0]), "--posted-rm", str(public[1])])  # fmt: skip
        assert done.exit_code == 1, done.output
        failed = [line for line in done.output.splitlines() if "FAILED" in line]
        assert any("ceremony verified" in line for line in failed), done.output
        assert any("delta differs from its gamma" in line for line in failed), done.output
        assert "phase 2 had no contribution" in done.output


def test_a_setup_whose_key_is_not_its_circuit_key_is_refused(zk_setup, tmp_path):
    """Another key put beside the circuit key: the record no longer matches its files, the
    transcripts are checked again, and the key is found not to be the circuit key's."""
    folder = tmp_path / "repo" / "setups" / zk_setup.id
    shutil.copytree(zk_setup.folder, folder)
    vkey = zk_setup.vkey
    vkey["vk_alpha_1"] = vkey["IC"][0]  # a point on the curve, not alpha
    (folder / "verification_key.json").write_text(json.dumps(vkey))
    with pytest.raises(ValidationError, match="not its circuit key's"):
        load_setup(folder).ceremony()


def test_a_proof_needs_a_setup_with_every_named_participant(zk_setup, tmp_path):
    """Metadata naming a participant who made no contribution: refused, naming it."""
    folder = tmp_path / "repo" / "setups" / zk_setup.id
    shutil.copytree(zk_setup.folder, folder)
    # this machine's verdict on those files goes with them: the transcripts are not the point
    shutil.copytree(zk_setup.folder.parents[1] / "verdicts", tmp_path / "repo" / "verdicts")
    meta = json.loads((folder / "setup.json").read_text())
    meta["contributors"].append("auditor")
    (folder / "setup.json").write_text(json.dumps(meta))
    with pytest.raises(ValidationError, match="no phase-2 contribution from auditor"):
        prove(load_setup(folder), {})  # refused before any witness is looked at
    with pytest.raises(ValidationError, match="no phase-2 contribution from auditor"):
        load_setup(folder).prove({})


def _g2(point):
    bn = groth16._curve()  # Jacobian coordinates, as _point
    x, y = (bn.FQ2([int(c) for c in point[i]]) for i in (0, 1))
    return (x, y, bn.FQ2.one())


def test_a_ceremony_record_handed_over_with_a_setup_is_never_trusted(uncontributed, tmp_path):
    """The operator hands over a setup with no phase-2 contribution, its key's delta set to
    2 x gamma (so delta differs from gamma, and the forger knows their ratio), and a
    ceremony.json that names the files' own hashes and three contributions. The record is
    not this machine's verdict: the transcripts are checked, and the key is not the circuit
    key's."""
    setup, _ = uncontributed
    vkey = setup.vkey
    x, y = groth16._curve().normalize(groth16._curve().multiply(_g2(vkey["vk_gamma_2"]), 2))
    vkey["vk_delta_2"] = [[str(x.coeffs[0]), str(x.coeffs[1])],
                          [str(y.coeffs[0]), str(y.coeffs[1])], ["1", "0"]]  # fmt: skip
    folder = tmp_path / "cache" / "repo" / "setups" / vkey_id(vkey)
    shutil.copytree(setup.folder, folder)
    (folder / "verification_key.json").write_text(json.dumps(vkey))
    claimed = [{"phase": p, "number": n, "name": name, "hash": f"{p}{n}" * 32}
               for p in (1, 2) for n, name in enumerate(("contract", "mm", "rm"), 1)]  # fmt: skip
    record = {"files": transcript.fingerprint(folder, ZK_TEST_K), "contributions": claimed}
    (folder / RECORD).write_text(json.dumps(record))
    handed = load_setup(folder)
    assert handed.id == vkey_id(vkey) and handed.vkey["vk_delta_2"] != vkey["vk_gamma_2"]
    with pytest.raises(ValidationError, match="not its circuit key's"):
        handed.ceremony()
    assert not transcript.verdict_path(record["files"], tmp_path / "cache").exists()


def test_the_demo_s_phase_1_file_with_bytes_added_is_still_the_demo_s(node_tools, tmp_path):
    """Bytes added to the demo's phase-1 file change its SHA-256, not what snarkjs reads in it:
    its phase-1 contribution still names it, and it is refused outside the demo."""
    cache = tmp_path / "cache"
    folder = install_demo_setup(cache)
    padded = cache / "repo" / "setups" / "padded"
    shutil.copytree(folder, padded)
    with (padded / "pot_final.ptau").open("ab") as f:
        f.write(b"\0" * 64)
    setup = load_setup(padded)
    with pytest.raises(ValidationError, match="for the demo only") as refused:
        setup.ceremony()
    assert refused.value.code == "demo_setup" and setup.id == DEMO_SETUP_ID
    assert load_setup(padded, allow_demo=True).ceremony().demo
