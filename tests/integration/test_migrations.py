"""Migrations build exactly the schema the code declares, are idempotent and reversible."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from marketcraft.store import Database, make_engine
from marketcraft.store.database import SchemaOutOfDate
from marketcraft.store.migrate import current_revision, downgrade, head_revision, upgrade
from marketcraft.store.schema import metadata


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
