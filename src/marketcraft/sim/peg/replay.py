"""Replay a simulated run through the exact engine: the bridge the differential test stands on.

The model's trace holds run 0's feed reports and trades; here they go, step by step, through
:class:`marketcraft.peg.market.PegMarket` with a tick at every step, and the engine's state is
read at the same checkpoints the model recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from marketcraft.peg.market import EPOCH, PegMarket
from marketcraft.peg.terms import PegTerms
from marketcraft.sim.peg.model import Trace
from marketcraft.sim.peg.scenario import Scenario

__all__ = ["engine_terms", "replay"]

HOLDERS, RESCUER, SPECULATOR = "holders", "rescuer", "speculator"
_KEYS = ("connector_col", "connector_peg", "excess_col", "circulating_peg", "mms_supply")


def engine_terms(s: Scenario) -> PegTerms:
    """The scenario's market as engine terms (floats written as the shortest decimal)."""
    m = s.market

    def dec(value: float) -> Decimal:
        return Decimal(repr(value))

    return PegTerms(
        ratio=dec(m.ratio), fee_rate=dec(m.fee), fee_slope=dec(m.fee_slope),
        max_fee=dec(m.max_fee), band=dec(m.band), delay_seconds=round(m.delay_hours * 3600),
        correction_seconds=round(m.correction_hours * 3600),
        feed_window_seconds=round(m.feed_window_hours * 3600), swan_enter=dec(m.swan_enter),
        swan_exit=dec(m.swan_exit), recovery_discount=dec(m.recovery_discount),
        fees_to=m.fees_to, max_trade_fraction=dec(m.max_trade_fraction),
        swan_exit_after_burn=m.swan_exit_after_burn,
    )  # fmt: skip


#: each traced trade kind as the engine call (and the wallet) that makes it
_TRADES: dict[str, Callable[[PegMarket, Decimal], object]] = {
    "buy_peg": lambda market, value: market.buy_peg(HOLDERS, value),
    "sell_peg": lambda market, value: market.sell_peg(HOLDERS, value),
    "buy_mms": lambda market, value: market.buy_mms(RESCUER, value),
    "speculator_buys_mms": lambda market, value: market.buy_mms(SPECULATOR, value),
    "speculator_sells_mms": lambda market, value: market.sell_mms(SPECULATOR, value),
}


def replay(s: Scenario, trace: Trace) -> list[tuple[int, dict[str, float]]]:
    """Run the traced run through the engine; its state at each of the trace's checkpoints."""
    market = PegMarket.open(
        Decimal(repr(s.market.deposit)), Decimal(1) / Decimal(repr(s.price.start)),
        terms=engine_terms(s),
    )  # fmt: skip
    for user in (HOLDERS, RESCUER, SPECULATOR):
        market.fund(user, 10**15)
    reports = dict(trace.reports)
    trades: dict[int, list[tuple[str, float]]] = {}
    for step, kind, amount in trace.trades:
        trades.setdefault(step, []).append((kind, amount))
    checkpoints = dict(trace.states)
    out: list[tuple[int, dict[str, float]]] = []
    for step in range(1, max(checkpoints, default=0) + 1):
        market.now = EPOCH + timedelta(seconds=step * s.step_seconds)
        if step in reports:
            market.update_feed(Decimal(reports[step]))
        for kind, amount in trades.get(step, ()):
            _TRADES[kind](market, Decimal(repr(amount)))
        market.tick()
        if step in checkpoints:
            snap = market.snapshot()
            state = {k: float(snap[k]) for k in _KEYS}
            state["recovery"] = float(snap["mode"] == "recovery")
            out.append((step, state))
    return out
