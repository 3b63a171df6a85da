"""A tree (and a log) that reads its complete chunks' leaves back from a source answers every
root, proof, leaf and chain head exactly as one that keeps every leaf, keeps under one byte
an entry, and refuses leaves that are not the ones it logged."""

import hashlib
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketcraft.kernel.errors import InvariantViolation
from marketcraft.kernel.log import AppendOnlyLog
from marketcraft.kernel.merkle import MerkleTree, leaf_hash, verify_inclusion


def leaves(n: int) -> list[bytes]:
    return [leaf_hash(hashlib.sha256(str(i).encode()).digest()) for i in range(n)]


def sourced(hashes: list[bytes], reads: list[tuple[int, int]] | None = None) -> MerkleTree:
    def source(start: int, stop: int) -> list[bytes]:
        if reads is not None:
            reads.append((start, stop))
        return hashes[start:stop]

    tree = MerkleTree()
    tree.attach(source)
    for h in hashes:
        tree.append_hash(h)
    return tree


@given(st.integers(1, 1400), st.data())
def test_a_tree_reading_its_leaves_back_answers_as_one_keeping_them(n, data):
    hashes = leaves(n)
    kept, lean = MerkleTree(hashes), sourced(hashes)
    for _ in range(5):
        size = data.draw(st.integers(0, n))
        index = data.draw(st.integers(0, max(size - 1, 0)))
        assert lean.root(size) == kept.root(size)
        assert lean.consistency_proof(size, n) == kept.consistency_proof(size, n)
        if size:
            proof = lean.inclusion_proof(index, size)
            assert proof == kept.inclusion_proof(index, size)
            assert verify_inclusion(hashes[index], index, size, proof, kept.root(size))
            assert lean.leaf(index) == hashes[index]


@given(st.integers(0, 1100), st.data())
def test_a_log_reading_its_leaves_back_gives_every_chain_head(n, data):
    entries = [str(i).encode() for i in range(n)]
    kept, lean = AppendOnlyLog("l"), AppendOnlyLog("l")
    lean.attach(lambda start, stop: [leaf_hash(e) for e in entries[start:stop]])
    kept.extend(entries)
    lean.extend(entries)
    for size in {0, n, *data.draw(st.lists(st.integers(0, n), max_size=5))}:
        assert lean.chain_head(size) == kept.chain_head(size)
        assert lean.root(size) == kept.root(size)
    again = pickle.loads(pickle.dumps(lean))  # a snapshot keeps no source ...
    assert (again.size, again.root(), again.chain_head()) == (n, kept.root(), kept.chain_head())


def test_the_tree_keeps_only_its_last_chunk_and_reads_one_chunk_per_proof():
    hashes, reads = leaves(5000), []
    lean = sourced(hashes, reads)
    assert len(lean._kept) == 32 * (5000 % 256)
    assert sum(len(level) for level in lean._upper) < 5000 // 2  # under half a byte a leaf
    lean.inclusion_proof(1000, 4000)
    assert sorted(reads) == [(768, 1024), (3840, 4096)]  # the two chunks the path crosses
    assert len(pickle.dumps(lean)) < 20_000


def test_leaves_read_back_that_are_not_the_logged_ones_are_refused():
    hashes = leaves(600)
    lean = sourced(hashes)
    lean.attach(lambda start, stop: [bytes(32)] * (stop - start))  # a changed store
    with pytest.raises(InvariantViolation, match="not the logged ones"):
        lean.inclusion_proof(3, 600)
    lean.attach(lambda start, stop: hashes[start : stop - 1])  # a missing record
    with pytest.raises(InvariantViolation, match="cannot be read"):
        lean.root(300)
    lean = pickle.loads(pickle.dumps(sourced(hashes)))  # no source attached
    with pytest.raises(InvariantViolation, match="cannot be read"):
        lean.leaf(0)
    assert lean.leaf(599) == hashes[599]  # the last chunk's leaves are kept
