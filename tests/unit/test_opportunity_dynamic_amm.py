"""The dynamic pm-AMM as a program's choice: L sqrt(T - t) with t from the decision's context,
the budget bounding the sponsor's loss, and the same fills on every replay."""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from marketcraft.amm.pmamm import DynamicPmAmm, PmAmm
from marketcraft.kernel.messages import decode, encode
from marketcraft.opportunity.amms import AmmKind, curve_for_budget, liquidity_for_budget
from marketcraft.opportunity.commands import ListMarket, Outcome, PlaceOrder, ResolveMarket
from marketcraft.opportunity.events import MarketListed
from marketcraft.opportunity.runner import ProgramRunner
from marketcraft.opportunity.state import seconds_between
from marketcraft.opportunity.terms import Side
from tests.unit.test_opportunity_engine import LATER, T0, Program

DAY = 86400


def program(**overrides):
    p = Program(amm=AmmKind.PMAMM_DYNAMIC, window_seconds=DAY, fee_rate=D(0), **overrides)
    (listed,) = p.do("label", ListMarket("m", "Will we sign XYZ?"))
    p.fund("early", "late", "whale", amount=D(5000))
    return p, listed


def test_the_listing_records_l_from_the_budget_and_the_window():
    p, listed = program()
    assert isinstance(listed, MarketListed)
    expected = DynamicPmAmm.liquidity_for_budget(D(1000), D("0.01"), D("0.30"), D(DAY))
    assert (
        listed.scale
        == expected
        == liquidity_for_budget(AmmKind.PMAMM_DYNAMIC, D(1000), D("0.01"), D("0.30"), DAY)
    )
    # L sqrt(T) is the static pm-AMM's liquidity for the same budget (rounded down)
    static = PmAmm.scale_for_budget(D(1000), D("0.01"), D("0.30"))
    opening = p.state.markets["m"].curve.scale
    assert opening <= static and static - opening < D("1e-30")
    assert curve_for_budget(AmmKind.PMAMM_DYNAMIC, D(1000), D("0.01"), D("0.30")).scale == static


def test_the_same_order_later_in_the_window_meets_less_liquidity():
    p, _ = program()
    early = p.buy("early", "m", max_spend=D(10))
    p.sell("early", "m", early.shares)  # back to (about) the opening price
    at = T0 + timedelta(hours=18)  # a quarter of the window left: half the liquidity
    market = p.state.markets["m"]
    expected = market.dynamic.at(D(18 * 3600)).buy_with_cash(market.amm_state, D(10))
    late = p.buy("late", "m", at=at, max_spend=D(10))
    assert (late.shares, late.cash, late.state_after) == (
        expected.shares, expected.cash, expected.state_after,
    )  # fmt: skip
    assert late.shares < early.shares
    assert market.curve_at(at).scale == market.dynamic.scale_at(D(18 * 3600))
    assert market.curve_at(at).scale * 2 - market.curve.scale < D("1e-30")


def test_the_time_is_the_decisions_and_a_replay_gives_the_same_fills():
    p, _ = program()
    for i, hours in enumerate((1, 5, 9, 23)):
        p.buy("whale", "m", at=T0 + timedelta(hours=hours, seconds=i), max_spend=D(7))
    replayed = ProgramRunner([decode(encode(e)) for e in p.runner.events]).state
    assert replayed.ledger.balances() == p.state.ledger.balances()
    assert replayed.markets["m"].amm_state == p.state.markets["m"].amm_state
    assert replayed.markets["m"].dynamic == p.state.markets["m"].dynamic


def test_a_full_traverse_at_the_opening_costs_the_sponsor_at_most_the_budget():
    p, _ = program()
    whale = p.buy("whale", "m", max_spend=D(5000))
    assert whale.clipped
    (_, _, resolved) = p.do("label", ResolveMarket("m", Outcome.YES, "signed"), at=LATER)
    cost = p.state.markets["m"].sponsor_cost
    assert D(999) < cost <= D(1000)  # the whole budget, never more
    assert dict(resolved.payouts)["whale"] - whale.cash == cost


def test_seconds_between_is_exact_and_a_clock_behind_the_opening_meets_the_opening_curve():
    start = T0
    assert seconds_between(start, start + timedelta(days=1, microseconds=7)) == D("86400.000007")
    p, _ = program()
    market = p.state.markets["m"]
    assert market.curve_at(T0 - timedelta(seconds=5)).scale == market.curve.scale


@pytest.mark.parametrize("amm", list(AmmKind))
def test_every_amm_kind_is_a_program_choice(amm):
    p = Program(amm=amm)
    p.do("label", ListMarket("m", "M"))
    p.fund("a")
    event = p.do("a", PlaceOrder("o", "m", Side.BUY, bytes(32), max_spend=D(20)))[0]
    assert event.shares > 0 and p.state.terms.amm is amm
