"""Group commit for the event loop: order requests wait on a future while one worker thread
decides and stores every request that queued up, in arrival order, in one transaction.

The HTTP side never blocks on the database or the engine, and under load each fsync carries as
many orders as arrived while the previous one was written. Nothing is answered before it is
durable: a request's future resolves only after its batch is committed."""

from __future__ import annotations

import asyncio

from marketcraft.kernel.messages import Command
from marketcraft.opportunity.commands import Context
from marketcraft.opportunity.journal import Handled
from marketcraft.opportunity.repository import ProgramRepository

__all__ = ["Committer"]

_Request = tuple[str, Command, Context]


class Committer:
    """The async front of a :class:`ProgramRepository` (one per event loop)."""

    def __init__(self, programs: ProgramRepository) -> None:
        self.programs = programs
        self._queue: list[tuple[_Request, asyncio.Future[Handled]]] = []
        self._draining = False

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
                batch, self._queue = self._queue, []
                try:
                    outcomes = await asyncio.to_thread(
                        self.programs.handle_many, [request for request, _ in batch]
                    )
                except Exception as exc:  # the worker itself failed: every request learns it
                    outcomes = [exc] * len(batch)
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if future.done():  # the client went away
                        continue
                    if isinstance(outcome, BaseException):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
        finally:
            self._draining = False
