"""The app layer's one event-sourced repository, and its one retry policy.

An aggregate type (:class:`AggregateType`) gives ``decide(state, command, ctx) -> events`` and
``evolve(state, event) -> state``; its aggregates live one per stream, named by
``stream(name)``, as kernel-encoded events (:func:`~marketcraft.store.records.new_event`).
:class:`Repository` loads an aggregate by folding its stream and caches the folded state,
catching it up with what other processes appended before every use. A command is decided on
the cached state and its events appended with the version they were decided on (optimistic
concurrency): when another process appended first, the append conflicts, the state is caught
up and the command decided again, at most :data:`RETRIES` times in all. :class:`NameIndex`
lists the names of a type's aggregates (a stream of its own, appended under the same policy).

Corrupt state fails fast. An event that does not decode or fold, or a folded state that fails
the type's invariant check, raises :class:`InvariantViolation` and drops the cached state.
With a quarantine, the command that found it quarantines the aggregate (logged once, at
ERROR); from then on its commands are refused (:class:`Quarantined`) until an operator
releases it, and a read that cannot build its state answers Quarantined too.

A :class:`Projection` is a read model kept beside each cached state (the peg history): fed as
events are folded, dropped with the state, rebuilt with it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from marketcraft.kernel.errors import (
    ConcurrencyConflict,
    InvariantViolation,
    MarketcraftError,
    Quarantined,
)
from marketcraft.kernel.messages import Command, Context, Event
from marketcraft.store.quarantine import QuarantineStore
from marketcraft.store.records import EventStore, NewEvent, StoredEvent, load, new_event

__all__ = [
    "NO_PROJECTION", "RETRIES", "AggregateType", "NameIndex", "Projection", "Quarantining",
    "Repository", "read_event",
]  # fmt: skip

#: how many times a write that lost a race to another process is tried in all, in every
#: repository of the app layer (appends to an aggregate's stream and to an index alike)
RETRIES = 20

S = TypeVar("S")
V = TypeVar("V")
T = TypeVar("T")


class NameIndex:
    """A stream listing names (programs, peg markets, repo sessions) in the order they were
    added: one event per name, of type ``event_type``, holding the name's UTF-8 bytes."""

    def __init__(self, events: EventStore, stream: str, event_type: str, noun: str) -> None:
        """``noun``: what is listed ("program"), named when the index stays too busy."""
        self.events = events
        self.stream = stream
        self.event_type = event_type
        self.noun = noun

    def names(self) -> list[str]:
        return [e.data.decode() for e in self.events.read_stream(self.stream)]

    def add(self, name: str) -> None:
        """Append ``name``, retried on concurrent appends; ConcurrencyConflict after
        :data:`RETRIES` lost races."""
        for _ in range(RETRIES):
            version = self.events.stream_version(self.stream)
            try:
                self.events.append(self.stream, version, [NewEvent(self.event_type, name.encode())])
                return
            except ConcurrencyConflict:
                continue
        raise ConcurrencyConflict("conflict", f"the {self.noun} index is too busy; retry")


def read_event(stored: StoredEvent) -> Event:
    """A stored kernel-encoded event; InvariantViolation (``bad_event``) if its bytes are not
    one."""
    try:
        event = load(stored)
    except MarketcraftError as exc:
        raise InvariantViolation(
            "bad_event", f"stored event {stored.version} does not decode: {exc.reason}"
        ) from exc
    if not isinstance(event, Event):
        raise InvariantViolation("bad_event", f"stored message {stored.version} is no event")
    return event


def _holds(_state: Any) -> None:
    """The invariant check of a type that has none beyond its evolve."""


@dataclass(frozen=True, slots=True)
class Quarantining:
    """How a type's aggregates are quarantined: their ``kind`` in the quarantine store, and
    the refusal a quarantined one answers (given its name)."""

    kind: str
    refusal: Callable[[str], Quarantined]


@dataclass(frozen=True, slots=True)
class AggregateType(Generic[S]):
    """What the repository needs to know of one kind of aggregate. ``missing``, ``exists``
    and ``busy`` build the errors for a name with no stream, a stream opened twice and a
    command that lost :data:`RETRIES` races; ``check`` raises InvariantViolation for a folded
    state that may not be used; ``read`` turns a stored event into an event (it may read
    older encodings too)."""

    noun: str  # named in the log: "peg market"
    stream: Callable[[str], str]
    initial: Callable[[], S]
    decide: Callable[[S, Command, Context], list[Event]]
    evolve: Callable[[S, Event], S]
    missing: Callable[[str], MarketcraftError]
    exists: Callable[[str], MarketcraftError]
    busy: Callable[[str], MarketcraftError]
    check: Callable[[S], None] = _holds
    read: Callable[[StoredEvent], Event] = read_event
    quarantining: Quarantining | None = None
    log: logging.Logger = logging.getLogger(__name__)  # noqa: RUF009 - one logger, shared


@dataclass(frozen=True, slots=True)
class Projection(Generic[S, V]):
    """A read model kept with each cached state. ``start`` makes an empty one; ``fold(view,
    state, events, ctx)`` takes in ``events``, just folded into ``state``: those of one
    command, with its context, or one stored event, with None. It runs inside the fold, so an
    error in it is the fold's error."""

    start: Callable[[], V]
    fold: Callable[[V, S, Sequence[Event], Context | None], None]


def _no_view(*_: Any) -> None:
    return None


#: the projection of a type that keeps no read model beside its state
NO_PROJECTION: Projection[Any, None] = Projection(_no_view, _no_view)


@dataclass(slots=True)
class _Cached(Generic[S, V]):
    state: S
    version: int
    view: V


