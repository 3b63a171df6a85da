"""What ``marketcraft opportunity verify`` checks: receipts against the orders their scouts sent
and against their inclusion proofs, and (given one) a transcript replayed with this engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from marketcraft.kernel.errors import MarketcraftError
from marketcraft.kernel.messages import Command, from_plain
from marketcraft.opportunity.receipts import (
    Inclusion,
    Receipt,
    check_inclusion,
    check_order,
    order_from_plain,
    receipt_from_json,
    verify_receipt,
)
from marketcraft.opportunity.transcript import load_transcript, verify_transcript

__all__ = ["KEY_SOURCE", "check_receipts"]

#: where a verifier finds the platform's key (never in the file it checks)
KEY_SOURCE = "GET /programs/{id}/log, or the audit page"


def _read(path: Path) -> tuple[Receipt, Inclusion | None, Command | None]:
    """A receipt, and what its download holds beside it: the inclusion proof, the order."""
    data = path.read_bytes()
    receipt = receipt_from_json(data)
    plain: Any = json.loads(data)
    plain = plain if isinstance(plain, dict) else {}
    found, order = plain.get("inclusion"), plain.get("order")
    inclusion = None if found is None else from_plain(Inclusion, found)
    return receipt, inclusion, None if order is None else order_from_plain(order, receipt.order_id)


def _order(path: Path, receipt: Receipt) -> Command:
    plain: Any = json.loads(path.read_bytes())
    if isinstance(plain, dict) and "receipt" in plain:
        plain = plain.get("order")  # a receipt download: the order it holds
    return order_from_plain(plain, receipt.order_id)


def check_receipts(
    transcript: Path | None, receipts: list[Path], orders: list[Path], public_key: str | None
) -> tuple[list[str], str]:
    """Every failure (empty if none) and a one-line summary of what was checked."""
    if orders and len(orders) != len(receipts):
        return ["input: give one --order per --receipt, in the same order"], ""
    if not public_key:
        # a transcript's own key proves only that the file agrees with itself
        return [f"input: give --public-key (the platform's key: {KEY_SOURCE})"], ""
    try:
        key = bytes.fromhex(public_key)
        doc = None if transcript is None else load_transcript(transcript.read_bytes())
        read = [_read(p) for p in receipts]
        sent = {r.order_id: _order(p, r) for (r, _, _), p in zip(read, orders, strict=False)}
    except (OSError, ValueError, MarketcraftError) as exc:
        return [f"input: cannot read it ({exc})"], ""
    # without the order you sent, a download's own order is checked (it must hash as signed)
    held = {r.order_id: o for r, _, o in read if o is not None and r.order_id not in sent}
    failures: list[str] = []
    for receipt, inclusion, _ in read:
        where = f"receipt {receipt.order_id}"
        if doc is None:
            problems = verify_receipt(receipt, key)
            order = sent.get(receipt.order_id, held.get(receipt.order_id))
            if order is not None:
                problems += check_order(receipt, order)
            failures += [f"{where}: {p}" for p in problems]
        if inclusion is not None:
            failures += [f"{where}: {p}" for p in check_inclusion(receipt, inclusion, key)]
    if doc is not None:
        seen = [i.checkpoint for _, i, _ in read if i is not None]
        failures += verify_transcript(doc, [r for r, _, _ in read], key, {**held, **sent}, seen)
        return failures, (
            f"OK {len(doc['records'])} records replayed, {len(doc['checkpoints'])} checkpoints "
            f"and {len(read)} receipts verified ({len(sent)} against the orders sent)"
        )
    included = sum(1 for _, inclusion, _ in read if inclusion is not None)
    return failures, (
        f"OK {len(read)} receipts signed by the platform's key; {len(sent)} match the orders "
        f"you sent, {len(held)} the order their download holds; {included} included in a "
        f"signed checkpoint by their merge_by"
    )
