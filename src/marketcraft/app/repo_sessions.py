"""Sealed repo-trade sessions in the event store: one stream per session, kept by the app
layer's repository (:mod:`marketcraft.app.aggregates`) as kernel-encoded events
(:mod:`marketcraft.repo.session`).

The operator opens a session on a setup; each dealer downloads the setup's circuit key, adds
its contribution on its own machine and uploads it (the MM's dealer first), and the upload is
verified before the session takes it; its dealers commit, then submit sealed openings. Settling
opens
both in memory, selects and proves (outside the repository's lock: proving takes seconds),
then records the settlement, which the contract decides again on the session as it is then.
A dealer reads only its own rate and the volume; the auditor reads the settlement.

Sessions stored before their events were kernel-encoded hold JSON objects (``repo.opened``,
``repo.committed``, ``repo.sealed``, ``repo.settled``): they are read as the events they
describe, and the next events of such a session are written in the kernel's encoding."""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from marketcraft.app.aggregates import (
    NO_PROJECTION,
    AggregateType,
    NameIndex,
    Repository,
    read_event,
)
from marketcraft.kernel.errors import (
    ConcurrencyConflict,
    InvariantViolation,
    NotFound,
    ValidationError,
)
from marketcraft.kernel.messages import Command, Context, Event
from marketcraft.repo.schedule import Side, check_grid
from marketcraft.repo.sealing import ContractKey, open_box
from marketcraft.repo.session import (
    AddContribution,
    CommitmentPosted,
    OpeningSealed,
    OpenSession,
    PostCommitment,
    RecordSettlement,
    Session,
    SessionSettled,
    SubmitOpening,
    check_contributor,
    check_settleable,
    decide,
    evolve,
    session_opened,
)
from marketcraft.repo.settlement import settle
from marketcraft.repo.zk.ceremony import Setup, accept_contribution, load_setup, setup_for
from marketcraft.repo.zk.transcript import Contribution
from marketcraft.store.records import EventStore, StoredEvent

