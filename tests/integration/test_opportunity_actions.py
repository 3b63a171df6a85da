"""The application functions every opportunity command goes through (the API's and the pages'):
ids and salts made in one place, an order's idempotency key honoured, and every command queued
on the group commit."""

import asyncio
import threading
from datetime import timedelta
from decimal import Decimal as D

import pytest

from marketcraft.app import opportunity_actions as actions
from marketcraft.app.group_commit import Committer
from marketcraft.app.programs import ProgramRepository
from marketcraft.kernel.errors import IdempotencyKeyReused, ValidationError
from marketcraft.kernel.messages import to_plain
from marketcraft.opportunity.commands import Context, Outcome, PlaceCloseOrder, PlaceOrder
from marketcraft.opportunity.journal import parse_command_record
from marketcraft.opportunity.terms import ProgramTerms, Side, Token
from tests.support.opportunity_fixtures import SIGNER, T0


def run_async(main):
    """asyncio.run(main()) in a thread of its own (independent of any loop a test plugin left
    running); its result, or its error raised here."""
    outcome = {}

    def run():
        try:
            outcome["value"] = asyncio.run(main())
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


TERMS = ProgramTerms(market_budget=D(1000), window_seconds=86400, fee_rate=D("0.01"))


class Recording:
    """The service's Committer, noting every command it is handed."""

    def __init__(self, committer: Committer) -> None:
        self.committer = committer
        self.seen: list[tuple[str, object, Context]] = []

    @property
    def programs(self) -> ProgramRepository:
        return self.committer.programs

    async def handle(self, program_id, command, ctx):
        self.seen.append((program_id, command, ctx))
        return await self.committer.handle(program_id, command, ctx)


@pytest.fixture
def commit(database):
    return Recording(Committer(ProgramRepository(database.events, SIGNER)))


def at(minutes: int) -> Context:
    return Context("label", T0 + timedelta(minutes=minutes))


def scout(name: str, minutes: int) -> Context:
    return Context(name, T0 + timedelta(minutes=minutes))


def opened(commit) -> tuple[str, str]:
    """A program with one open market and a scout ("fan") holding 500."""

    async def main():
        pid = await actions.open_program(
            commit, at(0), title="Scouting", deposit=D(10_000), terms=TERMS
        )
        mid = await actions.list_market(commit, at(1), pid, title="Sign Ada?")
        await actions.deposit_cash(commit, scout("fan", 2), pid, D(500))
        return pid, mid

    return run_async(main)


def test_ids_are_made_by_the_actions_and_every_command_goes_through_the_group_commit(commit):
    pid, mid = opened(commit)
    assert pid.startswith("p-") and len(pid) == 2 + 16
    assert mid.startswith("m-") and len(mid) == 2 + 12
    assert [type(c).__name__ for _, c, _ in commit.seen] == [
        "OpenProgram", "ListMarket", "DepositCash",
    ]  # fmt: skip
    state = commit.programs.journal(pid).state
    assert state.sponsor == "label" and set(state.markets) == {mid}
    assert state.available("fan") == D(500)


def test_an_order_is_named_by_its_key_and_salted_afresh(commit):
    pid, mid = opened(commit)

    async def main():
        first = await actions.place_order(
            commit, scout("fan", 3), pid, idempotency_key="k1", market_id=mid, side=Side.BUY,
            max_spend=D(20),
        )  # fmt: skip
        second = await actions.place_order(
            commit, scout("fan", 4), pid, idempotency_key="k2", market_id=mid, side=Side.BUY,
            max_spend=D(20),
        )  # fmt: skip
        return first, second

    first, second = (placed.receipt for placed in run_async(main))
    assert first.order_id == actions.order_id_for("fan", "k1") != second.order_id
    assert actions.order_id_for("fan", "k1") != actions.order_id_for("other", "k1")
    placed = [c for _, c, _ in commit.seen if isinstance(c, PlaceOrder)]
    assert [len(c.salt) for c in placed] == [actions.SALT_BYTES] * 2
    assert placed[0].salt != placed[1].salt


def test_a_retry_gets_the_first_receipt_and_a_reused_key_is_refused(commit):
    pid, mid = opened(commit)

    def order(spend: str, minutes: int):
        return actions.place_order(
            commit, scout("fan", minutes), pid, idempotency_key="same", market_id=mid,
            side=Side.BUY, max_spend=D(spend),
        )  # fmt: skip

    first = run_async(lambda: order("25", 3))
    records = commit.programs.journal(pid).size
    again = run_async(lambda: order("25", 4))
    assert again == first  # the same signed receipt, re-issued
    with pytest.raises(IdempotencyKeyReused) as refused:
        run_async(lambda: order("26", 5))
    assert isinstance(refused.value, ValidationError)  # answered 400 like every refusal
    assert refused.value.code == "idempotency_key_reused"
    journal = commit.programs.journal(pid)
    assert journal.size == records  # neither retry stored anything
    assert journal.state.available("fan") == D(475)


def test_a_close_order_gets_its_id_salt_and_receipt_here(commit):
    pid, mid = opened(commit)

    async def main():
        await actions.place_order(
            commit, scout("fan", 3), pid, idempotency_key="buy", market_id=mid, side=Side.BUY,
            max_spend=D(50),
        )  # fmt: skip
        return await actions.place_close_order(
            commit, scout("fan", 4), pid, market_id=mid, token=Token.YES,
            trigger_price=D("0.02"), max_shares=D(10),
        )  # fmt: skip

    placed = run_async(main)
    receipt = placed.receipt
    (close,) = [c for _, c, _ in commit.seen if isinstance(c, PlaceCloseOrder)]
    # the order as the receipt's hash covers it: what was sent, with its id, never the salt
    assert placed.order["type"] == PlaceCloseOrder.type_name
    assert placed.order["data"] == {k: v for k, v in to_plain(close).items() if k != "salt"}
    assert receipt.order_id == close.order_id and close.order_id.startswith("c-")
    assert len(close.salt) == actions.SALT_BYTES
    index = commit.programs.journal(pid).receipt_sequence[receipt.order_id]
    (record,) = commit.programs.records(pid, index, index + 1)
    stored, ctx = parse_command_record(record.command)
    assert stored == close and ctx.actor == "fan"


def test_the_sponsors_actions_reach_the_engine(commit):
    pid, mid = opened(commit)
    end = T0 + timedelta(days=2)

    async def main():
        await actions.record_acted_on(commit, at(5), pid, mid, evidence="signed")
        ctx = Context("label", end)
        await actions.reveal_market(commit, ctx, pid, mid)
        await actions.resolve_market(commit, ctx, pid, mid, outcome=Outcome.YES, evidence="ok")
        await actions.settle_program(commit, ctx, pid)

    run_async(main)
    state = commit.programs.journal(pid).state
    assert state.markets[mid].outcome is Outcome.YES and state.settled
