"""Migrations build exactly the schema the code declares, are idempotent and reversible."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from marketcraft.app.programs import ProgramRepository
from marketcraft.opportunity.journal import parse_command_record
from marketcraft.store import Database, make_engine
from marketcraft.store.database import SchemaOutOfDate
from marketcraft.store.migrate import current_revision, downgrade, head_revision, upgrade
from marketcraft.store.schema import metadata
from marketcraft.store.sql import SqlEventStore
from tests.support.opportunity_fixtures import SIGNER, settled_journal


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    return request.getfixturevalue("postgres_url")


def test_upgrade_builds_the_declared_schema_and_is_idempotent(url):
    engine = make_engine(url)
    assert current_revision(engine) is None
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    downgrade(engine, "base")
    assert current_revision(engine) is None
    engine.dispose()


def test_opening_an_unmigrated_database_says_what_to_run(url):
    with pytest.raises(SchemaOutOfDate, match="marketcraft db upgrade"):
        Database.open(url)
    Database.open(url, migrate=True).close()
    Database.open(url).close()


def test_a_store_written_before_snapshots_upgrades_and_its_programs_load(url):
    """A database at revision 0002 (no snapshots table) holding a program's records, as the
    previous release wrote them, upgrades in place; the program folds from its records, then
    snapshots, and the snapshot gives the same program."""
    engine = make_engine(url)
    upgrade(engine, "0002")
    journal, _, _ = settled_journal()
    old = ProgramRepository(SqlEventStore(engine), SIGNER)  # no snapshots: as before
    for record in journal.records:
        old.handle("program-demo", *parse_command_record(record.command))
    engine.dispose()
    with pytest.raises(SchemaOutOfDate):
        Database.open(url)
    db = Database.open(url, migrate=True)
    try:
        repo = ProgramRepository(db.events, SIGNER, db.quarantine, db.snapshots)
        loaded = repo.journal("program-demo")
        assert (loaded.size, loaded.log.root()) == (journal.size, journal.log.root())
        assert repo.snapshot("program-demo") == journal.size
        again = ProgramRepository(db.events, SIGNER, db.quarantine, db.snapshots)
        assert again.journal("program-demo").state.ledger.balances() == (
            journal.state.ledger.balances()
        )
    finally:
        db.close()
