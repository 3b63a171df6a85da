"""JSON request bodies read with exact numbers.

Python's ``json`` reads ``123456789012345.123456`` as a float (silently ``...012345.12``),
``1e400`` as infinity, accepts the non-JSON tokens ``NaN`` and ``Infinity``, and fails on an
integer of more than 4300 digits with an error that names no field. Read here, every number
with a point or an exponent, and every such token, is a ``Decimal`` (exactly what was sent), and
an integer too long for ``int`` (or ``-0``, a signed zero) is a ``Decimal`` too; the body's
model then accepts it or refuses it with an error naming the field (a bound,
``finite_number``, ...).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from marketcraft.service.idempotency import Replay, after_request

__all__ = ["ExactNumbersRoute", "loads_exact"]


def _integer(text: str) -> int | Decimal:
    if text == "-0":  # a signed zero, as -0.0 is: an integer field still reads it as 0
        return Decimal(text)
    try:
        return int(text)
    except ValueError:  # longer than int() reads from text (sys.get_int_max_str_digits())
        return Decimal(text)


def loads_exact(body: bytes | str) -> Any:
    """``body`` parsed as JSON with floats, ``NaN``/``Infinity`` and huge integers as Decimal.

    Raises :class:`json.JSONDecodeError` for text that is not JSON."""
    return json.loads(body, parse_float=Decimal, parse_int=_integer, parse_constant=Decimal)


class _ExactNumbersRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads_exact(await self.body())
        return self._json


class ExactNumbersRoute(APIRoute):
    """An API route whose JSON body is read by :func:`loads_exact` (FastAPI's documented way
    to customise the request: a route class that hands the endpoint another Request), and
    whose ``Idempotency-Key``, if it takes one, keeps its answer or is freed once it is done
    (:mod:`marketcraft.service.idempotency`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def exact(request: Request) -> Response:
            exact_request = _ExactNumbersRequest(request.scope, request.receive)
            try:
                response = await handler(exact_request)
            except Replay as replay:
                return replay.response
            except BaseException:
                await after_request(exact_request, None)
                raise
            await after_request(exact_request, response)
            return response

        return exact
