"""RFC 6962 Merkle tree against the published certificate-transparency test vectors."""

import hashlib

import pytest

from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    leaf_hash,
    root_from_inclusion,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]


@pytest.fixture
def tree() -> MerkleTree:
    return MerkleTree([leaf_hash(x) for x in LEAVES])


def test_empty_tree_hash_is_sha256_of_nothing():
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert MerkleTree().root().hex() == ROOTS[0]


@pytest.mark.parametrize("size", range(9))
def test_root_of_every_prefix_matches_published_vector(tree, size):
    assert tree.root(size).hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_proofs_match_published_vectors(tree, index, size, path):
    proof = tree.inclusion_proof(index, size)
    assert [p.hex() for p in proof] == path
    assert verify_inclusion(tree.leaf(index), index, size, proof, tree.root(size))


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY)
def test_consistency_proofs_match_published_vectors(tree, old, new, path):
    proof = tree.consistency_proof(old, new)
    assert [p.hex() for p in proof] == path
    assert verify_consistency(old, new, tree.root(old), tree.root(new), proof)


def test_verifiers_reject_out_of_range_arguments(tree):
    root = tree.root(8)
    assert not verify_inclusion(tree.leaf(0), 8, 8, [], root)
    assert not verify_inclusion(tree.leaf(0), -1, 8, [], root)
    assert not verify_consistency(5, 4, tree.root(5), tree.root(4), [])
    assert not verify_consistency(3, 8, tree.root(3), root, [])


def test_empty_tree_is_consistent_with_every_tree(tree):
    assert tree.consistency_proof(0, 8) == []
    assert verify_consistency(0, 8, EMPTY_ROOT, tree.root(8), [])
    assert not verify_consistency(0, 8, tree.root(1), tree.root(8), [])


def test_appends_return_each_leafs_index_and_refuse_a_hash_of_another_length():
    grown = MerkleTree()
    assert [grown.append(bytes([i])) for i in range(5)] == [0, 1, 2, 3, 4]
    assert grown.append_hash(leaf_hash(b"five")) == 5
    assert grown.leaf(5) == leaf_hash(b"five") and grown.size == 6
    for wrong in (b"", bytes(31), bytes(33)):
        with pytest.raises(ValidationError, match="32 bytes"):
            grown.append_hash(wrong)
    assert grown.size == 6
    with pytest.raises(IndexError):
        grown.leaf(6)


@pytest.mark.parametrize("size", range(1, 9))
def test_a_root_is_rebuilt_from_every_place_and_only_from_a_proof_of_its_shape(tree, size):
    root = tree.root(size)
    for index in range(size):
        proof = tree.inclusion_proof(index, size)
        assert root_from_inclusion(tree.leaf(index), index, size, proof) == root
        assert root_from_inclusion(tree.leaf(index), index, size, [*proof, root]) is None
        if proof:
            assert root_from_inclusion(tree.leaf(index), index, size, proof[:-1]) is None
    assert root_from_inclusion(tree.leaf(0), size, size, tree.inclusion_proof(0, size)) is None
    assert root_from_inclusion(tree.leaf(0), -1, size, tree.inclusion_proof(0, size)) is None
