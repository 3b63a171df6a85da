"""`marketcraft opportunity monitor` against logs served over real HTTP: it accepts a log that
only grows, and fails loudly (exit 1, "FORK") on a fork, a rollback, a rewritten checkpoint of
the same size, or a checkpoint the pinned key did not sign."""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner

from marketcraft.cli import app
from marketcraft.kernel import AppendOnlyLog, Signer
from marketcraft.kernel.checkpoints import sign_checkpoint
from marketcraft.kernel.signed_note import NoteKey, verifier_key

runner = CliRunner()
KEY = Signer(bytes(range(40, 72)))
ORIGIN = "markets.example/opportunity/p-1"
T0 = datetime(2026, 12, 1, tzinfo=UTC)


def log_of(entries: list[bytes]) -> AppendOnlyLog:
    log = AppendOnlyLog("p-1")
    log.extend(entries)
    return log


HONEST = [f"entry-{i}".encode() for i in range(12)]


class FakeLog:
    """What the fake service serves now: a log, its size and the checkpoint's time."""

    def __init__(self) -> None:
        self.log, self.size, self.at, self.key = log_of(HONEST[:5]), 5, T0, KEY

    def show(self, entries: list[bytes], size: int, minutes: int, key: Signer = KEY) -> None:
        self.log, self.size = log_of(entries), size
        self.at, self.key = T0 + timedelta(minutes=minutes), key

    def note(self) -> str:
        checkpoint = self.log.checkpoint(self.at, self.size, origin=ORIGIN)
        return sign_checkpoint(checkpoint, self.key).note


@pytest.fixture
def served() -> Iterator[tuple[str, FakeLog]]:
    fake = FakeLog()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            if url.path == "/programs/p-1/checkpoint":
                body, kind = fake.note().encode(), "text/plain"
            elif url.path == "/programs/p-1/checkpoints/consistency":
                q = urllib.parse.parse_qs(url.query)
                proof = fake.log.consistency_proof(int(q["first"][0]), int(q["second"][0]))
                body = json.dumps({"proof": [base64.b64encode(h).decode() for h in proof]}).encode()
                kind = "application/json"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", fake
    finally:
        server.shutdown()


def monitor(url: str, state, key: str | None = None):
    args = ["opportunity", "monitor", url, "--program", "p-1", "--state", str(state), "--once"]
    return runner.invoke(app, [*args, "--key", key or KEY.public_key.hex()])


def test_a_growing_log_is_accepted_and_remembered(served, tmp_path):
    url, fake = served
    state = tmp_path / "p-1.checkpoint"
    first = monitor(url, state)
    assert first.exit_code == 0, first.output
    assert "size 5" in first.output and state.read_text().startswith(ORIGIN + "\n5\n")
    fake.show(HONEST, 12, 10)
    grown = monitor(url, state)
    assert grown.exit_code == 0, grown.output
    assert "size 12 (+7)" in grown.output
    again = monitor(url, state)  # the same checkpoint again is fine
    assert again.exit_code == 0 and "(+0)" in again.output


@pytest.mark.parametrize(
    ("entries", "size", "minutes", "named"),
    [
        ([*HONEST[:3], b"rewritten", *HONEST[4:]], 12, 10, "does not extend"),
        (HONEST, 3, 10, "shrank from 5 to 3"),
        ([*HONEST[:4], b"rewritten"], 5, 10, "does not extend"),
        (HONEST, 12, -10, "went back"),
    ],
    ids=["fork", "rollback", "same-size-rewrite", "time-back"],
)
def test_a_fork_fails_loudly(served, tmp_path, entries, size, minutes, named):
    url, fake = served
    state = tmp_path / "p-1.checkpoint"
    assert monitor(url, state).exit_code == 0
    kept = state.read_text()
    fake.show(entries, size, minutes)
    result = monitor(url, state)
    assert result.exit_code == 1
    assert "FORK p-1" in result.output and named in result.output
    assert state.read_text() == kept  # the last good checkpoint is kept, not the forked one


def test_a_checkpoint_by_another_key_is_refused(served, tmp_path):
    url, fake = served
    fake.show(HONEST, 12, 10, key=Signer(bytes(32)))
    result = monitor(url, tmp_path / "s")
    assert result.exit_code == 1 and "FAIL p-1" in result.output
    assert not (tmp_path / "s").exists()


def test_the_key_may_be_a_verifier_key(served, tmp_path):
    url, _ = served
    vkey = verifier_key(NoteKey(ORIGIN, KEY.public_key))
    assert monitor(url, tmp_path / "s", vkey).exit_code == 0
    bad = monitor(url, tmp_path / "s", "not-a-key")
    assert bad.exit_code == 2  # a usage error names the option


def test_an_unreachable_service_is_not_an_ok(tmp_path):
    result = monitor("http://127.0.0.1:9", tmp_path / "s")
    assert result.exit_code == 2 and "unreachable" in result.output


def test_a_checkpoint_of_another_log_is_refused_even_on_the_first_run(served, tmp_path):
    url, fake = served
    fake_origin = "markets.example/opportunity/p-other"
    note = sign_checkpoint(fake.log.checkpoint(T0, 5, origin=fake_origin), KEY).note
    fake.note = lambda: note  # type: ignore[method-assign]
    result = monitor(url, tmp_path / "s")
    assert result.exit_code == 1 and "of log markets.example/opportunity/p-other" in result.output
    assert not (tmp_path / "s").exists()


def test_a_verifier_keys_name_is_the_only_origin_accepted(served, tmp_path):
    url, _ = served
    other_name = verifier_key(NoteKey("markets.example/opportunity/p-2", KEY.public_key))
    result = monitor(url, tmp_path / "s", other_name)
    assert result.exit_code == 1 and "not markets.example/opportunity/p-2" in result.output