class Repository(Generic[S, V]):
    """The aggregates of one type in an event store, cached in this process. Every method
    holds the repository's lock: deciding, appending and folding are one step here, while
    other processes are kept out by the expected version."""

    def __init__(
        self,
        events: EventStore,
        kind: AggregateType[S],
        projection: Projection[S, V],
        quarantine: QuarantineStore | None = None,
        index: NameIndex | None = None,
    ) -> None:
        """``quarantine``: where quarantined aggregates are kept (needed when the type
        quarantines); ``index``: the names' index, added to by :meth:`create`."""
        if kind.quarantining is not None and quarantine is None:
            raise TypeError(f"{kind.noun}s are quarantined: give the quarantine store")
        self.events = events
        self.kind = kind
        self.projection = projection
        self.quarantine = quarantine
        self.index = index
        self._lock = threading.Lock()
        self._cache: dict[str, _Cached[S, V]] = {}

    # -- commands
    def create(self, name: str, command: Command, ctx: Context) -> list[Event]:
        """Decide ``command`` on a new aggregate ``name`` and store its events (listing the
        name in the index); ``exists`` if the stream has events already."""
        with self._lock:
            if self.events.stream_version(self.kind.stream(name)):
                raise self.kind.exists(name)
            events = self._handle(name, command, ctx)
            if self.index is not None:
                self.index.add(name)
            return events

    def handle(self, name: str, command: Command, ctx: Context) -> list[Event]:
        """Decide ``command`` on aggregate ``name`` and store its events. ``missing`` when it
        has no stream; Quarantined when it is quarantined; InvariantViolation (quarantining
        it) when its state is found broken; the type's refusals as they are."""
        with self._lock:
            if not self.events.stream_version(self.kind.stream(name)):
                raise self.kind.missing(name)
            # asked each time: an operator's release (another process) takes effect at once
            quarantining = self.kind.quarantining
            if quarantining is not None and self.quarantined(name):
                raise quarantining.refusal(name)
            try:
                return self._handle(name, command, ctx)
            except InvariantViolation as exc:
                self._stop(name, exc)
                raise

    # -- reads
    def read(self, name: str, show: Callable[[S, V], T]) -> T:
        """``show(state, view)`` of aggregate ``name`` caught up with the store (called under
        the lock: what it returns is consistent). ``missing`` when it has no stream; when its
        state cannot be built, Quarantined (quarantining it) if the type quarantines, else the
        InvariantViolation."""
        with self._lock:
            if not self.events.stream_version(self.kind.stream(name)):
                raise self.kind.missing(name)
            try:
                cached = self._caught_up(name)
            except InvariantViolation as exc:
                self._stop(name, exc)
                if self.kind.quarantining is None:
                    raise
                raise self.kind.quarantining.refusal(name) from exc
            return show(cached.state, cached.view)

    def names(self) -> list[str]:
        """Every aggregate in the index, in the order they were created."""
        if self.index is None:
            raise TypeError(f"{self.kind.noun}s are not indexed")
        return self.index.names()

    def quarantined(self, name: str) -> bool:
        quarantining = self.kind.quarantining
        if quarantining is None or self.quarantine is None:
            return False
        return self.quarantine.get(quarantining.kind, name) is not None

    # -- inside
    def _stop(self, name: str, exc: InvariantViolation) -> None:
        """Fail fast: forget the cached state and quarantine the aggregate, logging why."""
        self._cache.pop(name, None)
        quarantining = self.kind.quarantining
        if quarantining is None or self.quarantine is None or self.quarantined(name):
            return
        self.quarantine.add(quarantining.kind, name, f"{exc.code}: {exc.reason}")
        self.kind.log.error(
            "%s %s quarantined: invariant %s violated: %s", self.kind.noun, name, exc.code,
            exc.reason,
        )  # fmt: skip

    def _handle(self, name: str, command: Command, ctx: Context) -> list[Event]:
        stream = self.kind.stream(name)
        for _ in range(RETRIES):
            cached = self._caught_up(name)
            events = self.kind.decide(cached.state, command, ctx)
            try:
                self.events.append(stream, cached.version, [new_event(e) for e in events])
            except ConcurrencyConflict:
                continue  # another process wrote first: catch up and decide again
            try:
                self._fold(cached, events, ctx)
            except BaseException:
                self._cache.pop(name, None)  # folded in part: rebuilt from the store next time
                raise
            cached.version += len(events)
            return events
        raise self.kind.busy(name)

    def _caught_up(self, name: str) -> _Cached[S, V]:
        """The cached aggregate with every stored event folded in; InvariantViolation if one
        does not decode or fold (the cached state is then dropped)."""
        cached = self._cache.get(name)
        if cached is None:
            cached = _Cached(self.kind.initial(), 0, self.projection.start())
            self._cache[name] = cached
        try:
            for stored in self.events.read_stream(self.kind.stream(name), cached.version + 1):
                self._fold(cached, [self.kind.read(stored)], None)
                cached.version = stored.version
        except BaseException:
            self._cache.pop(name, None)  # folded in part: rebuilt from the store next time
            raise
        return cached

    def _fold(self, cached: _Cached[S, V], events: Sequence[Event], ctx: Context | None) -> None:
        """Fold ``events`` in, check the state and feed the projection; InvariantViolation if
        one does not fold or the state is left broken."""
        try:
            state = cached.state
            for event in events:
                state = self.kind.evolve(state, event)
            self.kind.check(state)
            self.projection.fold(cached.view, state, events, ctx)
        except InvariantViolation:
            raise
        except (MarketcraftError, ArithmeticError) as exc:  # e.g. an amount the ledger refuses
            raise InvariantViolation("fold_failed", f"the events do not fold: {exc}") from exc
        cached.state = state
