"""Peg markets in the event store: one stream per market, kept by the app layer's repository
(:mod:`marketcraft.app.aggregates`): decided and folded in this process, appended with
optimistic concurrency (another process's write makes us catch up and decide again).

Beside each market the repository keeps its history, the read model the dashboard draws
(:data:`marketcraft.app.projections.PEG_HISTORY`).

A market whose stream does not fold, or folds to a broken relay (an empty connector, no MMS),
is quarantined like an opportunity program: the command that found it gets InvariantViolation
(500), the cause is logged, and from then on its commands are refused (Quarantined, 423) until
an operator releases it. Reads still work while its state can be shown; a market whose state
cannot be shown answers Quarantined on its own and never breaks another's."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marketcraft.app.aggregates import (
    AggregateType,
    NameIndex,
    Quarantining,
    Repository,
    read_event,
)
from marketcraft.app.projections import PEG_HISTORY, Point, event_time
from marketcraft.kernel.errors import (
    ConcurrencyConflict,
    MarketcraftError,
    NotFound,
    Quarantined,
    ValidationError,
)
from marketcraft.kernel.messages import Command, Context, Event
from marketcraft.peg.commands import OpenMarket, Tick
from marketcraft.peg.engine import decide
from marketcraft.peg.invariants import check_relay
from marketcraft.peg.market import snapshot
from marketcraft.peg.state import PegState, evolve
from marketcraft.store.quarantine import PEG, InMemoryQuarantineStore, QuarantineStore
from marketcraft.store.records import EventStore, StoredEvent

__all__ = ["KEEPER", "PEG_MARKET", "QUARANTINE_KIND", "MarketView", "PegMarkets", "tick_forever"]

#: who the service's own ticks are recorded as
KEEPER = "keeper"
_log = logging.getLogger(__name__)

INDEX_STREAM = "peg/markets"
INDEX_TYPE = "peg.market_listed"
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
#: peg markets' entries in the quarantine store
QUARANTINE_KIND = PEG


def _stream(name: str) -> str:
    return f"peg/market/{name}"


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


def _read(stored: StoredEvent) -> Event:
    """A stored peg event; InvariantViolation if its bytes are not one, or if it is the first
    of its stream and carries no time (checked before it is folded)."""
    event = read_event(stored)
    if stored.version == 1:
        event_time(event, ())
    return event


def _missing(_name: str) -> NotFound:
    return NotFound("no_market", "no such peg market")


def _exists(name: str) -> ValidationError:
    return ValidationError("already_open", f"market {name!r} already exists")


def _busy(_name: str) -> ConcurrencyConflict:
    return ConcurrencyConflict("busy", "the market is busy; try again")


#: peg markets as the repository keeps them
PEG_MARKET: AggregateType[PegState] = AggregateType(
    noun="peg market", stream=_stream, initial=PegState, decide=decide, evolve=evolve,
    missing=_missing, exists=_exists, busy=_busy, check=check_relay, read=_read,
    quarantining=Quarantining(QUARANTINE_KIND, _quarantined), log=_log,
)  # fmt: skip


class PegMarkets:
    def __init__(self, events: EventStore, quarantine: QuarantineStore | None = None) -> None:
        self.events = events
        #: kept in the database by the service (it outlives restarts); in memory by default
        self.quarantine: QuarantineStore = quarantine or InMemoryQuarantineStore()
        index = NameIndex(events, INDEX_STREAM, INDEX_TYPE, "peg market")
        self._markets = Repository(events, PEG_MARKET, PEG_HISTORY, self.quarantine, index)

    def names(self) -> list[str]:
        return self._markets.names()

    def open(self, name: str, command: OpenMarket, actor: str, now: datetime) -> list[Event]:
        """Open market ``name`` (lowercase letters, digits and dashes, up to 40)."""
        if not _NAME.match(name):
            raise ValidationError("bad_name", "a name is 1-40 lowercase letters, digits or -")
        return self._markets.create(name, command, Context(actor, now))

    def handle(self, name: str, command: Command, actor: str, now: datetime) -> list[Event]:
        """Decide ``command`` on market ``name`` and store its events; NotFound when there is no
        such market, Quarantined when it is quarantined, InvariantViolation (quarantining it)
        when its state is found broken; the engine's refusals as they are."""
        return self._markets.handle(name, command, Context(actor, now))

    def quarantined(self, name: str) -> bool:
        return self._markets.quarantined(name)

    def view(self, name: str) -> MarketView:
        """The market's state, its snapshot and its history (read under the lock). NotFound
        when there is no such market; Quarantined when its state cannot be shown (quarantining
        it, with the cause logged, if it was not)."""

        def shown(state: PegState, history: list[Point]) -> MarketView:
            return MarketView(state, snapshot(state), list(history), self.quarantined(name))

        return self._markets.read(name, shown)


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
