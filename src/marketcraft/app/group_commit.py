"""The group commit, on the event loop: every opportunity command (from the API or the pages,
through :mod:`marketcraft.app.opportunity_actions`) waits on a future while the commands that
queued up are decided, in arrival order, and stored in one transaction per program (one fsync).

The batch runs on the event loop itself. Deciding is CPU work that holds the GIL wherever it
runs, and a commit is one short write; handing them to a worker thread added GIL hand-overs
that cost more than they saved (measured with ``bench/bench_opportunity_http.py``: about 730
against 930 orders/s, and a higher p99). While a batch runs, new requests wait in the socket
buffers and form the next batch. Nothing is answered before it is durable: a request's future
resolves only after its batch is committed."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable

from marketcraft.app.programs import ProgramRepository
from marketcraft.kernel.messages import Command
from marketcraft.opportunity.commands import Context
from marketcraft.opportunity.journal import Handled

__all__ = ["BatchObserver", "Committer"]

_Request = tuple[str, Command, Context]

#: after this many commands, what the commits left in memory (the programs' state: it lives as
#: long as the process) is frozen out of the cyclic collector's reach, as the service's start
#: is. Otherwise each full collection walks every order ever placed, and the p99 latency grows
#: with a program's age (measured with bench/bench_soak.py).
FREEZE_EVERY = 10_000

#: told of every batch once it is durable: how many commands it held and how long deciding and
#: storing them took, in seconds (the service counts them for its metrics)
BatchObserver = Callable[[int, float], None]


class Committer:
    """The async front of a :class:`ProgramRepository` (one per event loop)."""

    def __init__(self, programs: ProgramRepository, observe: BatchObserver | None = None) -> None:
        self.programs = programs
        self._observe = observe
        self._queue: list[tuple[_Request, asyncio.Future[Handled]]] = []
        self._draining = False
        self._since_freeze = 0

    async def handle(self, program_id: str, command: Command, ctx: Context) -> Handled:
        future: asyncio.Future[Handled] = asyncio.get_running_loop().create_future()
        self._queue.append(((program_id, command, ctx), future))
        if not self._draining:
            self._draining = True
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._queue:
                await asyncio.sleep(0)  # let requests already read this turn join the batch
                batch, self._queue = self._queue, []
                started = time.perf_counter()
                try:
                    outcomes = self.programs.handle_many([request for request, _ in batch])
                except Exception as exc:  # the repository itself failed: every request learns it
                    outcomes = [exc] * len(batch)
                if self._observe is not None:
                    self._observe(len(batch), time.perf_counter() - started)
                self._since_freeze += len(batch)
                if self._since_freeze >= FREEZE_EVERY:
                    self._since_freeze = 0
                    gc.freeze()
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if future.done():  # the client went away
                        continue
                    if isinstance(outcome, BaseException):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
        finally:
            self._draining = False
