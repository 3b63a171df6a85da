"""Programs in the event store: each program's journal records in its own stream, appended with
optimistic concurrency, so several service processes can share one database.

A command is decided against the latest state; if another process appended first, the append
conflicts, the cached journal is dropped, and the command is decided again on the fresh state.

Loading a program folds its stored records' events (no command is decided again and no receipt
signed again), starting from its signed snapshot when there is one (:meth:`snapshot`): the cost
of a load grows with the records after the snapshot, not with the program's age. Deciding every
stored command again is the audit (:meth:`audit`), not the load. The journal in memory keeps the
state and each record's leaf hash and chain head; the records themselves are read from the store
when asked for (:meth:`records`, :meth:`receipt`).

Corrupt state stops the program (fail fast): a stored journal that does not replay or disagrees
with a published checkpoint, or a command that was decided but does not fold, raises
:class:`InvariantViolation` once, is logged, and quarantines the program. From then on commands
are refused (:class:`Quarantined`) until an operator releases it; reads still work while the
stored state can be built.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from marketcraft.app.aggregates import RETRIES, NameIndex
from marketcraft.app.checkpoints import CheckpointStore
from marketcraft.app.snapshots import open_snapshot, seal_snapshot
from marketcraft.kernel.checkpoints import SignedCheckpoint
from marketcraft.kernel.clock import Clock
from marketcraft.kernel.errors import (
    ConcurrencyConflict,
    InvariantViolation,
    MarketcraftError,
    NotFound,
    Quarantined,
)
from marketcraft.kernel.messages import Command, canonical_json, to_plain
from marketcraft.kernel.signing import Signer
from marketcraft.opportunity.commands import Context, OpenProgram
from marketcraft.opportunity.journal import (
    DEFAULT_MERGE_DELAY,
    DEFAULT_ORIGIN_PREFIX,
    Handled,
    JournalRecord,
    ProgramJournal,
    log_origin,
    parse_command_record,
)
from marketcraft.opportunity.receipts import Inclusion, Receipt, order_plain
from marketcraft.store.quarantine import OPPORTUNITY, InMemoryQuarantineStore, QuarantineStore
from marketcraft.store.records import EventStore, NewEvent, StoredEvent
from marketcraft.store.snapshots import InMemorySnapshotStore, SnapshotStore

__all__ = [
    "QUARANTINE_KIND",
    "ProgramRepository",
    "checkpoint_due",
    "checkpoint_forever",
    "snapshot_due",
    "snapshot_forever",
]

#: programs' entries in the quarantine store
QUARANTINE_KIND = OPPORTUNITY
_log = logging.getLogger(__name__)

RECORD_TYPE = "opportunity.record"


def _stream(program_id: str) -> str:
    return f"opportunity/{program_id}"


INDEX_STREAM = "opportunity/programs"
INDEX_TYPE = "opportunity.program_listed"


def _stored(record: JournalRecord) -> NewEvent:
    """A journal record as the store keeps it; :func:`_record` reads it back."""
    data = canonical_json({"command": record.command.decode(), "events": record.events.decode()})
    return NewEvent(RECORD_TYPE, data)


def _record(item: StoredEvent) -> JournalRecord:
    """A stored journal record; InvariantViolation if its bytes are not one."""
    try:
        plain = json.loads(item.data)
        return JournalRecord(plain["command"].encode(), plain["events"].encode())
    except (ValueError, KeyError, TypeError, AttributeError):
        raise InvariantViolation(
            "bad_record", f"stored record {item.version} is not a journal record"
        ) from None


@dataclass(eq=False)
class _Slot:
    """One command of a batch, and what became of it."""

    program_id: str
    command: Command
    ctx: Context
    handled: Handled | None = None
    error: BaseException | None = None


def _quarantined(program_id: str) -> Quarantined:
    return Quarantined(
        "program_quarantined",
        f"program {program_id} is stopped after a failed integrity check; an operator must "
        "release it",
    )


class ProgramRepository:
    def __init__(
        self,
        events: EventStore,
        signer: Signer,
        quarantine: QuarantineStore | None = None,
        snapshots: SnapshotStore | None = None,
        *,
        origin_prefix: str = DEFAULT_ORIGIN_PREFIX,
        merge_delay: timedelta = DEFAULT_MERGE_DELAY,
    ) -> None:
        self.events = events
        self.signer = signer
        self.origin_prefix = origin_prefix
        self.merge_delay = merge_delay
        self.published = CheckpointStore(events, signer.public_key)
        self._published_at: dict[str, tuple[int, float]] = {}  # id -> (size, monotonic time)
        self._started = time.monotonic()
        #: kept in the database by the service (it outlives restarts); in memory by default
        self.quarantine: QuarantineStore = quarantine or InMemoryQuarantineStore()
        self.snapshots: SnapshotStore = snapshots or InMemorySnapshotStore()
        self._snapshotted: dict[str, int] = {}  # program id -> version of its last snapshot
        self._last_commit: dict[str, float] = {}  # program id -> monotonic time of its last
        self._cache: dict[str, ProgramJournal] = {}
        #: per program, the records of the batch being decided (not stored yet), by sequence:
        #: later commands of the batch read them as if they were (see :meth:`_reader`)
        self._inflight: dict[str, dict[int, JournalRecord]] = {}
        self._index = NameIndex(events, INDEX_STREAM, INDEX_TYPE, "program")
        self._lock = threading.Lock()
        #: batches decided again because another writer appended to their program first
        #: (none while every writer takes the stream's lock; a metric watches it)
        self.conflicts = 0

    def _load(self, program_id: str) -> ProgramJournal:
        """The program folded from the store (from its snapshot on); InvariantViolation if a
        record does not fold or a published checkpoint does not describe it."""
        # checkpoints first: one published meanwhile by another process cannot then name
        # records this read has not seen
        checkpoints = self.checkpoints(program_id)
        journal = self._from_snapshot(program_id)
        if journal is None:
            journal = self._new_journal(program_id)
        stream = self.events.read_stream(_stream(program_id), from_version=journal.size + 1)
        for item in stream:
            journal.fold(_record(item))
        journal.check_checkpoints(checkpoints)
        return journal

    def origin(self, program_id: str) -> str:
        """The origin of the program's log (its checkpoints' first line): the one its first
        checkpoint was published under, so a log keeps its name if ``origin_prefix`` changes;
        for a log with none yet, ``<origin_prefix>/opportunity/<program id>``."""
        return self.published.origin(program_id, log_origin(self.origin_prefix, program_id))

    def _new_journal(self, program_id: str) -> ProgramJournal:
        journal = ProgramJournal(
            program_id, self.signer, keep_records=False, origin=self.origin(program_id),
            merge_delay=self.merge_delay,
        )  # fmt: skip
        journal.attach(self._reader(program_id))
        return journal

    def _reader(self, program_id: str) -> Callable[[int, int], list[JournalRecord]]:
        """The program's records from log sequence ``start`` up to ``stop``: from the batch
        being decided, else from the store (what a journal's order book and log read back);
        InvariantViolation if one is missing."""
        stream = _stream(program_id)

        def read(start: int, stop: int) -> list[JournalRecord]:
            items = self.events.read_stream(stream, from_version=start + 1, limit=stop - start)
            found = [_record(item) for item in items if item.version <= stop]
            pending = self._inflight.get(program_id, {})
            while len(found) < stop - start and start + len(found) in pending:
                found.append(pending[start + len(found)])
            if len(found) != stop - start:
                raise InvariantViolation(
                    "record_missing", f"records {start}..{stop - 1} are not all stored"
                )
            return found

        return read

    def _from_snapshot(self, program_id: str) -> ProgramJournal | None:
        snapshot = self.snapshots.get(_stream(program_id))
        if snapshot is None:
            return None
        parts = open_snapshot(self.signer.public_key, snapshot)
        if parts is None:
            return None
        try:
            journal = ProgramJournal.thaw(
                program_id, self.signer, parts, origin=self.origin(program_id),
                merge_delay=self.merge_delay,
            )  # fmt: skip
        except (InvariantViolation, TypeError, ValueError):
            _log.warning("snapshot of %s ignored: it does not hold a program", program_id)
            return None
        if journal.size != snapshot.version:
            _log.warning("snapshot of %s ignored: it holds another version", program_id)
            return None
        journal.attach(self._reader(program_id))
        self._snapshotted[program_id] = snapshot.version
        return journal

    def snapshot(self, program_id: str) -> int:
        """Store a signed snapshot of the program's folded state (what a later load starts
        from); its version (how many records it covers)."""
        with self._lock:
            journal = self._current(program_id)
            if not journal.size:
                raise NotFound("no_program", "no such program")
            sealed = seal_snapshot(self.signer, _stream(program_id), journal.size, journal.freeze())
        self.snapshots.put(sealed)
        self._snapshotted[program_id] = sealed.version
        return sealed.version

    def snapshots_due(self, every: int, idle_seconds: float = 0.0) -> list[str]:
        """The loaded programs with at least ``every`` records after their last snapshot and
        no command stored here for ``idle_seconds`` (a snapshot holds the program while it is
        written: taken when the program is quiet, it delays nobody)."""
        quiet_since = time.monotonic() - idle_seconds
        with self._lock:
            return [
                program_id
                for program_id, journal in self._cache.items()
                if journal.size - self._snapshotted.get(program_id, 0) >= every
                and self._last_commit.get(program_id, 0.0) <= quiet_since
            ]

    def records(
        self, program_id: str, start: int = 0, stop: int | None = None
    ) -> list[JournalRecord]:
        """The program's stored records ``start`` (0-based) up to ``stop``, oldest first."""
        self.journal(program_id)  # NotFound / Quarantined as for any read
        limit = None if stop is None else max(stop - start, 0)
        items = self.events.read_stream(_stream(program_id), from_version=start + 1, limit=limit)
        return [_record(item) for item in items]

    def receipt(self, program_id: str, order_id: str) -> tuple[Receipt, JournalRecord] | None:
        """The receipt of ``order_id`` re-issued, with the record it covers; None if the
        program placed no such order."""
        journal = self.journal(program_id)
        sequence = journal.receipt_sequence.get(order_id)
        if sequence is None:
            return None
        (record,) = self.records(program_id, sequence, sequence + 1)
        return journal.receipt_for(order_id, record), record

    def receipt_download(self, program_id: str, order_id: str) -> dict[str, Any] | None:
        """What a scout keeps of one order: the signed receipt, the order it covers (as the
        scout sent it; no salt) and, once a checkpoint covers it, the inclusion proof."""
        found = self.receipt(program_id, order_id)
        if found is None:
            return None
        receipt, record = found
        command, _ = parse_command_record(record.command)
        inclusion = self.inclusion(program_id, order_id)
        return {
            "receipt": to_plain(receipt),
            "order": order_plain(command),
            "inclusion": None if inclusion is None else to_plain(inclusion),
        }

    def audit(self, program_id: str) -> ProgramJournal:
        """Decide every stored command again, in order, and check each gives the events that
        were stored and that every published checkpoint describes the log; the re-decided
        journal. InvariantViolation (naming the record) at the first disagreement."""
        checkpoints = self.checkpoints(program_id)
        journal = self._new_journal(program_id)
        for item in self.events.read_stream(_stream(program_id)):
            journal.replay(_record(item))
        if not journal.size:
            raise NotFound("no_program", "no such program")
        journal.check_checkpoints(checkpoints)
        return journal

    def journal(self, program_id: str) -> ProgramJournal:
        """The program's journal, folded from the store, caught up with what other processes
        appended (cached in this process). NotFound if there is no such program; Quarantined
        if its stored state cannot be built (quarantining it, with the cause logged)."""
        with self._lock:
            try:
                journal = self._current(program_id)
            except InvariantViolation as exc:
                self._stop(program_id, exc)
                raise _quarantined(program_id) from exc
            if not journal.size:
                raise NotFound("no_program", "no such program")
            return journal

    def journals(self) -> list[ProgramJournal]:
        """Every program whose state can be built, in the order they were opened (one that
        cannot be is quarantined and left out: it never hides the others)."""
        found = []
        for program_id in self.program_ids():
            try:
                found.append(self.journal(program_id))
            except Quarantined:
                continue
        return found

    def quarantined(self, program_id: str) -> bool:
        return self.quarantine.get(QUARANTINE_KIND, program_id) is not None

    def _current(self, program_id: str) -> ProgramJournal:
        """The cached journal caught up with the store, or loaded (empty for a new program)."""
        journal = self._cache.get(program_id)
        if journal is None:
            journal = self._load(program_id)
            if journal.size:
                self._cache[program_id] = journal
        else:
            self._catch_up(program_id, journal)
        return journal

    def _catch_up(self, program_id: str, journal: ProgramJournal) -> None:
        newer = self.events.read_stream(_stream(program_id), from_version=journal.size + 1)
        for item in newer:
            try:
                journal.fold(_record(item))
            except InvariantViolation:
                self._cache.pop(program_id, None)
                raise

    def _stop(self, program_id: str, exc: InvariantViolation) -> None:
        """Fail fast: forget the cached state and its snapshot and quarantine the program,
        logging why."""
        self._cache.pop(program_id, None)
        self.snapshots.drop(_stream(program_id))
        self._snapshotted.pop(program_id, None)
        if self.quarantined(program_id):
            return
        self.quarantine.add(QUARANTINE_KIND, program_id, f"{exc.code}: {exc.reason}")
        _log.error(
            "program %s quarantined: invariant %s violated: %s", program_id, exc.code, exc.reason
        )

    def handle(self, program_id: str, command: Command, ctx: Context) -> Handled:
        """Decide, log and durably store ``command``; retried on concurrent appends."""
        (result,) = self.handle_many([(program_id, command, ctx)])
        if isinstance(result, BaseException):
            raise result
        return result

    def handle_many(
        self, requests: list[tuple[str, Command, Context]]
    ) -> list[Handled | BaseException]:
        """:meth:`handle` for several commands at once, decided in order and stored with one
        append per program (one transaction, one fsync); each one's outcome (its Handled, or
        the error that refused or failed it) in its place. The group commit
        (:class:`~marketcraft.app.group_commit.Committer`) gathers the commands that arrive
        together and hands them here."""
        slots = [_Slot(program_id, command, ctx) for program_id, command, ctx in requests]
        self._commit(slots)
        outcomes: list[Handled | BaseException] = []
        for slot in slots:
            if slot.error is not None:
                outcomes.append(slot.error)
            else:
                assert slot.handled is not None
                outcomes.append(slot.handled)
        return outcomes

    def _commit(self, batch: list[_Slot]) -> None:
        programs: dict[str, list[_Slot]] = {}
        for slot in batch:
            programs.setdefault(slot.program_id, []).append(slot)
        for program_id, slots in programs.items():
            try:
                self._commit_program(program_id, slots)
            except BaseException as exc:
                # Nothing of this program's batch was stored: every command in it fails alike
                # (a refusal decided after an unstored command would not be the real answer).
                for slot in slots:
                    slot.handled, slot.error = None, exc
                if not isinstance(exc, Exception):
                    raise

    def _commit_program(self, program_id: str, slots: list[_Slot]) -> None:
        # Under the stream's lock, another process sharing the store waits for this one to
        # catch up, decide and append, instead of racing it into a conflict and a reload.
        with self._lock, self.events.stream_lock(_stream(program_id)):
            # asked each time: an operator's release (another process) takes effect at once
            if self.quarantined(program_id):
                raise _quarantined(program_id)
            for _ in range(RETRIES):
                for slot in slots:
                    slot.handled = slot.error = None
                try:
                    journal, expected, records = self._decide_all(program_id, slots)
                except InvariantViolation as exc:
                    self._stop(program_id, exc)
                    raise
                finally:
                    self._inflight.pop(program_id, None)
                if not records:  # all refused: the state is as it was
                    if journal.size:
                        self._cache[program_id] = journal
                    return
                try:
                    self.events.append(_stream(program_id), expected, records)
                except ConcurrencyConflict:
                    self._cache.pop(program_id, None)
                    self.conflicts += 1
                    continue
                except BaseException:
                    # Not stored, but already applied in memory: the cached journal is ahead
                    # of the store, so drop it (the next command reloads what was stored).
                    self._cache.pop(program_id, None)
                    raise
                self._cache[program_id] = journal
                self._last_commit[program_id] = time.monotonic()
                for slot in slots:
                    if slot.handled is not None and isinstance(slot.command, OpenProgram):
                        self._index.add(program_id)
                return
        raise ConcurrencyConflict("conflict", "the program is too busy; retry")

    def _decide_all(
        self, program_id: str, slots: list[_Slot]
    ) -> tuple[ProgramJournal, int, list[NewEvent]]:
        """Decide ``slots`` in order on the cached (caught-up) journal; the records to store.
        InvariantViolation (nothing to store) if the stored state does not replay, or a
        command breaks an invariant or was decided but does not fold."""
        journal = self._current(program_id)
        expected = journal.size
        records = []
        for slot in slots:
            if not journal.size and not isinstance(slot.command, OpenProgram):
                slot.error = NotFound("no_program", "no such program")
                continue
            try:
                handled = journal.handle(slot.command, slot.ctx, sign=False)
            except InvariantViolation:
                raise
            except Exception as exc:
                if journal.runner.broken:  # refusals leave the state as it was; bugs do not
                    raise InvariantViolation(
                        "fold_failed",
                        f"{type(slot.command).__name__} was decided but does not fold: {exc}",
                    ) from exc
                slot.error = exc
                continue
            slot.handled = handled
            records.append(_stored(handled.record))
            self._inflight.setdefault(program_id, {})[journal.size - 1] = handled.record
        # every receipt of the batch under one signature
        decided = [(slot, slot.handled) for slot in slots if slot.handled is not None]
        signed = journal.sign_receipts([handled for _, handled in decided])
        for (slot, _), handled in zip(decided, signed, strict=True):
            slot.handled = handled
        return journal, expected, records

    def program_ids(self) -> list[str]:
        """Every program, in the order they were opened."""
        return self._index.names()

    def publish_checkpoint(self, program_id: str, now: datetime) -> SignedCheckpoint:
        """Sign and store a checkpoint of the program's log as it stands; the latest one if
        it already covers every record. Times never go back (a clock that did is overruled
        by the latest checkpoint's time)."""
        journal = self.journal(program_id)
        origin = journal.origin
        with self._lock:
            latest = self.published.latest(program_id, origin)
            if latest is not None and latest.checkpoint.tree_size >= journal.size:
                return latest
            when = now if latest is None else max(now, latest.checkpoint.timestamp)
            signed = journal.signed_checkpoint(when)
        published = self.published.add(program_id, origin, signed)
        self._published_at[program_id] = (published.checkpoint.tree_size, time.monotonic())
        return published

    def checkpoints(self, program_id: str) -> list[SignedCheckpoint]:
        """The program's published checkpoints, oldest first; InvariantViolation if one is
        unreadable or not signed by the service's key."""
        return self.published.all(program_id, self.origin(program_id))

    def checkpoints_due(self, every: int, seconds: float) -> list[str]:
        """The loaded programs with records no checkpoint covers, and either ``every`` of
        them, or a boundary of the ``seconds`` grid crossed since the last checkpoint published
        here (or since this repository started). On a fixed grid, not ``seconds`` after the
        last one: the first command after a quiet spell waits for the next boundary, so a
        checkpoint's time tells which slot commands came in, never when one came.
        ``seconds <= 0``: every program with uncovered records."""
        now = time.monotonic()
        with self._lock:
            due = []
            for program_id, journal in self._cache.items():
                size, at = self._published_at.get(program_id, (0, self._started))
                crossed = seconds <= 0 or now // seconds > at // seconds
                if journal.size > size and (journal.size - size >= every or crossed):
                    due.append(program_id)
            return due

    def inclusion(self, program_id: str, order_id: str) -> Inclusion | None:
        """The proof that ``order_id``'s entry is in the first published checkpoint that
        covers it; None if no checkpoint covers it yet (or there is no such order)."""
        journal = self.journal(program_id)
        index = journal.receipt_sequence.get(order_id)
        if index is None:
            return None
        covering = self.published.covering(program_id, journal.origin, index)
        if covering is None:
            return None
        with self._lock:
            return journal.inclusion(order_id, covering)

    def consistency(self, program_id: str, first: int, second: int) -> list[bytes]:
        """The consistency proof from the published checkpoint of size ``first`` to the one
        of size ``second``; NotFound unless both are published and ``first <= second``."""
        journal = self.journal(program_id)
        origin = journal.origin
        if not (
            first <= second
            and self.published.at_size(program_id, origin, first) is not None
            and self.published.at_size(program_id, origin, second) is not None
        ):
            raise NotFound("no_checkpoint", "both sizes must be published checkpoints")
        with self._lock:
            return journal.log.consistency_proof(first, second)


