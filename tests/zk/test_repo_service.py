"""The repo contract as a service, served over real HTTP: the operator opens a session, each
dealer contributes to its setup from its own machine (`marketcraft repo contribute --session`,
the MM's dealer first, each upload verified), the dealers commit before the deadline and submit
sealed openings after it, the operator settles and proves, each dealer reads only its own legs,
and the auditor downloads and verifies the settlement with every contribution to its setup."""

import base64
import json
import shutil
import threading
import time
from datetime import timedelta

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from marketcraft.cli import app as cli
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
from tests.support.server import free_port

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
def cache(zk_setup, zk_cache, tmp_path):
    """A cache of the session's own holding the shared setup and its compiled circuit: the
    setups its ceremony makes stay out of the shared one."""
    own = tmp_path / "cache"
    shutil.copytree(zk_setup.folder, own / "repo" / "setups" / zk_setup.id)
    shutil.copytree(zk_cache / "repo" / "verdicts", own / "repo" / "verdicts")  # on its files
    for circuit in (zk_cache / "repo").glob(f"k{zk_setup.k}-*"):
        shutil.copytree(circuit, own / "repo" / circuit.name)
    return own


@pytest.fixture
def client(database, clock, cache, tmp_path):
    """The service on a loopback port (a real HTTP server in a thread, on the test's clock)."""
    settings = Settings(data_dir=tmp_path, repo_cache=cache)
    app = create_app(settings, database=database, clock=clock, signer=SIGNER)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive()
        time.sleep(0.05)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=900) as c:
        yield c
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture
def raw_tokens(database):
    roles = {"ops": Role.ADMIN, "mia": Role.DEALER, "rex": Role.DEALER, "dan": Role.DEALER,
             "aud": Role.AUDITOR, "sam": Role.SCOUT}  # fmt: skip
    return {n: issue_token(database.principals, n, r, NOW)[1] for n, r in roles.items()}


@pytest.fixture
def people(raw_tokens):
    return {n: bearer(t) for n, t in raw_tokens.items()}


def contribute(client, token):
    url = f"{str(client.base_url).rstrip('/')}/repo/sessions/wk47"
    return CliRunner().invoke(cli, ["repo", "contribute", "--session", url],
                              env={"MARKETCRAFT_TOKEN": token})  # fmt: skip


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


def run_ceremony(client, people, raw_tokens):
    """Both dealers contribute from their machines (the CLI), in turn; every refusal on the
    way. The contributions' hashes, MM's first."""
    early = contribute(client, raw_tokens["rex"])
    assert early.exit_code == 2 and "awaits the MM dealer's contribution first" in early.output
    upload = "/repo/sessions/wk47/ceremony/contributions"
    junk = client.post(upload, content=b"not a zkey", headers=people["mia"])
    assert junk.status_code == 400 and junk.json()["code"] == "bad_contribution", junk.text
    assert not any(part in junk.text for part in ("node_modules", "/tmp", "\\u001b", ".cache"))
    first = contribute(client, raw_tokens["mia"])
    assert first.exit_code == 0, first.output
    current = client.get("/repo/sessions/wk47/ceremony/zkey", headers=people["rex"])
    assert current.status_code == 200 and len(current.content) > 1_000_000
    same = client.post(upload, content=current.content, headers=people["rex"])  # no contribution
    assert same.status_code == 400 and same.json()["code"] == "bad_contribution", same.text
    assert "it adds no contribution" in same.json()["detail"]
    again = client.post(upload, content=current.content, headers=people["mia"])
    assert again.status_code == 400 and again.json()["code"] == "already_contributed"
    second = contribute(client, raw_tokens["rex"])
    assert second.exit_code == 0, second.output
    return first.output.strip(), second.output.strip()


