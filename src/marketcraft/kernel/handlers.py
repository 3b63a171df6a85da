"""A table of handlers keyed by a message's exact type: how a core's ``decide`` finds the handler
of a command and its ``evolve`` the handler of an event.

Each entry is checked when it is added: ``table.add(DepositCash, _deposit)`` type-checks only if
``_deposit`` takes a ``DepositCash`` (after the state, before the rest of the arguments), so the
table needs no ``type: ignore``. A lookup is one dict access on ``type(message)``: a subclass of
a registered type is not handled unless it is registered itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, cast

__all__ = ["HandlerTable"]

S = TypeVar("S")  # the state handed to every handler
M = TypeVar("M")  # the messages the table handles (a core's Command or Event)
C = TypeVar("C")  # one message type
R = TypeVar("R")  # what every handler returns
P = ParamSpec("P")  # the arguments after the message (e.g. a command's context)


class HandlerTable(Generic[S, M, P, R]):
    """Handlers ``(state, message, *rest) -> result``, one per message type."""

    def __init__(self) -> None:
        # Keyed by type; each value takes the message of its key (``add`` checks it).
        self._by_type: dict[type, Callable[..., R]] = {}

    def add(self, kind: type[C], handler: Callable[Concatenate[S, C, P], R]) -> None:
        """Handle messages of exactly ``kind`` with ``handler``; ValueError if ``kind`` has one."""
        if kind in self._by_type:
            raise ValueError(f"{kind.__name__} already has a handler")
        self._by_type[kind] = handler

    def get(self, kind: type) -> Callable[Concatenate[S, M, P], R] | None:
        """The handler of messages of exactly ``kind``, or None."""
        handler = self._by_type.get(kind)
        # add() took a handler of ``kind``: handed a message of that type, it is well typed
        return cast("Callable[Concatenate[S, M, P], R] | None", handler)

    def replacing(
        self, kind: type[C], handler: Callable[Concatenate[S, C, P], R]
    ) -> HandlerTable[S, M, P, R]:
        """A copy of this table with ``kind``'s handler replaced (e.g. a test's broken fold)."""
        copy: HandlerTable[S, M, P, R] = HandlerTable()
        copy._by_type = {**self._by_type, kind: handler}
        return copy

    def __contains__(self, kind: Any) -> bool:
        return kind in self._by_type
