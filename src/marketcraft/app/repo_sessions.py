"""Sealed repo-trade sessions in the event store: one stream per session, events as JSON.

A session names its grid, its commit deadline, its two dealers and the proof setup. Before the
deadline each dealer posts a commitment; from the deadline on each submits its opening sealed
to the contract's key, checked against its commitment in memory and stored still sealed. Settling
opens both in memory, selects, proves and publishes the settlement (commitments, outcome,
proof). A dealer reads only its own rate and the volume; the auditor reads the settlement."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from marketcraft.kernel.errors import ConcurrencyConflict, NotFound, ValidationError
from marketcraft.repo.ceremony import Setup, load_setup, setup_for
from marketcraft.repo.schedule import Side, check_grid
from marketcraft.repo.sealing import ContractKey, open_box
from marketcraft.repo.settlement import settle
from marketcraft.store.records import EventStore, NewEvent

__all__ = ["RepoSessions", "Session"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
INDEX_STREAM = "repo/sessions"


def _stream(name: str) -> str:
    return f"repo/session/{name}"


@dataclass
class Session:
    name: str = ""
    volumes: tuple[int, ...] = ()
    deadline: datetime | None = None
    dealers: dict[Side, str] = field(default_factory=dict)
    setup_id: str = ""
    commitments: dict[Side, int] = field(default_factory=dict)
    sealed: dict[Side, bytes] = field(default_factory=dict)
    settlement: dict[str, Any] | None = None
    version: int = 0

    def side_of(self, user: str) -> Side | None:
        return next((side for side, who in self.dealers.items() if who == user), None)

    @property
    def phase(self) -> str:
        if self.settlement is not None:
            return "settled"
        return "opening" if len(self.commitments) == 2 else "committing"

    def apply(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "repo.opened":
            self.name = data["name"]
            self.volumes = tuple(data["volumes"])
            self.deadline = datetime.fromisoformat(data["deadline"])
            self.dealers = {Side(s): u for s, u in data["dealers"].items()}
            self.setup_id = data["setup"]
        elif kind == "repo.committed":
            self.commitments[Side(data["side"])] = int(data["commitment"])
        elif kind == "repo.sealed":
            self.sealed[Side(data["side"])] = bytes.fromhex(data["box"])
        elif kind == "repo.settled":
            self.settlement = data


class RepoSessions:
    def __init__(
        self, events: EventStore, key: ContractKey | Path, cache: Path | None = None
    ) -> None:
        """``key``: the contract's key, or the file it lives in (made on first use)."""
        self.events = events
        self._key = key
        self.cache = cache
        self._lock = threading.Lock()

    @property
    def key(self) -> ContractKey:
        if isinstance(self._key, Path):
            self._key = ContractKey.load_or_create(self._key)
        return self._key

    # -- reads
    def names(self) -> list[str]:
        return [e.data.decode() for e in self.events.read_stream(INDEX_STREAM)]

    def get(self, name: str) -> Session:
        session = Session()
        for stored in self.events.read_stream(_stream(name)):
            session.apply(stored.type, json.loads(stored.data))
            session.version = stored.version
        if not session.version:
            raise NotFound("no_session", "no such repo session")
        return session

    def setup(self, session: Session) -> Setup:
        return load_setup(session.setup_id, self.cache)

    # -- commands
    def open(
        self,
        name: str,
        *,
        volumes: list[int],
        deadline: datetime,
        mm: str,
        rm: str,
        setup_id: str | None,
        now: datetime,
    ) -> Session:
        if not _NAME.match(name):
            raise ValidationError("bad_name", "a name is 1-40 lowercase letters, digits or -")
        if mm == rm:
            raise ValidationError("bad_dealers", "the two dealers must be different users")
        if deadline <= now:
            raise ValidationError("bad_deadline", "the commit deadline must be in the future")
        if len(volumes) < 2:
            raise ValidationError("bad_grid", "the grid needs at least two volumes")
        check_grid(volumes, "the grid", "bad_grid")
        setup = setup_for(len(volumes), setup_id, self.cache)
        data = {
            "name": name,
            "volumes": volumes,
            "deadline": deadline.isoformat(),
            "dealers": {"mm": mm, "rm": rm},
            "setup": setup.id,
        }
        with self._lock:
            if self.events.stream_version(_stream(name)):
                raise ValidationError("already_open", f"session {name!r} already exists")
            self._append(name, 0, "repo.opened", data)
            index = self.events.stream_version(INDEX_STREAM)
            self.events.append(INDEX_STREAM, index, [NewEvent("repo.listed", name.encode())])
        return self.get(name)

    def commit(self, name: str, user: str, commitment: int, now: datetime) -> Session:
        with self._lock:
            session, side = self.as_dealer(name, user)
            assert session.deadline is not None
            if now >= session.deadline:
                raise ValidationError("too_late", "the commit deadline has passed")
            if side in session.commitments:
                raise ValidationError("already_committed", "you have already committed")
            self._append(name, session.version, "repo.committed",
                         {"side": side.value, "commitment": str(commitment)})  # fmt: skip
        return self.get(name)

    def submit(self, name: str, user: str, box: bytes, now: datetime) -> Session:
        """Accept a sealed opening: after the deadline, from a dealer that committed, and only
        if it opens to a report on the session's grid matching that dealer's commitment."""
        with self._lock:
            session, side = self.as_dealer(name, user)
            assert session.deadline is not None
            if now < session.deadline:
                raise ValidationError(
                    "too_early", "openings are accepted from the commit deadline on"
                )
            if side not in session.commitments:
                raise ValidationError("not_committed", "you did not commit before the deadline")
            if side in session.sealed:
                raise ValidationError("already_submitted", "you have already submitted")
            opening = open_box(box, self.key, side)
            if opening.report.volumes != session.volumes:
                raise ValidationError("bad_opening", "the opening is not on the session's grid")
            if opening.commitment != session.commitments[side]:
                raise ValidationError("bad_opening", "the opening does not match your commitment")
            self._append(name, session.version, "repo.sealed",
                         {"side": side.value, "box": box.hex()})  # fmt: skip
        return self.get(name)

    def settle(self, name: str) -> Session:
        """Open both sealed openings in memory, select, prove and publish."""
        with self._lock:
            session = self.get(name)
            if session.settlement is not None:
                raise ValidationError("already_settled", "the session is settled")
            if len(session.sealed) != 2:
                raise ValidationError("incomplete", "both dealers' openings are needed first")
            mm = open_box(session.sealed[Side.MM], self.key, Side.MM)
            rm = open_box(session.sealed[Side.RM], self.key, Side.RM)
            result = settle(self.setup(session), mm, rm)
            self._append(name, session.version, "repo.settled", result.to_plain())
        return self.get(name)

    # -- helpers
    def as_dealer(self, name: str, user: str) -> tuple[Session, Side]:
        """The session and the user's side in it; NotFound, as for a missing session, when
        the user is not one of its dealers."""
        session = self.get(name)
        side = session.side_of(user)
        if side is None:  # the same answer as for a session that does not exist
            raise NotFound("no_session", "no such repo session")
        return session, side

    def _append(self, name: str, version: int, kind: str, data: dict[str, Any]) -> None:
        try:
            self.events.append(_stream(name), version, [NewEvent(kind, json.dumps(data).encode())])
        except ConcurrencyConflict:
            raise ConcurrencyConflict("busy", "the session changed meanwhile; try again") from None
