"""Peg markets in the event store: one stream per market, decided and folded in this process,
appended with optimistic concurrency (another process's write makes us reload and retry).

It also keeps the read model the dashboard draws: one point per event that moves the price,
the feed or the mode (thinned to the last ``HISTORY`` points)."""

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
    MarketcraftError,
    NotFound,
    ValidationError,
)
from marketcraft.kernel.messages import Command, Context, Event
from marketcraft.peg.commands import OpenMarket, Tick
from marketcraft.peg.engine import decide
from marketcraft.peg.events import MarketOpened
from marketcraft.peg.market import snapshot
from marketcraft.peg.state import PegState, evolve
from marketcraft.store.records import EventStore, NewEvent, load, new_event

__all__ = ["HISTORY", "KEEPER", "PegMarkets", "Point", "tick_forever"]

#: who the service's own ticks are recorded as
KEEPER = "keeper"
_log = logging.getLogger(__name__)

INDEX_STREAM = "peg/markets"
INDEX_TYPE = "peg.market_listed"
HISTORY = 2_000
RETRIES = 5
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


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


class PegMarkets:
    def __init__(self, events: EventStore) -> None:
        self.events = events
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
        such market; the engine's errors as they are."""
        with self._lock:
            if not self.events.stream_version(_stream(name)):
                raise NotFound("no_market", "no such peg market")
            return self._handle(name, command, actor, now)

    def _handle(self, name: str, command: Command, actor: str, now: datetime) -> list[Event]:
        for _ in range(RETRIES):
            market = self._caught_up(name)
            events = decide(market.state, command, Context(actor, now))
            try:
                self.events.append(_stream(name), market.version, [new_event(e) for e in events])
            except ConcurrencyConflict:
                continue  # another process wrote first: catch up and decide again
            self._fold(market, events, now)
            market.version += len(events)
            return events
        raise ConcurrencyConflict("busy", "the market is busy; try again")

    def view(self, name: str) -> tuple[PegState, dict[str, Any], list[Point]]:
        """The market's state, its snapshot and its history (read under the lock)."""
        with self._lock:
            if not self.events.stream_version(_stream(name)):
                raise NotFound("no_market", "no such peg market")
            market = self._caught_up(name)
            return market.state, snapshot(market.state), list(market.history)

    def _caught_up(self, name: str) -> _Market:
        market = self._markets.setdefault(name, _Market())
        for stored in self.events.read_stream(_stream(name), market.version + 1):
            event = load(stored)
            assert isinstance(event, Event)
            self._fold(market, [event], _time_of(event, market))
            market.version = stored.version
        return market

    @staticmethod
    def _fold(market: _Market, events: list[Event], now: datetime) -> None:
        for event in events:
            evolve(market.state, event)
        s = snapshot(market.state)
        market.history.append(
            Point(now, s["spot"], s["feed"], s["reserve_ratio"], s["circulating_peg"], s["fees"],
                  s["mode"])
        )  # fmt: skip
        if len(market.history) > HISTORY:
            del market.history[: len(market.history) - HISTORY]


def _time_of(event: Event, market: _Market) -> datetime:
    """When a stored event happened: its own time when it carries one, else the last known."""
    at = getattr(event, "at", None)
    if isinstance(at, datetime):
        return at
    if market.history:
        return market.history[-1].at
    assert isinstance(event, MarketOpened)
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
