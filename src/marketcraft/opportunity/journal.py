"""A program's verifiable journal: every accepted command, with the events it caused, in an
append-only log (hash chain + RFC 6962 Merkle tree), and a signed receipt for every order.

One log leaf per accepted command::

    leaf = canonical JSON {"command": SHA-256(command record), "events": SHA-256(events record)}

so a log position counts commands, never events (how many events an order caused, e.g. close
orders it triggered, would say something about the price). A receipt names its entry by leaf
hash (hiding: every order's records carry a random salt) and no position; its inclusion proof
is fetched later, against a cadence checkpoint, and the receipts of commands decided together
share one signature (see :mod:`marketcraft.opportunity.receipts`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from marketcraft.kernel.checkpoints import SignedCheckpoint
from marketcraft.kernel.errors import InvariantViolation, MarketcraftError, ValidationError
from marketcraft.kernel.log import AppendOnlyLog
from marketcraft.kernel.merkle import leaf_hash
from marketcraft.kernel.messages import (
    Command,
    Event,
    canonical_json,
    decode,
    decode_list,
    encode,
    from_plain,
    to_plain,
)
from marketcraft.kernel.signing import Signer
from marketcraft.opportunity.commands import Context, PlaceCloseOrder, PlaceOrder, RegisterAgent
from marketcraft.opportunity.events import OrderExecuted
from marketcraft.opportunity.history import ProgramHistory
from marketcraft.opportunity.order_book import OrderBook
from marketcraft.opportunity.receipts import (
    Inclusion,
    Receipt,
    fill_commitment_of,
    leaf_from_hashes,
    order_digest,
    order_hash,
    placement_commitment,
    promise,
    sign_promises,
)
from marketcraft.opportunity.runner import ProgramRunner
from marketcraft.opportunity.state import ProgramState

__all__ = [
    "DEFAULT_MERGE_DELAY",
    "DEFAULT_ORIGIN_PREFIX",
    "Handled",
    "JournalRecord",
    "ProgramJournal",
    "command_record",
    "events_record",
    "leaf_entry",
    "log_origin",
    "parse_command_record",
    "parse_events_record",
]


#: the first part of every program log's origin (a service names its own: Settings.log_origin)
DEFAULT_ORIGIN_PREFIX = "marketcraft.localhost"
#: how long after an order its entry may wait for a signed checkpoint (a receipt's merge_by)
DEFAULT_MERGE_DELAY = timedelta(minutes=5)


def log_origin(prefix: str, log_id: str) -> str:
    """The origin of a program's log (its checkpoints' first line, its key's name):
    ``<prefix>/opportunity/<program id>``, with spaces and '+' escaped."""
    return f"{prefix}/opportunity/{quote(log_id, safe='-._~')}"


def command_record(command: Command, ctx: Context) -> bytes:
    """The exact bytes logged for an accepted command, with who issued it and when."""
    return _command_record(command.type_name, to_plain(command), ctx.actor, to_plain(ctx.now))


def _command_record(type_name: str, data: dict[str, Any], actor: str, at: str) -> bytes:
    return canonical_json({"actor": actor, "at": at, "command": {"type": type_name, "data": data}})


def events_record(events: list[Event]) -> bytes:
    return b"[" + b",".join(encode(e) for e in events) + b"]"


def _events_record(events: list[Event], plains: list[Any]) -> bytes:
    """:func:`events_record` of events already in plain form."""
    return (
        b"["
        + b",".join(
            canonical_json({"type": e.type_name, "data": plain})
            for e, plain in zip(events, plains, strict=True)
        )
        + b"]"
    )


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
        events = decode_list(data)
    except ValidationError as exc:
        raise ValidationError("bad_record", f"malformed events record: {exc.reason}") from None
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


class ReceiptSequences(Mapping[str, int]):
    """Sealed id (an order's, close order's or agent's) -> the log sequence of the record
    that placed it, read from the state's order book (nothing kept per id here)."""

    __slots__ = ("_book",)

    def __init__(self, book: OrderBook) -> None:
        self._book = book

    def __getitem__(self, item_id: str) -> int:
        sequence = self._book.sequence_of(item_id)
        if sequence is None:
            raise KeyError(item_id)
        return sequence

    def __iter__(self) -> Iterator[str]:
        return iter(self._book.placed())

    def __len__(self) -> int:
        return len(self._book.placed())


def _complete(*parts: object) -> bool:
    """Whether every field (dataclass) or slot of each part holds a value: an object unpickled
    from a snapshot written before a field existed lacks it."""
    for part in parts:
        names = (
            [f.name for f in dataclasses.fields(part)]
            if dataclasses.is_dataclass(part)
            else getattr(type(part), "__slots__", ())
        )
        if not all(hasattr(part, name) for name in names):
            return False
    return True


class ProgramJournal:
    """A program's runner plus its log; signs checkpoints and receipts with ``signer``.

    Two ways in: :meth:`handle` decides a new command (and signs its receipt); :meth:`fold`
    applies a stored record's events as they are, with no decision and no signature (loading
    a program). :meth:`replay` decides a stored record again and checks it gives the same
    events: the audit. ``keep_records=False`` (the repository, whose store holds the records)
    keeps only what later commands and proofs need: the state, each record's leaf and chain
    head (32 bytes each); what its orders' records say is read through ``source`` (the
    store's records by log sequence, :meth:`attach`)."""

    def __init__(
        self,
        log_id: str,
        signer: Signer,
        records: list[JournalRecord] | None = None,
        *,
        keep_records: bool = True,
        origin: str | None = None,
        merge_delay: timedelta = DEFAULT_MERGE_DELAY,
    ):
        self.runner = ProgramRunner(keep_events=keep_records)
        self.log = AppendOnlyLog(log_id)
        #: the log's name in its checkpoints and receipts (default: under DEFAULT_ORIGIN_PREFIX)
        self.origin = origin or log_origin(DEFAULT_ORIGIN_PREFIX, log_id)
        self.merge_delay = merge_delay
        self.signer = signer
        self._records: list[JournalRecord] | None = [] if keep_records else None
        self.history = ProgramHistory()
        for record in records or ():
            self.replay(record)

    def attach(self, source: Callable[[int, int], list[JournalRecord]]) -> None:
        """Read the records the journal does not keep through ``source`` (the records from
        log sequence ``start`` up to ``stop``): the order book's reads (views, the reveal,
        id checks, receipts) and the log's leaves (proofs, earlier roots)."""

        def events(sequence: int) -> list[Event]:
            (record,) = source(sequence, sequence + 1)
            return parse_events_record(record.events)

        def leaves(start: int, stop: int) -> list[bytes]:
            return [leaf_hash(leaf_entry(r.command, r.events)) for r in source(start, stop)]

        self.state.orders.attach(events)
        self.log.attach(leaves)

    @property
    def receipt_sequence(self) -> Mapping[str, int]:
        """Order (close order, agent) id -> log sequence of its record, for re-issuing."""
        return ReceiptSequences(self.state.orders)

    def freeze(self) -> tuple[object, ...]:
        """What a snapshot keeps (never the signer): see :meth:`thaw`."""
        return (self.state, self.log, self.history)

    @classmethod
    def thaw(
        cls,
        log_id: str,
        signer: Signer,
        parts: tuple[object, ...],
        *,
        origin: str | None = None,
        merge_delay: timedelta = DEFAULT_MERGE_DELAY,
    ) -> ProgramJournal:
        """A journal (keeping no records) from what :meth:`freeze` gave."""
        state, log, history = parts
        if not (
            isinstance(state, ProgramState)
            and isinstance(log, AppendOnlyLog)
            and log.log_id == log_id
            and isinstance(history, ProgramHistory)
            and state.orders.position == log.size - 1
        ):
            raise InvariantViolation("bad_snapshot", "a snapshot is not a program journal")
        if not _complete(state, history, *state.markets.values()):
            # pickled before a field was added (same version number): fold the events instead
            raise InvariantViolation("bad_snapshot", "a snapshot of an older program state")
        journal = cls(
            log_id, signer, keep_records=False, origin=origin,
            merge_delay=merge_delay,
        )  # fmt: skip
        journal.runner.state, journal.log, journal.history = state, log, history
        return journal

    @property
    def state(self) -> ProgramState:
        return self.runner.state

    @property
    def size(self) -> int:
        """How many records (accepted commands) the journal holds."""
        return self.log.size

    @property
    def records(self) -> list[JournalRecord]:
        """Every record, oldest first (only a journal that keeps them; the repository's are
        read from its store)."""
        if self._records is None:
            raise InvariantViolation("records_not_kept", "this journal's records are in the store")
        return self._records

    def fold(self, record: JournalRecord) -> None:
        """Apply a stored record as it is: fold its events, append its leaf.
        InvariantViolation (naming the record) if it is malformed or does not fold; after
        that the journal is unusable."""
        index = self.size
        try:
            events = parse_events_record(record.events)
            self.runner.apply(events)
        except (MarketcraftError, ValueError, TypeError, KeyError) as exc:
            raise InvariantViolation(
                "fold_failed", f"record {index} does not fold ({type(exc).__name__}: {exc})"
            ) from exc
        self._append(record, events)

    def _append(self, record: JournalRecord, events: list[Event]) -> bytes:
        """Append ``record``; its leaf hash."""
        leaf = leaf_hash(leaf_entry(record.command, record.events))
        self.log.append_leaf(leaf)
        if self._records is not None:
            self._records.append(record)
        self.history.add_all(self.state, events)
        return leaf

    def replay(self, record: JournalRecord) -> None:
        """Decide a stored record's command again and append it; InvariantViolation (naming
        the record) if it is malformed, refused now, or gives other events than were stored.
        After that the journal is unusable."""
        index = self.size
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

    def signed_checkpoint(self, now: datetime) -> SignedCheckpoint:
        """A checkpoint of the whole log as of ``now``, signed, named by the log's origin."""
        return self.log.signed_checkpoint(now, self.signer, origin=self.origin)

    def check_checkpoints(self, checkpoints: list[SignedCheckpoint]) -> None:
        """Every published checkpoint describes this log (its origin, and its root at its size);
        InvariantViolation if one does not (a stored record was changed, or records are
        missing)."""
        for signed in checkpoints:
            cp = signed.checkpoint
            if (
                (signed.note and cp.origin != self.origin)  # a legacy one has no name of its own
                or cp.tree_size > self.log.size
                or cp.root_hash != self.log.root(cp.tree_size)
            ):
                raise InvariantViolation(
                    "checkpoint_mismatch",
                    f"the checkpoint at size {cp.tree_size} does not describe the stored records",
                )

    def handle(self, command: Command, ctx: Context, *, sign: bool = True) -> Handled:
        """Decide, apply and log ``command``; if it placed an order, its receipt, signed
        unless ``sign`` is False (then :meth:`sign_receipts` signs a batch of them at once)."""
        events = self.runner.handle(command, ctx)
        data, at = to_plain(command), to_plain(ctx.now)
        plains = [to_plain(e) for e in events]  # each event encoded once, for record and seal
        record = JournalRecord(
            _command_record(command.type_name, data, ctx.actor, at), _events_record(events, plains)
        )
        sealed = sealed_result(command, events, plains)
        leaf = self._append(record, events)
        receipt = None
        if sealed is not None:
            digest = order_digest(command.type_name, data, ctx.actor, at)
            receipt = self._promise(ctx, leaf, digest, *sealed)
            if sign:
                (receipt,) = sign_promises(self.signer, [receipt])
        return Handled(events, record, receipt)

    def sign_receipts(self, handled: list[Handled]) -> list[Handled]:
        """``handled`` (from :meth:`handle` with ``sign=False``) with their receipts signed
        together: one signature per batch (see
        :func:`~marketcraft.opportunity.receipts.sign_promises`)."""
        promises = [h.receipt for h in handled if h.receipt is not None]
        signed = iter(sign_promises(self.signer, promises))
        return [
            h if h.receipt is None else Handled(h.events, h.record, next(signed)) for h in handled
        ]

    def _promise(
        self, ctx: Context, leaf: bytes, digest: bytes, order_id: str, commitment: bytes
    ) -> Receipt:
        return promise(
            self.signer,
            origin=self.origin,
            order_id=order_id,
            ctx=ctx,
            order_digest=digest,
            leaf_hash=leaf,
            commitment=commitment,
            merge_delay=self.merge_delay,
        )

    def receipt_for(self, order_id: str, record: JournalRecord) -> Receipt:
        """The receipt of the order logged as ``record``, re-issued: the same promise as the
        first (every field comes from the record), signed in a batch of its own."""
        command, ctx = parse_command_record(record.command)
        sealed = sealed_result(command, parse_events_record(record.events))
        if sealed is None or sealed[0] != order_id:
            raise InvariantViolation("bad_record", f"the record given is not order {order_id}")
        leaf = leaf_hash(leaf_entry(record.command, record.events))
        (receipt,) = sign_promises(
            self.signer, [self._promise(ctx, leaf, order_hash(command, ctx), *sealed)]
        )
        return receipt

    def inclusion(self, order_id: str, checkpoint: SignedCheckpoint) -> Inclusion | None:
        """The proof that ``order_id``'s entry is in the log ``checkpoint`` describes; None if
        the checkpoint does not cover it (or there is no such order)."""
        index = self.state.orders.sequence_of(order_id)
        size = checkpoint.checkpoint.tree_size
        if index is None or not index < size <= self.log.size:
            return None
        return Inclusion(index, tuple(self.log.inclusion_proof(index, size)), checkpoint)


_SEALED_ID = {
    PlaceOrder.type_name: "order_id",
    PlaceCloseOrder.type_name: "order_id",
    RegisterAgent.type_name: "agent_id",
}


def sealed_id(command_bytes: bytes, events: list[Event]) -> str | None:
    """The id a stored record placed (an order, close order or agent: what
    :func:`sealed_result` names), else None; read from the record's JSON without decoding the
    command (the fast path of a load)."""
    message = json.loads(command_bytes)["command"]
    field_name = _SEALED_ID.get(message["type"])
    if field_name is None:
        return None
    if message["type"] == PlaceOrder.type_name and not any(
        isinstance(e, OrderExecuted) for e in events
    ):
        return None
    return str(message["data"][field_name])


def sealed_result(
    command: Command, events: list[Event], plains: list[Any] | None = None
) -> tuple[str, bytes] | None:
    """(order id, commitment) for a command that places an order of any kind, else None.
    ``plains``: the events' plain forms, if the caller has them."""
    if isinstance(command, PlaceOrder):
        for i, event in enumerate(events):
            if isinstance(event, OrderExecuted):
                plain = to_plain(event) if plains is None else plains[i]
                return command.order_id, fill_commitment_of(plain, event.salt)
        return None
    if isinstance(command, PlaceCloseOrder):
        return command.order_id, placement_commitment(events, command.order_id, command.salt)
    if isinstance(command, RegisterAgent):
        return command.agent_id, placement_commitment(events, command.agent_id, command.salt)
    return None
