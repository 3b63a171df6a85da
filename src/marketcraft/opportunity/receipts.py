"""Signed order receipts, after Certificate Transparency's model (RFC 6962).

At order time the platform signs a **promise** (like CT's signed certificate timestamp): it
accepted this order, as the scout sent it (``order_hash``), at ``accepted_at``; its log entry
is ``leaf_hash``; the fill is sealed in ``commitment`` = SHA-256(fill || salt); and the entry
will be in a signed cadence checkpoint no later than ``merge_by``. The promise names no log
position, so it tells a scout nothing about anyone else's activity.

Later the scout fetches an **inclusion proof** of ``leaf_hash`` against the first cadence
checkpoint that covers it (:class:`Inclusion`), and checks it with :func:`check_inclusion`.

The promises decided together (a group commit) share one signature, as Merkle Tree
Certificates batch theirs: each receipt holds its place in a fixed-size tree of promises whose
root is signed (:func:`sign_promises`), so signing costs one Ed25519 signature per batch, not
per order, and the fixed size and sorted, padded leaves keep the batch's size from the scout.

``order_hash`` covers the command without its salt, with the scout's name and the acceptance
time (:func:`order_hash`): the scout recomputes it from what it sent plus the receipt's
``order_id`` and ``accepted_at``. The salt stays with the platform until the reveal: with it a
scout could test guesses about its own fill (e.g. whether anyone traded before it). The log
entry binds the full command (salt included); the transcript check ties the two together, so a
promise for one order and a log entry for another is a signed proof of the platform's fault.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from marketcraft.kernel.checkpoints import SignedCheckpoint, verify_checkpoint
from marketcraft.kernel.errors import MarketcraftError, ValidationError
from marketcraft.kernel.merkle import leaf_hash, node_hash, root_from_inclusion, verify_inclusion
from marketcraft.kernel.messages import (
    Command,
    Context,
    Event,
    added_field,
    canonical_json,
    decode,
    encode,
    from_plain,
    registered_types,
    to_plain,
)
from marketcraft.kernel.signing import Signer, verify_signature
from marketcraft.opportunity.commands import PlaceOrder
from marketcraft.opportunity.events import OrderExecuted

__all__ = [
    "BATCH_SLOTS",
    "Inclusion",
    "Receipt",
    "check_inclusion",
    "check_order",
    "fill_commitment",
    "fill_commitment_of",
    "leaf_from_hashes",
    "order_digest",
    "order_from_plain",
    "order_hash",
    "order_plain",
    "placement_commitment",
    "promise",
    "receipt_bytes",
    "receipt_from_json",
    "receipt_to_json",
    "sign_promises",
    "verify_receipt",
]

_FILL_DOMAIN = b"marketcraft/fill/v1\n"
_RECEIPT_DOMAIN = b"marketcraft/receipt/v3\n"
_LEGACY_DOMAIN = b"marketcraft/receipt/v2\n"  # a receipt signed on its own
_BATCH_DOMAIN = b"marketcraft/receipt-batch/v1\n"
_PAD_DOMAIN = b"marketcraft/receipt-pad/v1\n"
_ORDER_DOMAIN = b"marketcraft/order/v1\n"
_PLACEMENT_DOMAIN = b"marketcraft/placement/v1\n"


_FILL_FIELDS = ("cash", "clipped", "fee", "order_id", "shares", "state_after")


def fill_commitment(executed: OrderExecuted) -> bytes:
    """SHA-256(domain || canonical fill || salt): binds the platform to the fill, hides it."""
    return fill_commitment_of(to_plain(executed), executed.salt)


def fill_commitment_of(plain: dict[str, Any], salt: bytes) -> bytes:
    """:func:`fill_commitment` from the plain form of the OrderExecuted and its salt (for a
    caller that has encoded the event already)."""
    fill = canonical_json({name: plain[name] for name in _FILL_FIELDS})
    return hashlib.sha256(_FILL_DOMAIN + fill + salt).digest()


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


def leaf_from_hashes(command_hash: bytes, events_hash: bytes) -> bytes:
    """The log entry of a command whose records hash to these values (see journal)."""
    # canonical_json({"command": <hex>, "events": <hex>}), written out (keys already sorted)
    hexes = (command_hash.hex().encode(), events_hash.hex().encode())
    return b'{"command":"%s","events":"%s"}' % hexes


# -- the order as the scout sent it ----------------------------------------------------------
def order_plain(command: Command) -> dict[str, Any]:
    """``command`` as the scout sent it: its type and fields, without the platform's salt."""
    data = to_plain(command)
    data.pop("salt", None)
    return {"type": command.type_name, "data": data}


def order_hash(command: Command, ctx: Context) -> bytes:
    """SHA-256(domain || canonical {actor, at, order}): what a receipt's ``order_hash`` is."""
    return order_digest(command.type_name, to_plain(command), ctx.actor, to_plain(ctx.now))


