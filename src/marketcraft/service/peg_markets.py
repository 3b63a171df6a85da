"""Peg markets in the event store: one stream per market, decided and folded in this process,
appended with optimistic concurrency (another process's write makes us reload and retry).

It also keeps the read model the dashboard draws: one point per event that moves the price,
the feed or the mode (thinned to the last ``HISTORY`` points).

A market whose stream does not fold, or folds to a broken relay (an empty connector, no MMS),
is quarantined like an opportunity program: the command that found it gets InvariantViolation
(500), the cause is logged, and from then on its commands are refused (Quarantined, 423) until
an operator releases it. Reads still work while its state can be shown; a market whose state
cannot be shown answers Quarantined on its own and never breaks another's."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from marketcraft.kernel.errors import (
    ConcurrencyConflict,
    InvariantViolation,
    MarketcraftError,
    NotFound,
    Quarantined,
    ValidationError,
)
from marketcraft.kernel.messages import Command, Context, Event
from marketcraft.peg.commands import OpenMarket, Tick
from marketcraft.peg.engine import decide
from marketcraft.peg.events import MarketOpened
from marketcraft.peg.invariants import check_relay
from marketcraft.peg.market import snapshot
from marketcraft.peg.state import PegState, evolve
from marketcraft.store.quarantine import PEG, InMemoryQuarantineStore, QuarantineStore
from marketcraft.store.records import EventStore, NewEvent, StoredEvent, load, new_event

__all__ = [
    "HISTORY", "KEEPER", "QUARANTINE_KIND", "MarketView", "PegMarkets", "Point", "tick_forever",
]  # fmt: skip

#: who the service's own ticks are recorded as
KEEPER = "keeper"
_log = logging.getLogger(__name__)

INDEX_STREAM = "peg/markets"
INDEX_TYPE = "peg.market_listed"
HISTORY = 2_000
RETRIES = 5
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
#: peg markets' entries in the quarantine store
QUARANTINE_KIND = PEG


def _stream(name: str) -> str:
    return f"peg/market/{name}"


@dataclass(frozen=True, slots=True)
class Point:
    at: datetime
    spot: Decimal
    feed: Decimal
    reserve_ratio: Decimal | None
    circulating_peg: Decimal
    fees: Decimal
    mode: str


@dataclass
class _Market:
    state: PegState = field(default_factory=PegState)
    version: int = 0
    history: list[Point] = field(default_factory=list)


@dataclass(frozen=True)
class MarketView:
    """A market as it is now. ``quarantined``: shown, but its commands are refused."""

    state: PegState
    snapshot: dict[str, Any]
    history: list[Point]
    quarantined: bool


def _quarantined(name: str) -> Quarantined:
    return Quarantined(
        "market_quarantined",
        f"peg market {name!r} is stopped after a failed integrity check; an operator must "
        "release it",
    )


class PegMarkets:
    def __init__(self, events: EventStore, quarantine: QuarantineStore | None = None) -> None:
        self.events = events
        #: kept in the database by the service (it outlives restarts); in memory by default
        self.quarantine: QuarantineStore = quarantine or InMemoryQuarantineStore()
        self._lock = threading.Lock()
        self._markets: dict[str, _Market] = {}

    def names(self) -> list[str]:
        return [e.data.decode() for e in self.events.read_stream(INDEX_STREAM)]

    def open(self, name: str, command: OpenMarket, actor: str, now: datetime) -> list[Event]:
        """Open market ``name`` (lowercase letters, digits and dashes, up to 40)."""
        if not _NAME.match(name):
            raise ValidationError("bad_name", "a name is 1-40 lowercase letters, digits or -")
        with self._lock:
            if self.events.stream_version(_stream(name)):
                raise ValidationError("already_open", f"market {name!r} already exists")
            events = self._handle(name, command, actor, now)
            version = self.events.stream_version(INDEX_STREAM)
            self.events.append(INDEX_STREAM, version, [NewEvent(INDEX_TYPE, name.encode())])
            return events

    def handle(self, name: str, command: Command, actor: str, now: datetime) -> list[Event]:
        """Decide ``command`` on market ``name`` and store its events; NotFound when there is no
        such market, Quarantined when it is quarantined, InvariantViolation (quarantining it)
        when its state is found broken; the engine's refusals as they are."""
        with self._lock:
            if not self.events.stream_version(_stream(name)):
                raise NotFound("no_market", "no such peg market")
            # asked each time: an operator's release (another process) takes effect at once
            if self.quarantined(name):
                raise _quarantined(name)
            try:
                return self._handle(name, command, actor, now)
            except InvariantViolation as exc:
                self._stop(name, exc)
                raise

    def quarantined(self, name: str) -> bool:
        return self.quarantine.get(QUARANTINE_KIND, name) is not None

    def _stop(self, name: str, exc: InvariantViolation) -> None:
        """Fail fast: forget the cached state and quarantine the market, logging why."""
        self._markets.pop(name, None)
        if self.quarantined(name):
            return
        self.quarantine.add(QUARANTINE_KIND, name, f"{exc.code}: {exc.reason}")
        _log.error("peg market %s quarantined: invariant %s violated: %s", name, exc.code,
                   exc.reason)  # fmt: skip

    def _handle(self, name: str, command: Command, actor: str, now: datetime) -> list[Event]:
        for _ in range(RETRIES):
            market = self._caught_up(name)
            events = decide(market.state, command, Context(actor, now))
            try:
                self.events.append(_stream(name), market.version, [new_event(e) for e in events])
            except ConcurrencyConflict:
                continue  # another process wrote first: catch up and decide again
            try:
                self._fold(market, events, now)
            except BaseException:
                self._markets.pop(name, None)  # folded in part: rebuilt from the store next time
                raise
            market.version += len(events)
            return events
        raise ConcurrencyConflict("busy", "the market is busy; try again")

    def view(self, name: str) -> MarketView:
        """The market's state, its snapshot and its history (read under the lock). NotFound
        when there is no such market; Quarantined when its state cannot be shown (quarantining
        it, with the cause logged, if it was not)."""
        with self._lock:
            if not self.events.stream_version(_stream(name)):
                raise NotFound("no_market", "no such peg market")
            try:
                market = self._caught_up(name)
            except InvariantViolation as exc:
                self._stop(name, exc)
                raise _quarantined(name) from exc
            return MarketView(
                market.state, snapshot(market.state), list(market.history),
                self.quarantined(name),
            )  # fmt: skip

    def _caught_up(self, name: str) -> _Market:
        """The cached market with every stored event folded in; InvariantViolation if one does
        not decode or fold (the cached market is then unusable: the caller drops it)."""
        market = self._markets.setdefault(name, _Market())
        try:
            for stored in self.events.read_stream(_stream(name), market.version + 1):
                event = _loaded(stored)
                self._fold(market, [event], _time_of(event, market))
                market.version = stored.version
        except BaseException:
            self._markets.pop(name, None)  # folded in part: rebuilt from the store next time
            raise
        return market

    @staticmethod
    def _fold(market: _Market, events: list[Event], now: datetime) -> None:
        """Fold ``events`` in and note the point they lead to; InvariantViolation if one does
        not fold or the relay is left broken."""
        try:
            for event in events:
                evolve(market.state, event)
            check_relay(market.state)
            s = snapshot(market.state)
        except InvariantViolation:
            raise
        except (MarketcraftError, ArithmeticError) as exc:  # e.g. an amount the ledger refuses
            raise InvariantViolation("fold_failed", f"the events do not fold: {exc}") from exc
        market.history.append(
            Point(now, s["spot"], s["feed"], s["reserve_ratio"], s["circulating_peg"], s["fees"],
                  s["mode"])
        )  # fmt: skip
        if len(market.history) > HISTORY:
            del market.history[: len(market.history) - HISTORY]


