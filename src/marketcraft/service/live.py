"""Live pages: a server-sent event stream of a page's figures, so the sponsor's dashboard and a
peg market's page move without a reload (and without polling the whole page).

Each event (``cells``) is a JSON object from an element's id to its new text, formatted as the
page formats it; the pages' script (``/ui/assets/pages.js``) writes each into its element. A
stream sends the figures at once, then whatever changed every ``live_interval_seconds``, and
ends after ``live_stream_seconds`` (the browser's EventSource reconnects by itself), so a
connection is never held forever.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable

from fastapi import Request
from sse_starlette import EventSourceResponse

__all__ = ["Cells", "live_cells"]

#: element id -> its text
Cells = dict[str, str]
#: how long the browser waits before reconnecting after a stream ends (milliseconds)
_RETRY_MS = 1_000


def live_cells(
    request: Request, read: Callable[[], Cells], still_allowed: Callable[[], bool] | None = None
) -> EventSourceResponse:
    """A stream of ``read()``'s cells: all of them first, then the ones that changed. The
    stream ends as soon as ``still_allowed()`` is false (checked before every event: a revoked
    token or an ended session stops a private stream within one interval)."""
    settings = request.app.state.settings
    interval, length = settings.live_interval_seconds, settings.live_stream_seconds

    async def events() -> AsyncIterator[dict[str, object]]:
        shown: Cells = {}
        deadline = time.monotonic() + length
        while True:
            if still_allowed is not None and not still_allowed():
                return
            cells = read()
            changed = {key: text for key, text in cells.items() if shown.get(key) != text}
            if changed or not shown:
                shown.update(changed)
                data = json.dumps(changed, ensure_ascii=False)
                yield {"event": "cells", "data": data, "retry": _RETRY_MS}
            if time.monotonic() >= deadline or await request.is_disconnected():
                return
            await asyncio.sleep(interval)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return EventSourceResponse(events(), ping=15, send_timeout=10, headers=headers)
