"""Programs in the event store: each program's journal records in its own stream, appended with
optimistic concurrency, so several service processes can share one database.

A command is decided against the latest state; if another process appended first, the append
conflicts, the cached journal is dropped, and the command is decided again on the fresh state.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime

from marketcraft.kernel.errors import ConcurrencyConflict, NotFound
from marketcraft.kernel.log import SignedCheckpoint
from marketcraft.kernel.messages import Command, canonical_json, from_plain, to_plain
from marketcraft.kernel.signing import Signer
from marketcraft.opportunity.commands import Context, OpenProgram
from marketcraft.opportunity.journal import Handled, JournalRecord, ProgramJournal
from marketcraft.store.records import EventStore, NewEvent

__all__ = ["ProgramRepository"]

RECORD_TYPE = "opportunity.record"
CHECKPOINT_TYPE = "opportunity.checkpoint"
MAX_RETRIES = 20


def _stream(program_id: str) -> str:
    return f"opportunity/{program_id}"


def _checkpoint_stream(program_id: str) -> str:
    return f"opportunity/{program_id}/checkpoints"


class ProgramRepository:
    def __init__(self, events: EventStore, signer: Signer) -> None:
        self.events = events
        self.signer = signer
        self._cache: dict[str, ProgramJournal] = {}
        self._lock = threading.Lock()

    def _load(self, program_id: str) -> ProgramJournal:
        stored = self.events.read_stream(_stream(program_id))
        records = []
        for item in stored:
            plain = json.loads(item.data)
            records.append(JournalRecord(plain["command"].encode(), plain["events"].encode()))
        return ProgramJournal(program_id, self.signer, records)

    def journal(self, program_id: str) -> ProgramJournal:
        """The program's journal, folded from the store (cached in this process)."""
        with self._lock:
            journal = self._cache.get(program_id)
            if journal is None:
                journal = self._load(program_id)
                if not journal.records:
                    raise NotFound("no_program", "no such program")
                self._cache[program_id] = journal
            return journal

    def handle(self, program_id: str, command: Command, ctx: Context) -> Handled:
        """Decide, log and durably store ``command``; retried on concurrent appends."""
        with self._lock:
            for _ in range(MAX_RETRIES):
                journal = self._cache.get(program_id)
                if journal is None:
                    journal = self._load(program_id)
                    if not journal.records and not isinstance(command, OpenProgram):
                        raise NotFound("no_program", "no such program")
                expected = len(journal.records)
                try:
                    handled = journal.handle(command, ctx)
                except Exception:
                    if journal.runner.broken:  # refusals leave the state as it was; bugs do not
                        self._cache.pop(program_id, None)
                    raise
                record = handled.record
                data = canonical_json(
                    {"command": record.command.decode(), "events": record.events.decode()}
                )
                try:
                    self.events.append(_stream(program_id), expected, [NewEvent(RECORD_TYPE, data)])
                except ConcurrencyConflict:
                    self._cache.pop(program_id, None)
                    continue
                self._cache[program_id] = journal
                return handled
        raise ConcurrencyConflict("conflict", "the program is too busy; retry")

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
        return [
            from_plain(SignedCheckpoint, json.loads(e.data))
            for e in self.events.read_stream(_checkpoint_stream(program_id))
        ]
