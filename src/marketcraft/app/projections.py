"""Read models the repositories keep beside folded state.

The peg history: what a peg market's dashboard draws, one point for each command stored in
this process (at the command's time) and one for each event read from the store (at the
event's own time, else the last point's), thinned to the last :data:`HISTORY` points."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from marketcraft.app.aggregates import Projection
from marketcraft.kernel.errors import InvariantViolation
from marketcraft.kernel.messages import Context, Event
from marketcraft.peg.market import snapshot
from marketcraft.peg.state import PegState

__all__ = ["HISTORY", "PEG_HISTORY", "Point", "event_time"]

#: the points a peg market's history keeps (the newest)
HISTORY = 2_000


@dataclass(frozen=True, slots=True)
class Point:
    at: datetime
    spot: Decimal
    feed: Decimal
    reserve_ratio: Decimal | None
    circulating_peg: Decimal
    fees: Decimal
    mode: str


def event_time(event: Event, history: Sequence[Point]) -> datetime:
    """When a stored event happened: its own time when it carries one, else the last point's.
    InvariantViolation (``bad_stream``) for the first event of a stream without a time of its
    own: a market's stream starts with its opening, which carries it."""
    at = getattr(event, "at", None)
    if isinstance(at, datetime):
        return at
    if history:
        return history[-1].at
    raise InvariantViolation("bad_stream", "the market's stream does not start with its opening")


def _peg_point(
    history: list[Point], state: PegState, events: Sequence[Event], ctx: Context | None
) -> None:
    at = ctx.now if ctx is not None else event_time(events[-1], history)
    s = snapshot(state)
    history.append(
        Point(at, s["spot"], s["feed"], s["reserve_ratio"], s["circulating_peg"], s["fees"],
              s["mode"])
    )  # fmt: skip
    if len(history) > HISTORY:
        del history[: len(history) - HISTORY]


#: the peg history, kept beside each cached peg market
PEG_HISTORY: Projection[PegState, list[Point]] = Projection(list, _peg_point)
