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
    """``events`` are folded in first. ``keep_events``: keep every event in :attr:`events`
    (tests and simulations read them); a journal backed by a store does not."""

    def __init__(self, events: list[Event] | None = None, *, keep_events: bool = True) -> None:
        self.state = ProgramState()
        self.events: list[Event] = []
        self._keep = keep_events
        self._broken = False
        for event in events or ():
            self._fold(event)

    @property
    def broken(self) -> bool:
        """True after a fold failed: the state must be rebuilt from stored events."""
        return self._broken

    def _fold(self, event: Event) -> None:
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
        for event in events:
            self._fold(event)

    @with_money_context
    def handle(self, command: Command, ctx: Context) -> list[Event]:
        """Decide and apply ``command``; return its events. Typed errors mean nothing changed."""
        if self._broken:
            raise InvariantViolation("runner_broken", "state must be rebuilt from stored events")
        events = decide(self.state, command, ctx)
        for event in events:
            self._fold(event)
        return events
