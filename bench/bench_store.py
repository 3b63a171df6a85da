"""Event-store append throughput, side by side with the raw costs underneath it.

Runs in one process on the same machine, one event per durable commit:
  raw sqlite3 INSERT+COMMIT (WAL, synchronous=FULL)  - the floor set by the disk
  SqlEventStore on SQLite                            - ours, with version check and positions
  InMemoryEventStore                                 - no I/O at all
  Merkle log append (kernel)                         - the cost of the verifiable log per event
and prints each as events/s and as a ratio to raw SQLite.

    .venv/bin/python bench/bench_store.py [--n 2000]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

from marketcraft.kernel.log import AppendOnlyLog
from marketcraft.store import Database, NewEvent

PAYLOAD = b'{"data":{"order_id":"o-000000","spend":"25.00"},"type":"opportunity.order_placed"}'


def raw_sqlite(path: Path, n: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE e (p INTEGER PRIMARY KEY, s TEXT, v INTEGER, d BLOB)")
    start = time.perf_counter()
    for i in range(n):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO e VALUES (?, ?, ?, ?)", (i + 1, f"m-{i % 50}", i, PAYLOAD))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return n / elapsed


def raw_commit_latencies(path: Path, seconds: float, interval: float = 0.05) -> list[float]:
    """Commit latencies in ms of raw INSERT+COMMITs (WAL, synchronous=FULL), one every
    ``interval`` seconds for ``seconds``: what the disk's own fsync stalls look like."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS e (p INTEGER PRIMARY KEY, d BLOB)")
    latencies, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO e (d) VALUES (?)", (PAYLOAD,))
        conn.execute("COMMIT")
        latencies.append((time.perf_counter() - start) * 1000)
        time.sleep(interval)
    conn.close()
    return sorted(latencies)


def store_appends(url: str, n: int) -> float:
    db = Database.open(url, migrate=True)
    versions: dict[str, int] = {}
    start = time.perf_counter()
    for i in range(n):
        stream = f"m-{i % 50}"
        v = versions.get(stream, 0)
        db.events.append(stream, v, [NewEvent("opportunity.order_placed", PAYLOAD)])
        versions[stream] = v + 1
    elapsed = time.perf_counter() - start
    db.close()
    return n / elapsed


def log_appends(n: int) -> float:
    log = AppendOnlyLog("bench")
    start = time.perf_counter()
    for _ in range(n):
        log.append(PAYLOAD)
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="events per measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [
            ("raw sqlite3 commit", raw_sqlite(Path(tmp) / "raw.db", args.n)),
            ("SqlEventStore (SQLite)", store_appends(f"sqlite:///{tmp}/store.db", args.n)),
            ("InMemoryEventStore", store_appends("memory://", args.n * 10)),
            ("Merkle log append", log_appends(args.n * 50)),
        ]
    base = rows[0][1]
    print(f"{'what':<26}{'events/s':>14}{'x raw sqlite':>14}")
    for name, rate in rows:
        print(f"{name:<26}{rate:>14,.0f}{rate / base:>14.2f}")


if __name__ == "__main__":
    main()
