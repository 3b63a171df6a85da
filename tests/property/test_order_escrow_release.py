"""Each scout's one order escrow per market releases, at the reveal, exactly what the orders'
own escrows released one by one (the amounts the reveal event still lists per order)."""

import dataclasses
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketcraft.kernel.errors import InvariantViolation
from marketcraft.opportunity import accounts
from marketcraft.opportunity.commands import (
    Context,
    ListMarket,
    PlaceCloseOrder,
    PlaceOrder,
    RevealMarket,
)
from marketcraft.opportunity.engine import decide
from marketcraft.opportunity.events import MarketRevealed, OrderExecuted
from marketcraft.opportunity.invariants import check_all
from marketcraft.opportunity.state import evolve
from marketcraft.opportunity.terms import Side, Token
from tests.unit.test_opportunity_engine import LATER, Program

SCOUTS = ("ann", "bob", "cy")
SALT = bytes(32)

buy = st.tuples(
    st.just(Side.BUY), st.sampled_from(SCOUTS), st.integers(1, 40_000).map(lambda c: D(c) / 100)
)
sell = st.tuples(st.just(Side.SELL), st.sampled_from(SCOUTS), st.integers(1, 3_000).map(D))
close = st.tuples(st.just("close"), st.sampled_from(SCOUTS), st.integers(1, 500).map(D))


def _left_by_order(event: OrderExecuted) -> D:
    """What one order's own escrow held until the reveal."""
    if event.side is Side.BUY:
        return event.escrow - event.cash - event.fee
    return event.cash - event.fee


@given(st.lists(st.one_of(buy, sell, close), min_size=1, max_size=25))
def test_per_scout_order_escrows_release_what_the_per_order_escrows_did(steps):
    p = Program()
    p.do("label", ListMarket("m", "Will we sign XYZ?"))
    p.fund(*SCOUTS, amount=D(5000))
    left: dict[str, D] = {}  # order id -> what its own escrow would hold
    owner: dict[str, str] = {}
    for n, (kind, scout, size) in enumerate(steps):
        if kind == "close":
            command = PlaceCloseOrder(f"c{n}", "m", Token.YES, D("0.2"), size, SALT)
        elif kind is Side.BUY:
            command = PlaceOrder(f"o{n}", "m", Side.BUY, SALT, max_spend=size)
        else:
            command = PlaceOrder(f"o{n}", "m", Side.SELL, SALT, max_shares=size)
        for event in p.do(scout, command):
            if isinstance(event, OrderExecuted):
                left[event.order_id], owner[event.order_id] = _left_by_order(event), scout
    before = {s: p.state.available(s) for s in SCOUTS}
    events = p.do("label", RevealMarket("m"), at=LATER)
    (revealed,) = [e for e in events if isinstance(e, MarketRevealed)]
    listed = dict(revealed.releases)
    # the event lists every order whose escrow held anything, with what it held
    assert {i: a for i, a in listed.items() if i in left} == {i: a for i, a in left.items() if a}
    for scout in SCOUTS:
        from_orders = sum((a for i, a in left.items() if owner[i] == scout), D(0))
        from_closes = sum(
            (a for i, a in listed.items() if i not in left and i in p.state.close_orders
             and p.state.close_orders[i].scout == scout),
            D(0),
        )  # fmt: skip
        assert p.state.available(scout) - before[scout] == from_orders + from_closes
        escrow = accounts.order_escrow("m", scout)
        if p.state.ledger.is_open(escrow):
            assert p.state.ledger.holding(escrow, p.state.cash) == 0
    check_all(p.state)


def test_a_reveal_that_lists_less_than_the_orders_hold_does_not_fold():
    p = Program()
    p.do("label", ListMarket("m", "Will we sign XYZ?"))
    p.fund("ann")
    p.do("ann", PlaceOrder("o1", "m", Side.BUY, SALT, max_spend=D(50)))
    p.do("ann", PlaceOrder("o2", "m", Side.SELL, SALT, max_shares=D(10)))
    (revealed,) = decide(p.state, RevealMarket("m"), Context("label", LATER))[-1:]
    assert isinstance(revealed, MarketRevealed) and revealed.releases
    short = dataclasses.replace(
        revealed, releases=((revealed.releases[0][0], revealed.releases[0][1] - D("0.01")),)
    )
    with pytest.raises(InvariantViolation, match="reveal"):
        evolve(p.state, short)
