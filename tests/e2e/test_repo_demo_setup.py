"""The demo's proof setup ships in the package so that `make run` needs no setup first, and it is
refused anywhere but in the demo (MARKETCRAFT_DEMO=true): by the ceremony check, by the lookup
of the newest setup, by the service and by the command line. Its shipped ceremony record holds
for its files, so the demo does not wait for snarkjs either."""

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from marketcraft.cli import app as cli
from marketcraft.config import Settings
from marketcraft.demo import DEMO_USERS, load_demo
from marketcraft.demo.repo import DEMO_SESSION
from marketcraft.kernel import FixedClock
from marketcraft.kernel.errors import ValidationError
from marketcraft.repo.zk import transcript
from marketcraft.repo.zk.ceremony import find_setup, load_setup, setup_for
from marketcraft.repo.zk.demo import DEMO_GRID, DEMO_SETUP_ID, install_demo_setup
from marketcraft.roles import Role
from marketcraft.service.app import create_app
from marketcraft.store import Database
from marketcraft.store.tokens import issue_token
from tests.e2e.conftest import NOW, SIGNER, bearer

EXAMPLES = Path(__file__).parents[2] / "examples" / "repo"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    install_demo_setup(folder)

    def no_snarkjs(_setup):
        raise AssertionError("the shipped record should have held: snarkjs ran")

    monkeypatch.setattr(transcript, "_run_snarkjs_checks", no_snarkjs)
    return folder


def test_the_demo_setup_is_refused_outside_the_demo(cache):
    with pytest.raises(ValidationError, match="for the demo only") as refused:
        setup_for(len(DEMO_GRID), DEMO_SETUP_ID, cache)
    assert refused.value.code == "demo_setup"
    with pytest.raises(ValidationError, match="demo_setup"):
        load_setup(DEMO_SETUP_ID, cache).prove({})
    assert find_setup(len(DEMO_GRID), cache) is None  # never the newest outside the demo
    # the folder and its metadata do not decide it: its phase-1 file does
    renamed = cache / "repo" / "setups" / ("0" * 64)
    (cache / "repo" / "setups" / DEMO_SETUP_ID).rename(renamed)
    (renamed / "setup.json").write_text('{"k": 4, "constraints": 2648, "contributors": ["demo"]}')
    with pytest.raises(ValidationError, match="demo_setup"):
        load_setup(renamed).ceremony()


def test_in_the_demo_it_is_used_and_its_ceremony_listed(cache):
    setup = setup_for(len(DEMO_GRID), DEMO_SETUP_ID, cache, allow_demo=True)
    done = setup.ceremony()
    assert done.demo and [(c.phase, c.name) for c in done.contributions] == [
        (1, "demo"),
        (2, "demo"),
    ]
    assert find_setup(len(DEMO_GRID), cache, allow_demo=True) == setup


@pytest.mark.parametrize("demo", [False, True])
def test_the_service_opens_a_session_on_it_only_in_the_demo(cache, tmp_path, demo):
    database = Database.open("memory://", migrate=True)
    admin = issue_token(database.principals, "ops", Role.ADMIN, NOW)[1]
    for name in ("mia", "rex"):
        issue_token(database.principals, name, Role.DEALER, NOW)
    settings = Settings(data_dir=tmp_path / "var", repo_cache=cache, demo=demo)
    body = {"name": "wk1", "volumes": list(DEMO_GRID), "mm_dealer": "mia", "rm_dealer": "rex",
            "deadline": (NOW + timedelta(hours=1)).isoformat(), "setup": DEMO_SETUP_ID}  # fmt: skip
    app = create_app(settings, database=database, clock=FixedClock(NOW), signer=SIGNER)
    with TestClient(app) as client:
        r = client.post("/repo/sessions", json=body, headers=bearer(admin))
        if demo:
            assert r.status_code == 201, r.text
            ceremony = client.get("/repo/sessions/wk1/ceremony", headers=bearer(admin)).json()
            assert ceremony["demo_only"] is True and ceremony["awaiting"] == "mm"
        else:
            assert r.status_code == 400 and r.json()["code"] == "demo_setup", r.text
    database.close()


def test_the_command_line_refuses_it_outside_the_demo(cache, monkeypatch):
    monkeypatch.setenv("MARKETCRAFT_CACHE", str(cache))
    monkeypatch.delenv("MARKETCRAFT_DEMO", raising=False)
    mm, rm = EXAMPLES / "demo-mm.json", EXAMPLES / "demo-rm.json"
    done = CliRunner().invoke(cli, ["repo", "settle", str(mm), str(rm), "--setup", DEMO_SETUP_ID])
    assert done.exit_code == 2 and "for the demo only" in done.output, done.output
    done = CliRunner().invoke(cli, ["repo", "settle", str(mm), str(rm)])  # the newest: none
    assert done.exit_code == 2 and "no proof setup for a 4-point grid" in done.output


def test_the_demo_opens_its_session_only_when_the_demo_runs(cache, tmp_path):
    database = Database.open("memory://", migrate=True)
    tokens = tmp_path / "tokens.txt"
    load_demo(database, tokens, FixedClock(NOW))
    assert not database.events.stream_version(f"repo/session/{DEMO_SESSION}")
    assert load_demo(database, tokens, FixedClock(NOW), repo=(tmp_path / "key", cache))
    settings = Settings(data_dir=tmp_path / "var", repo_cache=cache, demo=True)
    app = create_app(settings, database=database, clock=FixedClock(NOW), signer=SIGNER)
    dealer = next(line.split("\t")[2].strip() for line in tokens.read_text().splitlines()
                  if line.startswith("demo-dealer-mm"))  # fmt: skip
    with TestClient(app) as client:
        shown = client.get(f"/repo/sessions/{DEMO_SESSION}", headers=bearer(dealer)).json()
    assert shown["grid"] == list(DEMO_GRID) and shown["side"] == "mm"
    assert shown["setup"] == DEMO_SETUP_ID and shown["awaiting_contribution"] == "mm"
    assert ("demo-dealer-rm", Role.DEALER) in DEMO_USERS
    assert not load_demo(database, tokens, FixedClock(NOW), repo=(tmp_path / "key", cache))
    database.close()