def checkpoint_due(
    programs: ProgramRepository, every: int, seconds: float, now: datetime
) -> list[str]:
    """Publish a checkpoint of every program :meth:`ProgramRepository.checkpoints_due` names;
    those published. A program that cannot be checkpointed now is skipped and logged."""
    due = programs.checkpoints_due(every, seconds)
    return _each(due, lambda p: programs.publish_checkpoint(p, now), "checkpointed")


def _each(program_ids: list[str], act: Callable[[str], object], what: str) -> list[str]:
    """``act`` on each program; those it did. One that fails now is skipped and logged."""
    done = []
    for program_id in program_ids:
        try:
            act(program_id)
        except MarketcraftError as exc:
            _log.warning("program %s not %s: %s", program_id, what, exc)
            continue
        done.append(program_id)
    return done


async def checkpoint_forever(
    programs: ProgramRepository, every: int, seconds: float, clock: Clock
) -> None:
    """Publish the checkpoints that are due, checking a few times per ``seconds``."""
    while True:
        await asyncio.sleep(min(1.0, seconds / 4))
        await asyncio.to_thread(checkpoint_due, programs, every, seconds, clock.now())


def snapshot_due(programs: ProgramRepository, every: int, idle_seconds: float) -> list[str]:
    """Snapshot every program :meth:`ProgramRepository.snapshots_due` names; those written.
    A program that cannot be snapshotted now (quarantined, gone) is skipped and logged."""
    return _each(programs.snapshots_due(every, idle_seconds), programs.snapshot, "snapshotted")


async def snapshot_forever(
    programs: ProgramRepository, every: int, idle_seconds: float, check_seconds: float = 1.0
) -> None:
    """Every ``check_seconds``, snapshot the programs that are due (in a worker thread)."""
    while True:
        await asyncio.sleep(check_seconds)
        await asyncio.to_thread(snapshot_due, programs, every, idle_seconds)
