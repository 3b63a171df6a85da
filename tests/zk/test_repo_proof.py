"""Groth16 proofs of the repo contract's selection, with a real circuit (K = 4), a real setup
(contributions from the contract and both dealers), snarkjs and the pure-Python verifier.

A proof exists only for the contract's own outcome on the committed openings; changing any
public signal or any part of the proof is caught by both verifiers."""

import copy

import pytest

from marketcraft.repo.commitment import chain, pack
from marketcraft.repo.proving import PUBLIC_SIGNALS, witness_input
from marketcraft.repo.schedule import Report, Side
from marketcraft.repo.selection import NO_TRADE, Outcome, select
from marketcraft.repo.zk import groth16
from marketcraft.repo.zk.ceremony import contribute
from marketcraft.repo.zk.circuit import sources
from marketcraft.repo.zk.node import Unsatisfied
from marketcraft.repo.zk.proof import prove, verify_both
from tests.conftest import ZK_TEST_K

GRID = (0, 5, 10, 15)
assert len(GRID) == ZK_TEST_K
# the spec's linear example on a coarse grid: Q* = 10 at r_mm 510 bp, r_rm 530 bp
MM = Report(Side.MM, GRID, (5_000_000, 5_050_000, 5_100_000, 5_150_000), 0)
RM = Report(Side.RM, GRID, (5_400_000, 5_350_000, 5_300_000, 5_250_000), 0)
SALT_MM, SALT_RM = 1234567, 7654321


def refused(setup, inputs):
    """The circuit line whose constraint the input breaks (the proof attempt must fail)."""
    with pytest.raises(Unsatisfied) as failure:
        prove(setup, inputs)
    file = "repo.circom" if failure.value.template != "Poseidon16" else "poseidon16.circom"
    return sources(ZK_TEST_K)[file].splitlines()[failure.value.line - 1].strip()


OPTIMAL = "best[i].out === 0;"


def at(index, mm=MM, rm=RM):
    """The outcome that picks grid point ``index``."""
    q, low, high = mm.volumes[index], mm.rates[index], rm.rates[index]
    return Outcome(True, index, q, low, high, (high - low) * q)


@pytest.fixture(scope="module")
def honest(zk_setup):
    outcome = select(MM, RM)
    assert outcome == at(2)
    return prove(zk_setup, witness_input(MM, RM, SALT_MM, SALT_RM, outcome))


def test_the_contracts_outcome_is_proved_and_both_verifiers_accept(zk_setup, honest):
    assert honest.public[3:] == [1, 10, 5_100_000, 5_300_000]
    assert verify_both(zk_setup.vkey, honest.public, honest.proof) == {
        "snarkjs": True, "python": True,
    }  # fmt: skip


def test_no_trade_is_proved_when_no_point_clears_the_hurdles(zk_setup):
    strict = Report(Side.MM, GRID, MM.rates, 200_000)  # 20 bp margin: the spread is at most 15
    outcome = select(strict, RM)
    assert outcome == NO_TRADE
    proof = prove(zk_setup, witness_input(strict, RM, SALT_MM, SALT_RM, outcome))
    assert proof.public[3:] == [0, 0, 0, 0]
    assert verify_both(zk_setup.vkey, proof.public, proof.proof) == {
        "snarkjs": True,
        "python": True,
    }


def test_a_tie_is_proved_only_at_the_larger_volume(zk_setup):
    # J = s * Q: 6 * 6 = 36 at Q = 6 and 3 * 12 = 36 at Q = 12
    grid = (0, 3, 6, 12)
    mm = Report(Side.MM, grid, (0, 1, 2, 3), 0)
    rm = Report(Side.RM, grid, (12, 10, 8, 6), 0)
    assert select(mm, rm) == at(3, mm, rm)
    proof = prove(zk_setup, witness_input(mm, rm, 1, 2, at(3, mm, rm)))
    assert verify_both(zk_setup.vkey, proof.public, proof.proof)["python"]
    assert refused(zk_setup, witness_input(mm, rm, 1, 2, at(2, mm, rm))) == OPTIMAL


def unchecked(side, rates):
    """A report the contract refuses, built past its checks: what an operator who skipped
    the validation could hand the prover."""
    report = object.__new__(Report)
    for name, value in zip(
        ("side", "volumes", "rates", "hurdle", "offset"), (side, GRID, rates, 0, 0), strict=True
    ):
        object.__setattr__(report, name, value)
    return report


@pytest.mark.parametrize(
    ("side", "rates"),
    [
        (Side.MM, (5_000_000, 5_100_000, 5_100_000, 5_150_000)),
        (Side.RM, (5_400_000, 5_300_000, 5_300_000, 5_250_000)),
    ],
)
def test_a_flat_stretch_cannot_be_proved(zk_setup, side, rates):
    flat = unchecked(side, rates)
    mm, rm = (flat, RM) if side is Side.MM else (MM, flat)
    line = refused(zk_setup, witness_input(mm, rm, SALT_MM, SALT_RM, select(mm, rm)))
    assert line == "sum === in;"  # a step of the shape check below zero


