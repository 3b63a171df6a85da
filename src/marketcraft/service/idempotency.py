"""``Idempotency-Key`` on every route that moves money or starts work: one mechanism for all.

A route takes the header by declaring :data:`IdempotencyKey` (optional) or
(orders take :data:`OrderIdempotencyKey`, see below) as its *last* parameter, after its role guard,
so only a caller let in may claim a key. Keys belong to the principal that sends them (the same
key from two principals is two keys) and are kept in the database
(:mod:`marketcraft.store.idempotency`), so they hold across restarts and across servers sharing
the database, as orders' keys do.

* a new key: the request runs; a success (2xx) is kept as the key's answer; a refusal frees the
  key (a refused request changed nothing, so it may be retried with the same key);
* the same key, the same request (method, path and body): the first answer again, byte for
  byte, with ``Idempotent-Replayed: true``; nothing runs a second time;
* the same key, another request: 422 ``idempotency_key_reused``;
* the same key while its first request still runs (or was cut off by a crash): 409
  ``idempotency_key_in_use``; nothing runs.

Orders are the one exception, and need none of this: an order's key (required) names the order
in its program (:func:`~marketcraft.app.opportunity_actions.order_id_for`), so the engine itself
answers a retry with the first receipt, and another order with that key with 422
``idempotency_key_reused``, atomically with the order, in the program's own log and its group
commit (no write of its own per order). A key is per program there.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.concurrency import run_in_threadpool

from marketcraft.kernel.errors import ConcurrencyConflict, IdempotencyKeyReused
from marketcraft.store.idempotency import IdempotencyStore
from marketcraft.store.principals import Principal

__all__ = [
    "REPLAYED_HEADER",
    "IdempotencyKey",
    "OrderIdempotencyKey",
    "Replay",
    "after_request",
]

REPLAYED_HEADER = "Idempotent-Replayed"
_DESCRIPTION = (
    "Makes retries safe: the same key with the same request gets the first answer again (and "
    "nothing is done twice); with another request, 422 `idempotency_key_reused`; while the "
    "first still runs, 409 `idempotency_key_in_use`. Keys are per user, at most 100 characters."
)


@dataclass(frozen=True, slots=True)
class _Claim:
    store: IdempotencyStore
    principal: str
    key: str


class Replay(Exception):
    """Raised by the dependency when the key already holds this request's answer; the route
    wrapper (:func:`after_request`'s caller) answers with it."""

    def __init__(self, response: Response) -> None:
        super().__init__("replayed")
        self.response = response


def _fingerprint(request: Request, body: bytes) -> str:
    """The request as a key remembers it: method, path and body (JSON compared as parsed)."""
    try:
        content: Any = (
            json.loads(body, parse_float=str, parse_int=str, parse_constant=str) if body else None
        )
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    except ValueError:
        canonical = body.hex()
    text = f"{request.method}\0{request.url.path}\0{canonical}"
    return hashlib.sha256(text.encode("utf-8", "backslashreplace")).hexdigest()


def _claim(request: Request, key: str | None) -> None:
    if key is None:
        return
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:  # no guard ran: nobody to hold the key for
        return
    store: IdempotencyStore = request.app.state.database.idempotency
    body: bytes = request.state.idempotency_body
    fingerprint = _fingerprint(request, body)
    found = store.claim(principal.name, key, fingerprint)
    if found is None:
        request.state.idempotency_claim = _Claim(store, principal.name, key)
        return
    if found.fingerprint != fingerprint:
        raise IdempotencyKeyReused(reason="this key was used for another request")
    if found.status is None:
        raise ConcurrencyConflict(
            "idempotency_key_in_use",
            "the first request with this key has not finished; retry later, or use a new key "
            "once you have checked that it took no effect",
        )
    assert found.body is not None
    raise Replay(
        Response(
            found.body, status_code=found.status, media_type=found.media_type,
            headers={REPLAYED_HEADER: "true"},
        )
    )  # fmt: skip


_HEADER = Header(
    alias="Idempotency-Key", min_length=1, max_length=100, pattern=r"^[\x21-\x7e]+$",
    description=_DESCRIPTION, examples=["3f2b8c1e-retry-safe-key"],
)  # fmt: skip


async def _claimed(request: Request, key: str | None) -> None:
    request.state.idempotency_body = await request.body()
    await run_in_threadpool(_claim, request, key)


async def _optional(
    request: Request, idempotency_key: Annotated[str | None, _HEADER] = None
) -> str | None:
    await _claimed(request, idempotency_key)
    return idempotency_key


#: the optional header, for a route's last parameter
IdempotencyKey = Annotated[str | None, Depends(_optional)]
#: for orders: required, and honoured by the engine itself (see the module)
OrderIdempotencyKey = Annotated[str, _HEADER]


async def after_request(request: Request, response: Response | None) -> None:
    """Keep a success as the key's answer, or free the key (``response`` None: the request
    raised)."""
    claim: _Claim | None = getattr(request.state, "idempotency_claim", None)
    if claim is None:
        return
    request.state.idempotency_claim = None
    if response is not None and 200 <= response.status_code < 300:
        media_type = response.headers.get("content-type", "application/json")
        await run_in_threadpool(
            claim.store.keep, claim.principal, claim.key, response.status_code, media_type,
            bytes(response.body),
        )  # fmt: skip
    else:
        await run_in_threadpool(claim.store.release, claim.principal, claim.key)
