"""Receipts signed in batches: one signature per batch of promises, each receipt carrying its
place in a fixed-size tree, so that nothing in a receipt tells how many orders shared it."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from marketcraft.kernel.signing import Signer
from marketcraft.opportunity.commands import Context
from marketcraft.opportunity.receipts import (
    BATCH_SLOTS,
    Receipt,
    promise,
    receipt_bytes,
    receipt_from_json,
    receipt_to_json,
    sign_promises,
    verify_receipt,
)
from tests.support.opportunity_fixtures import SIGNER, T0

OTHER = Signer(bytes([9]) * 32)


def promises(n: int, origin: str = "example.org/opportunity/p") -> list[Receipt]:
    return [
        promise(
            SIGNER,
            origin=origin,
            order_id=f"o-{i}",
            ctx=Context(f"scout-{i % 7}", T0 + timedelta(seconds=i)),
            order_digest=hashlib.sha256(b"order %d" % i).digest(),
            leaf_hash=hashlib.sha256(b"leaf %d" % i).digest(),
            commitment=hashlib.sha256(b"fill %d" % i).digest(),
            merge_delay=timedelta(minutes=5),
        )
        for i in range(n)
    ]


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 2 * BATCH_SLOTS + 3))
def test_every_receipt_of_a_batch_verifies_and_a_batch_shares_one_signature(n):
    signed = sign_promises(SIGNER, promises(n))
    assert len(signed) == n
    assert all(verify_receipt(r, SIGNER.public_key) == [] for r in signed)
    assert all(verify_receipt(r, OTHER.public_key) for r in signed)
    # the promise itself is unchanged by signing
    for before, after in zip(promises(n), signed, strict=True):
        assert dataclasses.replace(after, signature=b"", batch_index=0, batch_path=()) == before
    # one signature per BATCH_SLOTS promises, in order
    signatures = [r.signature for r in signed]
    assert len(set(signatures)) == -(-n // BATCH_SLOTS)
    for start in range(0, n, BATCH_SLOTS):
        chunk = signed[start : start + BATCH_SLOTS]
        assert len({r.signature for r in chunk}) == 1
        assert len({r.batch_index for r in chunk}) == len(chunk)  # distinct places


def test_a_receipt_path_has_the_same_length_whatever_the_batch_size():
    lengths = {
        len(r.batch_path)
        for n in (1, 2, 17, BATCH_SLOTS)
        for r in sign_promises(SIGNER, promises(n))
    }
    assert lengths == {BATCH_SLOTS.bit_length() - 1}


def test_a_lone_order_is_not_in_a_fixed_place():
    """Padding leaves are sorted in with the real ones: a batch of one does not sit at 0."""
    places = {sign_promises(SIGNER, [p])[0].batch_index for p in promises(40)}
    assert len(places) > 10


def test_signing_is_deterministic_and_padding_depends_on_the_key():
    batch = promises(5)
    assert sign_promises(SIGNER, batch) == sign_promises(SIGNER, batch)
    other = sign_promises(OTHER, batch)
    assert [r.batch_path for r in other] != [r.batch_path for r in sign_promises(SIGNER, batch)]


def test_every_field_and_the_path_are_bound():
    (receipt,) = sign_promises(SIGNER, promises(3))[1:2]
    changed = [
        dataclasses.replace(receipt, order_id="o-9"),
        dataclasses.replace(receipt, scout="someone"),
        dataclasses.replace(receipt, accepted_at=receipt.accepted_at + timedelta(seconds=1)),
        dataclasses.replace(receipt, merge_by=receipt.merge_by + timedelta(hours=1)),
        dataclasses.replace(receipt, order_hash=bytes(32)),
        dataclasses.replace(receipt, leaf_hash=bytes(32)),
        dataclasses.replace(receipt, commitment=bytes(32)),
        dataclasses.replace(receipt, origin="example.org/opportunity/q"),
        dataclasses.replace(receipt, key_id="0" * 32),
        dataclasses.replace(receipt, batch_index=receipt.batch_index ^ 1),
        dataclasses.replace(receipt, batch_path=(bytes(32), *receipt.batch_path[1:])),
        dataclasses.replace(receipt, batch_path=receipt.batch_path[:-1]),
        dataclasses.replace(receipt, batch_index=BATCH_SLOTS),
        dataclasses.replace(receipt, batch_index=-1),
    ]
    for bad in changed:
        assert verify_receipt(bad, SIGNER.public_key), bad
    # a path that cannot lead to a root of 64 slots is named as such; the rest fail the signature
    for bad in changed[-3:]:
        assert verify_receipt(bad, SIGNER.public_key) == ["receipt batch path has the wrong shape"]
    for bad in changed[:-3]:
        assert verify_receipt(bad, SIGNER.public_key) == ["receipt signature is invalid"]


def test_a_receipt_round_trips_through_json_and_an_unbatched_one_still_verifies():
    (receipt,) = sign_promises(SIGNER, promises(1))
    assert receipt_from_json(receipt_to_json(receipt)) == receipt
    # a receipt signed on its own (before batches): no path, the v2 bytes signed directly
    (lone,) = promises(1)
    assert receipt_bytes(lone).startswith(b"marketcraft/receipt/v2\n")
    legacy = dataclasses.replace(lone, signature=SIGNER.sign(receipt_bytes(lone)))
    assert verify_receipt(legacy, SIGNER.public_key) == []
    assert receipt_from_json(receipt_to_json(legacy)) == legacy
    assert b"batch_path" not in receipt_to_json(legacy)
    # a batch signature is not a signature of any one promise on its own
    assert verify_receipt(dataclasses.replace(lone, signature=receipt.signature), SIGNER.public_key)
