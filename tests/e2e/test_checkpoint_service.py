"""The service checkpoints each program's log on a cadence and serves the checkpoints to anyone;
a scout's order reply is a signed promise (no log position), and the inclusion proof comes
later, against the first checkpoint that covers the order. A monitor run against the real
service process accepts its checkpoints."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from marketcraft.cli import app
from marketcraft.config import Settings
from marketcraft.kernel import SimulatedClock, verify_checkpoints_consistent
from marketcraft.kernel.checkpoints import open_checkpoint
from marketcraft.kernel.messages import from_plain
from marketcraft.opportunity.receipts import Inclusion, Receipt, check_inclusion
from marketcraft.roles import Role
from marketcraft.service.app import create_app
from marketcraft.store import Database
from marketcraft.store.keys import load_or_create_signer
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW, SIGNER, bearer
from tests.support.server import Server

runner = CliRunner()
KEY = SIGNER.public_key


def wait_for(check, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.fixture
def served(tmp_path):
    db = Database.open(f"sqlite:///{tmp_path / 's.db'}", migrate=True)
    users = {
        name: bearer(issue_token(db.principals, name, role, NOW)[1])
        for name, role in [("label", Role.SPONSOR), ("fan", Role.SCOUT), ("rival", Role.SCOUT)]
    }
    settings = Settings(checkpoint_every=3, checkpoint_seconds=0.4, max_merge_delay_seconds=60)
    clock = SimulatedClock(NOW)
    application = create_app(settings, database=db, clock=clock, signer=SIGNER)
    with TestClient(application) as client:
        yield client, users, clock
    db.close()


def open_program(client, users):
    terms = {"market_budget": "1000", "window_seconds": 86400}
    r = client.post("/programs", headers=users["label"],
                    json={"title": "T", "deposit": "100000", "terms": terms})  # fmt: skip
    pid = r.json()["program_id"]
    mid = client.post(f"/programs/{pid}/markets", headers=users["label"], json={"title": "A?"})
    for scout in ("fan", "rival"):
        client.post(f"/programs/{pid}/deposits", headers=users[scout], json={"amount": "500"})
    return pid, mid.json()["market_id"]


def order(client, users, pid, mid, key, spend="10"):
    r = client.post(
        f"/programs/{pid}/orders", headers={**users["fan"], "Idempotency-Key": key},
        json={"market_id": mid, "side": "buy", "max_spend": spend},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return r.json()


def test_checkpoints_come_on_a_cadence_and_anyone_may_read_them(served):
    client, users, clock = served
    pid, mid = open_program(client, users)
    note = wait_for(lambda: (r := client.get(f"/programs/{pid}/checkpoint")).is_success and r.text)
    first = open_checkpoint(note, KEY).checkpoint  # no credentials were sent
    assert first.origin == f"marketcraft.localhost/opportunity/{pid}"
    assert first.tree_size >= 1
    for i in range(4):
        clock.advance(timedelta(seconds=60))
        order(client, users, pid, mid, f"k{i}")
    latest = wait_for(
        lambda: (
            (
                c := open_checkpoint(client.get(f"/programs/{pid}/checkpoint").text, KEY)
            ).checkpoint.tree_size
            == 8
            and c
        )
    )
    listed = client.get(f"/programs/{pid}/checkpoints").json()["items"]
    assert [c["note"] for c in listed][-1] == latest.note
    assert all(set(c) == {"tree_size", "root_hash", "timestamp", "note"} for c in listed)
    r = client.get(f"/programs/{pid}/checkpoints/consistency",
                   params={"first": first.tree_size, "second": 8})  # fmt: skip
    proof = [base64.b64decode(h) for h in r.json()["proof"]]
    assert verify_checkpoints_consistent(first, latest.checkpoint, proof)
    for first_size, second_size in [(0, 8), (8, first.tree_size), (8, 9)]:
        # size 0 is never published, nor is 9; and a proof runs forwards only
        unpublished = client.get(f"/programs/{pid}/checkpoints/consistency",
                                 params={"first": first_size, "second": second_size})  # fmt: skip
        assert unpublished.status_code == 404
    pinned = client.get(f"/programs/{pid}/log").json()  # no credentials either
    assert pinned["public_key"] == KEY.hex() and pinned["origin"] == first.origin
    assert pinned["verifier_key"].startswith(first.origin + "+")
    missing = client.get("/programs/p-missing/checkpoint")
    assert missing.status_code == 404 and missing.json()["code"] == "no_program"


def test_a_receipt_is_a_promise_and_its_inclusion_comes_later(served, tmp_path):
    client, users, _ = served
    pid, mid = open_program(client, users)
    reply = order(client, users, pid, mid, "k1")
    assert "sequence" not in reply and "checkpoint_size" not in reply
    assert reply["order"]["data"]["max_spend"] == "10" and "salt" not in reply["order"]["data"]
    receipt = from_plain(Receipt, reply["receipt"])
    assert receipt.merge_by > receipt.accepted_at
    path = f"/programs/{pid}/orders/{receipt.order_id}"
    proof = wait_for(lambda: (r := client.get(path + "/inclusion", headers=users["fan"])).is_success
                     and r.json())  # fmt: skip
    assert client.get(path + "/inclusion", headers=users["rival"]).status_code == 404
    assert client.get(path + "/inclusion").status_code == 401
    again = client.get(path + "/receipt", headers=users["fan"]).json()
    assert again["receipt"] == reply["receipt"]  # re-issued, identical
    checkpoint = open_checkpoint(proof["checkpoint"], KEY)
    inclusion = Inclusion(
        proof["leaf_index"], tuple(base64.b64decode(h) for h in proof["proof"]), checkpoint
    )
    assert check_inclusion(receipt, inclusion, KEY) == []
    # the page's download holds all of it; verify checks it against the order as sent
    download = tmp_path / "r.json"
    download.write_text(json.dumps({"receipt": reply["receipt"], "order": reply["order"],
                                    "inclusion": None}))  # fmt: skip
    sent = tmp_path / "sent.json"
    sent.write_text(json.dumps({"market_id": mid, "side": "buy", "max_spend": 10}))
    result = runner.invoke(app, ["opportunity", "verify", "--receipt", str(download),
                                 "--order", str(sent), "--public-key", KEY.hex()])  # fmt: skip
    assert result.exit_code == 0, result.output


def test_the_monitor_follows_the_real_service(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    db = Database.open(url, migrate=True)
    label = bearer(issue_token(db.principals, "label", Role.SPONSOR, NOW)[1])
    fan = bearer(issue_token(db.principals, "fan", Role.SCOUT, NOW)[1])
    db.close()
    server = Server(url, tmp_path / "data", env={"MARKETCRAFT_CHECKPOINT_SECONDS": "0.5"})
    server.start()
    try:
        terms = {"market_budget": "1000", "window_seconds": 86400}
        pid = httpx.post(f"{server.url}/programs", headers=label, json={
            "title": "T", "deposit": "100000", "terms": terms}).json()["program_id"]  # fmt: skip
        public_key = load_or_create_signer(tmp_path / "data").public_key.hex()  # the server's
        state = tmp_path / "monitor.checkpoint"
        args = ["opportunity", "monitor", server.url, "--program", pid, "--key", public_key,
                "--state", str(state), "--once"]  # fmt: skip
        first = wait_for(lambda: (r := runner.invoke(app, args)).exit_code == 0 and r)
        assert f"ok marketcraft.localhost/opportunity/{pid} size 1 " in first.output
        httpx.post(f"{server.url}/programs/{pid}/deposits", headers=fan, json={"amount": "5"})
        grown = wait_for(lambda: "size 2 (+1)" in (r := runner.invoke(app, args)).output and r)
        assert grown.exit_code == 0
    finally:
        server.stop()
