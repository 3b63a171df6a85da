from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from marketcraft.kernel import (
    AppendOnlyLog,
    FixedClock,
    Signer,
    SimulatedClock,
    ValidationError,
    sign_checkpoint,
    verify_chain,
    verify_checkpoint,
    verify_checkpoints_consistent,
    verify_inclusion,
    verify_signature,
)
from marketcraft.kernel.log import CHAIN_GENESIS
from marketcraft.kernel.merkle import leaf_hash

T0 = datetime(2026, 3, 1, tzinfo=UTC)
SIGNER = Signer(bytes(range(32)))


def make_log(n: int) -> AppendOnlyLog:
    log = AppendOnlyLog("test-log")
    for i in range(n):
        log.append(f"entry-{i}".encode())
    return log


def test_chain_head_commits_to_every_entry_in_order():
    log = make_log(5)
    entries = [f"entry-{i}".encode() for i in range(5)]
    assert verify_chain(entries, log.chain_head())
    assert log.chain_head(0) == CHAIN_GENESIS
    assert all(verify_chain(entries[:n], log.chain_head(n)) for n in range(6))
    assert not verify_chain([entries[1], entries[0], *entries[2:]], log.chain_head())
    assert not verify_chain(entries[:-1], log.chain_head())
    assert not verify_chain([*entries[:2], b"x", *entries[3:]], log.chain_head())


def test_a_log_rebuilt_from_leaf_hashes_is_the_same_log():
    log = make_log(9)
    rebuilt = AppendOnlyLog("test-log")
    for i in range(9):
        assert rebuilt.append_leaf(leaf_hash(f"entry-{i}".encode())) == i
    assert [rebuilt.root(n) for n in range(10)] == [log.root(n) for n in range(10)]
    assert [rebuilt.chain_head(n) for n in range(10)] == [log.chain_head(n) for n in range(10)]
    assert rebuilt.inclusion_proof(3, 7) == log.inclusion_proof(3, 7)


def test_signed_checkpoint_verifies_and_any_change_breaks_it():
    log = make_log(7)
    signed = log.signed_checkpoint(T0, SIGNER)
    assert verify_checkpoint(signed, SIGNER.public_key)
    assert signed.checkpoint.origin == "test-log"
    other = Signer(bytes(32))
    assert not verify_checkpoint(signed, other.public_key)
    cp = signed.checkpoint
    for forged in (
        replace(cp, tree_size=6),
        replace(cp, root_hash=log.root(6)),
        replace(cp, timestamp=T0 + timedelta(seconds=1)),
        replace(cp, origin="other"),
    ):
        assert not verify_checkpoint(replace(signed, checkpoint=forged), SIGNER.public_key)
    text, _, line = signed.note.rpartition("\n\u2014 ")
    blob = bytearray(line.encode())
    blob[-5] ^= 1  # a base64 digit of the signature
    tampered = f"{text}\n\u2014 {blob.decode()}"
    assert not verify_checkpoint(replace(signed, note=tampered), SIGNER.public_key)


def test_receipt_style_inclusion_against_a_checkpoint():
    log = make_log(11)
    cp = log.checkpoint(T0)
    for i in range(11):
        proof = log.inclusion_proof(i, cp.tree_size)
        assert verify_inclusion(
            leaf_hash(f"entry-{i}".encode()), i, cp.tree_size, proof, cp.root_hash
        )


def test_later_checkpoint_is_consistent_with_earlier_one():
    log = make_log(3)
    old = log.checkpoint(T0)
    log.extend([b"a", b"b", b"c", b"d"])
    new = log.checkpoint(T0 + timedelta(minutes=5))
    proof = log.consistency_proof(old.tree_size, new.tree_size)
    assert verify_checkpoints_consistent(old, new, proof)
    assert not verify_checkpoints_consistent(new, old, proof)
    assert not verify_checkpoints_consistent(old, replace(new, timestamp=T0 - timedelta(1)), proof)
    assert not verify_checkpoints_consistent(old, replace(new, origin="x"), proof)


def test_forked_log_cannot_prove_consistency():
    honest = make_log(6)
    old = honest.checkpoint(T0)
    fork = make_log(4)
    fork.extend([b"rewritten", b"entry-5", b"more"])
    new = fork.checkpoint(T0 + timedelta(1))
    assert not verify_checkpoints_consistent(old, new, fork.consistency_proof(6, 7))


def test_signature_helpers():
    sig = SIGNER.sign(b"hello")
    assert verify_signature(SIGNER.public_key, b"hello", sig)
    assert not verify_signature(SIGNER.public_key, b"hellp", sig)
    assert not verify_signature(SIGNER.public_key[:31], b"hello", sig)
    assert Signer(SIGNER.seed).public_key == SIGNER.public_key
    with pytest.raises(ValidationError):
        Signer(b"short")
    sign_checkpoint(make_log(1).checkpoint(T0), Signer.generate())


def test_clocks():
    assert FixedClock(T0).now() == T0
    clock = SimulatedClock(T0)
    assert clock.advance(timedelta(hours=1)) == T0 + timedelta(hours=1)
    with pytest.raises(ValidationError):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValidationError):
        clock.set(T0)
    with pytest.raises(ValidationError):
        FixedClock(datetime(2026, 1, 1))
    with pytest.raises(ValidationError):
        make_log(1).checkpoint(datetime(2026, 1, 1))


def test_a_log_needs_an_id_and_answers_only_for_sizes_it_has():
    with pytest.raises(ValidationError, match="non-empty id"):
        AppendOnlyLog("")
    log = make_log(3)
    for outside in (-1, 4):
        with pytest.raises(ValidationError, match=r"outside 0\.\.3"):
            log.chain_head(outside)
    assert log.chain_head(3) == log.chain_head()
