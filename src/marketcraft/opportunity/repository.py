"""Programs in the event store: each program's journal records in its own stream, appended with
optimistic concurrency, so several service processes can share one database.

A command is decided against the latest state; if another process appended first, the append
conflicts, the cached journal is dropped, and the command is decided again on the fresh state.

Corrupt state stops the program (fail fast): a stored journal that does not replay or disagrees
with a published checkpoint, or a command that was decided but does not fold, raises
:class:`InvariantViolation` once, is logged, and quarantines the program. From then on commands
are refused (:class:`Quarantined`) until an operator releases it; reads still work while the
stored state can be built.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from marketcraft.kernel.errors import (
    ConcurrencyConflict,
    InvariantViolation,
    MarketcraftError,
    NotFound,
    Quarantined,
)
from marketcraft.kernel.log import SignedCheckpoint
from marketcraft.kernel.messages import Command, canonical_json, from_plain, to_plain
from marketcraft.kernel.signing import Signer
from marketcraft.opportunity.commands import Context, OpenProgram
from marketcraft.opportunity.journal import Handled, JournalRecord, ProgramJournal
from marketcraft.store.quarantine import OPPORTUNITY, InMemoryQuarantineStore, QuarantineStore
from marketcraft.store.records import EventStore, NewEvent, StoredEvent

__all__ = ["QUARANTINE_KIND", "ProgramRepository"]

#: programs' entries in the quarantine store
QUARANTINE_KIND = OPPORTUNITY
_log = logging.getLogger(__name__)

RECORD_TYPE = "opportunity.record"
CHECKPOINT_TYPE = "opportunity.checkpoint"
MAX_RETRIES = 20


def _stream(program_id: str) -> str:
    return f"opportunity/{program_id}"


INDEX_STREAM = "opportunity/programs"
INDEX_TYPE = "opportunity.program_listed"


def _checkpoint_stream(program_id: str) -> str:
    return f"opportunity/{program_id}/checkpoints"


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
    """One command waiting for a group commit, and what became of it."""

    program_id: str
    command: Command
    ctx: Context
    handled: Handled | None = None
    error: BaseException | None = None
    done: bool = False


def _quarantined(program_id: str) -> Quarantined:
    return Quarantined(
        "program_quarantined",
        f"program {program_id} is stopped after a failed integrity check; an operator must "
        "release it",
    )


class ProgramRepository:
    def __init__(
        self, events: EventStore, signer: Signer, quarantine: QuarantineStore | None = None
    ) -> None:
        self.events = events
        self.signer = signer
        #: kept in the database by the service (it outlives restarts); in memory by default
        self.quarantine: QuarantineStore = quarantine or InMemoryQuarantineStore()
        self._cache: dict[str, ProgramJournal] = {}
        self._lock = threading.Lock()
        self._turn = threading.Condition(threading.Lock())
        self._waiting: list[_Slot] = []
        self._leading = False

    def _load(self, program_id: str) -> ProgramJournal:
        """The program replayed from the store; InvariantViolation if it does not replay or a
        published checkpoint does not describe it."""
        # checkpoints first: one published meanwhile by another process cannot then name
        # records this read has not seen
        checkpoints = self.checkpoints(program_id)
        records = [_record(item) for item in self.events.read_stream(_stream(program_id))]
        journal = ProgramJournal(program_id, self.signer, records)
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
            if not journal.records:
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
            if journal.records:
                self._cache[program_id] = journal
        else:
            self._catch_up(program_id, journal)
        return journal

    def _catch_up(self, program_id: str, journal: ProgramJournal) -> None:
        newer = self.events.read_stream(_stream(program_id), from_version=len(journal.records) + 1)
        for item in newer:
            try:
                journal.replay(_record(item))
            except InvariantViolation:
                self._cache.pop(program_id, None)
                raise

    def _stop(self, program_id: str, exc: InvariantViolation) -> None:
        """Fail fast: forget the cached state and quarantine the program, logging why."""
        self._cache.pop(program_id, None)
        if self.quarantined(program_id):
            return
        self.quarantine.add(QUARANTINE_KIND, program_id, f"{exc.code}: {exc.reason}")
        _log.error(
            "program %s quarantined: invariant %s violated: %s", program_id, exc.code, exc.reason
        )

    def handle(self, program_id: str, command: Command, ctx: Context) -> Handled:
        """Decide, log and durably store ``command``; retried on concurrent appends.

        Group commit: commands that arrive while another thread is committing wait, and the
        next thread to lead decides them all, in arrival order, and stores each program's
        records in ONE transaction (one fsync), before any of them is answered."""
        (result,) = self.handle_many([(program_id, command, ctx)])
        if isinstance(result, BaseException):
            raise result
        return result

    def handle_many(
        self, requests: list[tuple[str, Command, Context]]
    ) -> list[Handled | BaseException]:
        """:meth:`handle` for several commands at once, in order, committed together; each
        one's outcome (its Handled, or the error that refused or failed it) in its place."""
        slots = [_Slot(program_id, command, ctx) for program_id, command, ctx in requests]
        with self._turn:
            self._waiting.extend(slots)
            while not all(slot.done for slot in slots):
                if self._leading:
                    self._turn.wait()
                    continue
                self._leading = True
                batch, self._waiting = self._waiting, []
                self._turn.release()
                try:
                    self._commit(batch)
                finally:
                    self._turn.acquire()
                    self._leading = False
                    for item in batch:
                        item.done = True
                    self._turn.notify_all()
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
        with self._lock:
            # asked each time: an operator's release (another process) takes effect at once
            if self.quarantined(program_id):
                raise _quarantined(program_id)
            for _ in range(MAX_RETRIES):
                for slot in slots:
                    slot.handled = slot.error = None
                try:
                    journal, expected, records = self._decide_all(program_id, slots)
                except InvariantViolation as exc:
                    self._stop(program_id, exc)
                    raise
                if not records:  # all refused: the state is as it was
                    if journal.records:
                        self._cache[program_id] = journal
                    return
                try:
                    self.events.append(_stream(program_id), expected, records)
                except ConcurrencyConflict:
                    self._cache.pop(program_id, None)
                    continue
                except BaseException:
                    # Not stored, but already applied in memory: the cached journal is ahead
                    # of the store, so drop it (the next command reloads what was stored).
                    self._cache.pop(program_id, None)
                    raise
                self._cache[program_id] = journal
                for slot in slots:
                    if slot.handled is not None and isinstance(slot.command, OpenProgram):
                        self._index(program_id)
                return
        raise ConcurrencyConflict("conflict", "the program is too busy; retry")

    def _decide_all(
        self, program_id: str, slots: list[_Slot]
    ) -> tuple[ProgramJournal, int, list[NewEvent]]:
        """Decide ``slots`` in order on the cached (caught-up) journal; the records to store.
        InvariantViolation (nothing to store) if the stored state does not replay, or a
        command breaks an invariant or was decided but does not fold."""
        journal = self._current(program_id)
        expected = len(journal.records)
        records = []
        for slot in slots:
            if not journal.records and not isinstance(slot.command, OpenProgram):
                slot.error = NotFound("no_program", "no such program")
                continue
            try:
                handled = journal.handle(slot.command, slot.ctx)
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
        return journal, expected, records

    def _index(self, program_id: str) -> None:
        for _ in range(MAX_RETRIES):
            version = self.events.stream_version(INDEX_STREAM)
            try:
                self.events.append(
                    INDEX_STREAM, version, [NewEvent(INDEX_TYPE, program_id.encode())]
                )
                return
            except ConcurrencyConflict:
                continue
        raise ConcurrencyConflict("conflict", "the program index is too busy; retry")

    def program_ids(self) -> list[str]:
        """Every program, in the order they were opened."""
        return [e.data.decode() for e in self.events.read_stream(INDEX_STREAM)]

    def publish_checkpoint(self, program_id: str, now: datetime) -> SignedCheckpoint:
        journal = self.journal(program_id)
        signed = journal.log.signed_checkpoint(now, self.signer)
        stream = _checkpoint_stream(program_id)
        version = self.events.stream_version(stream)
        self.events.append(
            stream, version, [NewEvent(CHECKPOINT_TYPE, canonical_json(to_plain(signed)))]
        )
        return signed

    def checkpoints(self, program_id: str) -> list[SignedCheckpoint]:
        """The program's published checkpoints; InvariantViolation if one is unreadable."""
        try:
            return [
                from_plain(SignedCheckpoint, json.loads(e.data))
                for e in self.events.read_stream(_checkpoint_stream(program_id))
            ]
        except (MarketcraftError, ValueError, TypeError):
            raise InvariantViolation(
                "bad_checkpoint", "a stored checkpoint is unreadable"
            ) from None
