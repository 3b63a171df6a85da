"""Programs in the event store: durable journal records, reload by replay, concurrent writers
through separate repositories (as separate processes would), and export from the database."""

import json
import threading
import time
from datetime import timedelta
from decimal import Decimal as D

from sqlalchemy import text
from typer.testing import CliRunner

from marketcraft.app.programs import ProgramRepository
from marketcraft.cli import app
from marketcraft.kernel.messages import canonical_json
from marketcraft.opportunity.commands import Context, DepositCash, PlaceOrder
from marketcraft.opportunity.invariants import check_all
from marketcraft.opportunity.journal import parse_command_record
from marketcraft.opportunity.terms import Side
from marketcraft.opportunity.transcript import verify_transcript
from marketcraft.store import Database
from marketcraft.store.keys import load_or_create_signer
from tests.support.opportunity_fixtures import SIGNER, T0, settled_journal


def copy_into(repo: ProgramRepository):
    """Run the fixture program's commands through the repository."""
    journal, _, _ = settled_journal()
    for record in journal.records[:-3]:  # stop before resolution and settlement
        command, ctx = parse_command_record(record.command)
        repo.handle("program-demo", command, ctx)
    return journal


def test_records_survive_and_replay_in_a_new_repository(database):
    repo = ProgramRepository(database.events, SIGNER)
    original = copy_into(repo)
    reader = ProgramRepository(database.events, SIGNER)
    fresh = reader.journal("program-demo")
    assert reader.records("program-demo") == original.records[:-3]
    assert fresh.size == original.size - 3
    assert fresh.log.root() == original.log.root(fresh.size)
    assert fresh.log.chain_head() == original.log.chain_head(fresh.size)
    assert fresh.state.ledger.balances() == repo.journal("program-demo").state.ledger.balances()
    check_all(fresh.state)


