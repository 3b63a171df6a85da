"""Run commands against one program in memory: decide, then fold the events in.

``decide`` checks everything that can refuse a command, so folding its events cannot fail; if it
ever does, that is a bug or corrupt input, and the runner stops (fail fast): its state is then
unusable and must be rebuilt from the stored events.
"""

from __future__ import annotations

from marketcraft.kernel.errors import InvariantViolation
from marketcraft.kernel.messages import Command, Event
from marketcraft.kernel.money import with_money_context
from marketcraft.opportunity.commands import Context
from marketcraft.opportunity.engine import decide
from marketcraft.opportunity.state import ProgramState, evolve

__all__ = ["ProgramRunner"]


class ProgramRunner:
    """``events`` are folded in first (each as a record of its own). ``keep_events``: keep
    every event in :attr:`events`, and each record's events, which the state's order book
    then reads (tests and simulations); a journal backed by a store keeps neither and
    attaches the store to the order book instead.

    Each :meth:`handle` and :meth:`apply` is one record: the order book numbers records as
    the journal's log numbers its entries."""

    def __init__(self, events: list[Event] | None = None, *, keep_events: bool = True) -> None:
        self.state = ProgramState()
        self.events: list[Event] = []
        self._keep = keep_events
        self._records: list[list[Event]] = []
        self._broken = False
        if keep_events:
            self.state.orders.attach(self._records.__getitem__)
        for event in events or ():
            self._fold_record([event])

    @property
    def broken(self) -> bool:
        """True after a fold failed: the state must be rebuilt from stored events."""
        return self._broken

    def _fold_record(self, events: list[Event]) -> None:
        self.state.orders.begin_record()
        if self._keep:
            self._records.append(events)
        for event in events:
            try:
                evolve(self.state, event)
            except Exception:
                self._broken = True
                raise
            if self._keep:
                self.events.append(event)

    @with_money_context
    def apply(self, events: list[Event]) -> None:
        """Fold already-decided events (a stored record's) in; the runner is broken if one
        does not fold."""
        if self._broken:
            raise InvariantViolation("runner_broken", "state must be rebuilt from stored events")
        self._fold_record(events)

    @with_money_context
    def handle(self, command: Command, ctx: Context) -> list[Event]:
        """Decide and apply ``command``; return its events. Typed errors mean nothing changed."""
        if self._broken:
            raise InvariantViolation("runner_broken", "state must be rebuilt from stored events")
        events = decide(self.state, command, ctx)
        self._fold_record(events)
        return events
