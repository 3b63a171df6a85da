"""Every inclusion and consistency proof verifies; any flipped bit or wrong size fails."""

import hashlib

from hypothesis import assume, given
from hypothesis import strategies as st

from marketcraft.kernel.merkle import (
    MerkleTree,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)


def reference_root(leaves: list[bytes]) -> bytes:
    """MTH straight from RFC 6962 section 2.1, recursively, no caching."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaf_hash(leaves[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


entries = st.lists(st.binary(max_size=8), min_size=1, max_size=70)


def flip(data: bytes, bit: int) -> bytes:
    b = bytearray(data)
    b[(bit // 8) % len(b)] ^= 1 << (bit % 8)
    return bytes(b)


@given(entries)
def test_root_matches_recursive_reference_for_every_prefix(leaves):
    tree = MerkleTree([leaf_hash(x) for x in leaves])
    for size in range(len(leaves) + 1):
        assert tree.root(size) == reference_root(leaves[:size])


@given(entries, st.data())
def test_every_leaf_inclusion_proof_verifies(leaves, data):
    tree = MerkleTree([leaf_hash(x) for x in leaves])
    size = data.draw(st.integers(1, len(leaves)))
    root = tree.root(size)
    for index in range(size):
        proof = tree.inclusion_proof(index, size)
        assert verify_inclusion(tree.leaf(index), index, size, proof, root)


@given(entries, st.data())
def test_inclusion_proof_fails_on_any_flipped_bit_or_wrong_position(leaves, data):
    tree = MerkleTree([leaf_hash(x) for x in leaves])
    size = data.draw(st.integers(1, len(leaves)))
    index = data.draw(st.integers(0, size - 1))
    proof = tree.inclusion_proof(index, size)
    root = tree.root(size)
    leaf = tree.leaf(index)
    bit = data.draw(st.integers(0, 255))
    assert not verify_inclusion(flip(leaf, bit), index, size, proof, root)
    assert not verify_inclusion(leaf, index, size, proof, flip(root, bit))
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1))
        bad = [*proof[:k], flip(proof[k], bit), *proof[k + 1 :]]
        assert not verify_inclusion(leaf, index, size, bad, root)
        assert not verify_inclusion(leaf, index, size, proof[:-1], root)
    assert not verify_inclusion(leaf, index, size, [*proof, root], root)
    other = data.draw(st.integers(0, size - 1))
    assume(tree.leaf(other) != leaf)
    assert not verify_inclusion(leaf, other, size, proof, root)


@given(entries, st.data())
def test_consistency_proof_between_any_two_sizes_verifies(leaves, data):
    tree = MerkleTree([leaf_hash(x) for x in leaves])
    new = data.draw(st.integers(0, len(leaves)))
    old = data.draw(st.integers(0, new))
    proof = tree.consistency_proof(old, new)
    assert verify_consistency(old, new, tree.root(old), tree.root(new), proof)


@given(entries, st.data())
def test_consistency_proof_fails_on_any_flipped_bit(leaves, data):
    tree = MerkleTree([leaf_hash(x) for x in leaves])
    new = data.draw(st.integers(2, max(2, len(leaves))))
    assume(new <= len(leaves))
    old = data.draw(st.integers(1, new - 1))
    proof = tree.consistency_proof(old, new)
    old_root, new_root = tree.root(old), tree.root(new)
    bit = data.draw(st.integers(0, 255))
    assert not verify_consistency(old, new, flip(old_root, bit), new_root, proof)
    assert not verify_consistency(old, new, old_root, flip(new_root, bit), proof)
    k = data.draw(st.integers(0, len(proof) - 1))
    bad = [*proof[:k], flip(proof[k], bit), *proof[k + 1 :]]
    assert not verify_consistency(old, new, old_root, new_root, bad)


@given(entries, st.data())
def test_rewritten_history_is_not_consistent(leaves, data):
    """A log whose old entry was changed cannot prove it extends the original."""
    new = len(leaves)
    assume(new >= 2)
    old = data.draw(st.integers(1, new - 1))
    changed = data.draw(st.integers(0, old - 1))
    original = MerkleTree([leaf_hash(x) for x in leaves])
    forged_leaves = list(leaves)
    forged_leaves[changed] = forged_leaves[changed] + b"!"
    forged = MerkleTree([leaf_hash(x) for x in forged_leaves])
    proof = forged.consistency_proof(old, new)
    assert not verify_consistency(old, new, original.root(old), forged.root(new), proof)
