"""A program's blind orders: their facts stay in the events that placed them; the state keeps
only where those events are.

An order's facts (its fill, escrow, fee, salt, time) are in its ``OrderExecuted`` event, which
the log keeps for good; keeping them again in memory cost about a kilobyte an order. The book
keeps, per order, a few bytes: the position of the record that placed it (records are numbered
from 0 as they are folded), under a 64-bit digest of its id and in its market's and its
scout's lists. It reads a record's events back through a **source** the owner of the records
attaches (the journal's records, or the store's), whenever a view, the reveal or an id check
needs them. A source is a deterministic read of the log's prefix, so ``decide`` stays a pure
function of the log.

Close orders and agents are indexed too (their ids share the order ids' namespace, and their
receipts are found the same way); their records stay in the state, where triggers use them.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from marketcraft.kernel.errors import InvariantViolation
from marketcraft.kernel.messages import Event
from marketcraft.opportunity.events import AgentRegistered, CloseOrderPlaced, OrderExecuted
from marketcraft.opportunity.terms import Side, Token

__all__ = ["DigestIndex", "OrderBook", "OrderRecord", "RecordSource", "left_in_escrow"]

#: the events of the record at a position (0-based, in the order records were folded)
RecordSource = Callable[[int], list[Event]]


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """One blind order as its ``OrderExecuted`` event tells it."""

    order_id: str
    market_id: str
    scout: str
    side: Side
    escrow: Decimal
    shares: Decimal
    cash: Decimal
    fee: Decimal
    clipped: bool
    salt: bytes
    at: datetime
    token: Token = Token.YES

    @classmethod
    def of(cls, e: OrderExecuted) -> OrderRecord:
        return cls(
            e.order_id, e.market_id, e.scout, e.side, e.escrow, e.shares, e.cash, e.fee,
            e.clipped, e.salt, e.at, e.token,
        )  # fmt: skip

    @property
    def left_in_escrow(self) -> Decimal:
        return left_in_escrow(self.side, self.escrow, self.cash, self.fee)


def left_in_escrow(side: Side, escrow: Decimal, cash: Decimal, fee: Decimal) -> Decimal:
    """What an order left in its scout's order escrow until the reveal: a buy's escrow less
    its cash and fee, a sell's proceeds net of its fee."""
    if side is Side.BUY:
        return escrow - cash - fee
    return cash - fee


def _digest(item_id: str) -> int:
    """A 64-bit digest of an id (never 0: 0 marks an empty slot). Not Python's ``hash``,
    which differs between processes: a snapshot keeps the table."""
    value = int.from_bytes(hashlib.blake2b(item_id.encode(), digest_size=8).digest(), "big")
    return value or 1


class DigestIndex:
    """An append-only multimap from an id's 64-bit digest to positions, in two flat arrays
    (open addressing, linear probing): 12 bytes a slot, at most 3/4 of the slots full, so
    about 16-32 bytes an id and no object per id. A digest may name several ids (two ids
    with one digest are rare, not impossible): :meth:`candidates` gives every position
    filed under it, and the caller checks which holds the id."""

    __slots__ = ("_keys", "_size", "_values")

    def __init__(self, capacity: int = 1024) -> None:
        self._keys = array("Q", bytes(8 * capacity))
        self._values = array("I", bytes(4 * capacity))
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, item_id: str, position: int) -> None:
        if 4 * (self._size + 1) > 3 * len(self._keys):
            self._grow()
        self._put(_digest(item_id), position)
        self._size += 1

    def candidates(self, item_id: str) -> list[int]:
        """Every position filed under ``item_id``'s digest, oldest first."""
        key, keys, mask = _digest(item_id), self._keys, len(self._keys) - 1
        found, slot = [], key & mask
        while keys[slot]:
            if keys[slot] == key:
                found.append(self._values[slot])
            slot = (slot + 1) & mask
        return found

    def _put(self, key: int, position: int) -> None:
        keys, mask = self._keys, len(self._keys) - 1
        slot = key & mask
        while keys[slot]:
            slot = (slot + 1) & mask
        keys[slot], self._values[slot] = key, position

    def _grow(self) -> None:
        keys, values = self._keys, self._values
        capacity = 2 * len(keys)
        self._keys = array("Q", bytes(8 * capacity))
        self._values = array("I", bytes(4 * capacity))
        for key, position in zip(keys, values, strict=True):
            if key:
                self._put(key, position)


def _placed(event: Event) -> tuple[str, str] | None:
    """(id, market) of what ``event`` placed: an order, a close order or an agent."""
    if isinstance(event, OrderExecuted | CloseOrderPlaced):
        return event.order_id, event.market_id
    if isinstance(event, AgentRegistered):
        return event.agent_id, event.market_id
    return None


