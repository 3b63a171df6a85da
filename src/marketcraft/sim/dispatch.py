"""Run independent simulation jobs on local processes (the default), in this process, or on a
Dask cluster, and report progress as they go.

A job is ``fn(*args, progress=callback)`` with ``fn`` a top-level function (so it pickles);
it calls ``progress(steps done)`` now and then. Results come back in job order, so they do not
depend on which worker ran what."""

from __future__ import annotations

import queue as queues
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from functools import partial
from multiprocessing import Manager
from typing import Any

from marketcraft.kernel.errors import ValidationError

__all__ = ["Progress", "run_jobs"]

Progress = Callable[[int, int], None]  # (steps done, steps in all)


def run_jobs(
    fn: Callable[..., Any],
    jobs: Sequence[tuple[Any, ...]],
    steps: int,
    *,
    workers: int,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> list[Any]:
    """``[fn(*job) for job in jobs]``, each job ``steps`` long, on ``workers`` processes (1:
    here), or on the Dask cluster at ``scheduler``."""
    if scheduler:
        return _on_dask(scheduler, fn, jobs, steps, progress)
    if workers == 1 or len(jobs) == 1:
        return _here(fn, jobs, steps, progress)
    return _on_processes(min(workers, len(jobs)), fn, jobs, steps, progress)


def _here(
    fn: Callable[..., Any], jobs: Sequence[tuple[Any, ...]], steps: int, progress: Progress | None
) -> list[Any]:
    outputs = []
    total = steps * len(jobs)
    for i, job in enumerate(jobs):

        def step(done: int, base: int = i * steps) -> None:
            if progress:
                progress(base + done, total)

        outputs.append(fn(*job, progress=step))
    return outputs


def _put(updates: Any, job: int, done: int) -> None:
    """Progress from a worker process: through a manager queue to the parent."""
    updates.put((job, done))


def _on_processes(
    workers: int,
    fn: Callable[..., Any],
    jobs: Sequence[tuple[Any, ...]],
    steps: int,
    progress: Progress | None,
) -> list[Any]:
    total = steps * len(jobs)
    done = [0] * len(jobs)
    with Manager() as manager, ProcessPoolExecutor(max_workers=workers) as pool:
        updates = manager.Queue()
        futures: dict[Future[Any], int] = {
            pool.submit(fn, *job, progress=partial(_put, updates, i)): i
            for i, job in enumerate(jobs)
        }
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for future in finished:
                done[futures[future]] = steps
            while True:
                try:
                    job, reached = updates.get_nowait()
                except queues.Empty:
                    break
                done[job] = max(done[job], reached)
            if progress:
                progress(sum(done), total)
        return [future.result() for future in sorted(futures, key=futures.__getitem__)]


def _on_dask(
    address: str,
    fn: Callable[..., Any],
    jobs: Sequence[tuple[Any, ...]],
    steps: int,
    progress: Progress | None,
) -> list[Any]:
    try:
        from distributed import Client, as_completed  # noqa: PLC0415 (optional extra)
    except ImportError:  # pragma: no cover - the extra is missing
        raise ValidationError(
            "no_dask", "running on a cluster needs Dask: pip install 'marketcraft[dask]'"
        ) from None
    with Client(address) as client:  # type: ignore[no-untyped-call]
        futures = [client.submit(fn, *job, progress=None, pure=False) for job in jobs]
        for finished, _ in enumerate(as_completed(futures), start=1):  # type: ignore[no-untyped-call]
            if progress:
                progress(finished * steps, len(jobs) * steps)
        return client.gather(futures)  # type: ignore[no-any-return]
