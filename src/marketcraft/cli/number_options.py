"""Number options of the command lines.

Each reads an option's text as the API and the pages read a number (decimal options through
the types of :mod:`marketcraft.number_types`), and refuses anything else with a usage error:
exit code 2, a message naming the option, no traceback. The parsers raise
:class:`typer.BadParameter`; typer names the option it came from.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

import typer
from pydantic import ValidationError as PydanticValidationError

from marketcraft.kernel.limits import MAX_SEED, MAX_WORKERS
from marketcraft.number_types import FLOAT_TEXT, WHOLE_TEXT, first_error, parse

__all__ = ["decimal_option", "finite_float", "read_seed", "whole_number"]


def decimal_option(kind: Any, text: str, option: str) -> Decimal:
    """``text`` read as ``kind`` (a type of :mod:`marketcraft.number_types`).

    Raises :class:`typer.BadParameter` naming ``option``."""
    try:
        return parse(kind, text)
    except PydanticValidationError as exc:
        raise typer.BadParameter(first_error(exc), param_hint=option) from None


def _range(low: float | None, high: float | None, low_open: bool) -> str:
    """``in 2..4096``, ``>= 1``, ``> 0 and <= 100``."""

    def shown(x: float) -> str:
        return f"{x:g}" if isinstance(x, float) else str(x)

    if low is not None and high is not None and not low_open:
        return f"in {shown(low)}..{shown(high)}"
    above = "" if low is None else f"{'>' if low_open else '>='} {shown(low)}"
    below = "" if high is None else f"<= {shown(high)}"
    return " and ".join(part for part in (above, below) if part)


def whole_number(low: int, high: int | None = None) -> Callable[[Any], int]:
    """A parser of whole numbers in ``low..high``, written with ASCII digits (``int()`` also
    reads ``"١٢"`` and ``"1_000"``, and raises on more than 4,300 digits)."""

    def read(value: Any) -> int:
        text = str(value).strip()
        if not WHOLE_TEXT.fullmatch(text):
            raise typer.BadParameter(f"{text[:40]!r} is not a whole number")
        if len(text) > 40:
            raise typer.BadParameter(
                f"a number of {len(text)} digits is not {_range(low, high, False)}"
            )
        number = int(text)
        if number < low or (high is not None and number > high):
            raise typer.BadParameter(f"{number} is not {_range(low, high, False)}")
        return number

    return read


def finite_float(
    low: float | None = None, high: float | None = None, *, low_open: bool = False
) -> Callable[[Any], float]:
    """A parser of finite floats in the range, written with ASCII digits (``float()`` also reads
    ``nan``, ``inf``, ``1e400`` as inf, and other scripts' digits)."""

    def read(value: Any) -> float:
        text = str(value).strip()
        if not FLOAT_TEXT.fullmatch(text):
            raise typer.BadParameter(f"{text[:40]!r} is not a number")
        number = float(text)
        too_low = low is not None and (number <= low if low_open else number < low)
        if not math.isfinite(number) or too_low or (high is not None and number > high):
            raise typer.BadParameter(f"{text} is not a finite number {_range(low, high, low_open)}")
        return number

    return read


#: a simulation's seed
read_seed = whole_number(0, MAX_SEED)


#: the options of a command that runs simulation chunks: where, and on how many processes
Scheduler = Annotated[
    str | None, typer.Option(help="A Dask scheduler address; default: local processes.")
]
Workers = Annotated[
    int | None,
    typer.Option(
        parser=whole_number(1, MAX_WORKERS), help="Local processes (default: every core)."
    ),
]