__all__ = ["RepoSessions", "Session", "read_session_event"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
INDEX_STREAM = "repo/sessions"
INDEX_TYPE = "repo.listed"
#: the operator who settles (the settle route is the admin's; the name is not recorded)
_OPERATOR = "operator"


def _stream(name: str) -> str:
    return f"repo/session/{name}"


# -- the events of sessions stored as JSON objects ------------------------------------------------
def _opened(data: dict[str, Any]) -> Event:
    return session_opened(
        data["name"], tuple(data["volumes"]), datetime.fromisoformat(data["deadline"]),
        mm=data["dealers"]["mm"], rm=data["dealers"]["rm"], setup=data["setup"],
    )  # fmt: skip


def _committed(data: dict[str, Any]) -> Event:
    return CommitmentPosted(Side(data["side"]), int(data["commitment"]))


def _sealed(data: dict[str, Any]) -> Event:
    return OpeningSealed(Side(data["side"]), bytes.fromhex(data["box"]))


def _bp(value: Any) -> Decimal:
    # exact decimal text; before that, float(exact basis points), whose shortest text is
    # what was published
    return Decimal(value) if isinstance(value, str) else Decimal(repr(value))


def _settled(data: dict[str, Any]) -> Event:
    shown = data["outcome"]
    return SessionSettled(
        setup=data["setup"], grid=tuple(data["grid"]),
        commit_mm=int(data["commitments"]["mm"]), commit_rm=int(data["commitments"]["rm"]),
        trade=shown["trade"], volume=shown["volume"], rate_mm=_bp(shown["rate_mm"]),
        rate_rm=_bp(shown["rate_rm"]), rate_bd=_bp(shown["rate_bd"]),
        joint_profit=_bp(shown["joint_profit"]), profit_each=_bp(shown["profit_each"]),
        proof=tuple(data["proof"].items()), public=tuple(data["public"]),
    )  # fmt: skip


_JSON_EVENTS = {
    "repo.opened": _opened,
    "repo.committed": _committed,
    "repo.sealed": _sealed,
    "repo.settled": _settled,
}


def read_session_event(stored: StoredEvent) -> Event:
    """A stored session event, kernel-encoded or a JSON object as sessions were first stored;
    InvariantViolation (``bad_event``) if it is neither."""
    parse = _JSON_EVENTS.get(stored.type)
    if parse is None:
        return read_event(stored)
    try:
        return parse(json.loads(stored.data))
    except (ValueError, KeyError, TypeError, AttributeError, ArithmeticError) as exc:
        raise InvariantViolation(
            "bad_event", f"stored event {stored.version} is not a {stored.type} event: {exc}"
        ) from None


def _missing(_name: str) -> NotFound:
    return NotFound("no_session", "no such repo session")


def _exists(name: str) -> ValidationError:
    return ValidationError("already_open", f"session {name!r} already exists")


def _busy(_name: str) -> ConcurrencyConflict:
    return ConcurrencyConflict("busy", "the session changed meanwhile; try again")


class RepoSessions:
    def __init__(
        self,
        events: EventStore,
        key: ContractKey | Path,
        cache: Path | None = None,
        *,
        demo: bool = False,
    ) -> None:
        """``key``: the contract's key, or the file it lives in (made on first use); ``demo``:
        whether the demo's setup may be used."""
        self.events = events
        self._key = key
        self.cache = cache
        self.demo = demo
        kind: AggregateType[Session] = AggregateType(
            noun="repo session", stream=_stream, initial=Session, decide=self._decide,
            evolve=evolve, missing=_missing, exists=_exists, busy=_busy,
            read=read_session_event,
        )  # fmt: skip
        index = NameIndex(events, INDEX_STREAM, INDEX_TYPE, "repo session")
        self._sessions = Repository(events, kind, NO_PROJECTION, index=index)

    @property
    def key(self) -> ContractKey:
        if isinstance(self._key, Path):
            self._key = ContractKey.load_or_create(self._key)
        return self._key

    def _decide(self, session: Session, command: Command, ctx: Context) -> list[Event]:
        return decide(session, command, ctx, self.key)

    # -- reads
    def names(self) -> list[str]:
        return self._sessions.names()

    def get(self, name: str) -> Session:
        return self._sessions.read(name, _state)

    def setup(self, session: Session) -> Setup:
        """The session's setup, once its ceremony verifies (a ValidationError otherwise)."""
        setup = load_setup(session.setup_id, self.cache, allow_demo=self.demo)
        setup.ceremony()
        return setup

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
        rate_offset: int = 0,
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
        setup = setup_for(len(volumes), setup_id, self.cache, allow_demo=self.demo)
        opened = session_opened(
            name, tuple(volumes), deadline, mm=mm, rm=rm, setup=setup.id, rate_offset=rate_offset
        )
        self._sessions.create(name, OpenSession(opened), Context(_OPERATOR, now))
        return self.get(name)

    def contribute(
        self, name: str, user: str, zkey: bytes, now: datetime
    ) -> tuple[Session, Contribution]:
        """Take a dealer's contribution to the session's setup: an uploaded circuit key that
        adds exactly one phase-2 contribution, named for the dealer, to the current one,
        verified against the circuit and the phase-1 file before it is recorded."""
        session, side = self.as_dealer(name, user)
        check_contributor(session, side)  # before the minutes of verifying
        current = self.setup(session)
        made, contribution = accept_contribution(current, zkey, user, self.cache)
        command = AddContribution(current.id, made.id, contribution.hash)
        self._sessions.handle(name, command, Context(user, now))
        return self.get(name), contribution

    def commit(self, name: str, user: str, commitment: int, now: datetime) -> Session:
        self._sessions.handle(name, PostCommitment(commitment), Context(user, now))
        return self.get(name)

    def submit(self, name: str, user: str, box: bytes, now: datetime) -> Session:
        """Accept a sealed opening: after the deadline, from a dealer that committed, and only
        if it opens to a report on the session's grid matching that dealer's commitment."""
        self._sessions.handle(name, SubmitOpening(box), Context(user, now))
        return self.get(name)

    def settle(self, name: str, now: datetime) -> Session:
        """Open both sealed openings in memory, select, prove and publish."""
        session = self.get(name)
        check_settleable(session)
        mm = open_box(session.sealed[Side.MM], self.key, Side.MM)
        rm = open_box(session.sealed[Side.RM], self.key, Side.RM)
        result = settle(self.setup(session), mm, rm)
        self._sessions.handle(name, RecordSettlement(result), Context(_OPERATOR, now))
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


def _state(session: Session, _view: None) -> Session:
    return session
