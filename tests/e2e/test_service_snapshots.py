"""The service snapshots its programs when it stops, and a restart starts from the snapshots:
the first read of a program folds only what was stored after its snapshot."""

from fastapi.testclient import TestClient

from marketcraft.config import Settings
from marketcraft.kernel import SimulatedClock
from marketcraft.opportunity.journal import ProgramJournal
from marketcraft.roles import Role
from marketcraft.service.app import create_app
from marketcraft.store import Database
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW, SIGNER, bearer


def serve(db, **settings):
    app = create_app(Settings(**settings), database=db, clock=SimulatedClock(NOW), signer=SIGNER)
    return TestClient(app)


def test_a_stopping_service_snapshots_and_the_next_one_starts_there(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 's.db'}"
    db = Database.open(url, migrate=True)
    label = bearer(issue_token(db.principals, "label", Role.SPONSOR, NOW)[1])
    sam = bearer(issue_token(db.principals, "sam", Role.SCOUT, NOW)[1])
    with serve(db) as client:
        r = client.post("/programs", headers=label, json={
            "title": "snap", "deposit": "100000", "terms": {"market_budget": "1000"},
        })  # fmt: skip
        pid = r.json()["program_id"]
        client.post(f"/programs/{pid}/markets", headers=label, json={"title": "A?"})
        assert client.post(
            f"/programs/{pid}/deposits", headers=sam, json={"amount": "70"}
        ).is_success
        assert db.snapshots.get(f"opportunity/{pid}") is None  # 3 records: not due while running
    stored = db.events.stream_version(f"opportunity/{pid}")
    snapshot = db.snapshots.get(f"opportunity/{pid}")
    assert snapshot is not None and snapshot.version == stored == 3

    folded = []
    real_fold = ProgramJournal.fold
    monkeypatch.setattr(
        ProgramJournal, "fold", lambda self, r: (folded.append(r), real_fold(self, r))
    )
    with serve(db) as client:
        balance = client.get(f"/programs/{pid}/balance", headers=sam)
        assert balance.json() == {"available": "70.00"}
        assert folded == []
        client.post(f"/programs/{pid}/deposits", headers=sam, json={"amount": "5"})
    assert db.snapshots.get(f"opportunity/{pid}").version == 4
    with serve(db, snapshot_every=0) as client:  # snapshots off: nothing new is written
        client.post(f"/programs/{pid}/deposits", headers=sam, json={"amount": "5"})
        assert client.get(f"/programs/{pid}/balance", headers=sam).json() == {"available": "80.00"}
    assert db.snapshots.get(f"opportunity/{pid}").version == 4
    assert len(folded) == 0  # the third service started from the snapshot, then decided one
    db.close()
