"""The order book: a few bytes per order in memory, the facts read back from the records."""

import pickle
from decimal import Decimal as D

import pytest

from marketcraft.kernel.errors import InvariantViolation
from marketcraft.opportunity import order_book
from marketcraft.opportunity.commands import (
    ListMarket,
    PlaceCloseOrder,
    PlaceOrder,
    RegisterAgent,
)
from marketcraft.opportunity.order_book import DigestIndex, OrderBook
from marketcraft.opportunity.runner import ProgramRunner
from marketcraft.opportunity.terms import Side, Token
from tests.unit.test_opportunity_engine import Program

SALT = bytes(32)


def busy_program() -> Program:
    p = Program()
    p.do("label", ListMarket("m", "Will we sign XYZ?"))
    p.do("label", ListMarket("n", "Will we sign ABC?"))
    p.fund("ann", "bob")
    p.do("ann", PlaceOrder("a1", "m", Side.BUY, SALT, max_spend=D(20)))
    p.do("bob", PlaceCloseOrder("c1", "m", Token.YES, D("0.5"), D(5), SALT))
    p.do("bob", PlaceOrder("b1", "n", Side.BUY, SALT, max_spend=D(30)))
    p.do("bob", RegisterAgent("g1", "m", D(10), D(5), D("0.02"), SALT))
    p.do("ann", PlaceOrder("a2", "m", Side.SELL, SALT, max_shares=D(3)))
    return p


def test_the_book_reads_each_order_back_from_its_record():
    p = busy_program()
    book = p.state.orders
    assert list(book) == ["a1", "b1", "a2"] and len(book) == 3
    assert book["a2"].side is Side.SELL and book["a2"].scout == "ann"
    assert "c1" not in book and book.taken("c1") and book.taken("g1") and not book.taken("zz")
    assert [o.order_id for o in book.of_scout("ann")] == ["a1", "a2"]
    assert [o.order_id for o in book.of_market("m")] == ["a1", "a2"]
    escrows = [(i, o is not None) for i, o in book.escrows("m")]
    assert escrows == [("a1", True), ("c1", False), ("g1", False), ("a2", True)]
    assert book.placed() == ["a1", "c1", "b1", "g1", "a2"]
    # the record that placed each: OpenProgram 0, two listings, two deposits, then one each
    assert [book.sequence_of(i) for i in book.placed()] == [5, 6, 7, 8, 9]


def test_ids_sharing_a_digest_are_told_apart_by_their_records(monkeypatch):
    monkeypatch.setattr(order_book, "_digest", lambda item_id: 42)  # every id collides
    p = busy_program()
    book = p.state.orders
    assert [book.sequence_of(i) for i in ("a1", "c1", "b1", "g1", "a2")] == [5, 6, 7, 8, 9]
    assert book["b1"].market_id == "n" and "zz" not in book and not book.taken("zz")


def test_the_digest_index_grows_and_keeps_every_position():
    index = DigestIndex(capacity=4)
    for n in range(1000):
        index.add(f"o{n}", n)
    assert len(index) == 1000
    assert all(n in index.candidates(f"o{n}") for n in range(1000))
    assert index.candidates("nobody") == []


def test_a_pickled_book_keeps_its_index_but_not_its_source():
    p = busy_program()
    copy = pickle.loads(pickle.dumps(p.state.orders))
    assert len(copy) == 3 and copy.position == p.state.orders.position
    with pytest.raises(InvariantViolation, match="cannot be read"):
        copy.taken("a1")
    copy.attach(p.runner._records.__getitem__)
    assert copy["a1"] == p.state.orders["a1"]


def test_an_order_folded_outside_a_record_is_refused():
    p = busy_program()
    (event,) = [e for e in p.runner.events if getattr(e, "order_id", None) == "a1"]
    with pytest.raises(InvariantViolation, match="outside a record"):
        OrderBook().add_order(event)


def test_a_runner_built_from_events_reads_its_orders():
    p = busy_program()
    again = ProgramRunner(list(p.runner.events))
    assert list(again.state.orders) == ["a1", "b1", "a2"]
    assert again.state.orders["a1"] == p.state.orders["a1"]