def order_digest(type_name: str, data: dict[str, Any], actor: str, at: str) -> bytes:
    """:func:`order_hash` from a command's plain form (``data``, salt and all) and the plain
    time, for a caller that already has them."""
    order = {k: v for k, v in data.items() if k != "salt"}
    view = {"actor": actor, "at": at, "command": {"type": type_name, "data": order}}
    return hashlib.sha256(_ORDER_DOMAIN + canonical_json(view)).digest()


def order_from_plain(plain: Any, order_id: str) -> Command:
    """The order a scout sent, from ``{"type": ..., "data": {...}}`` (what a receipt download
    holds) or from the JSON body it posted to place a blind order (fields left out take their
    defaults; JSON numbers are read as decimals); ``order_id`` fills in the id the platform
    gave it. ValidationError if it is neither."""
    if not isinstance(plain, dict):
        raise ValidationError("bad_order", "an order is a JSON object")
    if "type" in plain:
        kind, data = plain.get("type"), plain.get("data")
    else:
        kind, data = PlaceOrder.type_name, {"order_id": order_id, **plain}
    cls = registered_types().get(str(kind))
    if (
        cls is None
        or not issubclass(cls, Command)
        or not dataclasses.is_dataclass(cls)
        or not isinstance(data, dict)
    ):
        raise ValidationError("bad_order", "an order is a known command with its data")
    full: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            value = data[f.name]
            number = isinstance(value, int | float) and not isinstance(value, bool)
            full[f.name] = str(value) if number else value
        elif f.name == "salt":
            full[f.name] = ""
        elif f.default is not dataclasses.MISSING:
            full[f.name] = to_plain(f.default)
        else:
            raise ValidationError("bad_order", f"the order names no {f.name}")
    message = decode(canonical_json({"type": kind, "data": {**data, **full}}))
    assert isinstance(message, Command)
    return message


# -- promises --------------------------------------------------------------------------------
#: one signature covers a batch of this many promise slots, the leaves of a perfect Merkle tree
#: (see :func:`sign_promises`)
BATCH_DEPTH = 6
BATCH_SLOTS = 1 << BATCH_DEPTH


@dataclass(frozen=True, slots=True)
class Receipt:
    """A promise; signed once ``signature`` is set. A receipt signed with others in one batch
    carries its place in the batch tree (``batch_index``, ``batch_path``); one from before
    batches (an empty path) is signed on its own."""

    origin: str
    order_id: str
    scout: str
    accepted_at: datetime
    order_hash: bytes
    leaf_hash: bytes
    commitment: bytes
    merge_by: datetime
    key_id: str
    signature: bytes = b""
    batch_index: int = added_field(0)
    batch_path: tuple[bytes, ...] = added_field(())


def receipt_bytes(receipt: Receipt) -> bytes:
    """The promise's own bytes: domain-separated canonical JSON of the receipt with an empty
    signature and no batch place (written out field by field: one per order). A batched
    receipt's batch leaf is the RFC 6962 leaf hash of these bytes."""
    return _promise_bytes(_RECEIPT_DOMAIN if receipt.batch_path else _LEGACY_DOMAIN, receipt)


def _promise_bytes(domain: bytes, receipt: Receipt) -> bytes:
    return domain + canonical_json(
        {
            "accepted_at": to_plain(receipt.accepted_at),
            "commitment": receipt.commitment.hex(),
            "key_id": receipt.key_id,
            "leaf_hash": receipt.leaf_hash.hex(),
            "merge_by": to_plain(receipt.merge_by),
            "order_hash": receipt.order_hash.hex(),
            "order_id": receipt.order_id,
            "origin": receipt.origin,
            "scout": receipt.scout,
            "signature": "",
        }
    )


def batch_statement(root: bytes) -> bytes:
    """What a batch's signature covers: a domain and the root of its tree of promises."""
    return _BATCH_DOMAIN + root


def promise(
    signer: Signer,
    *,
    origin: str,
    order_id: str,
    ctx: Context,
    order_digest: bytes,
    leaf_hash: bytes,
    commitment: bytes,
    merge_delay: timedelta,
) -> Receipt:
    """The (unsigned) promise for the order ``ctx.actor`` placed at ``ctx.now``."""
    return Receipt(
        origin=origin,
        order_id=order_id,
        scout=ctx.actor,
        accepted_at=ctx.now,
        order_hash=order_digest,
        leaf_hash=leaf_hash,
        commitment=commitment,
        merge_by=ctx.now + merge_delay,
        key_id=signer.key_id,
    )


