"""Durable blind orders through HTTP, side by side with what bounds them on this machine.

One run, one machine (2 cores: the server on one, the load generator `wrk` on the other):
  raw sqlite3 commit      INSERT + COMMIT, WAL, synchronous=FULL (the disk's floor)
  bare uvicorn endpoint   an ASGI app answering 201 at once (the HTTP floor), same request shape
  marketcraft orders      POST /programs/{id}/orders: auth, engine, log, signed receipt, durable
                          commit, as fast as 32 connections can go
  paced                   the same orders at a fixed rate (default 1,000/s): latency percentiles,
                          beside the latency of raw SQLite commits (20/s) made meanwhile on the
                          same disk: a stall of the disk's fsync holds every order behind it

Needs `wrk` (Debian: apt-get install wrk).

  postgresql, 1 and 2 processes   the same orders on a fresh database on --postgres (default:
                          the local server), with one and two server processes

    .venv/bin/python bench/bench_opportunity_http.py [--seconds 8] [--connections 32] [--rate 1000]
Goals: >= 4,000 durable orders/s on SQLite, p99 <= 20 ms at 1,000 orders/s paced; PostgreSQL
with two server processes >= 3,000 orders/s.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.postgres import fresh_database  # noqa: E402
from tests.support.server import Server, free_port  # noqa: E402

from bench.bench_store import raw_commit_latencies, raw_sqlite  # noqa: E402
from bench.interpreter import interpreter_line  # noqa: E402
from marketcraft.roles import Role  # noqa: E402
from marketcraft.store import Database  # noqa: E402
from marketcraft.store.tokens import issue_token  # noqa: E402

SCOUTS = 32
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(
    url: str, script: str, seconds: float, connections: int, env: dict[str, str]
) -> dict[str, float]:
    """Run wrk; return requests/s and latency percentiles in ms."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--latency"]
    command += ["-s", str(ROOT / "bench" / script), url]
    done = subprocess.run(
        command, check=False, capture_output=True, text=True, env={**os.environ, **env}
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed:\n{done.stdout}\n{done.stderr[-2000:]}")
    out = done.stdout
    if "Non-2xx" in out or "error" in out.lower().split("latency distribution")[0]:
        raise RuntimeError(f"wrk saw failures:\n{out}")
    result = {"rate": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for pct in ("50", "99"):
        value, unit = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        result[f"p{pct}"] = float(value) * _UNITS[unit]
    return result


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Until something accepts connections on 127.0.0.1:``port`` (a slow start is no failure)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if process.poll() is not None:
            sys.exit(f"the bare endpoint exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    sys.exit(f"nothing listened on port {port} within {timeout:.0f} s")


def paced_delay(url: str, env: dict[str, str], rate: float) -> int:
    """The pause (ms) each of 32 connections makes between requests for about ``rate`` orders
    per second, tuned over short runs so that wait + latency gives the rate (wrk's delay() is
    a fixed pause, not a schedule)."""
    conns, cycle = 32, 32 * 1000 / rate  # ms between one connection's requests
    delay = cycle
    for _ in range(4):
        probe = wrk(url, "orders.lua", 3, conns, {**env, "MC_DELAY_MS": str(int(delay))})
        if abs(probe["rate"] - rate) <= 0.05 * rate:
            break
        latency = conns * 1000 / probe["rate"] - delay
        delay = max(0.0, cycle - latency)
    return int(delay)


def prepared(url: str) -> tuple[str, list[str]]:
    """A migrated database at ``url`` with a sponsor and SCOUTS scouts: their tokens."""
    now = datetime.now(UTC)
    db = Database.open(url, migrate=True)
    sponsor = issue_token(db.principals, "sponsor", Role.SPONSOR, now)[1]
    scouts = [issue_token(db.principals, f"s{i}", Role.SCOUT, now)[1] for i in range(SCOUTS)]
    db.close()
    return sponsor, scouts


def open_program(server: Server, sponsor: str, scouts: list[str]) -> dict[str, str]:
    """A program with 8 markets and every scout funded: wrk's environment for orders.lua."""
    with httpx.Client(base_url=server.url, timeout=30) as c:
        auth = {"Authorization": f"Bearer {sponsor}"}
        pid = c.post("/programs", headers=auth, json={
            "title": "bench", "deposit": "100000000",
            "terms": {"market_budget": "1000000", "window_seconds": 864000},
        }).json()["program_id"]  # fmt: skip
        mids = [
            c.post(f"/programs/{pid}/markets", headers=auth, json={"title": f"M{i}"}).json()[
                "market_id"
            ]
            for i in range(8)
        ]
        for tok in scouts:
            c.post(f"/programs/{pid}/deposits", headers={"Authorization": f"Bearer {tok}"},
                   json={"amount": "1000000"})  # fmt: skip
    return {"MC_PROGRAM": pid, "MC_MARKETS": ",".join(mids), "MC_TOKENS": ",".join(scouts)}


def durable_orders(url: str, var: Path, seconds: float, connections: int, workers: int = 1):
    """Orders as fast as ``connections`` connections go, on the database at ``url`` with
    ``workers`` server processes: (the server, still running, wrk's environment, the result)."""
    sponsor, scouts = prepared(url)
    # 32 scouts at over 1,000 orders/s are far past the default per-principal rate limit
    server = Server(url, var, env={"MARKETCRAFT_RATE_LIMIT_ENABLED": "false"}, workers=workers)
    server.start()
    try:
        env = open_program(server, sponsor, scouts)
        return server, env, wrk(server.url, "orders.lua", seconds, connections, env)
    except BaseException:
        server.stop()
        raise


def postgres_rows(server_url: str, tmp: Path, seconds: float, connections: int):
    """Durable orders on PostgreSQL with one and two server processes: [(name, result)]."""
    rows = []
    for workers in (1, 2):
        with fresh_database(server_url) as url:
            server, _, result = durable_orders(
                url, tmp / f"pg{workers}", seconds, connections, workers
            )
            server.stop()
        plural = "es" if workers > 1 else ""
        rows.append((f"postgresql, {workers} process{plural}", result))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description="durable orders through HTTP")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "MARKETCRAFT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
        ),
        help="a PostgreSQL server to measure beside SQLite (a fresh database is made on it); "
        "'' to skip",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("this benchmark needs wrk: apt-get install wrk")
    tmp = Path(tempfile.mkdtemp(prefix="mc-bench-"))

    raw = raw_sqlite(tmp / "raw.db", 2000)
    bare_port = free_port()
    uvicorn = [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--port", str(bare_port)]
    bare = subprocess.Popen([*uvicorn, "--log-level", "warning"], cwd=ROOT)
    wait_for_port(bare_port, bare)
    try:
        floor = wrk(
            f"http://127.0.0.1:{bare_port}/", "bare.lua", args.seconds, args.connections, {}
        )
    finally:
        bare.terminate()

    server, env, burst = durable_orders(
        f"sqlite:///{tmp / 'bench.db'}", tmp / "var", args.seconds, args.connections
    )
    try:
        delay = paced_delay(server.url, env, args.rate)
        with ThreadPoolExecutor(1) as pool:
            disk = pool.submit(raw_commit_latencies, tmp / "probe.db", args.seconds)
            paced = wrk(
                server.url, "orders.lua", args.seconds, 32, {**env, "MC_DELAY_MS": str(delay)}
            )
            commits = disk.result()
    finally:
        server.stop()
    pg = postgres_rows(args.postgres, tmp, args.seconds, args.connections) if args.postgres else []

    print(interpreter_line())
    print(f"{'what':<34}{'per second':>12}{'x raw sqlite':>14}{'x bare http':>13}{'p99 ms':>9}")
    rows = [
        ("raw sqlite3 commit", {"rate": raw}),
        ("bare uvicorn endpoint", floor),
        ("durable orders, sqlite", burst),
        *pg,
    ]
    for name, result in rows:
        rate, p99 = result["rate"], result.get("p99")
        tail = f"{p99:>9.1f}" if p99 is not None else ""
        print(f"{name:<34}{rate:>12,.0f}{rate / raw:>14.2f}{rate / floor['rate']:>13.2f}{tail}")
    print(f"(orders: {args.connections} connections, as fast as they go)")
    print(f"orders paced at ~{paced['rate']:.0f}/s (target {args.rate:.0f}), sqlite: "
          f"p50 {paced['p50']:.1f} ms, p99 {paced['p99']:.1f} ms")  # fmt: skip
    if abs(paced["rate"] - args.rate) > 0.1 * args.rate:
        print("  (the pacing missed its target by over 10%: the machine's speed changed between "
              "the tuning runs and this one; run again for the target rate)")  # fmt: skip
    pct = [commits[min(len(commits) - 1, int(q * len(commits)))] for q in (0.5, 0.99)]
    print(f"meanwhile, {len(commits)} raw sqlite3 commits on the same disk: "
          f"p50 {pct[0]:.2f} ms, p99 {pct[1]:.2f} ms, slowest {commits[-1]:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
