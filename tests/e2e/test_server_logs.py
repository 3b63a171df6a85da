"""`marketcraft serve` writes every log line through one formatter: with
MARKETCRAFT_LOG_FORMAT=json one JSON object per line, and the lines written while a request is
served (uvicorn's access line among them) carry the id its response shows in X-Request-ID."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import structlog
from fastapi.testclient import TestClient

from marketcraft.config import Settings
from marketcraft.service.app import create_app
from marketcraft.service.logs import UVICORN_LOGGERS, configure_logging
from tests.e2e.conftest import SIGNER
from tests.support.server import free_port


@contextlib.contextmanager
def serving(tmp_path: Path, log_format: str):
    port = free_port()
    env = {
        **os.environ,
        "MARKETCRAFT_DATABASE_URL": "memory://",
        "MARKETCRAFT_DATA_DIR": str(tmp_path / "var"),
        "MARKETCRAFT_LOG_FORMAT": log_format,
        "MARKETCRAFT_PEG_TICK_SECONDS": "0",
    }
    log = tmp_path / "server.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("marketcraft")), "serve", "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/ready", timeout=1).status_code == 200:
                    break
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield url, log
    finally:
        process.terminate()
        process.wait(timeout=10)


def requests_made(url: str) -> tuple[str, str]:
    """One request with a caller's id, one without: the ids their responses show."""
    given = httpx.get(url + "/peg/markets", headers={"X-Request-ID": "probe-7.a"})
    made = httpx.get(url + "/me")
    assert given.headers["x-request-id"] == "probe-7.a"
    assert made.status_code == 401
    return given.headers["x-request-id"], made.headers["x-request-id"]


@pytest.mark.slow
def test_json_lines_carry_the_request_id(tmp_path):
    with serving(tmp_path, "json") as (url, log):
        given, made = requests_made(url)
    lines = [json.loads(line) for line in log.read_text().splitlines()]  # every line is JSON
    assert any(line["logger"] == "uvicorn.error" for line in lines)  # uvicorn's own, as JSON
    access = {line["path"]: line for line in lines if line["logger"] == "uvicorn.access"}
    assert access["/peg/markets"]["request_id"] == given
    assert access["/peg/markets"]["status"] == 200
    assert access["/me"]["request_id"] == made
    assert access["/me"]["status"] == 401
    assert {line["request_id"] for line in access.values()} >= {given, made}


@pytest.mark.slow
def test_text_lines_carry_the_request_id(tmp_path):
    with serving(tmp_path, "text") as (url, log):
        given, made = requests_made(url)
    text = log.read_text()
    assert not text.lstrip().startswith("{")
    access = [line for line in text.splitlines() if '"GET /me HTTP' in line]
    assert len(access) == 1
    assert f"request_id={made}" in access[0]
    assert any(f"request_id={given}" in line for line in text.splitlines())


@pytest.fixture
def json_logs():
    """The process's logging as `marketcraft serve --log-format json` sets it, then put back."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    uvicorn = {name: (logging.getLogger(name).handlers[:], logging.getLogger(name).propagate)
               for name in UVICORN_LOGGERS}  # fmt: skip
    configure_logging(Settings(log_format="json"))
    written = io.StringIO()
    [handler] = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(written)
    yield written
    root.handlers = saved[0]
    root.setLevel(saved[1])
    for name, (handlers, propagate) in uvicorn.items():
        logging.getLogger(name).handlers, logging.getLogger(name).propagate = handlers, propagate
    structlog.reset_defaults()


def test_an_app_error_line_is_json_with_the_request_id(json_logs, database):
    app = create_app(Settings(checkpoint_every=0), database=database, signer=SIGNER)

    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/broken", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/broken", headers={"X-Request-ID": "trace-1"})
    assert r.status_code == 500
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    [error] = [line for line in lines if line["logger"] == "marketcraft.service"]
    assert error["event"] == "unhandled error on GET /broken"
    assert error["level"] == "error"
    assert "RuntimeError: a bug" in error["exception"]
    assert error["request_id"] == "trace-1" == r.headers["x-request-id"]
