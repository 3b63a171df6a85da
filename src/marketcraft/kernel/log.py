"""Append-only log: a hash chain and an RFC 6962 Merkle tree over the same entries, with signed
checkpoints.

* The **hash chain** makes the order tamper-evident to anyone replaying the whole log:
  ``head_i = SHA-256(0x02 || head_{i-1} || leaf_hash(entry_i))``, ``head_{-1}`` = 32 zero bytes.
* The **Merkle tree** lets a single party check that one entry is in the log (inclusion proof)
  and that a later log extends an earlier one (consistency proof) without the whole log.
* A **checkpoint** (origin, tree size, root, time; :mod:`marketcraft.kernel.checkpoints`) signed
  with Ed25519 is what the operator publishes; inclusion proofs are checked against it.

Every check here is a pure function of bytes, sizes and public keys.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from marketcraft.kernel.checkpoints import Checkpoint, SignedCheckpoint, sign_checkpoint
from marketcraft.kernel.clock import require_utc
from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.merkle import CHUNK_LEVEL, LeafSource, MerkleTree, leaf_hash
from marketcraft.kernel.signing import Signer

__all__ = ["CHAIN_GENESIS", "AppendOnlyLog", "chain_next", "verify_chain"]

CHAIN_GENESIS = bytes(32)
_CHUNK = 1 << CHUNK_LEVEL


def chain_next(head: bytes, entry_leaf_hash: bytes) -> bytes:
    """The chain head after appending an entry whose RFC 6962 leaf hash is given."""
    return hashlib.sha256(b"\x02" + head + entry_leaf_hash).digest()


def verify_chain(entries: Iterable[bytes], expected_head: bytes) -> bool:
    """True iff replaying ``entries`` in order from genesis gives ``expected_head``."""
    head = CHAIN_GENESIS
    for entry in entries:
        head = chain_next(head, leaf_hash(entry))
    return head == expected_head


class AppendOnlyLog:
    """An append-only log, kept as what its proofs need: its Merkle tree (see
    :class:`~marketcraft.kernel.merkle.MerkleTree`), the chain head after every 256th entry
    and the latest one. The entries themselves live in the store; a reload appends them
    again (or their leaf hashes, with :meth:`append_leaf`). With a leaf source
    (:meth:`attach`) the log keeps about half a byte an entry: a proof, a root or a chain head
    of an earlier size reads the leaves it needs back from the source."""

    __slots__ = ("_boundaries", "_head", "_tree", "log_id")

    def __init__(self, log_id: str) -> None:
        if not log_id:
            raise ValidationError("bad_log_id", "a log needs a non-empty id")
        self.log_id = log_id
        self._head = CHAIN_GENESIS
        self._boundaries = bytearray()  # the chain head after entries 256, 512, ...
        self._tree = MerkleTree()

    @property
    def size(self) -> int:
        return self._tree.size

    def attach(self, source: LeafSource) -> None:
        """Read the leaf hashes of entries it no longer keeps from ``source``."""
        self._tree.attach(source)

    def append(self, entry: bytes) -> int:
        """Append ``entry``; return its index (0-based sequence number)."""
        return self.append_leaf(leaf_hash(entry))

    def append_leaf(self, leaf: bytes) -> int:
        """Append an entry by its RFC 6962 leaf hash; return its index."""
        head = chain_next(self._head, leaf)
        index = self._tree.append_hash(leaf)
        self._head = head
        if self.size % _CHUNK == 0:
            self._boundaries += head
        return index

    def extend(self, entries: Iterable[bytes]) -> None:
        for entry in entries:
            self.append(entry)

    def leaf(self, index: int) -> bytes:
        """The RFC 6962 leaf hash of entry ``index``."""
        return self._tree.leaf(index)

    def chain_head(self, size: int | None = None) -> bytes:
        n = self.size if size is None else size
        if not 0 <= n <= self.size:
            raise ValidationError("bad_size", f"log size {n} outside 0..{self.size}")
        if n == self.size:
            return self._head
        boundary = n // _CHUNK
        head = bytes(self._boundaries[32 * (boundary - 1) : 32 * boundary]) or CHAIN_GENESIS
        for index in range(boundary * _CHUNK, n):
            head = chain_next(head, self._tree.leaf(index))
        return head

    def root(self, size: int | None = None) -> bytes:
        return self._tree.root(size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return self._tree.inclusion_proof(index, size)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        return self._tree.consistency_proof(old_size, new_size)

    def checkpoint(
        self, timestamp: datetime, size: int | None = None, *, origin: str | None = None
    ) -> Checkpoint:
        """The log at ``size`` entries (default: all) as of ``timestamp``, named ``origin``
        (default: the log id)."""
        n = self.size if size is None else size
        return Checkpoint(
            origin=origin or self.log_id,
            tree_size=n,
            root_hash=self.root(n),
            timestamp=require_utc(timestamp),
        )

    def signed_checkpoint(
        self, timestamp: datetime, signer: Signer, *, origin: str | None = None
    ) -> SignedCheckpoint:
        return sign_checkpoint(self.checkpoint(timestamp, origin=origin), signer)
