"""Progress of a long command, on standard error (standard output stays the command's result):
a bar on a terminal; where standard error is not a terminal (a pipe, a log file, CI), a plain
line every few seconds and one at the end, so a long run is never silent.

    with progress("simulating", quiet=as_json) as update:
        run(..., progress=update)        # update(done, total)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

__all__ = ["PLAIN_EVERY", "Update", "plain_progress", "progress"]

#: seconds between two plain progress lines
PLAIN_EVERY = 5.0
Update = Callable[[int, int], None]


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def plain_progress(
    what: str,
    stream: TextIO,
    every: float = PLAIN_EVERY,
    clock: Callable[[], float] = time.monotonic,
) -> Update:
    """An ``update(done, total)`` that writes ``what: 40% (400 of 1,000), 12 s in, about 18 s
    left`` at most once every ``every`` seconds, and when the work is done."""
    start = clock()
    last = [start]
    finished = [False]

    def update(done: int, total: int) -> None:
        now = clock()
        if finished[0] or (now - last[0] < every and done < total):
            return  # too soon, or the end is already said
        last[0], finished[0] = now, done >= total > 0
        spent = now - start
        share = done / total if total else 0.0
        left = f", about {_duration(spent / share - spent)} left" if 0 < share < 1 else ""
        line = f"{what}: {share:.0%} ({done:,} of {total:,}), {_duration(spent)} in{left}"
        print(line, file=stream, flush=True)

    return update


@contextmanager
def progress(what: str, *, quiet: bool = False) -> Iterator[Update]:
    """Progress of ``what``: a bar on a terminal, plain lines elsewhere, nothing if ``quiet``."""
    if quiet:
        yield lambda done, total: None
        return
    console = Console(stderr=True)
    if not console.is_terminal:
        yield plain_progress(what, sys.stderr)
        return
    columns = (TextColumn(what), BarColumn(), TextColumn("{task.percentage:>3.0f}%"))
    with Progress(*columns, TimeRemainingColumn(), console=console, transient=True) as bar:
        task = bar.add_task(what, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)
