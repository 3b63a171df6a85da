"""The sponsor's price history keeps, per market, the opening price and the first and last
trade of each minute; the collateral that left the program."""

import dataclasses
from datetime import timedelta
from decimal import Decimal as D
from itertools import groupby

from marketcraft.opportunity.collateral import free_collateral
from marketcraft.opportunity.commands import Context, WithdrawCollateral
from marketcraft.opportunity.events import (
    MarketListed,
    OrderExecuted,
    ProgramSettled,
    TriggeredTrade,
)
from marketcraft.opportunity.history import ProgramHistory, price_history
from marketcraft.opportunity.runner import ProgramRunner
from tests.support.opportunity_fixtures import T0, settled_journal


def every_trade(journal):
    """Each market's price after every trade, unthinned, from the events."""
    state = journal.state
    full = {}
    for e in journal.runner.events:
        if isinstance(e, MarketListed) and e.opens_at is not None:
            full[e.market_id] = [(e.opens_at, state.require_terms().pa)]
        elif isinstance(e, OrderExecuted | TriggeredTrade):
            price = state.markets[e.market_id].curve.price(e.state_after)
            full.setdefault(e.market_id, []).append((e.at, price))
    return full


def first_and_last_of_each_minute(points):
    kept = [points[0]]
    minute = lambda p: p[0].replace(second=0, microsecond=0)  # noqa: E731
    for _, group in groupby(points[1:], key=minute):
        trades = list(group)
        kept += [trades[0]] if len(trades) == 1 else [trades[0], trades[-1]]
    return kept


def test_the_fixture_program_keeps_every_trade_minutes_apart():
    journal, _, _ = settled_journal()
    assert journal.history.prices(journal.state) == every_trade(journal)
    assert price_history(journal.state, journal.runner.events) == every_trade(journal)


def test_trades_within_a_minute_keep_the_first_and_the_last():
    journal, _, _ = settled_journal()
    events, state = journal.runner.events, journal.state
    # the same events, with every trade moved into a few crowded minutes
    crowded, n = [], 0
    for e in events:
        if isinstance(e, OrderExecuted | TriggeredTrade):
            n += 1
            at = T0 + timedelta(seconds=10 * n)  # six trades a minute
            crowded.append(dataclasses.replace(e, at=at))
        else:
            crowded.append(e)
    history = ProgramHistory()
    history.add_all(state, crowded)
    full = every_trade(type("J", (), {"state": state, "runner": ProgramRunner(crowded)})())
    got = history.prices(state)
    assert got.keys() == full.keys()
    for market_id, points in full.items():
        assert got[market_id] == first_and_last_of_each_minute(points)
    assert sum(map(len, got.values())) < sum(map(len, full.values()))  # it did thin


def test_settlement_records_the_collateral_returned():
    journal, _, _ = settled_journal()
    (settled,) = [e for e in journal.runner.events if isinstance(e, ProgramSettled)]
    assert journal.history.collateral_returned == settled.collateral_returned
    assert ProgramHistory().collateral_returned is None
    early = ProgramHistory()
    early.add_all(journal.state, journal.runner.events[:5])
    assert early.collateral_returned is None


def test_the_history_adds_up_the_collateral_that_left():
    journal, _, _ = settled_journal()
    state = journal.state
    free = free_collateral(state)
    assert journal.history.collateral_returned == 0  # settled: all of it is still in
    journal.handle(WithdrawCollateral(free - 1), Context("label", T0 + timedelta(days=30)))
    journal.handle(WithdrawCollateral(D(1)), Context("label", T0 + timedelta(days=30)))
    assert journal.history.collateral_returned == free > 0