class OrderBook(Mapping[str, OrderRecord]):
    """The program's blind orders by id (a read-only mapping whose values are read from the
    records), and where each order, close order and agent was placed.

    The fold calls :meth:`begin_record` before each record's events, then :meth:`add_order`
    or :meth:`add_item` for what they placed. Reads need a source (:meth:`attach`); a
    snapshot keeps the book without it."""

    __slots__ = ("_by_market", "_by_scout", "_ids", "_orders", "_source", "position")

    def __init__(self) -> None:
        self._ids = DigestIndex()
        #: per market, the positions of the records that placed its orders, close orders
        #: and agents (the order its escrows are released in); per scout, of its orders
        self._by_market: dict[str, array[int]] = {}
        self._by_scout: dict[str, array[int]] = {}
        self._orders = 0
        self._source: RecordSource | None = None
        #: the position of the record being folded (-1 before the first)
        self.position = -1

    def __getstate__(self) -> dict[str, object]:
        return {
            "ids": self._ids, "by_market": self._by_market, "by_scout": self._by_scout,
            "orders": self._orders, "position": self.position,
        }  # fmt: skip

    def __setstate__(self, state: dict[str, object]) -> None:
        self._ids = state["ids"]  # type: ignore[assignment]
        self._by_market = state["by_market"]  # type: ignore[assignment]
        self._by_scout = state["by_scout"]  # type: ignore[assignment]
        self._orders = state["orders"]  # type: ignore[assignment]
        self.position = state["position"]  # type: ignore[assignment]
        self._source = None

    # -- the fold ---------------------------------------------------------------------------
    def attach(self, source: RecordSource) -> None:
        """Read records through ``source`` from now on."""
        self._source = source

    def begin_record(self) -> None:
        """The next record's events are about to be folded."""
        self.position += 1

    def add_order(self, e: OrderExecuted) -> None:
        self.add_item(e.order_id, e.market_id)
        self._by_scout.setdefault(e.scout, array("I")).append(self.position)
        self._orders += 1

    def add_item(self, item_id: str, market_id: str) -> None:
        """A close order or an agent (or an order: :meth:`add_order`) placed by the record
        being folded."""
        if self.position < 0:
            raise InvariantViolation("no_record", "an order was folded outside a record")
        self._ids.add(item_id, self.position)
        self._by_market.setdefault(market_id, array("I")).append(self.position)

    # -- reads ------------------------------------------------------------------------------
    def _events(self, position: int) -> list[Event]:
        if self._source is None:
            raise InvariantViolation("records_not_kept", "the orders' records cannot be read")
        return self._source(position)

    def _placed_at(self, position: int, market_id: str | None = None) -> list[Event]:
        """The events at ``position`` that placed something (in ``market_id``, if given)."""
        return [
            e
            for e in self._events(position)
            if (placed := _placed(e)) is not None and market_id in (None, placed[1])
        ]

    def sequence_of(self, item_id: str) -> int | None:
        """The position of the record that placed ``item_id`` (an order, close order or
        agent), or None."""
        for position in self._ids.candidates(item_id):
            for event in self._placed_at(position):
                placed = _placed(event)
                if placed is not None and placed[0] == item_id:
                    return position
        return None

    def taken(self, item_id: str) -> bool:
        """Whether an order, close order or agent has this id."""
        return self.sequence_of(item_id) is not None

    def __getitem__(self, order_id: str) -> OrderRecord:
        for position in self._ids.candidates(order_id):
            for event in self._placed_at(position):
                if isinstance(event, OrderExecuted) and event.order_id == order_id:
                    return OrderRecord.of(event)
        raise KeyError(order_id)

    def __len__(self) -> int:
        return self._orders

    def __iter__(self) -> Iterator[str]:
        """Every order's id, in the order they were placed (reads every order's record)."""
        positions = sorted({p for scout in self._by_scout.values() for p in scout})
        for position in positions:
            for event in self._placed_at(position):
                if isinstance(event, OrderExecuted):
                    yield event.order_id

    def placed(self) -> list[str]:
        """Every order's, close order's and agent's id, in the order they were placed (reads
        every one's record)."""
        positions = sorted({p for market in self._by_market.values() for p in market})
        return [
            placed[0]
            for position in positions
            for e in self._placed_at(position)
            if (placed := _placed(e)) is not None
        ]

    def of_scout(self, scout: str) -> list[OrderRecord]:
        """The scout's orders, in the order they were placed."""
        return [
            OrderRecord.of(e)
            for position in self._by_scout.get(scout, ())
            for e in self._placed_at(position)
            if isinstance(e, OrderExecuted) and e.scout == scout
        ]

    def of_market(self, market_id: str) -> list[OrderRecord]:
        """The market's orders, in the order they were placed."""
        return [
            OrderRecord.of(e)
            for e in self._market_events(market_id)
            if isinstance(e, OrderExecuted)
        ]

    def escrows(self, market_id: str) -> list[tuple[str, OrderRecord | None]]:
        """Every escrow of the market, in the order they were placed: each order's id with
        its record, each close order's and agent's id with None."""
        return [
            (e.order_id, OrderRecord.of(e)) if isinstance(e, OrderExecuted) else (placed[0], None)
            for e in self._market_events(market_id)
            if (placed := _placed(e)) is not None
        ]

    def _market_events(self, market_id: str) -> Iterator[Event]:
        for position in self._by_market.get(market_id, ()):
            yield from self._placed_at(position, market_id)
