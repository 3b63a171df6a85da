"""Soak: one program taking blind orders for a long time, through HTTP, on SQLite. Does its
cost stay flat as it ages?

Per window of ``--window`` seconds at full speed (``--connections`` wrk connections): orders so
far, orders/s, p50 and p99 latency, and the server's resident memory. Then the restart: the
server is stopped (it snapshots its programs as it stops) and started again, and the time of
the program's first read is measured; then the same after a crash (SIGKILL: no snapshot at
stop, the load folds what came after the last one).

    .venv/bin/python bench/bench_soak.py [--orders 1000000] [--window 20] [--connections 32]
Goal (issue 17): memory within 1.2x of its value after the first 10,000 orders; p99 and
throughput at the end within 1.2x of the start; first read after a restart <= 5 s.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.server import Server  # noqa: E402

from bench.interpreter import interpreter_line  # noqa: E402
from marketcraft.roles import Role  # noqa: E402
from marketcraft.store import Database  # noqa: E402
from marketcraft.store.tokens import issue_token  # noqa: E402

SCOUTS, MARKETS = 64, 8
WARM_UP = 10_000
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(url: str, seconds: float, connections: int, env: dict[str, str]) -> dict[str, float]:
    """One wrk run of soak.lua: orders, orders/s and latency percentiles (ms)."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--latency"]
    command += ["-s", str(ROOT / "bench" / "soak.lua"), url]
    out = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, **env}, check=True
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw failures:\n{out}")
    found = {
        "orders": float(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
    }
    for pct in ("50", "99"):
        value, unit = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        found[f"p{pct}"] = float(value) * _UNITS[unit]
    return found


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]


def first_read(server: Server, pid: str, token: str) -> float:
    """Seconds from a started server to the program's first answer (its load)."""
    start = time.perf_counter()
    r = httpx.get(
        f"{server.url}/programs/{pid}", headers={"Authorization": f"Bearer {token}"}, timeout=600
    )
    r.raise_for_status()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description="soak one program with blind orders")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--window", type=float, default=20.0)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("this benchmark needs wrk: apt-get install wrk")
    tmp = Path(tempfile.mkdtemp(prefix="mc-soak-"))
    url = f"sqlite:///{tmp / 'soak.db'}"
    now = datetime.now(UTC)
    db = Database.open(url, migrate=True)
    sponsor = issue_token(db.principals, "sponsor", Role.SPONSOR, now)[1]
    scouts = [issue_token(db.principals, f"s{i}", Role.SCOUT, now)[1] for i in range(SCOUTS)]
    db.close()
    env = {"MARKETCRAFT_RATE_LIMIT_ENABLED": "false"}
    server = Server(url, tmp / "var", env=env)
    server.start()
    assert server.process is not None
    with httpx.Client(base_url=server.url, timeout=60) as c:
        auth = {"Authorization": f"Bearer {sponsor}"}
        pid = c.post("/programs", headers=auth, json={
            "title": "soak", "deposit": "1000000000",
            "terms": {"market_budget": "100000000", "window_seconds": 30 * 86400},
        }).json()["program_id"]  # fmt: skip
        mids = [
            c.post(f"/programs/{pid}/markets", headers=auth, json={"title": f"M{i}"}).json()[
                "market_id"
            ]
            for i in range(MARKETS)
        ]
        for tok in scouts:
            c.post(f"/programs/{pid}/deposits", headers={"Authorization": f"Bearer {tok}"},
                   json={"amount": "100000000"})  # fmt: skip
    env = {"MC_PROGRAM": pid, "MC_MARKETS": ",".join(mids), "MC_TOKENS": ",".join(scouts)}

    print(interpreter_line())
    print(f"one program, {SCOUTS} scouts, {MARKETS} markets, SQLite; windows of "
          f"{args.window:.0f} s at {args.connections} connections")  # fmt: skip
    print(f"{'orders':>10}{'orders/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'RSS MB':>9}")
    total, window, rows = 0, 0, []
    while total < args.orders:
        seconds = args.window if total >= WARM_UP else max(2.0, args.window / 4)
        window += 1
        got = wrk(server.url, seconds, args.connections, {**env, "MC_WINDOW": str(window)})
        total += int(got["orders"])
        row = {**got, "total": total, "rss": rss_mb(server.process.pid)}
        rows.append(row)
        print(f"{total:>10,}{got['rate']:>10,.0f}{got['p50']:>9.1f}{got['p99']:>9.1f}"
              f"{row['rss']:>9.0f}", flush=True)  # fmt: skip

    steady = [r for r in rows if r["total"] >= WARM_UP]
    first, last = steady[0], steady[-1]
    print(f"\nafter {WARM_UP:,} orders -> at {last['total']:,}:")
    print(f"  memory      {first['rss']:8.0f} -> {last['rss']:8.0f} MB   "
          f"x{last['rss'] / first['rss']:.2f} (goal <= 1.2)")  # fmt: skip
    print(f"  p99         {first['p99']:8.1f} -> {last['p99']:8.1f} ms   "
          f"x{last['p99'] / first['p99']:.2f} (goal <= 1.2)")  # fmt: skip
    print(f"  orders/s    {first['rate']:8.0f} -> {last['rate']:8.0f}      "
          f"x{first['rate'] / last['rate']:.2f} slower (goal <= 1.2)")  # fmt: skip

    stop = time.perf_counter()
    server.stop()  # SIGTERM: the service snapshots its programs as it stops
    stopped = time.perf_counter() - stop
    server.start(timeout=120)
    graceful = first_read(server, pid, sponsor)
    print(f"restart after a clean stop (stop took {stopped:.1f} s): first read "
          f"{graceful:.2f} s (goal <= 5)")  # fmt: skip
    got = wrk(server.url, 5, args.connections, {**env, "MC_WINDOW": "after"})
    server.kill()
    server.start(timeout=120)
    crashed = first_read(server, pid, sponsor)
    print(f"restart after a crash ({int(got['orders']):,} orders after the snapshot): "
          f"first read {crashed:.2f} s")  # fmt: skip
    server.stop()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
