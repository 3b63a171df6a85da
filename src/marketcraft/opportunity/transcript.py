"""Transcripts: everything needed to check a program without trusting the platform.

A transcript holds every journal record (command with actor and time, and the events it
caused), the platform's public key and its signed checkpoints. :func:`verify_transcript`
replays it with this engine and checks, naming each failure:

* it was made by this engine version (``engine_version``; another version's transcript is
  refused by name: verify it with that version);
* every checkpoint is a C2SP signed note by the key, matches the log rebuilt from the
  records, and is consistent with the next (the log was only appended to);
* the replayed engine produces exactly the recorded events (fills follow the AMM math, no
  command was refused, nothing was added, dropped or reordered);
* the sponsor never traded; escrows are released; payouts equal winning shares; fees add up;
* every receipt is signed, its entry is in the log, that entry is the order it acknowledged
  (its order hash, scout and time), its commitment opens to the replayed fill, and a checkpoint
  covered it by its ``merge_by``; with the scout's own orders, each is the order it sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from marketcraft.__about__ import __version__
from marketcraft.kernel.checkpoints import (
    SignedCheckpoint,
    open_checkpoint,
    sign_checkpoint,
    verify_checkpoints_consistent,
)
from marketcraft.kernel.errors import MarketcraftError
from marketcraft.kernel.log import AppendOnlyLog
from marketcraft.kernel.messages import Command
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
from marketcraft.opportunity.receipts import Receipt, check_order, order_hash, verify_receipt
from marketcraft.opportunity.state import ProgramState, evolve

__all__ = ["FORMAT", "export_transcript", "verify_transcript"]

FORMAT = "marketcraft/opportunity-transcript/2"


def export_transcript(
    origin: str,
    records: list[JournalRecord],
    checkpoints: list[SignedCheckpoint],
    signer: Signer,
    now: datetime,
) -> dict[str, Any]:
    """The transcript of the log ``origin``: its records, its published checkpoints (as signed
    notes) and a final one over every record."""
    log = AppendOnlyLog(origin)
    for record in records:
        log.append(leaf_entry(record.command, record.events))
    published = [c for c in checkpoints if c.note]
    if not published or published[-1].checkpoint.tree_size < log.size:
        published.append(sign_checkpoint(log.checkpoint(now, origin=origin), signer))
    return {
        "format": FORMAT,
        "engine_version": __version__,
        "origin": origin,
        "public_key": signer.public_key.hex(),
        "records": [
            {"command": r.command.decode("utf-8"), "events": r.events.decode("utf-8")}
            for r in records
        ],
        "checkpoints": [c.note for c in published],
    }


class _Failures(list[str]):
    def add(self, where: str, what: str) -> None:
        self.append(f"{where}: {what}")

    def scoped(self, where: str) -> _Scoped:
        return _Scoped(self, where)


@dataclass(frozen=True, slots=True)
class _Scoped:
    failures: _Failures
    where: str

    def add(self, what: str) -> None:
        self.failures.add(self.where, what)


def verify_transcript(
    doc: dict[str, Any],
    receipts: Iterable[Receipt] = (),
    public_key: bytes | None = None,
    orders: Mapping[str, Command] | None = None,
    seen: Iterable[SignedCheckpoint] = (),
) -> list[str]:
    """Every problem found (empty when the transcript and receipts check out). ``public_key``
    pins the platform's key; without it the transcript's own key is used (receipts signed by
    the real key then fail against a substituted one). ``orders`` (order id -> the order as
    the scout sent it) checks each receipt against its scout's own order too."""
    failures = _Failures()
    if doc.get("format") != FORMAT:
        return [f"transcript: format {doc.get('format')!r} is not {FORMAT}"]
    if doc.get("engine_version") != __version__:
        return [
            f"transcript: made by engine version {doc.get('engine_version')!r}, this is "
            f"{__version__}: verify it with marketcraft {doc.get('engine_version')}"
        ]
    try:
        key = bytes.fromhex(doc["public_key"])
        records = [
            JournalRecord(r["command"].encode("utf-8"), r["events"].encode("utf-8"))
            for r in doc["records"]
        ]
        notes = [str(c) for c in doc["checkpoints"]]
        origin = str(doc["origin"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return [f"transcript: malformed ({exc})"]
    if public_key is not None and public_key != key:
        failures.add("transcript", "signed by another key than the one given")
        key = public_key
    log = AppendOnlyLog(origin)
    for record in records:
        log.append(leaf_entry(record.command, record.events))
    checkpoints = _check_checkpoints(log, notes, key, failures)
    _check_seen(log, seen, failures)
    state = _replay(records, failures)
    if state is not None:
        _check_outcomes(state, records, failures)
    leaves = {log.leaf(i): i for i in range(log.size)} if receipts else {}
    for receipt in receipts:
        where = f"receipt {receipt.order_id}"
        _check_receipt(
            receipt, failures.scoped(where), leaves=leaves, records=records,
            checkpoints=checkpoints, key=key,
        )  # fmt: skip
        if orders is not None and receipt.order_id in orders:
            for problem in check_order(receipt, orders[receipt.order_id]):
                failures.add(where, problem)
    return failures


def _check_seen(log: AppendOnlyLog, seen: Iterable[SignedCheckpoint], failures: _Failures) -> None:
    """A checkpoint of this log met elsewhere must be a prefix of it (the caller checked its
    signature): anything else means the platform signed two histories."""
    for signed in seen:
        cp = signed.checkpoint
        if cp.origin == log.log_id and (
            cp.tree_size > log.size or cp.root_hash != log.root(cp.tree_size)
        ):
            failures.add(
                f"checkpoint seen elsewhere (size {cp.tree_size})",
                "signed by the platform but not of this log: two histories (a split view)",
            )


def _open(notes: list[str], key: bytes, failures: _Failures) -> list[SignedCheckpoint]:
    opened = []
    for i, note in enumerate(notes):
        try:
            opened.append(open_checkpoint(note, key))
        except MarketcraftError as exc:
            failures.add(f"checkpoint {i}", f"not a checkpoint signed by the key ({exc.reason})")
    return opened


def _check_checkpoints(
    log: AppendOnlyLog, notes: list[str], key: bytes, failures: _Failures
) -> list[SignedCheckpoint]:
    """The checkpoints that are signed by the key, each checked against the log."""
    checkpoints = _open(notes, key, failures)
    if not checkpoints:
        failures.add("checkpoints", "none published")
        return []
    for i, signed in enumerate(checkpoints):
        cp = signed.checkpoint
        where = f"checkpoint {i} (size {cp.tree_size})"
        if cp.origin != log.log_id or not 0 <= cp.tree_size <= log.size:
            failures.add(where, "does not describe this log")
            continue
        if cp.root_hash != log.root(cp.tree_size):
            failures.add(where, "root differs from the records")
        if i:
            old = checkpoints[i - 1].checkpoint
            if old.tree_size <= cp.tree_size and not verify_checkpoints_consistent(
                old, cp, log.consistency_proof(old.tree_size, cp.tree_size)
            ):
                failures.add(where, "not consistent with the previous checkpoint")
            if old.tree_size > cp.tree_size:
                failures.add(where, "smaller than the previous checkpoint")
            if old.tree_size == cp.tree_size:
                failures.add(where, "repeats the previous checkpoint's size")
    if checkpoints[-1].checkpoint.tree_size != log.size:
        failures.add("checkpoints", "the last checkpoint does not cover every record")
    return checkpoints


def _replay(records: list[JournalRecord], failures: _Failures) -> ProgramState | None:
    state = ProgramState()
    # the orders' facts are read from the records already replayed (and found equal)
    state.orders.attach(lambda position: parse_events_record(records[position].events))
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
        state.orders.begin_record()
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
    failures: _Scoped,
    *,
    leaves: dict[bytes, int],
    records: list[JournalRecord],
    checkpoints: list[SignedCheckpoint],
    key: bytes,
) -> None:
    for problem in verify_receipt(receipt, key):
        failures.add(problem)
    index = leaves.get(receipt.leaf_hash)
    if index is None:
        failures.add("its entry is not in the transcript's log")
        return
    try:
        command, ctx = parse_command_record(records[index].command)
        events = parse_events_record(records[index].events)
    except MarketcraftError:
        failures.add("its entry is not a readable record")
        return
    if order_hash(command, ctx) != receipt.order_hash or (ctx.actor, ctx.now) != (
        receipt.scout,
        receipt.accepted_at,
    ):
        failures.add("the logged order is not the order it acknowledged")
    sealed = sealed_result(command, events)
    if sealed is None or sealed != (receipt.order_id, receipt.commitment):
        failures.add("its commitment does not open to the recorded fill")
    merged = next((c.checkpoint for c in checkpoints if c.checkpoint.tree_size > index), None)
    if merged is None or merged.timestamp > receipt.merge_by:
        failures.add(f"not in a checkpoint by {receipt.merge_by} as promised")


def load_transcript(data: bytes) -> dict[str, Any]:
    doc = json.loads(data)
    if not isinstance(doc, dict):
        raise ValueError("a transcript is a JSON object")
    return doc