def test_two_repositories_writing_one_program_never_double_spend(database):
    writers = [ProgramRepository(database.events, SIGNER) for _ in range(2)]
    copy_into(writers[0])
    at = T0 + timedelta(hours=3)
    for scout in ("x", "y"):
        writers[0].handle("program-demo", DepositCash(D(100)), Context(scout, at))

    def trade(repo, scout, n):
        for i in range(n):
            order = PlaceOrder(f"{scout}-{i}", "m1", Side.BUY, bytes(32), max_spend=D(15))
            try:
                repo.handle("program-demo", order, Context(scout, at))
            except Exception as exc:  # out of cash is the expected end
                assert getattr(exc, "code", "") == "insufficient_cash", exc

    threads = [
        threading.Thread(target=trade, args=(w, s, 8))
        for w, s in zip(writers, ("x", "y"), strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = ProgramRepository(database.events, SIGNER).journal("program-demo")
    check_all(final.state)
    for scout in ("x", "y"):
        orders = [o for o in final.state.orders.values() if o.scout == scout]
        assert len(orders) == 6  # 100 / 15 -> six escrows fit, never a seventh
        assert final.state.available(scout) == D(10)


def test_export_from_the_database_verifies(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    db = Database.open(url, migrate=True)
    monkeypatch.setenv("MARKETCRAFT_DATA_DIR", str(tmp_path / "var"))

    signer = load_or_create_signer(tmp_path / "var")
    repo = ProgramRepository(db.events, signer)
    journal, _, _ = settled_journal()

    for record in journal.records:
        command, ctx = parse_command_record(record.command)
        repo.handle("program-demo", command, ctx)
    repo.publish_checkpoint("program-demo", T0 + timedelta(days=20))
    db.close()
    out = tmp_path / "t.json"
    result = CliRunner().invoke(
        app, ["opportunity", "export", "program-demo", "--database-url", url, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert verify_transcript(doc, public_key=signer.public_key) == []
    # the published checkpoint already covers every record: no second one of the same size
    (published,) = repo.checkpoints("program-demo")
    assert doc["checkpoints"] == [published.note]


def test_a_failed_append_leaves_the_cached_program_consistent_with_the_store(database):
    """A storage error after the engine applied a command must not leave the command in the
    cached state: the next command is decided on what was stored, and nothing is skipped."""
    repo = ProgramRepository(database.events, SIGNER)
    copy_into(repo)
    at = T0 + timedelta(hours=3)
    repo.handle("program-demo", DepositCash(D(100)), Context("x", at))
    real_append = database.events.append

    def failing_append(*args, **kwargs):
        raise OSError("disk full")

    database.events.append = failing_append
    order = PlaceOrder("lost", "m1", Side.BUY, bytes(32), max_spend=D(60))
    try:
        repo.handle("program-demo", order, Context("x", at))
    except OSError:
        pass
    else:  # pragma: no cover - the append must have failed
        raise AssertionError("the append did not fail")
    finally:
        database.events.append = real_append
    journal = repo.journal("program-demo")
    assert "lost" not in journal.state.orders
    assert journal.state.available("x") == D(100)
    # the same money can still be spent once, and a fresh reader agrees record for record
    repo.handle(
        "program-demo",
        PlaceOrder("kept", "m1", Side.BUY, bytes(32), max_spend=D(60)),
        Context("x", at),
    )
    fresh = ProgramRepository(database.events, SIGNER).journal("program-demo")
    kept = repo.journal("program-demo")
    assert (fresh.size, fresh.log.root()) == (kept.size, kept.log.root())
    assert fresh.state.available("x") == D(40)


def _assert_answered_as_stored(database, answers):
    """Every answer matches what a fresh reader finds stored, refusals included."""
    reader = ProgramRepository(database.events, SIGNER)
    stored, records = reader.journal("program-demo"), reader.records("program-demo")
    check_all(stored.state)
    for order_id, answer in answers.items():
        if isinstance(answer, Exception):
            assert getattr(answer, "code", "") == "insufficient_cash"
            assert order_id not in stored.state.orders
        else:
            assert order_id in stored.state.orders
            assert answer.receipt is not None and answer.receipt.order_id == order_id
            assert records[stored.receipt_sequence[order_id]] == answer.record


def test_concurrent_commands_are_each_answered_as_stored(database):
    """Threads placing orders at once, and a batch handed over at once (as the group commit
    does): a batch is decided in order and stored in one append; every answer matches what
    was stored, refusals included."""
    repo = ProgramRepository(database.events, SIGNER)
    copy_into(repo)
    at = T0 + timedelta(hours=3)
    scouts = [f"g{i}" for i in range(8)]
    for scout in scouts:
        repo.handle("program-demo", DepositCash(D(50)), Context(scout, at))
    real_append = database.events.append
    sizes: list[int] = []

    def slow_append(stream, expected, batch):
        sizes.append(len(batch))
        time.sleep(0.01)  # a slow disk: later commands queue up behind this commit
        return real_append(stream, expected, batch)

    database.events.append = slow_append
    answers: dict[str, object] = {}
    batch = [
        ("program-demo", PlaceOrder(f"b-{i}", "m1", Side.BUY, bytes(32), max_spend=D(15)),
         Context("g0", at))
        for i in range(3)
    ]  # fmt: skip
    for (_, order, _), outcome in zip(batch, repo.handle_many(batch), strict=True):
        answers[order.order_id] = outcome
    assert sizes == [3]  # one append for the batch

    def trade(scout):
        for i in range(4):  # 4 x 15 > 50: the fourth order of each scout is refused
            order = PlaceOrder(f"{scout}-{i}", "m1", Side.BUY, bytes(32), max_spend=D(15))
            try:
                answers[order.order_id] = repo.handle("program-demo", order, Context(scout, at))
            except Exception as exc:
                answers[order.order_id] = exc

    threads = [threading.Thread(target=trade, args=(s,)) for s in scouts]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        database.events.append = real_append
    _assert_answered_as_stored(database, answers)
    placed = [o for o in answers if not isinstance(answers[o], Exception)]
    assert len(placed) == 3 * len(scouts)


def test_the_audit_command_decides_every_stored_command_again(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    db = Database.open(url, migrate=True)
    monkeypatch.setenv("MARKETCRAFT_DATA_DIR", str(tmp_path / "var"))
    signer = load_or_create_signer(tmp_path / "var")
    repo = ProgramRepository(db.events, signer)
    journal, _, _ = settled_journal()
    for record in journal.records:
        repo.handle("program-demo", *parse_command_record(record.command))
    repo.publish_checkpoint("program-demo", T0 + timedelta(days=20))
    audit = ["opportunity", "audit", "program-demo", "--database-url", url]
    result = CliRunner().invoke(app, audit, env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert f"{journal.size} records" in result.output
    assert journal.log.root().hex() in result.output and "1 published" in result.output
    # a stored command rewritten so that its record still folds: loads, but the audit names it
    (item,) = [e for e in db.events.read_stream("opportunity/program-demo") if e.version == 4]
    plain = json.loads(item.data)
    changed = plain["command"].replace('"500"', '"499"')
    assert changed != plain["command"]
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE events SET data = :d WHERE stream_id = :s AND version = 4"),
            {"d": canonical_json({**plain, "command": changed}), "s": "opportunity/program-demo"},
        )
    db.close()
    result = CliRunner().invoke(app, audit, env={"COLUMNS": "250"})
    assert result.exit_code == 1 and "FAILED" in result.output and "record 3" in result.output
