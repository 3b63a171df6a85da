"""RFC 6962 Merkle tree hashing, inclusion proofs and consistency proofs.

* leaf hash  = SHA-256(0x00 || entry)
* node hash  = SHA-256(0x01 || left || right)
* empty tree = SHA-256("")

:class:`MerkleTree` keeps every perfect, aligned subtree hash, so the root of any prefix and any
proof cost O(log n) hashes after an amortised O(1) append. Proof generation follows RFC 6962
sections 2.1.1 (PATH) and 2.1.2 (SUBPROOF); verification follows the iterative algorithms of
RFC 9162 sections 2.1.3.2 and 2.1.4.2 and is pure: it needs only hashes, sizes and the proof.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from marketcraft.kernel.errors import ValidationError

__all__ = [
    "EMPTY_ROOT",
    "MerkleTree",
    "leaf_hash",
    "node_hash",
    "root_from_inclusion",
    "root_of",
    "verify_consistency",
    "verify_inclusion",
]

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly less than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """An append-only Merkle tree over leaf hashes."""

    __slots__ = ("_levels",)

    def __init__(self, leaf_hashes: Sequence[bytes] = ()) -> None:
        # _levels[k] holds, 32 bytes each, the hashes of the perfect subtrees over leaves
        # [i * 2**k, (i+1) * 2**k): one flat buffer per level, so a tree of n leaves keeps
        # about 64n bytes and no object per node.
        self._levels: list[bytearray] = [bytearray()]
        for h in leaf_hashes:
            self.append_hash(h)

    @property
    def size(self) -> int:
        return len(self._levels[0]) // 32

    def append(self, entry: bytes) -> int:
        """Append an entry (hashed as a leaf); return its index."""
        return self.append_hash(leaf_hash(entry))

    def append_hash(self, leaf: bytes) -> int:
        """Append an already-computed leaf hash; return its index."""
        if len(leaf) != 32:
            raise ValidationError("bad_hash", "a leaf hash is 32 bytes")
        index = self.size
        self._levels[0] += leaf
        level = 0
        while len(self._levels[level]) % 64 == 0:
            row = self._levels[level]
            parent = node_hash(bytes(row[-64:-32]), bytes(row[-32:]))
            if level + 1 == len(self._levels):
                self._levels.append(bytearray())
            self._levels[level + 1] += parent
            level += 1
        return index

    def leaf(self, index: int) -> bytes:
        if not 0 <= index < self.size:
            raise IndexError(f"no leaf {index} in a tree of size {self.size}")
        return self._node(0, index)

    def _node(self, level: int, index: int) -> bytes:
        return bytes(self._levels[level][32 * index : 32 * index + 32])

    def _hash(self, start: int, n: int) -> bytes:
        """MTH of the ``n`` leaves starting at ``start``."""
        if n == 0:
            return EMPTY_ROOT
        if n & (n - 1) == 0 and start % n == 0:
            return self._node(n.bit_length() - 1, start // n)
        k = _split(n)
        return node_hash(self._hash(start, k), self._hash(start + k, n - k))

    def _check_size(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 0 <= size <= self.size:
            raise ValidationError("bad_size", f"tree size {size} outside 0..{self.size}")
        return size

    def root(self, size: int | None = None) -> bytes:
        """The root hash of the first ``size`` leaves (default: all)."""
        return self._hash(0, self._check_size(size))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Audit path for leaf ``index`` in the tree of the first ``size`` leaves."""
        n = self._check_size(size)
        if not 0 <= index < n:
            raise ValidationError("bad_index", f"leaf {index} is not in a tree of size {n}")
        proof: list[bytes] = []
        start = 0
        # Walk down from the root, collecting the sibling of each step; reverse at the end so
        # the proof runs leaf-to-root as RFC 6962 PATH defines it.
        while n > 1:
            k = _split(n)
            if index < k:
                proof.append(self._hash(start + k, n - k))
                n = k
            else:
                proof.append(self._hash(start, k))
                start, index, n = start + k, index - k, n - k
        proof.reverse()
        return proof

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """Proof that the tree of ``old_size`` leaves is a prefix of the tree of ``new_size``."""
        n = self._check_size(new_size)
        if not 0 <= old_size <= n:
            raise ValidationError("bad_size", f"old size {old_size} outside 0..{n}")
        if old_size in (0, n):
            return []
        proof: list[bytes] = []
        m, start, complete = old_size, 0, True
        while m != n:
            k = _split(n)
            if m <= k:
                proof.append(self._hash(start + k, n - k))
                n = k
            else:
                proof.append(self._hash(start, k))
                start, m, n, complete = start + k, m - k, n - k, False
        if not complete:
            proof.append(self._hash(start, m))
        proof.reverse()
        return proof


def root_of(entries: Sequence[bytes]) -> bytes:
    """Root hash of a list of entries (convenience for tests and verifiers)."""
    return MerkleTree([leaf_hash(e) for e in entries]).root()


def root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes | None:
    """The root of the tree of ``size`` leaves in which ``proof`` puts leaf hash ``leaf`` at
    ``index`` (RFC 9162 2.1.3.2); None if the proof has the wrong shape for that place."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True iff ``proof`` shows leaf hash ``leaf`` at ``index`` in the tree (``size``, ``root``)."""
    return root_from_inclusion(leaf, index, size, proof) == root


def verify_consistency(  # noqa: C901 (RFC 9162 2.1.4.2, step by step)
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True iff ``proof`` shows the tree (``old_size``, ``old_root``) is a prefix of
    (``new_size``, ``new_root``). The empty tree is a prefix of every tree."""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