@pytest.mark.parametrize("index", [1, 3])
def test_a_feasible_point_that_is_not_the_maximum_cannot_be_proved(zk_setup, index):
    assert refused(zk_setup, witness_input(MM, RM, SALT_MM, SALT_RM, at(index))) == OPTIMAL


def test_no_trade_cannot_be_proved_when_a_point_is_feasible(zk_setup):
    assert refused(zk_setup, witness_input(MM, RM, SALT_MM, SALT_RM, NO_TRADE)) == OPTIMAL


def test_an_infeasible_maximum_cannot_be_proved(zk_setup):
    # with a 10 bp hurdle only Q = 5 (spread 30 bp... margin 15) and 10 (margin 10) clear it;
    # Q = 15 (margin 5) has J = 150 > 100 but fails the hurdle
    mm = Report(Side.MM, GRID, MM.rates, 100_000)
    assert select(mm, RM) == at(2, mm)
    assert (
        refused(zk_setup, witness_input(mm, RM, SALT_MM, SALT_RM, at(3, mm))) == "good === trade;"
    )


def test_an_opening_that_does_not_match_its_commitment_cannot_be_proved(zk_setup, honest):
    inputs = witness_input(MM, RM, SALT_MM, SALT_RM, select(MM, RM))
    inputs["salt_rm"] = str(SALT_RM + 1)  # the commitment stays the published one
    assert refused(zk_setup, inputs) == "cr.out === commit_rm;"
    other = Report(Side.RM, GRID, (5_400_000, 5_360_000, 5_300_000, 5_250_000), 0)
    inputs = witness_input(MM, other, SALT_MM, SALT_RM, select(MM, other))
    inputs["commit_rm"] = str(honest.public[1])  # a different schedule under RM's commitment
    assert refused(zk_setup, inputs) == "cr.out === commit_rm;"


def test_a_non_monotone_schedule_cannot_be_proved(zk_setup):
    inputs = witness_input(MM, RM, SALT_MM, SALT_RM, select(MM, RM))
    # a falling MM rate: recompute the commitment for it so only the shape check can object

    rates = [5_000_000, 5_050_000, 5_100_000, 5_090_000]
    inputs["r_mm"] = [str(r) for r in rates]
    inputs["commit_mm"] = str(chain([*pack(rates), 0, SALT_MM]))
    assert refused(zk_setup, inputs) == "sum === in;"  # a step of Rising is negative


@pytest.mark.parametrize("signal", range(len(PUBLIC_SIGNALS)))
def test_a_changed_public_signal_is_rejected_by_both_verifiers(zk_setup, honest, signal):
    public = list(honest.public)
    public[signal] += 1
    assert verify_both(zk_setup.vkey, public, honest.proof) == {"snarkjs": False, "python": False}


def test_a_changed_proof_is_rejected_by_both_verifiers(zk_setup, honest):
    g1 = [str(x) for x in (1, 2, 1)]  # the G1 generator: on the curve, but not A or C
    tampered = []
    for part in ("pi_a", "pi_c"):
        proof = copy.deepcopy(honest.proof)
        proof[part] = g1
        tampered.append(proof)
    swapped = copy.deepcopy(honest.proof)
    swapped["pi_a"], swapped["pi_c"] = swapped["pi_c"], swapped["pi_a"]
    tampered.append(swapped)
    off_curve = copy.deepcopy(honest.proof)
    off_curve["pi_a"][1] = str(int(off_curve["pi_a"][1]) + 1)
    tampered.append(off_curve)
    negated = copy.deepcopy(honest.proof)
    negated["pi_c"][1] = str(groth16.Q - int(negated["pi_c"][1]))  # -C: on the curve
    tampered.append(negated)
    for proof in tampered:
        assert verify_both(zk_setup.vkey, honest.public, proof) == {
            "snarkjs": False, "python": False,
        }  # fmt: skip


def test_the_python_verifier_refuses_malformed_input_with_a_reason(zk_setup, honest):
    with pytest.raises(groth16.ProofFormatError, match="not on the curve"):
        bad = copy.deepcopy(honest.proof)
        bad["pi_a"][1] = str(int(bad["pi_a"][1]) + 1)
        groth16.verify(zk_setup.vkey, honest.public, bad)
    with pytest.raises(groth16.ProofFormatError, match="expects 7 public signals"):
        groth16.verify(zk_setup.vkey, honest.public[:-1], honest.proof)
    with pytest.raises(groth16.ProofFormatError, match="out of range"):
        groth16.verify(zk_setup.vkey, [*honest.public[:-1], groth16.R], honest.proof)


def test_a_proof_under_another_setup_is_rejected(zk_setup, honest, tmp_path):
    later = contribute(zk_setup, "auditor", cache=tmp_path)  # not the shared cache
    assert later.id != zk_setup.id and later.contributors[-1] == "auditor"
    assert verify_both(later.vkey, honest.public, honest.proof) == {
        "snarkjs": False,
        "python": False,
    }
    again = prove(later, witness_input(MM, RM, SALT_MM, SALT_RM, select(MM, RM)))
    assert verify_both(later.vkey, again.public, again.proof) == {"snarkjs": True, "python": True}
