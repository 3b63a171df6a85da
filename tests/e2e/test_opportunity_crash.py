"""Durability: SIGKILL the server mid-load, restart it, and find every acknowledged order, a log
that verifies and balances that reconcile, cycle after cycle, on SQLite and on PostgreSQL."""

import threading
import time
from decimal import Decimal

import httpx
import pytest

from marketcraft.app.programs import ProgramRepository
from marketcraft.kernel.merkle import verify_inclusion
from marketcraft.kernel.messages import canonical_json
from marketcraft.opportunity.invariants import check_all
from marketcraft.opportunity.receipts import receipt_from_json, verify_receipt
from marketcraft.roles import Role
from marketcraft.store import Database
from marketcraft.store.keys import load_or_create_signer
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW
from tests.support.server import Server

SCOUTS = ["s1", "s2", "s3", "s4"]
CYCLES = 3


def setup_world(url, data_dir):
    db = Database.open(url, migrate=True)
    people = [("label", Role.SPONSOR), *[(s, Role.SCOUT) for s in SCOUTS]]
    tokens = {n: issue_token(db.principals, n, r, NOW)[1] for n, r in people}
    db.close()
    return {n: {"Authorization": f"Bearer {t}"} for n, t in tokens.items()}


def fire_orders(server, headers, pid, mid, acked, stop, scout):
    n = 0
    with httpx.Client(base_url=server.url, timeout=5.0) as client:
        while not stop.is_set():
            n += 1
            key = f"{scout}-{time.monotonic_ns()}-{n}"
            try:
                r = client.post(
                    f"/programs/{pid}/orders",
                    headers={**headers, "Idempotency-Key": key},
                    json={"market_id": mid, "side": "buy", "max_spend": "1"},
                )
            except httpx.HTTPError:
                return  # the server died: this request was never acknowledged
            if r.status_code == 201:
                acked.append((scout, r.json()))


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_every_acknowledged_order_survives_sigkill(tmp_path, request, backend):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'crash.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    data_dir = tmp_path / "var"
    h = setup_world(url, data_dir)
    server = Server(url, data_dir)
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=10.0) as c:
            pid = c.post("/programs", headers=h["label"], json={
                "title": "Crash test", "deposit": "1000000",
                "terms": {"market_budget": "100000", "window_seconds": 864000},
            }).json()["program_id"]  # fmt: skip
            mid = c.post(
                f"/programs/{pid}/markets", headers=h["label"], json={"title": "M"}
            ).json()["market_id"]
            for s in SCOUTS:
                assert (
                    c.post(
                        f"/programs/{pid}/deposits", headers=h[s], json={"amount": "100000"}
                    ).status_code
                    == 200
                )
        acked: list = []
        for _cycle in range(CYCLES):
            stop = threading.Event()
            threads = [
                threading.Thread(target=fire_orders, args=(server, h[s], pid, mid, acked, stop, s))
                for s in SCOUTS
            ]
            for t in threads:
                t.start()
            start = len(acked)
            deadline = time.monotonic() + 20
            while len(acked) < start + 25 and time.monotonic() < deadline:
                time.sleep(0.01)
            server.kill()  # mid-load: requests are in flight
            stop.set()
            for t in threads:
                t.join()
            server.start()
            check_recovered(server, h, pid, acked, url, data_dir)
        assert len(acked) >= CYCLES * 25
    finally:
        server.stop()


def check_recovered(server, h, pid, acked, url, data_dir):
    with httpx.Client(base_url=server.url, timeout=10.0) as c:
        for scout in SCOUTS:
            listed = c.get(
                f"/programs/{pid}/orders", headers=h[scout], params={"limit": 500}
            ).json()
            ids = {o["order_id"] for o in listed["items"]}
            mine = {body["order_id"] for s, body in acked if s == scout}
            assert mine <= ids, f"{scout} lost acknowledged orders: {sorted(mine - ids)[:3]}"
    db = Database.open(url)
    try:
        signer = load_or_create_signer(data_dir)
        journal = ProgramRepository(db.events, signer).journal(pid)  # replays every stored record
        check_all(journal.state)
        log = journal.log
        for _, body in acked:
            receipt = receipt_from_json(canonical_json(body["receipt"]))
            assert verify_receipt(receipt, signer.public_key) == []
            # every acknowledged order's entry is in the log that survived, where it was
            index = journal.receipt_sequence[receipt.order_id]
            assert log.leaf(index) == receipt.leaf_hash
            assert verify_inclusion(receipt.leaf_hash, index, log.size,
                                    log.inclusion_proof(index), log.root())  # fmt: skip
        # and every checkpoint published before a crash still describes the log
        journal.check_checkpoints(ProgramRepository(db.events, signer).checkpoints(pid))
        for scout in SCOUTS:
            orders = [o for o in journal.state.orders.values() if o.scout == scout]
            escrowed = sum((o.escrow for o in orders), Decimal(0))
            assert journal.state.available(scout) == Decimal(100000) - escrowed
    finally:
        db.close()
