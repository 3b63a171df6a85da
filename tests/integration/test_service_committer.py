"""The event loop's group commit: concurrent requests are decided in arrival order, stored in
shared transactions, and each answered with its own outcome once stored."""

import asyncio
import gc
import threading
from datetime import timedelta
from decimal import Decimal as D

from marketcraft.app import group_commit
from marketcraft.app.group_commit import Committer
from marketcraft.app.programs import ProgramRepository
from marketcraft.opportunity.commands import Context, DepositCash, PlaceOrder
from marketcraft.opportunity.invariants import check_all
from marketcraft.opportunity.terms import Side
from tests.integration.test_opportunity_repository import copy_into
from tests.support.opportunity_fixtures import SIGNER, T0


def run_async(main):
    """asyncio.run in a thread of its own: independent of any loop a test plugin left running."""
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("value", asyncio.run(main())))
    thread.start()
    thread.join()
    return result["value"]


def test_concurrent_requests_share_commits_and_get_their_own_answers(database):
    repo = ProgramRepository(database.events, SIGNER)
    copy_into(repo)
    at = T0 + timedelta(hours=3)
    repo.handle("program-demo", DepositCash(D(100)), Context("z", at))
    sizes: list[int] = []
    real = repo.handle_many

    def recording(requests):
        sizes.append(len(requests))
        return real(requests)

    repo.handle_many = recording  # type: ignore[method-assign]
    committer = Committer(repo)

    async def place(i: int):
        order = PlaceOrder(f"z-{i}", "m1", Side.BUY, bytes(32), max_spend=D(15))
        try:
            return await committer.handle("program-demo", order, Context("z", at))
        except Exception as exc:
            return exc

    async def main():
        return await asyncio.gather(*(place(i) for i in range(10)))

    answers = run_async(main)
    assert sum(sizes) == 10 and max(sizes) > 1
    # 100 / 15: the first six in arrival order fit, the rest are refused
    placed = [a for a in answers if not isinstance(a, Exception)]
    refused = [a for a in answers if isinstance(a, Exception)]
    assert [h.receipt.order_id for h in placed] == [f"z-{i}" for i in range(6)]
    assert {getattr(e, "code", "") for e in refused} == {"insufficient_cash"}
    reader = ProgramRepository(database.events, SIGNER)
    stored, records = reader.journal("program-demo"), reader.records("program-demo")
    check_all(stored.state)
    for handled in placed:
        assert records[stored.receipt_sequence[handled.receipt.order_id]] == handled.record


def test_a_storage_failure_reaches_every_request_of_the_batch(database):
    repo = ProgramRepository(database.events, SIGNER)
    copy_into(repo)
    at = T0 + timedelta(hours=3)
    repo.handle("program-demo", DepositCash(D(100)), Context("z", at))
    real_append = database.events.append

    def failing(*args, **kwargs):
        raise OSError("disk full")

    database.events.append = failing
    committer = Committer(repo)

    async def main():
        orders = [PlaceOrder(f"f-{i}", "m1", Side.BUY, bytes(32), max_spend=D(5)) for i in range(3)]
        return await asyncio.gather(
            *(committer.handle("program-demo", o, Context("z", at)) for o in orders),
            return_exceptions=True,
        )

    try:
        answers = run_async(main)
    finally:
        database.events.append = real_append
    assert all(isinstance(a, OSError) for a in answers)
    assert not any(o.startswith("f-") for o in repo.journal("program-demo").state.orders)


def test_what_the_commits_leave_in_memory_is_frozen_out_of_the_collectors_reach(
    database, monkeypatch
):
    """Every FREEZE_EVERY commands, the state the commits built moves to the collector's
    permanent generation, so full collections stop walking every order ever placed."""
    monkeypatch.setattr(group_commit, "FREEZE_EVERY", 3)
    repo = ProgramRepository(database.events, SIGNER)
    copy_into(repo)
    committer = Committer(repo)
    calls = []
    real_freeze = gc.freeze
    monkeypatch.setattr(gc, "freeze", lambda: (calls.append(1), real_freeze()))
    gc.unfreeze()
    try:

        async def deposits(n):
            for i in range(n):
                ctx = Context(f"f{i}", T0 + timedelta(hours=3))
                await committer.handle("program-demo", DepositCash(D(1)), ctx)

        run_async(lambda: deposits(2))
        assert calls == [] and gc.get_freeze_count() == 0
        run_async(lambda: deposits(1))
        assert calls == [1] and gc.get_freeze_count() > 0
        run_async(lambda: deposits(2))
        assert calls == [1]  # not yet three more
        run_async(lambda: deposits(1))
        assert calls == [1, 1]
    finally:
        gc.unfreeze()
