"""RFC 6962 Merkle tree hashing, inclusion proofs and consistency proofs.

* leaf hash  = SHA-256(0x00 || entry)
* node hash  = SHA-256(0x01 || left || right)
* empty tree = SHA-256("")

:class:`MerkleTree` keeps every perfect, aligned subtree hash of 256 leaves or more, so the root
of any prefix and any proof cost O(log n) hashes plus at most a few 256-leaf chunks after an
amortised O(1) append; a chunk's leaves come from memory or, once the tree has a leaf source,
from wherever the entries are stored. Proof generation follows RFC 6962
sections 2.1.1 (PATH) and 2.1.2 (SUBPROOF); verification follows the iterative algorithms of
RFC 9162 sections 2.1.3.2 and 2.1.4.2 and is pure: it needs only hashes, sizes and the proof.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from marketcraft.kernel.errors import InvariantViolation, ValidationError

__all__ = [
    "CHUNK_LEVEL",
    "EMPTY_ROOT",
    "LeafSource",
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


#: the tree is kept in chunks of 2**CHUNK_LEVEL leaves: see :class:`MerkleTree`
CHUNK_LEVEL = 8
_CHUNK = 1 << CHUNK_LEVEL
_CACHED_CHUNKS = 4

#: the leaf hashes of entries ``[start, stop)``, read from where the entries are kept
LeafSource = Callable[[int, int], Sequence[bytes]]


def _levels_of(leaves: bytes) -> list[bytes]:
    """Each level of the perfect subtrees over ``leaves`` (32 bytes each, from the first):
    level 0 the leaves, level k the hashes of their aligned runs of 2**k."""
    levels = [leaves]
    row = leaves
    while len(row) >= 64:
        row = b"".join(node_hash(row[i : i + 32], row[i + 32 : i + 64])
                       for i in range(0, len(row) - 63, 64))  # fmt: skip
        levels.append(row)
    return levels


class MerkleTree:
    """An append-only Merkle tree over leaf hashes, kept in chunks of 256 leaves.

    It keeps every perfect, aligned subtree hash of 256 leaves or more (one flat buffer per
    level: about 0.25 bytes a leaf) and the leaves of its last, incomplete chunk. Without a
    leaf source it keeps every leaf too (32 bytes a leaf); once :meth:`attach` gives it one
    (the entries' store), it lets go of each chunk's leaves when the chunk is complete, and
    a proof or root that needs a node below a chunk's root reads that chunk's 256 leaf
    hashes back from the source (one read; the last few chunks read are cached), checking
    that they hash to the chunk's root it kept: InvariantViolation if they do not."""

    __slots__ = ("_cache", "_kept", "_kept_from", "_size", "_source", "_upper")

    def __init__(self, leaf_hashes: Sequence[bytes] = ()) -> None:
        # _upper[j] holds, 32 bytes each, the hashes of the perfect subtrees over leaves
        # [i * 2**(8+j), (i+1) * 2**(8+j)); _kept the leaf hashes from _kept_from on
        self._upper: list[bytearray] = [bytearray()]
        self._kept = bytearray()
        self._kept_from = 0
        self._size = 0
        self._source: LeafSource | None = None
        self._cache: dict[tuple[int, int], list[bytes]] = {}
        for h in leaf_hashes:
            self.append_hash(h)

    def __getstate__(self) -> tuple[object, ...]:
        return (self._upper, self._kept, self._kept_from, self._size)

    def __setstate__(self, state: tuple[object, ...]) -> None:
        self._upper, self._kept, self._kept_from, self._size = state  # type: ignore[assignment]
        self._source, self._cache = None, {}

    @property
    def size(self) -> int:
        return self._size

    def attach(self, source: LeafSource) -> None:
        """Read complete chunks' leaves from ``source`` from now on, and keep none of them."""
        self._source = source
        self._let_go()

    def append(self, entry: bytes) -> int:
        """Append an entry (hashed as a leaf); return its index."""
        return self.append_hash(leaf_hash(entry))

    def append_hash(self, leaf: bytes) -> int:
        """Append an already-computed leaf hash; return its index."""
        if len(leaf) != 32:
            raise ValidationError("bad_hash", "a leaf hash is 32 bytes")
        index = self._size
        self._kept += leaf
        self._size += 1
        if self._size % _CHUNK == 0:
            self._carry(_levels_of(bytes(self._kept[-32 * _CHUNK :]))[-1])
            if self._source is not None:
                self._let_go()
        return index

    def _carry(self, chunk_root: bytes) -> None:
        self._upper[0] += chunk_root
        level = 0
        while len(self._upper[level]) % 64 == 0:
            row = self._upper[level]
            parent = node_hash(bytes(row[-64:-32]), bytes(row[-32:]))
            if level + 1 == len(self._upper):
                self._upper.append(bytearray())
            self._upper[level + 1] += parent
            level += 1

    def _let_go(self) -> None:
        """Forget the leaves of every complete chunk (the source has them)."""
        complete = self._size - self._size % _CHUNK
        if complete > self._kept_from:
            del self._kept[: 32 * (complete - self._kept_from)]
            self._kept_from = complete

    def leaf(self, index: int) -> bytes:
        if not 0 <= index < self.size:
            raise IndexError(f"no leaf {index} in a tree of size {self.size}")
        return self._node(0, index)

    def _node(self, level: int, index: int) -> bytes:
        if level >= CHUNK_LEVEL:
            return bytes(self._upper[level - CHUNK_LEVEL][32 * index : 32 * index + 32])
        chunk = (index << level) >> CHUNK_LEVEL
        offset = index - (chunk << (CHUNK_LEVEL - level))
        return self._chunk(chunk)[level][32 * offset : 32 * offset + 32]

    def _chunk(self, chunk: int) -> list[bytes]:
        """The levels below the root of ``chunk`` (as far as its leaves go)."""
        start = chunk << CHUNK_LEVEL
        count = min(_CHUNK, self._size - start)
        levels = self._cache.get((chunk, count))
        if levels is None:
            levels = _levels_of(self._leaves(start, count))
            if count == _CHUNK and levels[-1] != self._node(CHUNK_LEVEL, chunk):
                raise InvariantViolation(
                    "leaf_mismatch",
                    f"the leaves read for entries {start}.. are not the logged ones",
                )
            if len(self._cache) >= _CACHED_CHUNKS:
                del self._cache[next(iter(self._cache))]
            self._cache[(chunk, count)] = levels
        return levels

    def _leaves(self, start: int, count: int) -> bytes:
        if start >= self._kept_from:
            offset = 32 * (start - self._kept_from)
            return bytes(self._kept[offset : offset + 32 * count])
        if self._source is None:
            raise InvariantViolation("leaves_not_kept", "the log's leaves cannot be read")
        leaves = list(self._source(start, start + count))
        if len(leaves) != count or any(len(h) != 32 for h in leaves):
            raise InvariantViolation("leaf_mismatch", f"entries {start}.. cannot be read")
        return b"".join(leaves)

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
