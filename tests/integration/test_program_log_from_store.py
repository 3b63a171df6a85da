"""A program of many records keeps its log's leaves in the store, not in memory: proofs,
earlier roots, receipts and the audit read them back, from a fresh load or a snapshot."""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from marketcraft.app.programs import ProgramRepository
from marketcraft.kernel.errors import InvariantViolation
from marketcraft.kernel.merkle import verify_consistency, verify_inclusion
from marketcraft.opportunity.commands import (
    Context,
    DepositCash,
    ListMarket,
    OpenProgram,
    PlaceOrder,
)
from marketcraft.opportunity.terms import ProgramTerms, Side
from tests.support.opportunity_fixtures import SIGNER, T0

PROGRAM = "long-program"
ORDERS = 600


def long_program(repo: ProgramRepository) -> None:
    terms = ProgramTerms(market_budget=D(1000), window_seconds=30 * 86400)
    repo.handle(PROGRAM, OpenProgram(PROGRAM, "Long", D(5000), terms), Context("label", T0))
    repo.handle(PROGRAM, ListMarket("m", "Will we sign Ann?"), Context("label", T0))
    for scout in ("s1", "s2"):
        repo.handle(PROGRAM, DepositCash(D(10_000)), Context(scout, T0))
    batch = [
        (PROGRAM, PlaceOrder(f"o{i}", "m", Side.BUY, bytes([i % 256]) * 32, max_spend=D(1)),
         Context(f"s{1 + i % 2}", T0 + timedelta(seconds=i)))
        for i in range(ORDERS)
    ]  # fmt: skip
    for start in range(0, ORDERS, 100):
        assert all(
            not isinstance(r, Exception) for r in repo.handle_many(batch[start : start + 100])
        )


def test_proofs_and_receipts_of_early_orders_read_the_leaves_from_the_store(database):
    writer = ProgramRepository(database.events, SIGNER, snapshots=database.snapshots)
    long_program(writer)
    first = writer.publish_checkpoint(PROGRAM, T0 + timedelta(hours=1))
    writer.snapshot(PROGRAM)
    for reader in (
        writer,
        ProgramRepository(database.events, SIGNER, snapshots=database.snapshots),
    ):
        journal = reader.journal(PROGRAM)
        assert journal.size == ORDERS + 4
        assert len(journal.log._tree._kept) < 32 * 256  # the last chunk's leaves only
        download = reader.receipt_download(PROGRAM, "o3")
        assert download is not None and download["inclusion"] is not None
        inclusion = reader.inclusion(PROGRAM, "o3")
        assert inclusion is not None and inclusion.leaf_index == 7
        root = first.checkpoint.root_hash
        assert verify_inclusion(journal.log.leaf(7), 7, journal.size, inclusion.proof, root)
        assert reader.audit(PROGRAM).log.root() == root
    more = PlaceOrder("late", "m", Side.BUY, bytes(32), max_spend=D(1))
    writer.handle(PROGRAM, more, Context("s1", T0 + timedelta(days=1)))
    second = writer.publish_checkpoint(PROGRAM, T0 + timedelta(hours=2))
    proof = writer.consistency(PROGRAM, first.checkpoint.tree_size, second.checkpoint.tree_size)
    assert verify_consistency(
        first.checkpoint.tree_size, second.checkpoint.tree_size,
        first.checkpoint.root_hash, second.checkpoint.root_hash, proof,
    )  # fmt: skip


def test_a_changed_record_under_a_released_chunk_is_caught_when_read_back(database):
    writer = ProgramRepository(database.events, SIGNER)
    long_program(writer)
    writer.publish_checkpoint(PROGRAM, T0 + timedelta(hours=1))
    journal = writer.journal(PROGRAM)
    real = journal.log._tree._source
    assert real is not None
    journal.log.attach(lambda start, stop: [bytes(32)] * (stop - start))
    with pytest.raises(InvariantViolation, match="not the logged ones"):
        writer.inclusion(PROGRAM, "o3")
    journal.log.attach(real)
    assert writer.inclusion(PROGRAM, "o3") is not None
