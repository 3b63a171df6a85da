import pytest

from marketcraft.store import Database

BACKENDS = ["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def database(request, tmp_path):
    """The same database handle on each backend in turn: in-memory, SQLite file, PostgreSQL."""
    if request.param == "memory":
        url = "memory://"
    elif request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'events.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    db = Database.open(url, migrate=True)
    yield db
    db.close()


@pytest.fixture
def store(database):
    return database.events
