"""The repo contract as a service: the operator opens a session, the dealers commit before the
deadline and submit sealed openings after it, the operator settles and proves, each dealer
reads only its own rate and the volume, and the auditor downloads and verifies the settlement."""

import base64
import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from marketcraft.config import Settings
from marketcraft.kernel import SimulatedClock
from marketcraft.repo.reports import report_from_plain
from marketcraft.repo.schedule import Side
from marketcraft.repo.sealing import Opening, seal
from marketcraft.repo.settlement import audit
from marketcraft.repo.zk.proof import verify_both
from marketcraft.roles import Role
from marketcraft.service.app import create_app
from marketcraft.store import Database
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW, SIGNER, bearer

GRID = [0, 5, 10, 15]
DEADLINE = NOW + timedelta(hours=1)
MM = {"volumes": GRID, "rates": [500 + q for q in GRID], "hurdle": 0}
RM = {"volumes": GRID, "rates": [540 - q for q in GRID], "hurdle": 0}


@pytest.fixture
def database(tmp_path):
    db = Database.open(f"sqlite:///{tmp_path / 'repo.db'}", migrate=True)
    yield db
    db.close()


@pytest.fixture
def clock():
    return SimulatedClock(NOW)


@pytest.fixture
def client(database, clock, zk_setup, zk_cache, tmp_path):
    settings = Settings(data_dir=tmp_path, repo_cache=zk_cache)
    with TestClient(create_app(settings, database=database, clock=clock, signer=SIGNER)) as c:
        yield c


@pytest.fixture
def people(database):
    roles = {"ops": Role.ADMIN, "mia": Role.DEALER, "rex": Role.DEALER, "dan": Role.DEALER,
             "aud": Role.AUDITOR, "sam": Role.SCOUT}  # fmt: skip
    return {n: bearer(issue_token(database.principals, n, r, NOW)[1]) for n, r in roles.items()}


def leaves(value):
    """Every number in a JSON value (numbers written as short decimal text too)."""
    if isinstance(value, dict):
        return set().union(*(leaves(v) for v in value.values()), set())
    if isinstance(value, list):
        return set().union(*(leaves(v) for v in value), set())
    if isinstance(value, bool) or value is None:
        return set()
    if isinstance(value, str):
        return {int(value)} if value.isdigit() and len(value) < 20 else set()
    return {value}


def opened(client, people):
    body = {"name": "wk47", "volumes": GRID, "deadline": DEADLINE.isoformat(),
            "mm_dealer": "mia", "rm_dealer": "rex"}  # fmt: skip
    r = client.post("/repo/sessions", json=body, headers=people["ops"])
    assert r.status_code == 201, r.text
    return r.json()


def openings():
    return (
        Opening.fresh(report_from_plain(MM, Side.MM, "mm")),
        Opening.fresh(report_from_plain(RM, Side.RM, "rm")),
    )


def sealed(client, people, opening):
    key = bytes.fromhex(client.get("/repo/key", headers=people["mia"]).json()["public_key"])
    return {"sealed": base64.b64encode(seal(opening, key)).decode()}


