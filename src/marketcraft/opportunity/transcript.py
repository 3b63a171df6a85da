"""Transcripts: everything needed to check a program without trusting the platform.

A transcript holds every journal record (command with actor and time, and the events it
caused), the platform's public key and its signed checkpoints. :func:`verify_transcript`
replays it with this engine and checks, naming each failure:

* every checkpoint is signed by the key and matches the log rebuilt from the records, and
  each is consistent with the next (the log was only appended to);
* the replayed engine produces exactly the recorded events (fills follow the AMM math, no
  command was refused, nothing was added, dropped or reordered);
* the sponsor never traded; escrows are released; payouts equal winning shares; fees add up;
* every receipt is signed, is in the log at its sequence with its checkpoint, and its
  commitment opens to the replayed fill.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from marketcraft.__about__ import __version__
from marketcraft.kernel.errors import MarketcraftError
from marketcraft.kernel.log import (
    AppendOnlyLog,
    SignedCheckpoint,
    sign_checkpoint,
    verify_checkpoint,
    verify_checkpoints_consistent,
)
from marketcraft.kernel.messages import from_plain, to_plain
from marketcraft.kernel.money import quantize_down
from marketcraft.kernel.signing import Signer
from marketcraft.opportunity.engine import decide
from marketcraft.opportunity.events import (
    MarketRejected,
    MarketResolved,
    OrderExecuted,
    ProgramSettled,
    TriggeredTrade,
)
from marketcraft.opportunity.invariants import check_all
from marketcraft.opportunity.journal import (
    JournalRecord,
    events_record,
    leaf_entry,
    parse_command_record,
    parse_events_record,
    sealed_result,
)
from marketcraft.opportunity.receipts import Receipt, verify_receipt
from marketcraft.opportunity.state import ProgramState, evolve

__all__ = ["FORMAT", "export_transcript", "verify_transcript"]

FORMAT = "marketcraft/opportunity-transcript/1"


def export_transcript(
    log_id: str,
    records: list[JournalRecord],
    checkpoints: list[SignedCheckpoint],
    signer: Signer,
    now: datetime,
) -> dict[str, Any]:
    """The transcript of a program: its records, the published checkpoints and a final one."""
    log = AppendOnlyLog(log_id)
    for record in records:
        log.append(leaf_entry(record.command, record.events))
    final = sign_checkpoint(log.checkpoint(now), signer)
    return {
        "format": FORMAT,
        "engine_version": __version__,
        "log_id": log_id,
        "public_key": signer.public_key.hex(),
        "records": [
            {"command": r.command.decode("utf-8"), "events": r.events.decode("utf-8")}
            for r in records
        ],
        "checkpoints": [to_plain(c) for c in [*checkpoints, final]],
    }


class _Failures(list[str]):
    def add(self, where: str, what: str) -> None:
        self.append(f"{where}: {what}")


def verify_transcript(
    doc: dict[str, Any], receipts: Iterable[Receipt] = (), public_key: bytes | None = None
) -> list[str]:
    """Every problem found (empty when the transcript and receipts check out). ``public_key``
    pins the platform's key; without it the transcript's own key is used (receipts signed by
    the real key then fail against a substituted one)."""
    failures = _Failures()
    try:
        key = bytes.fromhex(doc["public_key"])
        if doc.get("format") != FORMAT:
            failures.add("transcript", f"unknown format {doc.get('format')!r}")
        records = [
            JournalRecord(r["command"].encode("utf-8"), r["events"].encode("utf-8"))
            for r in doc["records"]
        ]
        checkpoints = [from_plain(SignedCheckpoint, c) for c in doc["checkpoints"]]
        log_id = str(doc["log_id"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return [f"transcript: malformed ({exc})"]
    if public_key is not None and public_key != key:
        failures.add("transcript", "signed by another key than the one given")
        key = public_key
    log = AppendOnlyLog(log_id)
    for record in records:
        log.append(leaf_entry(record.command, record.events))
    _check_checkpoints(log, checkpoints, key, failures)
    state = _replay(records, failures)
    if state is not None:
        _check_outcomes(state, records, failures)
    for receipt in receipts:
        _check_receipt(receipt, log, records, key, failures)
    return failures


def _check_checkpoints(
    log: AppendOnlyLog, checkpoints: list[SignedCheckpoint], key: bytes, failures: _Failures
) -> None:
    if not checkpoints:
        failures.add("checkpoints", "none published")
        return
    for i, signed in enumerate(checkpoints):
        cp = signed.checkpoint
        where = f"checkpoint {i} (size {cp.tree_size})"
        if not verify_checkpoint(signed, key):
            failures.add(where, "signature is invalid")
        if cp.log_id != log.log_id or not 0 <= cp.tree_size <= log.size:
            failures.add(where, "does not describe this log")
            continue
        if cp.root_hash != log.root(cp.tree_size) or cp.chain_head != log.chain_head(cp.tree_size):
            failures.add(where, "root or chain head differs from the records")
        if i:
            old = checkpoints[i - 1].checkpoint
            if old.tree_size <= cp.tree_size and not verify_checkpoints_consistent(
                old, cp, log.consistency_proof(old.tree_size, cp.tree_size)
            ):
                failures.add(where, "not consistent with the previous checkpoint")
            if old.tree_size > cp.tree_size:
                failures.add(where, "smaller than the previous checkpoint")
    if checkpoints[-1].checkpoint.tree_size != log.size:
        failures.add("checkpoints", "the last checkpoint does not cover every record")


def _replay(records: list[JournalRecord], failures: _Failures) -> ProgramState | None:
    state = ProgramState()
    for i, record in enumerate(records):
        try:
            command, ctx = parse_command_record(record.command)
            events = decide(state, command, ctx)
        except MarketcraftError as exc:
            failures.add(f"record {i}", f"the engine refuses this command ({exc.reason})")
            return None
        if events_record(events) != record.events:
            failures.add(
                f"record {i}", f"recorded events differ from the replay of {command.type_name}"
            )
            try:
                parse_events_record(record.events)
            except MarketcraftError:
                failures.add(f"record {i}", "recorded events are malformed")
            return None
        for event in events:
            evolve(state, event)
    return state


def _check_outcomes(state: ProgramState, records: list[JournalRecord], failures: _Failures) -> None:
    try:
        check_all(state)
    except MarketcraftError as exc:
        failures.add("replayed state", exc.reason)
    events = [e for r in records for e in parse_events_record(r.events)]
    if any(isinstance(e, OrderExecuted) and e.scout == state.sponsor for e in events):
        failures.add("sponsor", "the sponsor traded in its own program")
    decimals = state.cash.decimals
    for e in events:
        if not (isinstance(e, MarketResolved) and e.outcome in ("yes", "no")):
            continue
        winners = e.burned if e.outcome == "yes" else e.burned_no
        winning = {s: quantize_down(n, decimals) for s, n in winners}
        if dict(e.payouts) != {s: n for s, n in winning.items() if n > 0}:
            failures.add(f"market {e.market_id}", "payouts differ from winning shares")
    fees = sum((e.fee for e in events if isinstance(e, OrderExecuted | TriggeredTrade)), Decimal(0))
    fees += sum((e.bond_forfeited for e in events if isinstance(e, MarketRejected)), Decimal(0))
    settled = [e for e in events if isinstance(e, ProgramSettled)]
    if not settled:
        failures.add("program", "not settled: the transcript is not final")
    else:
        s = settled[-1]
        paid = sum((a for _, a in s.fee_refunds), Decimal(0)) + s.fees_rolled + s.dust_to_sponsor
        if paid != fees:
            failures.add("fees", f"{fees} collected but {paid} distributed")


def _check_receipt(
    receipt: Receipt,
    log: AppendOnlyLog,
    records: list[JournalRecord],
    key: bytes,
    failures: _Failures,
) -> None:
    where = f"receipt {receipt.order_id}"
    for problem in verify_receipt(receipt, key):
        failures.add(where, problem)
    cp = receipt.checkpoint.checkpoint
    if not 0 <= receipt.sequence < len(records) or cp.tree_size > log.size:
        failures.add(where, "refers to an entry the transcript does not have")
        return
    if cp.root_hash != log.root(cp.tree_size):
        failures.add(where, "its checkpoint is not a prefix of the transcript's log")
    record = records[receipt.sequence]
    if hashlib.sha256(record.command).digest() != receipt.order_hash:
        failures.add(where, "the order at its sequence is not the order it acknowledged")
    if hashlib.sha256(record.events).digest() != receipt.events_hash:
        failures.add(where, "the events at its sequence are not the ones it committed to")
    try:
        command, _ = parse_command_record(record.command)
        events = parse_events_record(record.events)
    except MarketcraftError:
        return
    sealed = sealed_result(command, events)
    if sealed is None or sealed != (receipt.order_id, receipt.commitment):
        failures.add(where, "its commitment does not open to the recorded fill")


def load_transcript(data: bytes) -> dict[str, Any]:
    doc = json.loads(data)
    if not isinstance(doc, dict):
        raise ValueError("a transcript is a JSON object")
    return doc