def sign_promises(signer: Signer, promises: Sequence[Receipt]) -> list[Receipt]:
    """Sign ``promises`` with one signature per :data:`BATCH_SLOTS` of them: their leaves
    (:func:`receipt_bytes`) fill a perfect Merkle tree, topped up with pseudo-random leaves
    keyed by the signer's secret and the batch's own leaves, sorted, and the root is signed
    (:func:`batch_statement`); each receipt carries its leaf's index and audit path. A scout
    sees a path of fixed length to a sorted place among leaves it cannot tell apart, so its
    receipt says nothing of how many orders shared the signature. Deterministic."""
    signed: list[Receipt] = []
    for start in range(0, len(promises), BATCH_SLOTS):
        signed.extend(_sign_batch(signer, promises[start : start + BATCH_SLOTS]))
    return signed


def _sign_batch(signer: Signer, promises: Sequence[Receipt]) -> list[Receipt]:
    leaves = [leaf_hash(_promise_bytes(_RECEIPT_DOMAIN, p)) for p in promises]
    # padding: SHAKE-256 keyed by the signer's secret, over the batch's own leaves
    pad = hashlib.shake_256(_PAD_DOMAIN + signer.seed + b"".join(leaves))
    stream = pad.digest(32 * (BATCH_SLOTS - len(leaves)))
    slots = sorted(leaves + [stream[i : i + 32] for i in range(0, len(stream), 32)])
    levels = [slots]  # a perfect tree, level by level (RFC 6962 hashing)
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below), 2)])
    signature = signer.sign(batch_statement(levels[-1][0]))
    place = {leaf: index for index, leaf in enumerate(slots)}
    signed = []
    for p, leaf in zip(promises, leaves, strict=True):
        index = place[leaf]
        path = tuple(levels[d][(index >> d) ^ 1] for d in range(BATCH_DEPTH))
        signed.append(
            Receipt(
                p.origin,
                p.order_id,
                p.scout,
                p.accepted_at,
                p.order_hash,
                p.leaf_hash,
                p.commitment,
                p.merge_by,
                p.key_id,
                signature,
                index,
                path,
            )
        )
    return signed


def verify_receipt(receipt: Receipt, public_key: bytes) -> list[str]:
    """What is wrong with ``receipt`` on its own (empty if nothing): its signature (over its
    batch's root, rebuilt from its path, or over the receipt alone if it has no path)."""
    if not receipt.batch_path:
        message = receipt_bytes(receipt)
    else:
        root = root_from_inclusion(
            leaf_hash(receipt_bytes(receipt)),
            receipt.batch_index,
            BATCH_SLOTS,
            receipt.batch_path,
        )
        if root is None:
            return ["receipt batch path has the wrong shape"]
        message = batch_statement(root)
    if not verify_signature(public_key, message, receipt.signature):
        return ["receipt signature is invalid"]
    return []


def check_order(receipt: Receipt, order: Command) -> list[str]:
    """What is wrong between ``receipt`` and the order the scout sent (empty if nothing)."""
    if getattr(order, "order_id", getattr(order, "agent_id", None)) != receipt.order_id:
        return [f"the receipt is for {receipt.order_id}, not this order"]
    if order_hash(order, Context(receipt.scout, receipt.accepted_at)) != receipt.order_hash:
        return ["the receipt's order hash is not the hash of the order you sent"]
    return []


# -- inclusion proofs, fetched later ---------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Inclusion:
    """Where a receipt's entry is in the log, proven against a signed checkpoint."""

    leaf_index: int
    proof: tuple[bytes, ...]
    checkpoint: SignedCheckpoint


def check_inclusion(receipt: Receipt, inclusion: Inclusion, public_key: bytes) -> list[str]:
    """What is wrong with ``inclusion`` as a proof that ``receipt``'s entry is in the log by
    its ``merge_by`` (empty if nothing)."""
    problems = []
    cp = inclusion.checkpoint.checkpoint
    if not verify_checkpoint(inclusion.checkpoint, public_key):
        problems.append("the checkpoint's signature is invalid")
    if cp.origin != receipt.origin:
        problems.append("the checkpoint is of another log")
    if not verify_inclusion(
        receipt.leaf_hash, inclusion.leaf_index, cp.tree_size, inclusion.proof, cp.root_hash
    ):
        problems.append("the inclusion proof does not verify against the checkpoint")
    if cp.timestamp < receipt.accepted_at:
        problems.append("the checkpoint predates the order")
    if cp.timestamp > receipt.merge_by:
        problems.append(
            f"merged late: checkpoint of {cp.timestamp}, promised by {receipt.merge_by}"
        )
    return problems


def receipt_to_json(receipt: Receipt) -> bytes:
    return canonical_json(to_plain(receipt))


def receipt_from_json(data: bytes) -> Receipt:
    """A receipt from its JSON, or from a receipt download (``{"receipt": ..., ...}``);
    ValidationError if it is neither."""
    try:
        plain = json.loads(data)
        if isinstance(plain, dict) and "receipt" in plain:
            plain = plain["receipt"]
        receipt = from_plain(Receipt, plain)
    except (MarketcraftError, ValueError, TypeError, KeyError) as exc:
        raise ValidationError("bad_receipt", f"not a receipt: {exc}") from None
    assert isinstance(receipt, Receipt)
    return receipt
