"""The CLI against a real SQLite file: schema, users, demo data, and a token that works."""

import time

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from marketcraft.__about__ import __version__
from marketcraft.cli import app
from marketcraft.config import Settings
from marketcraft.demo import DEMO_USERS
from marketcraft.service.app import create_app
from marketcraft.store import Database
from marketcraft.store.migrate import head_revision

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_version():
    r = invoke("--version")
    assert r.exit_code == 0
    assert __version__ in r.stdout


def test_upgrade_users_and_token_round_trip(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert invoke("db", "upgrade", "--database-url", url).exit_code == 0
    assert invoke("db", "upgrade", "--database-url", url).exit_code == 0
    assert f"database: {head_revision()}" in invoke("db", "current", "--database-url", url).stdout
    created = invoke(
        "users", "create", "--role", "sponsor", "--name", "label-x", "--database-url", url
    )
    assert created.exit_code == 0
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("mc_")
    listing = invoke("users", "list", "--database-url", url).stdout
    assert "label-x" in listing
    assert token not in listing
    db = Database.open(url)
    settings = Settings(token_cache_seconds=0.3)
    try:
        with TestClient(create_app(settings, database=db)) as client:
            me = client.get("/me", headers={"Authorization": f"Bearer {token}"})
            assert me.json() == {"name": "label-x", "role": "sponsor"}
            assert invoke("users", "revoke", "label-x", "--database-url", url).exit_code == 0
            # a revocation by another process takes effect within token_cache_seconds
            time.sleep(0.35)
            assert (
                client.get("/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
            )
    finally:
        db.close()


def test_user_errors_are_clear(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    invoke("db", "upgrade", "--database-url", url)
    invoke("users", "create", "--role", "scout", "--name", "a", "--database-url", url)
    dup = runner.invoke(
        app, ["users", "create", "--role", "scout", "--name", "a", "--database-url", url]
    )
    assert dup.exit_code != 0
    bad = runner.invoke(
        app, ["users", "create", "--role", "king", "--name", "b", "--database-url", url]
    )
    assert bad.exit_code == 2
    assert "king" in bad.output


def test_demo_load_is_idempotent_and_writes_private_tokens(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    tokens = tmp_path / "var" / "demo-tokens.txt"
    invoke("db", "upgrade", "--database-url", url)
    first = invoke("demo", "load", "--database-url", url, "--tokens-file", str(tokens))
    assert "loaded" in first.stdout
    second = invoke("demo", "load", "--database-url", url, "--tokens-file", str(tokens))
    assert "already" in second.stdout
    lines = [
        line.split("\t") for line in tokens.read_text().splitlines() if not line.startswith("#")
    ]
    assert [(n, r) for n, r, _ in lines] == [(n, r.value) for n, r in DEMO_USERS]
    assert tokens.stat().st_mode & 0o077 == 0
    tokens_by_name = {name: token for name, _, token in lines}
    db = Database.open(url)
    try:
        with TestClient(create_app(database=db)) as client:
            for name, role, token in lines:
                me = client.get("/me", headers={"Authorization": f"Bearer {token}"}).json()
                assert me == {"name": name, "role": role}
            sponsor = {"Authorization": f"Bearer {tokens_by_name['demo-sponsor']}"}
            scout = {"Authorization": f"Bearer {tokens_by_name['demo-scout']}"}
            programs = client.get("/programs", headers=scout).json()["items"]
            assert [p["settled"] for p in programs] == [True, False]  # last season's, this one
            live = programs[1]["program_id"]
            board = client.get(f"/programs/{live}/dashboard", headers=sponsor)
            prices = [float(m["price"]) for m in board.json()["items"]]
            assert len(prices) == 5 and max(prices) > 0.05 and min(prices) == 0.01
            markets = client.get(f"/programs/{live}/markets", headers=scout).json()
            assert len(markets["items"]) == 5
            # a pegged-token market with a day of history, near its feed
            peg = client.get("/peg/markets/demo-usd").json()
            assert abs(float(peg["spot"]) / float(peg["feed"]) - 1) < 0.05
            assert client.get("/peg/markets/demo-usd/history").json()["next_offset"] == 100
            trader = {"Authorization": f"Bearer {tokens_by_name['demo-trader']}"}
            assert (
                float(client.get("/peg/markets/demo-usd/balance", headers=trader).json()["col"]) > 0
            )
            assert all("price" not in m for m in markets["items"])
    finally:
        db.close()


def test_serving_a_stale_schema_says_what_to_run(tmp_path):
    url = f"sqlite:///{tmp_path / 'stale.db'}"
    result = runner.invoke(app, ["serve", "--database-url", url])
    assert result.exit_code != 0
    assert "marketcraft db upgrade" in str(result.exception) + result.output
