"""A batch's later commands read the orders its earlier commands placed, before the batch is
stored: a repeated order id is refused, and a reveal releases the order placed just before."""

from datetime import timedelta
from decimal import Decimal as D

from marketcraft.app.programs import ProgramRepository
from marketcraft.kernel.errors import OrderExists
from marketcraft.opportunity.commands import Context, PlaceOrder, RevealMarket
from marketcraft.opportunity.events import MarketRevealed
from marketcraft.opportunity.journal import parse_command_record
from marketcraft.opportunity.terms import Side
from tests.support.opportunity_fixtures import SIGNER, settled_journal

PROGRAM = "program-demo"


def opened(database) -> tuple[ProgramRepository, Context]:
    repo = ProgramRepository(database.events, SIGNER)
    journal, _, _ = settled_journal()
    for record in journal.records[:6]:  # opened, two markets listed, three scouts funded
        repo.handle(PROGRAM, *parse_command_record(record.command))
    _, last = parse_command_record(journal.records[5].command)
    return repo, last


def test_an_order_id_repeated_within_one_batch_is_refused(database):
    repo, last = opened(database)
    at = last.now + timedelta(minutes=1)
    order = PlaceOrder("x1", "m1", Side.BUY, bytes(32), max_spend=D(10))
    again = PlaceOrder("x1", "m2", Side.BUY, bytes([1]) * 32, max_spend=D(5))
    first, second = repo.handle_many([(PROGRAM, order, Context("s1", at)),
                                      (PROGRAM, again, Context("s2", at))])  # fmt: skip
    assert first.receipt is not None and isinstance(second, OrderExists)
    fresh = ProgramRepository(database.events, SIGNER).journal(PROGRAM)
    assert list(fresh.state.orders) == ["x1"] and fresh.receipt_sequence["x1"] == 6


def test_a_reveal_in_the_batch_of_an_order_releases_it(database):
    repo, last = opened(database)
    at = last.now + timedelta(minutes=1)
    order = PlaceOrder("x1", "m1", Side.BUY, bytes(32), max_shares=D(50))  # escrow > cost
    later = Context("label", at + timedelta(days=8))
    _, revealed = repo.handle_many(
        [(PROGRAM, order, Context("s1", at)), (PROGRAM, RevealMarket("m1"), later)]
    )
    (event,) = [e for e in revealed.events if isinstance(e, MarketRevealed)]
    assert [i for i, _ in event.releases] == ["x1"]
    assert repo.journal(PROGRAM).state.orders["x1"].scout == "s1"
    audited = ProgramRepository(database.events, SIGNER).audit(PROGRAM)
    assert audited.log.root() == repo.journal(PROGRAM).log.root()
