"""A program's verifiable journal: every accepted command, with the events it caused, in an
append-only log (hash chain + RFC 6962 Merkle tree), and a signed receipt for every order.

One log leaf per accepted command::

    leaf = canonical JSON {"command": SHA-256(command record), "events": SHA-256(events record)}

so a receipt's sequence number counts commands, never events (how many events an order caused,
e.g. close orders it triggered, would say something about the price), and a scout can check its
own order's inclusion before the reveal from what it knows (its command) and what the receipt
gives (the events hash, hiding because every order's events carry a random salt).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from marketcraft.kernel.errors import InvariantViolation, MarketcraftError, ValidationError
from marketcraft.kernel.log import AppendOnlyLog, SignedCheckpoint
from marketcraft.kernel.messages import (
    Command,
    Event,
    canonical_json,
    decode,
    encode,
    from_plain,
    to_plain,
)
from marketcraft.kernel.signing import Signer
from marketcraft.opportunity.commands import Context, PlaceCloseOrder, PlaceOrder, RegisterAgent
from marketcraft.opportunity.events import OrderExecuted
from marketcraft.opportunity.receipts import (
    Receipt,
    fill_commitment,
    issue_receipt,
    leaf_from_hashes,
    placement_commitment,
)
from marketcraft.opportunity.runner import ProgramRunner
from marketcraft.opportunity.state import ProgramState

__all__ = [
    "Handled",
    "JournalRecord",
    "ProgramJournal",
    "command_record",
    "events_record",
    "leaf_entry",
    "parse_command_record",
    "parse_events_record",
]


def command_record(command: Command, ctx: Context) -> bytes:
    """The exact bytes logged for an accepted command, with who issued it and when."""
    message = {"type": command.type_name, "data": to_plain(command)}
    return canonical_json({"actor": ctx.actor, "at": to_plain(ctx.now), "command": message})


def events_record(events: list[Event]) -> bytes:
    return b"[" + b",".join(encode(e) for e in events) + b"]"


def leaf_entry(command_bytes: bytes, events_bytes: bytes) -> bytes:
    return leaf_from_hashes(
        hashlib.sha256(command_bytes).digest(), hashlib.sha256(events_bytes).digest()
    )


def parse_command_record(data: bytes) -> tuple[Command, Context]:
    """Inverse of :func:`command_record`; ValidationError if malformed."""
    try:
        plain = json.loads(data)
        message = decode(canonical_json(plain["command"]))
        ctx = Context(from_plain(str, plain["actor"]), from_plain(datetime, plain["at"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError("bad_record", f"malformed command record: {exc}") from None
    if not isinstance(message, Command):
        raise ValidationError("bad_record", "a command record holds a command")
    return message, ctx


def parse_events_record(data: bytes) -> list[Event]:
    try:
        items = json.loads(data)
        events = [decode(canonical_json(item)) for item in items]
    except (TypeError, ValueError) as exc:
        raise ValidationError("bad_record", f"malformed events record: {exc}") from None
    if not all(isinstance(e, Event) for e in events):
        raise ValidationError("bad_record", "an events record holds events")
    return events  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class JournalRecord:
    command: bytes
    events: bytes


@dataclass(frozen=True, slots=True)
class Handled:
    events: list[Event]
    record: JournalRecord
    receipt: Receipt | None


class ProgramJournal:
    """A program's runner plus its log; signs checkpoints and receipts with ``signer``."""

    def __init__(self, log_id: str, signer: Signer, records: list[JournalRecord] | None = None):
        self.runner = ProgramRunner()
        self.log = AppendOnlyLog(log_id)
        self.signer = signer
        self.records: list[JournalRecord] = []
        self.receipt_sequence: dict[str, int] = {}  # order id -> log sequence, for re-issuing
        for record in records or ():
            self.replay(record)

    @property
    def state(self) -> ProgramState:
        return self.runner.state

    def replay(self, record: JournalRecord) -> None:
        """Decide a stored record's command again and append it; InvariantViolation (naming
        the record) if it is malformed, refused now, or gives other events than were stored.
        After that the journal is unusable."""
        index = len(self.records)
        try:
            command, ctx = parse_command_record(record.command)
            handled = self.handle(command, ctx)
        except MarketcraftError as exc:
            raise InvariantViolation(
                "replay_mismatch", f"record {index} does not replay ({exc.code}: {exc.reason})"
            ) from exc
        if handled.record != record:
            raise InvariantViolation(
                "replay_mismatch", f"record {index}: the stored events differ from its replay"
            )

    def check_checkpoints(self, checkpoints: list[SignedCheckpoint]) -> None:
        """Every published checkpoint describes this log (its root and chain head at its size);
        InvariantViolation if one does not (a stored record was changed, or records are
        missing)."""
        for signed in checkpoints:
            cp = signed.checkpoint
            if (
                cp.log_id != self.log.log_id
                or cp.tree_size > self.log.size
                or cp.root_hash != self.log.root(cp.tree_size)
                or cp.chain_head != self.log.chain_head(cp.tree_size)
            ):
                raise InvariantViolation(
                    "checkpoint_mismatch",
                    f"the checkpoint at size {cp.tree_size} does not describe the stored records",
                )

    def handle(self, command: Command, ctx: Context) -> Handled:
        """Decide, apply and log ``command``; sign a receipt if it placed an order."""
        events = self.runner.handle(command, ctx)
        record = JournalRecord(command_record(command, ctx), events_record(events))
        sequence = self.log.append(leaf_entry(record.command, record.events))
        self.records.append(record)
        receipt = None
        sealed = sealed_result(command, events)
        if sealed is not None:
            order_id, commitment = sealed
            self.receipt_sequence[order_id] = sequence
            receipt = issue_receipt(
                self.log,
                self.signer,
                sequence=sequence,
                command_bytes=record.command,
                events_bytes=record.events,
                order_id=order_id,
                scout=ctx.actor,
                commitment=commitment,
                now=ctx.now,
            )
        return Handled(events, record, receipt)

    def receipt_for(self, order_id: str) -> Receipt | None:
        """The receipt of an order, re-issued: identical to the first (Ed25519 signatures
        are deterministic and the checkpoint is the one at the order's own time)."""
        sequence = self.receipt_sequence.get(order_id)
        if sequence is None:
            return None
        record = self.records[sequence]
        command, ctx = parse_command_record(record.command)
        sealed = sealed_result(command, parse_events_record(record.events))
        assert sealed is not None
        return issue_receipt(
            self.log,
            self.signer,
            sequence=sequence,
            command_bytes=record.command,
            events_bytes=record.events,
            order_id=sealed[0],
            scout=ctx.actor,
            commitment=sealed[1],
            now=ctx.now,
        )


def sealed_result(command: Command, events: list[Event]) -> tuple[str, bytes] | None:
    """(order id, commitment) for a command that places an order of any kind, else None."""
    if isinstance(command, PlaceOrder):
        executed = next((e for e in events if isinstance(e, OrderExecuted)), None)
        return None if executed is None else (command.order_id, fill_commitment(executed))
    if isinstance(command, PlaceCloseOrder):
        return command.order_id, placement_commitment(events, command.order_id, command.salt)
    if isinstance(command, RegisterAgent):
        return command.agent_id, placement_commitment(events, command.agent_id, command.salt)
    return None
