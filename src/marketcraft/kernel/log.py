"""Append-only log: a hash chain and an RFC 6962 Merkle tree over the same entries, with signed
checkpoints.

* The **hash chain** makes the order tamper-evident to anyone replaying the whole log:
  ``head_i = SHA-256(0x02 || head_{i-1} || leaf_hash(entry_i))``, ``head_{-1}`` = 32 zero bytes.
* The **Merkle tree** lets a single party check that one entry is in the log (inclusion proof)
  and that a later log extends an earlier one (consistency proof) without the whole log.
* A **checkpoint** (log id, tree size, root, chain head, time) signed with Ed25519 is what the
  operator publishes; receipts carry inclusion proofs against it.

Every check here is a pure function of bytes, sizes and public keys.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from marketcraft.kernel.clock import require_utc
from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.merkle import MerkleTree, leaf_hash, verify_consistency
from marketcraft.kernel.messages import canonical_json, to_plain
from marketcraft.kernel.signing import Signer, verify_signature

__all__ = [
    "CHAIN_GENESIS",
    "AppendOnlyLog",
    "Checkpoint",
    "SignedCheckpoint",
    "chain_next",
    "checkpoint_bytes",
    "sign_checkpoint",
    "verify_chain",
    "verify_checkpoint",
    "verify_checkpoints_consistent",
]

CHAIN_GENESIS = bytes(32)
_CHECKPOINT_DOMAIN = b"marketcraft/checkpoint/v1\n"


def chain_next(head: bytes, entry_leaf_hash: bytes) -> bytes:
    """The chain head after appending an entry whose RFC 6962 leaf hash is given."""
    return hashlib.sha256(b"\x02" + head + entry_leaf_hash).digest()


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The state of a log at ``tree_size`` entries, as of ``timestamp`` (UTC)."""

    log_id: str
    tree_size: int
    root_hash: bytes
    chain_head: bytes
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    checkpoint: Checkpoint
    key_id: str
    signature: bytes


def checkpoint_bytes(checkpoint: Checkpoint) -> bytes:
    """The exact bytes a checkpoint signature covers (domain-separated canonical JSON)."""
    return _CHECKPOINT_DOMAIN + canonical_json(to_plain(checkpoint))


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> SignedCheckpoint:
    return SignedCheckpoint(checkpoint, signer.key_id, signer.sign(checkpoint_bytes(checkpoint)))


def verify_checkpoint(signed: SignedCheckpoint, public_key: bytes) -> bool:
    """True iff ``signed`` carries a valid signature by ``public_key``."""
    return verify_signature(public_key, checkpoint_bytes(signed.checkpoint), signed.signature)


def verify_checkpoints_consistent(old: Checkpoint, new: Checkpoint, proof: Sequence[bytes]) -> bool:
    """True iff ``new`` extends ``old`` (same log, not older, Merkle consistency proof holds)."""
    return (
        old.log_id == new.log_id
        and old.timestamp <= new.timestamp
        and verify_consistency(old.tree_size, new.tree_size, old.root_hash, new.root_hash, proof)
    )


def verify_chain(entries: Iterable[bytes], expected_head: bytes) -> bool:
    """True iff replaying ``entries`` in order from genesis gives ``expected_head``."""
    head = CHAIN_GENESIS
    for entry in entries:
        head = chain_next(head, leaf_hash(entry))
    return head == expected_head


class AppendOnlyLog:
    """An append-only log, kept as what its proofs need: each entry's leaf hash (in the Merkle
    tree) and the chain head after it, 32 bytes each in flat buffers. The entries themselves
    live in the store; a reload appends them again (or their leaf hashes, with
    :meth:`append_leaf`)."""

    __slots__ = ("_heads", "_tree", "log_id")

    def __init__(self, log_id: str) -> None:
        if not log_id:
            raise ValidationError("bad_log_id", "a log needs a non-empty id")
        self.log_id = log_id
        self._heads = bytearray()
        self._tree = MerkleTree()

    @property
    def size(self) -> int:
        return self._tree.size

    def append(self, entry: bytes) -> int:
        """Append ``entry``; return its index (0-based sequence number)."""
        return self.append_leaf(leaf_hash(entry))

    def append_leaf(self, leaf: bytes) -> int:
        """Append an entry by its RFC 6962 leaf hash; return its index."""
        head = chain_next(self.chain_head(), leaf)
        index = self._tree.append_hash(leaf)
        self._heads += head
        return index

    def extend(self, entries: Iterable[bytes]) -> None:
        for entry in entries:
            self.append(entry)

    def chain_head(self, size: int | None = None) -> bytes:
        n = self.size if size is None else size
        if not 0 <= n <= self.size:
            raise ValidationError("bad_size", f"log size {n} outside 0..{self.size}")
        return bytes(self._heads[32 * (n - 1) : 32 * n]) if n else CHAIN_GENESIS

    def root(self, size: int | None = None) -> bytes:
        return self._tree.root(size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return self._tree.inclusion_proof(index, size)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        return self._tree.consistency_proof(old_size, new_size)

    def checkpoint(self, timestamp: datetime, size: int | None = None) -> Checkpoint:
        n = self.size if size is None else size
        return Checkpoint(
            log_id=self.log_id,
            tree_size=n,
            root_hash=self.root(n),
            chain_head=self.chain_head(n),
            timestamp=require_utc(timestamp),
        )

    def signed_checkpoint(self, timestamp: datetime, signer: Signer) -> SignedCheckpoint:
        return sign_checkpoint(self.checkpoint(timestamp), signer)
