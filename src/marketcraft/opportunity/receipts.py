"""Signed order receipts.

A receipt says: the platform accepted this order (its command record hashes to ``order_hash``)
as log entry ``sequence``, sealed its fill in ``commitment`` = SHA-256(fill || salt), and the
entry is in the log whose signed checkpoint is attached (``inclusion_proof``). Everything a
scout needs to check it before the reveal is in the receipt plus its own order; after the reveal
the transcript opens the commitment.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime

from marketcraft.kernel.log import (
    AppendOnlyLog,
    SignedCheckpoint,
    sign_checkpoint,
    verify_checkpoint,
)
from marketcraft.kernel.merkle import leaf_hash, verify_inclusion
from marketcraft.kernel.messages import Event, canonical_json, encode, from_plain, to_plain
from marketcraft.kernel.signing import Signer, verify_signature
from marketcraft.opportunity.events import OrderExecuted

__all__ = [
    "Receipt",
    "fill_commitment",
    "issue_receipt",
    "leaf_from_hashes",
    "placement_commitment",
    "receipt_from_json",
    "receipt_to_json",
    "verify_receipt",
]

_FILL_DOMAIN = b"marketcraft/fill/v1\n"
_RECEIPT_DOMAIN = b"marketcraft/receipt/v1\n"


def fill_commitment(executed: OrderExecuted) -> bytes:
    """SHA-256(domain || canonical fill || salt): binds the platform to the fill, hides it."""
    fill = canonical_json(
        to_plain(
            {
                "order_id": executed.order_id,
                "shares": executed.shares,
                "cash": executed.cash,
                "fee": executed.fee,
                "state_after": executed.state_after,
                "clipped": executed.clipped,
            }
        )
    )
    return hashlib.sha256(_FILL_DOMAIN + fill + executed.salt).digest()


_PLACEMENT_DOMAIN = b"marketcraft/placement/v1\n"


def placement_commitment(events: list[Event], item_id: str, salt: bytes) -> bytes:
    """For a close order or an agent: SHA-256(domain || its placement event and the trades it
    made at once || salt), binding the platform to what happened, hiding it until the reveal."""
    own = [
        e
        for e in events
        if getattr(e, "order_id", None) == item_id
        or getattr(e, "agent_id", None) == item_id
        or getattr(e, "source_id", None) == item_id
    ]
    body = b"[" + b",".join(encode(e) for e in own) + b"]"
    return hashlib.sha256(_PLACEMENT_DOMAIN + body + salt).digest()


def leaf_from_hashes(order_hash: bytes, events_hash: bytes) -> bytes:
    """The log entry of a command whose records hash to these values (see journal)."""
    # canonical_json({"command": <hex>, "events": <hex>}), written out (keys already sorted)
    hexes = (order_hash.hex().encode(), events_hash.hex().encode())
    return b'{"command":"%s","events":"%s"}' % hexes


@dataclass(frozen=True, slots=True)
class Receipt:
    log_id: str
    order_id: str
    scout: str
    sequence: int
    order_hash: bytes
    events_hash: bytes
    commitment: bytes
    checkpoint: SignedCheckpoint
    inclusion_proof: tuple[bytes, ...]
    issued_at: datetime
    key_id: str
    signature: bytes = b""


def _body(receipt: Receipt) -> bytes:
    unsigned = replace(receipt, signature=b"") if receipt.signature else receipt
    return _RECEIPT_DOMAIN + canonical_json(to_plain(unsigned))


def issue_receipt(
    log: AppendOnlyLog,
    signer: Signer,
    *,
    sequence: int,
    command_bytes: bytes,
    events_bytes: bytes,
    order_id: str,
    scout: str,
    commitment: bytes,
    now: datetime,
) -> Receipt:
    """Sign a receipt for the order logged at ``sequence``, with a checkpoint of the log up to
    and including it (so the receipt says nothing about what the order caused)."""
    size = sequence + 1
    receipt = Receipt(
        log_id=log.log_id,
        order_id=order_id,
        scout=scout,
        sequence=sequence,
        order_hash=hashlib.sha256(command_bytes).digest(),
        events_hash=hashlib.sha256(events_bytes).digest(),
        commitment=commitment,
        checkpoint=sign_checkpoint(log.checkpoint(now, size), signer),
        inclusion_proof=tuple(log.inclusion_proof(sequence, size)),
        issued_at=now,
        key_id=signer.key_id,
    )
    return replace(receipt, signature=signer.sign(_body(receipt)))


def verify_receipt(receipt: Receipt, public_key: bytes) -> list[str]:
    """What is wrong with ``receipt`` on its own (empty if nothing): signatures, and that its
    entry is in the log its checkpoint describes."""
    problems = []
    if not verify_signature(public_key, _body(receipt), receipt.signature):
        problems.append("receipt signature is invalid")
    if not verify_checkpoint(receipt.checkpoint, public_key):
        problems.append("receipt checkpoint signature is invalid")
    cp = receipt.checkpoint.checkpoint
    leaf = leaf_hash(leaf_from_hashes(receipt.order_hash, receipt.events_hash))
    if cp.log_id != receipt.log_id or not verify_inclusion(
        leaf, receipt.sequence, cp.tree_size, receipt.inclusion_proof, cp.root_hash
    ):
        problems.append("receipt inclusion proof does not verify against its checkpoint")
    return problems


def receipt_to_json(receipt: Receipt) -> bytes:
    return canonical_json(to_plain(receipt))


def receipt_from_json(data: bytes) -> Receipt:
    receipt = from_plain(Receipt, json.loads(data))
    assert isinstance(receipt, Receipt)
    return receipt