def _loaded(stored: StoredEvent) -> Event:
    """A stored event; InvariantViolation if its bytes are not one."""
    try:
        event = load(stored)
    except MarketcraftError as exc:
        raise InvariantViolation(
            "bad_event", f"stored event {stored.version} does not decode: {exc.reason}"
        ) from exc
    if not isinstance(event, Event):
        raise InvariantViolation("bad_event", f"stored message {stored.version} is no event")
    return event


def _time_of(event: Event, market: _Market) -> datetime:
    """When a stored event happened: its own time when it carries one, else the last known."""
    at = getattr(event, "at", None)
    if isinstance(at, datetime):
        return at
    if market.history:
        return market.history[-1].at
    if not isinstance(event, MarketOpened):
        raise InvariantViolation(
            "bad_stream", "the market's stream does not start with its opening"
        )
    return event.at


async def tick_forever(app: Any, every: float) -> None:
    """Tick every peg market each ``every`` seconds, off the event loop. A market that refuses
    (a tick from a process whose clock is behind another's, say) is logged and skipped."""
    while True:
        await asyncio.sleep(every)
        markets: PegMarkets = app.state.peg_markets
        for name in await asyncio.to_thread(markets.names):
            try:
                await asyncio.to_thread(markets.handle, name, Tick(), KEEPER, app.state.clock.now())
            except MarketcraftError as exc:
                _log.warning("tick of peg market %s refused: %s", name, exc)
