"""Run the real service in a subprocess on a free loopback port, for crash and load tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(
        self, database_url: str, data_dir: Path, port: int | None = None,
        env: dict[str, str] | None = None, workers: int = 1,
    ) -> None:  # fmt: skip
        """``env``: more settings for the server (e.g. ``MARKETCRAFT_RATE_LIMIT_ENABLED``);
        ``workers``: server processes (uvicorn's ``--workers``)."""
        self.database_url, self.data_dir, self.workers = database_url, data_dir, workers
        self.port = port or free_port()
        self.env = env or {}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        env = {
            **os.environ,
            "MARKETCRAFT_DATABASE_URL": self.database_url,
            "MARKETCRAFT_DATA_DIR": str(self.data_dir),
            **self.env,
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "marketcraft.service.app:app_from_env", "--factory",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
             *(["--workers", str(self.workers)] if self.workers > 1 else [])],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stderr.read().decode()}")  # type: ignore[union-attr]
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/health", timeout=1.0).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError("server did not become healthy")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing, as a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@contextlib.contextmanager
def running(database_url: str, data_dir: Path) -> Iterator[Server]:
    server = Server(database_url, data_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()
