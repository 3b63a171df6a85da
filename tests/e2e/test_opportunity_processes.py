"""Two service processes side by side on one database: no double spend, no reordering."""

import threading

import httpx
import pytest

from marketcraft.app.programs import ProgramRepository
from marketcraft.opportunity.invariants import check_all
from marketcraft.roles import Role
from marketcraft.store import Database
from marketcraft.store.keys import load_or_create_signer
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW
from tests.support.server import Server

SCOUTS = [f"s{i}" for i in range(6)]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'two.db'}"
    return request.getfixturevalue("postgres_url")


def two_servers(url, data_dir, scouts):
    """Two server processes on one database, signing with one platform key; the sponsor's
    ("label") and each scout's auth headers."""
    load_or_create_signer(data_dir)
    db = Database.open(url, migrate=True)
    people = [("label", Role.SPONSOR), *[(s, Role.SCOUT) for s in scouts]]
    h = {
        n: {"Authorization": f"Bearer {issue_token(db.principals, n, r, NOW)[1]}"}
        for n, r in people
    }
    db.close()
    servers = [Server(url, data_dir), Server(url, data_dir)]
    for server in servers:
        server.start()
    return servers, h


def check_stored(url, data_dir, pid, orders):
    """The stored program folds, keeps its invariants, holds ``orders`` orders and its
    stream's versions have no gap."""
    db = Database.open(url)
    try:
        journal = ProgramRepository(db.events, load_or_create_signer(data_dir)).journal(pid)
        check_all(journal.state)
        assert len(journal.state.orders) == orders
        assert [e.version for e in db.events.read_stream(f"opportunity/{pid}")] == list(
            range(1, journal.size + 1)
        )
    finally:
        db.close()


def test_two_processes_never_double_spend(url, tmp_path):
    data_dir = tmp_path / "var"
    servers, h = two_servers(url, data_dir, SCOUTS)
    try:
        a, b = (httpx.Client(base_url=s.url, timeout=20.0) for s in servers)
        pid = a.post("/programs", headers=h["label"], json={
            "title": "Two processes", "deposit": "500000",
            "terms": {"market_budget": "100000", "window_seconds": 864000},
        }).json()["program_id"]  # fmt: skip
        mid = b.post(f"/programs/{pid}/markets", headers=h["label"], json={"title": "M"}).json()[
            "market_id"
        ]
        for i, s in enumerate(SCOUTS):
            client = (a, b)[i % 2]
            assert (
                client.post(
                    f"/programs/{pid}/deposits", headers=h[s], json={"amount": "100"}
                ).status_code
                == 200
            )
        acks: dict[str, int] = {s: 0 for s in SCOUTS}
        lock = threading.Lock()

        def hammer(scout, base_url, n):
            with httpx.Client(base_url=base_url, timeout=20.0) as client:
                for k in range(n):
                    r = client.post(
                        f"/programs/{pid}/orders",
                        headers={**h[scout], "Idempotency-Key": f"{base_url}-{k}"},
                        json={"market_id": mid, "side": "buy", "max_spend": "15"},
                    )
                    assert r.status_code in (201, 400), r.text
                    if r.status_code == 201:
                        with lock:
                            acks[scout] += 1
                    else:
                        assert r.json()["code"] == "insufficient_cash"

        threads = [
            threading.Thread(target=hammer, args=(s, srv.url, 6)) for s in SCOUTS for srv in servers
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # 100 cash buys exactly six escrows of 15, however the two processes interleave
        assert acks == {s: 6 for s in SCOUTS}
    finally:
        for server in servers:
            server.stop()
    check_stored(url, data_dir, pid, 6 * len(SCOUTS))


def test_two_busy_processes_take_turns_instead_of_refusing(url, tmp_path):
    """Many concurrent orders through both processes into one program: every one is accepted
    (the processes take turns on the program's stream, so none is refused as too busy)."""
    data_dir = tmp_path / "var"
    scouts = [f"b{i}" for i in range(16)]
    servers, h = two_servers(url, data_dir, scouts)
    try:
        with httpx.Client(base_url=servers[0].url, timeout=20.0) as a:
            pid = a.post("/programs", headers=h["label"], json={
                "title": "Busy", "deposit": "500000",
                "terms": {"market_budget": "100000", "window_seconds": 864000},
            }).json()["program_id"]  # fmt: skip
            mid = a.post(
                f"/programs/{pid}/markets", headers=h["label"], json={"title": "M"}
            ).json()["market_id"]
            for s in scouts:
                r = a.post(f"/programs/{pid}/deposits", headers=h[s], json={"amount": "1000"})
                assert r.status_code == 200
        refused: list[str] = []

        def hammer(i, scout):
            with httpx.Client(base_url=servers[i % 2].url, timeout=30.0) as client:
                for k in range(20):
                    r = client.post(
                        f"/programs/{pid}/orders",
                        headers={**h[scout], "Idempotency-Key": f"busy-{k}"},
                        json={"market_id": mid, "side": "buy", "max_spend": "1"},
                    )
                    if r.status_code != 201:
                        refused.append(f"{r.status_code} {r.text}")

        threads = [threading.Thread(target=hammer, args=(i, s)) for i, s in enumerate(scouts)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert refused == []
        # and neither process had to decide a batch again
        for server in servers:
            text = httpx.get(server.url + "/metrics").text
            line = next(
                x for x in text.splitlines() if x.startswith("marketcraft_commit_conflicts ")
            )
            assert float(line.split()[1]) == 0, line
    finally:
        for server in servers:
            server.stop()
    check_stored(url, data_dir, pid, 20 * len(scouts))
