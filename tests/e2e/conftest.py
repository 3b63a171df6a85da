from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from marketcraft.kernel import FixedClock, Signer
from marketcraft.roles import Role
from marketcraft.service.app import create_app
from marketcraft.store import Database
from marketcraft.store.tokens import issue_token

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite"])
def database(request, tmp_path):
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 's.db'}"
    db = Database.open(url, migrate=True)
    yield db
    db.close()


@pytest.fixture
def tokens(database) -> dict[Role, str]:
    """One user per role; returns role -> bearer token."""
    return {
        role: issue_token(database.principals, f"user-{role.value}", role, NOW)[1] for role in Role
    }


SIGNER = Signer(bytes(range(7, 39)))


@pytest.fixture
def client(database):
    with TestClient(create_app(database=database, clock=FixedClock(NOW), signer=SIGNER)) as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
