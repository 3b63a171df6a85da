"""`marketcraft serve` believes X-Forwarded-For only from a proxy the operator names: a caller on
the same machine cannot pose as fresh addresses to escape the per-address rate limits."""

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.server import free_port


@contextlib.contextmanager
def serving(tmp_path, **settings: str):
    port = free_port()
    env = {
        **os.environ,
        "MARKETCRAFT_DATABASE_URL": "memory://",
        "MARKETCRAFT_DATA_DIR": str(tmp_path / "var"),
        "MARKETCRAFT_RATE_LIMIT_ENABLED": "true",
        "MARKETCRAFT_RATE_LIMIT_ANONYMOUS": "3/minute",
        **{f"MARKETCRAFT_{k.upper()}": v for k, v in settings.items()},
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("marketcraft")), "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            assert process.poll() is None and time.monotonic() < deadline, "no server"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def spend_and_pose(url: str) -> list[int]:
    """Spend the anonymous allowance, then ask again posing as three other addresses."""
    with httpx.Client(base_url=url) as client:
        spent = [client.get("/peg/markets").status_code for _ in range(4)]
        assert spent == [200, 200, 200, 429]
        return [
            client.get("/peg/markets", headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code
            for i in range(3)
        ]


@pytest.mark.slow
def test_a_forwarded_address_is_not_believed_by_default(tmp_path):
    with serving(tmp_path) as url:
        assert spend_and_pose(url) == [429, 429, 429]


@pytest.mark.slow
def test_a_named_proxy_is_believed(tmp_path):
    with serving(tmp_path, forwarded_allow_ips="127.0.0.1") as url:
        assert spend_and_pose(url) == [200, 200, 200]
