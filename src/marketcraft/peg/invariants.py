"""Named invariants of a peg market's state, checked whenever the service folds stored events
(the stateful property test checks the full list of the spec's invariants).

Each raises :class:`InvariantViolation` naming what broke."""

from __future__ import annotations

from marketcraft.kernel.errors import InvariantViolation
from marketcraft.peg.state import PegState

__all__ = ["check_relay"]


def check_relay(state: PegState) -> None:
    """Spec invariant 6, the part a market cannot be shown or traded without: an open market's
    relay holds COL and PEG (C, U > 0: SPOT = C / U is defined) and some MMS exist."""
    if not state.opened:
        return
    if state.connector_col <= 0 or state.connector_peg <= 0:
        raise InvariantViolation("empty_relay", "the relay's connector holds no COL or no PEG")
    if state.mms_supply <= 0:
        raise InvariantViolation("no_mms", "no MMS are left in supply")