def test_a_session_from_commitments_to_an_audited_proof(client, people, clock):
    assert opened(client, people)["phase"] == "committing"
    mm, rm = openings()
    for who, opening in (("mia", mm), ("rex", rm)):
        body = {"commitment": str(opening.commitment)}
        r = client.post("/repo/sessions/wk47/commitment", json=body, headers=people[who])
        assert r.status_code == 200, r.text
    # openings wait for the deadline, commitments stop at it
    r = client.post(
        "/repo/sessions/wk47/opening", json=sealed(client, people, mm), headers=people["mia"]
    )
    assert r.status_code == 400 and r.json()["code"] == "too_early"
    clock.advance(timedelta(hours=1))
    r = client.post(
        "/repo/sessions/wk47/commitment", json={"commitment": "1"}, headers=people["mia"]
    )
    assert r.status_code == 400 and r.json()["code"] in ("too_late", "already_committed")
    for who, opening in (("mia", mm), ("rex", rm)):
        r = client.post("/repo/sessions/wk47/opening", json=sealed(client, people, opening),
                        headers=people[who])  # fmt: skip
        assert r.status_code == 200, r.text
    assert r.json()["submitted"] == ["mm", "rm"]
    r = client.post("/repo/sessions/wk47/settle", headers=people["ops"])
    assert r.status_code == 200, r.text
    assert r.json()["phase"] == "settled"

    # each dealer: its own rate and the volume, nothing of the other side
    mia = client.get("/repo/sessions/wk47", headers=people["mia"])
    rex = client.get("/repo/sessions/wk47", headers=people["rex"])
    assert mia.json()["outcome"] == {"trade": True, "volume": 10, "rate": 510.0}
    assert rex.json()["outcome"] == {"trade": True, "volume": 10, "rate": 530.0}
    # no field of a dealer's view holds the other side's rate or the inter-dealer rate (which
    # would give it away), in basis points or in rate units
    assert not leaves(mia.json()) & {530, 520, 5_300_000, 5_200_000}
    assert not leaves(rex.json()) & {510, 520, 5_100_000, 5_200_000}
    for who in ("mia", "rex"):
        r = client.get("/repo/sessions/wk47/settlement", headers=people[who])
        assert r.status_code == 403  # the proof's public signals carry both rates

    # the auditor: commitments, outcome, proof and key; both verifiers accept
    r = client.get("/repo/sessions/wk47/settlement", headers=people["aud"])
    assert r.status_code == 200
    published = r.json()
    assert published["settlement"]["commitments"] == {
        "mm": str(mm.commitment),
        "rm": str(rm.commitment),
    }
    assert published["settlement"]["outcome"]["volume"] == 10
    assert published["settlement"]["outcome"]["rate_bd"] == "520"  # exact text, no float
    assert published["posted"] == published["settlement"]["commitments"]
    assert published["commitments_as_posted"] is True
    posted = (int(published["posted"]["mm"]), int(published["posted"]["rm"]))
    checks = audit(published["settlement"], published["verification_key"], verify_both, posted)
    assert all(checks.values()) and "commitments are the ones the dealers posted" in checks
    assert "salt" not in r.text and str(mm.salt) not in r.text


def test_dealers_see_only_their_sessions_and_sides(client, people):
    opened(client, people)
    assert client.get("/repo/sessions", headers=people["dan"]).json()["items"] == []
    outsider = client.get("/repo/sessions/wk47", headers=people["dan"])
    missing = client.get("/repo/sessions/nope", headers=people["dan"])
    assert outsider.status_code == missing.status_code == 404
    assert outsider.json() == missing.json()
    r = client.post(
        "/repo/sessions/wk47/commitment", json={"commitment": "5"}, headers=people["dan"]
    )
    assert r.status_code == 404
    assert client.get("/repo/sessions/wk47", headers=people["sam"]).status_code == 403
    assert client.post("/repo/sessions/wk47/settle", headers=people["mia"]).status_code == 403
    listed = client.get("/repo/sessions", headers=people["mia"]).json()["items"]
    assert [s["side"] for s in listed] == ["mm"]


def test_an_opening_that_does_not_match_the_commitment_is_refused(client, people, clock):
    opened(client, people)
    mm, _ = openings()
    other = Opening.fresh(mm.report)  # same report, another salt
    client.post("/repo/sessions/wk47/commitment", json={"commitment": str(mm.commitment)},
                headers=people["mia"])  # fmt: skip
    clock.advance(timedelta(hours=2))
    r = client.post(
        "/repo/sessions/wk47/opening", json=sealed(client, people, other), headers=people["mia"]
    )
    assert r.status_code == 400 and "does not match your commitment" in r.json()["detail"]
    r = client.post("/repo/sessions/wk47/opening", json={"sealed": "!!"}, headers=people["mia"])
    assert r.status_code == 400
    r = client.post(
        "/repo/sessions/wk47/opening", json=sealed(client, people, mm), headers=people["rex"]
    )
    assert r.status_code == 400 and r.json()["code"] == "not_committed"
    r = client.post("/repo/sessions/wk47/settle", headers=people["ops"])
    assert r.status_code == 400 and r.json()["code"] == "incomplete"


def test_a_session_needs_a_setup_for_its_grid(client, people):
    body = {"name": "wide", "volumes": [0, 1, 2, 3, 4, 5], "deadline": DEADLINE.isoformat(),
            "mm_dealer": "mia", "rm_dealer": "rex"}  # fmt: skip
    r = client.post("/repo/sessions", json=body, headers=people["ops"])
    assert r.status_code == 400 and "repo setup --grid-size 6" in r.json()["detail"]
    r = client.post("/repo/sessions", json=body | {"volumes": [0, 3, 2, 5]}, headers=people["ops"])
    assert r.status_code == 400 and r.json()["code"] == "bad_grid"
    assert json.loads(client.get("/repo/sessions", headers=people["aud"]).text)["items"] == []