def test_a_session_from_its_ceremony_to_an_audited_proof(
    client, people, raw_tokens, clock, zk_cache, tmp_path
):
    assert opened(client, people)["phase"] == "committing"
    base = client.get("/repo/sessions/wk47/ceremony", headers=people["aud"]).json()
    assert base["awaiting"] == "mm" and base["session_contributions"] == []
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
    assert r.status_code == 400 and r.json()["code"] == "ceremony_incomplete"
    hashes = run_ceremony(client, people, raw_tokens)
    r = client.post("/repo/sessions/wk47/settle", headers=people["ops"])
    assert r.status_code == 200, r.text
    assert r.json()["phase"] == "settled"

    # each dealer: its own two legs and its profit, nothing of the other side's report
    mia = client.get("/repo/sessions/wk47", headers=people["mia"]).json()["outcome"]
    rex = client.get("/repo/sessions/wk47", headers=people["rex"]).json()["outcome"]
    assert mia["client_leg"] == {"counterparty": "your client (MM)", "you": "borrow",
                                 "volume": 10, "rate": "510", "you_pay": "5100",
                                 "you_receive": None}  # fmt: skip
    assert mia["dealer_leg"]["rate"] == rex["dealer_leg"]["rate"] == "520"
    assert mia["profit"] == rex["profit"] == "100"
    # the other client's rate (530 for MM, 510 for RM) is in no field, in bp or rate units
    # (it follows from the inter-dealer rate, as the README says, and from nothing else)
    assert not leaves(mia) & {530, 5_300_000, 5300}
    assert not leaves(rex) & {510, 5_100_000, 5100}
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
    # every contribution to the setup, its hash and who made it; the dealers' uploads here
    ceremony = published["ceremony"]
    assert ceremony["setup"] == published["settlement"]["setup"]
    phase2 = [(c["name"], c["hash"]) for c in ceremony["contributions"] if c["phase"] == 2]
    assert phase2[-2:] == [("mia", hashes[0]), ("rex", hashes[1])]
    assert [name for name, _ in phase2[:3]] == ["contract", "mm", "rm"]
    assert [(c["side"], c["dealer"], c["contribution"])
            for c in ceremony["session_contributions"]] == [
        ("mm", "mia", hashes[0]), ("rm", "rex", hashes[1])]  # fmt: skip
    checks = audit(published["settlement"], published["verification_key"], verify_both, posted,
                   ceremony=True)  # the service verified it: its record is above  # fmt: skip
    assert all(checks.values()) and "commitments are the ones the dealers posted" in checks
    assert "salt" not in r.text and str(mm.salt) not in r.text
    an_auditor_checks_it_on_its_own_machine(client, raw_tokens, hashes, rm, zk_cache, tmp_path)


def audit_from_the_session(client, token, own_cache, zk_cache, k):
    """`repo verify --session` on an auditor's machine: a cache of its own, holding only the
    circuit compiled from the package's sources (as compiling it there would)."""
    for circuit in (zk_cache / "repo").glob(f"k{k}-*"):
        shutil.copytree(circuit, own_cache / "repo" / circuit.name, dirs_exist_ok=True)
    url = f"{str(client.base_url).rstrip('/')}/repo/sessions/wk47"
    env = {"MARKETCRAFT_TOKEN": token, "MARKETCRAFT_CACHE": str(own_cache)}
    return CliRunner().invoke(cli, ["repo", "verify", "--session", url], env=env)


def an_auditor_checks_it_on_its_own_machine(client, raw_tokens, hashes, rm, zk_cache, tmp_path):
    """`repo verify --session` with an auditor's token and cache: the setup's whole ceremony
    checked there from the files it downloads, then every check of the settlement."""
    ptau = client.get("/repo/sessions/wk47/ceremony/ptau", headers=bearer(raw_tokens["aud"]))
    assert ptau.status_code == 200 and ptau.content[:4] == b"ptau"

    mine = tmp_path / "auditor-cache"
    done = audit_from_the_session(client, raw_tokens["aud"], mine, zk_cache, len(GRID))
    assert done.exit_code == 0, done.output
    assert f"by mia: {hashes[0]}" in done.output and f"by rex: {hashes[1]}" in done.output
    assert "ok  commitments are the ones the dealers posted" in done.output
    assert "FAILED" not in done.output
    setups = [p for p in (mine / "repo" / "setups").iterdir() if (p / "ceremony.json").exists()]
    assert len(setups) == 1  # the ceremony was checked here, and its verdict kept here
    # the same again reads the kept setup, its files hashed again; a dealer may not audit
    again = audit_from_the_session(client, raw_tokens["aud"], mine, zk_cache, len(GRID))
    assert again.exit_code == 0, again.output
    dealer = audit_from_the_session(client, raw_tokens["mia"], tmp_path / "c2", zk_cache, 4)
    assert dealer.exit_code == 2 and "403" in dealer.output
    # a substituted commitment given as the posted one fails the audit
    url = f"{str(client.base_url).rstrip('/')}/repo/sessions/wk47"
    env = {"MARKETCRAFT_TOKEN": raw_tokens["aud"], "MARKETCRAFT_CACHE": str(mine)}
    wrong = CliRunner().invoke(cli, ["repo", "verify", "--session", url, "--posted-mm", "7",
                                     "--posted-rm", str(rm.commitment)], env=env)  # fmt: skip
    assert wrong.exit_code == 1 and "FAILED commitments are the ones" in wrong.output


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
    assert r.status_code == 400 and r.json()["code"] == "ceremony_incomplete"  # and one opening


def test_a_session_needs_a_setup_for_its_grid(client, people):
    body = {"name": "wide", "volumes": [0, 1, 2, 3, 4, 5], "deadline": DEADLINE.isoformat(),
            "mm_dealer": "mia", "rm_dealer": "rex"}  # fmt: skip
    r = client.post("/repo/sessions", json=body, headers=people["ops"])
    assert r.status_code == 400 and "repo setup --grid-size 6" in r.json()["detail"]
    r = client.post("/repo/sessions", json=body | {"volumes": [0, 3, 2, 5]}, headers=people["ops"])
    assert r.status_code == 400 and r.json()["code"] == "bad_grid"
    assert json.loads(client.get("/repo/sessions", headers=people["aud"]).text)["items"] == []
