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

__all__ = ["check_receipts"]


def _read(path: Path) -> tuple[Receipt, Inclusion | None]:
    data = path.read_bytes()
    receipt = receipt_from_json(data)
    plain: Any = json.loads(data)
    found = plain.get("inclusion") if isinstance(plain, dict) else None
    return receipt, None if found is None else from_plain(Inclusion, found)


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
    try:
        doc = None if transcript is None else load_transcript(transcript.read_bytes())
        read = [_read(p) for p in receipts]
        sent = {r.order_id: _order(p, r) for (r, _), p in zip(read, orders, strict=False)}
        key = bytes.fromhex(public_key) if public_key else None
        if key is None and doc is not None:
            key = bytes.fromhex(str(doc.get("public_key", "")))
    except (OSError, ValueError, MarketcraftError) as exc:
        return [f"input: cannot read it ({exc})"], ""
    if key is None:
        return ["input: give --public-key (the platform's key) to check receipts alone"], ""
    failures: list[str] = []
    for receipt, inclusion in read:
        where = f"receipt {receipt.order_id}"
        if doc is None:
            problems = verify_receipt(receipt, key)
            if receipt.order_id in sent:
                problems += check_order(receipt, sent[receipt.order_id])
            failures += [f"{where}: {p}" for p in problems]
        if inclusion is not None:
            failures += [f"{where}: {p}" for p in check_inclusion(receipt, inclusion, key)]
    if doc is not None:
        failures += verify_transcript(doc, [r for r, _ in read], key, sent)
        return failures, (
            f"OK {len(doc['records'])} records replayed, {len(doc['checkpoints'])} checkpoints "
            f"and {len(read)} receipts verified ({len(sent)} against the orders sent)"
        )
    included = sum(1 for _, inclusion in read if inclusion is not None)
    return failures, (
        f"OK {len(read)} receipts signed by the platform's key; {len(sent)} match the orders "
        f"sent; {included} included in a signed checkpoint by their merge_by"
    )
