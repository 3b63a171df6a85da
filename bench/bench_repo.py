"""The sealed repo contract: selection on a 1,000,000-point grid, and Groth16 prove / verify at
K = 64 with the circuit's size beside K = 16 and K = 256, in one run.

    .venv/bin/python bench/bench_repo.py [--repeat 5]

The K = 64 setup is taken from the cache (``marketcraft repo setup --grid-size 64``); without
one, this run makes it first (about 7 minutes on 2 cores, most of it snarkjs preparing phase 2).

Goals (issue 7): selection on 1,000,000 points <= 0.5 s; prove <= 3 s and verify <= 0.5 s with
snarkjs at 64 points.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from marketcraft.repo.proving import witness_input
from marketcraft.repo.schedule import Report, Side
from marketcraft.repo.selection import select
from marketcraft.repo.zk.ceremony import constraint_count, find_setup, run_setup
from marketcraft.repo.zk.circuit import compile_circuit
from marketcraft.repo.zk.groth16 import verify as verify_python
from marketcraft.repo.zk.proof import prove, verify_snarkjs


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """The median wall time of ``repeat`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def schedules(k: int) -> tuple[Report, Report]:
    """The spec's linear example (500 bp + Q, 540 bp - Q, in 1e-4 bp units) on a K-point grid."""
    grid = tuple(range(k))
    step = max(1, 400_000 // k)  # the spread closes across the grid
    mm = Report(Side.MM, grid, tuple(5_000_000 + step * q for q in grid), 0)
    rm = Report(Side.RM, grid, tuple(5_400_000 - step * q for q in grid), 0)
    return mm, rm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    mm, rm = schedules(1_000_000)
    selection, outcome = timed(lambda: select(mm, rm), args.repeat)
    print(f"selection, 1,000,000 points: {selection:.3f} s  (goal <= 0.5 s: "
          f"{0.5 / selection:.1f}x inside)  -> {outcome}")  # fmt: skip

    sizes = {k: constraint_count(compile_circuit(k)) for k in (16, 64, 256)}
    setup = find_setup(64)
    if setup is None:
        print("no K = 64 setup in the cache: making one (minutes)")
        setup = run_setup(64, ["contract", "mm", "rm"], progress=print)
    mm, rm = schedules(64)
    outcome = select(mm, rm)
    inputs = witness_input(mm, rm, 11, 22, outcome)
    prove_s, proof = timed(lambda: prove(setup, inputs), args.repeat)
    assert proof is not None
    snark_s, ok_snark = timed(
        lambda: verify_snarkjs(setup.vkey, proof.public, proof.proof), args.repeat
    )
    python_s, ok_python = timed(
        lambda: verify_python(setup.vkey, proof.public, proof.proof), args.repeat
    )
    if not (ok_snark and ok_python):
        raise SystemExit("the proof did not verify: the timings mean nothing")

    print()
    print(f"{'K':>5} {'constraints':>12} {'per point':>10}")
    for k, n in sizes.items():
        print(f"{k:>5} {n:>12,} {n / k:>10.0f}")
    print()
    print(f"K = 64 (setup {setup.id[:12]}, contributors {', '.join(setup.contributors)}):")
    print(f"  prove  (witness + Groth16, snarkjs): {prove_s:6.2f} s   goal <= 3 s   "
          f"{3 / prove_s:.1f}x inside")  # fmt: skip
    print(f"  verify (snarkjs):                    {snark_s:6.2f} s   goal <= 0.5 s "
          f"{0.5 / snark_s:.1f}x inside")  # fmt: skip
    print(f"  verify (py_ecc):                     {python_s:6.2f} s   "
          f"{python_s / snark_s:.1f}x snarkjs")  # fmt: skip


if __name__ == "__main__":
    main()
