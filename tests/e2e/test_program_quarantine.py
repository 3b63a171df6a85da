"""Corrupt state fails fast: a program whose stored journal does not fold answers 500 once,
with the cause in the log, and is quarantined: its commands are refused (423) across restarts
until an operator releases it with the CLI; other programs are untouched. A command that was
decided but does not fold quarantines its program too, while its stored state stays readable."""

import json
import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from marketcraft.cli import app as cli
from marketcraft.config import Settings
from marketcraft.kernel import SimulatedClock
from marketcraft.kernel.messages import canonical_json
from marketcraft.opportunity import state as program_state
from marketcraft.opportunity.events import CashWithdrawn
from marketcraft.roles import Role
from marketcraft.service.app import create_app
from marketcraft.store import Database
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW, SIGNER, bearer
from tests.support.pages import sign_in

LOGGER = "marketcraft.app.programs"


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'q.db'}"


@pytest.fixture
def people(url):
    db = Database.open(url, migrate=True)
    made = {
        name: bearer(issue_token(db.principals, name, role, NOW)[1])
        for name, role in (("label", Role.SPONSOR), ("sam", Role.SCOUT))
    }
    db.close()
    return made


def serve(url):
    """The service on the database at ``url``, as a fresh process would start it, without
    snapshots: every load folds the whole stored journal (a snapshot taken at shutdown would
    spare the restart from reading the records before it; the audit reads them all)."""
    db = Database.open(url)
    settings = Settings(snapshot_every=0)
    app = create_app(settings, database=db, clock=SimulatedClock(NOW), signer=SIGNER)
    return db, TestClient(app)


def open_program(client, people, title):
    r = client.post("/programs", headers=people["label"], json={
        "title": title, "deposit": "100000", "terms": {"market_budget": "1000"},
    })  # fmt: skip
    assert r.status_code == 201, r.text
    pid = r.json()["program_id"]
    r = client.post(f"/programs/{pid}/markets", headers=people["label"], json={"title": "A?"})
    assert r.status_code == 201, r.text
    deposit(client, people, pid, "500", expect=200)
    return pid


def deposit(client, people, pid, amount, expect):
    r = client.post(f"/programs/{pid}/deposits", headers=people["sam"], json={"amount": amount})
    assert r.status_code == expect, r.text
    return r


def corrupt_the_deposit(url, pid):
    """Rewrite the stored deposit record's bytes: its events no longer fold."""
    db = Database.open(url)
    assert db.engine is not None
    stream = f"opportunity/{pid}"
    (item,) = [e for e in db.events.read_stream(stream) if b"deposit_cash" in e.data]
    plain = json.loads(item.data)
    changed = plain["events"].replace('"opportunity.cash_deposited"', '"opportunity.cash_found"')
    assert changed != plain["events"]
    data = canonical_json({**plain, "events": changed})
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE events SET data = :d WHERE stream_id = :s AND version = :v"),
            {"d": data, "s": stream, "v": item.version},
        )
    db.close()
    return item


def restore(url, original):
    db = Database.open(url)
    assert db.engine is not None
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE events SET data = :d WHERE stream_id = :s AND version = :v"),
            {"d": original.data, "s": original.stream_id, "v": original.version},
        )
    db.close()


def quarantine_cli(*args):
    result = CliRunner().invoke(cli, ["opportunity", "quarantine", *args], env={"COLUMNS": "250"})
    return result


def test_a_journal_that_does_not_fold_stops_its_program_until_an_operator_releases_it(
    url, people, caplog
):
    db, client = serve(url)
    with client:
        pid = open_program(client, people, "corrupted")
        other = open_program(client, people, "healthy")
    db.close()
    original = corrupt_the_deposit(url, pid)

    db, client = serve(url)  # a restart: the journal is folded from the store
    with client, caplog.at_level(logging.ERROR, logger=LOGGER):
        r = deposit(client, people, pid, "10", expect=500)
        assert r.json()["detail"] == "the server found inconsistent state and stopped"
        (logged,) = [rec for rec in caplog.records if rec.name == LOGGER]
        assert pid in logged.getMessage() and "fold_failed" in logged.getMessage()
        assert "record 2" in logged.getMessage()  # the record that does not fold
        refused = deposit(client, people, pid, "10", expect=423)
        assert refused.json()["code"] == "program_quarantined"
        # the state cannot be built, so its reads answer the same clear status
        assert client.get(f"/programs/{pid}", headers=people["sam"]).status_code == 423
        # ... and no other program is touched: the list is served without it
        listed = client.get("/programs", headers=people["sam"])
        assert listed.status_code == 200
        assert [p["program_id"] for p in listed.json()["items"]] == [other]
        deposit(client, people, other, "10", expect=200)
        sign_in(client, people["sam"]["Authorization"].removeprefix("Bearer "))
        page = client.get("/ui/scout")  # the scout's page lists the rest
        assert page.status_code == 200 and "healthy" in page.text and "corrupted" not in page.text
        client.cookies.clear()
        client.headers.pop("x-csrftoken")
    db.close()

    db, client = serve(url)  # still quarantined after a restart
    with client:
        assert deposit(client, people, pid, "10", expect=423).json()["code"] == (
            "program_quarantined"
        )
    listing = quarantine_cli("list", "--database-url", url)
    assert listing.exit_code == 0 and pid in listing.stdout and "fold_failed" in listing.stdout
    assert other not in listing.stdout

    restore(url, original)  # the operator repairs the record, then releases the program
    released = quarantine_cli("release", pid, "--database-url", url)
    assert released.exit_code == 0, released.output
    with client:
        deposit(client, people, pid, "10", expect=200)  # the running server sees the release
        assert client.get(f"/programs/{pid}/balance", headers=people["sam"]).json() == {
            "available": "510.00"
        }
    db.close()
    assert pid not in quarantine_cli("list", "--database-url", url).stdout
    missing = quarantine_cli("release", pid, "--database-url", url)
    assert missing.exit_code != 0


def test_a_command_that_does_not_fold_stops_its_program_but_its_state_stays_readable(
    url, people, caplog, monkeypatch
):
    db, client = serve(url)
    with client:
        pid = open_program(client, people, "bug")

        def broken(state, event):
            raise KeyError("a bug in the fold")

        monkeypatch.setattr(
            program_state, "_HANDLERS", program_state._HANDLERS.replacing(CashWithdrawn, broken)
        )
        with caplog.at_level(logging.ERROR, logger=LOGGER):
            r = client.post(
                f"/programs/{pid}/withdrawals", headers=people["sam"], json={"amount": "5"}
            )
        assert r.status_code == 500
        (logged,) = [rec for rec in caplog.records if rec.name == LOGGER]
        assert pid in logged.getMessage() and "fold_failed" in logged.getMessage()
        monkeypatch.undo()
        # nothing was stored; what was stored still builds, so reads work
        balance = client.get(f"/programs/{pid}/balance", headers=people["sam"])
        assert balance.status_code == 200 and balance.json() == {"available": "500.00"}
        assert client.get(f"/programs/{pid}", headers=people["sam"]).status_code == 200
        # commands wait for the operator
        r = client.post(f"/programs/{pid}/withdrawals", headers=people["sam"], json={"amount": "5"})
        assert r.status_code == 423 and r.json()["code"] == "program_quarantined"
        client.app.state.database.quarantine.release("opportunity", pid)  # type: ignore[attr-defined]
        r = client.post(f"/programs/{pid}/withdrawals", headers=people["sam"], json={"amount": "5"})
        assert r.status_code == 200 and r.json() == {"available": "495.00"}
    db.close()
