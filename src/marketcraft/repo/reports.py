"""Report files: ``{"volumes": [...], "rates": [...], "hurdle": h, "offset": o}`` with volumes
whole numbers and rates and hurdle in basis points (numbers, at most 4 decimals). ``offset``
(whole basis points, 0 if absent) lets rates go down to ``-offset``: the contract works on
``rate + offset``, and both reports of a pair (a session) state the same offset.

Numbers are JSON numbers, read exactly (as Decimal: ``1e-324`` is not a float's 0, and a rate
finer than 1e-4 bp is refused rather than rounded by a float); text where a number belongs
(``"12"``) and the non-JSON tokens ``NaN`` and ``Infinity`` are refused, naming the field."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

from marketcraft.kernel.errors import ValidationError
from marketcraft.repo.schedule import MAX_OFFSET_BP, RATE_UNIT, Report, Side, bp_to_units

__all__ = ["loads_strict", "read_json", "read_report", "report_from_plain"]


def _no_constant(token: str) -> Any:
    raise ValueError(f"{token} is not a JSON number")


def loads_strict(text: str | bytes, *, exact: bool = False) -> Any:
    """JSON as the standard has it: ``NaN`` and ``Infinity`` are refused (Python's ``json``
    reads them); with ``exact``, numbers with a point or an exponent are Decimal, not float.
    Raises ValueError (a JSONDecodeError for text that is not JSON at all, a plain ValueError
    for those tokens, for integers longer than ``int`` reads and for nesting deeper than the
    parser's recursion allows)."""
    try:
        return json.loads(
            text, parse_constant=_no_constant, parse_float=Decimal if exact else float
        )
    except RecursionError:
        raise ValueError("arrays or objects nested too deeply") from None


def _number(value: Any, what: str) -> int | float | Decimal:
    """A JSON number (not text, not a boolean, finite)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValidationError("bad_report", f"{what}: {value!r} is not a number")
    if isinstance(value, int):  # exact, however long (math.isfinite would overflow a float)
        return value
    finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
    if not finite:
        raise ValidationError("bad_report", f"{what}: {value!r} is not a finite number")
    return value


def report_from_plain(plain: Any, side: Side, where: str) -> Report:
    if not isinstance(plain, dict):
        raise ValidationError("bad_report", f"{where}: expected an object")
    unknown = set(plain) - {"volumes", "rates", "hurdle", "offset"}
    if unknown or not {"volumes", "rates"} <= set(plain):
        raise ValidationError(
            "bad_report",
            f"{where}: needs volumes and rates (and may give hurdle and offset), nothing else",
        )
    volumes, rates = plain["volumes"], plain["rates"]
    if not isinstance(volumes, list) or not isinstance(rates, list):
        raise ValidationError("bad_report", f"{where}: volumes and rates must be lists")
    for v in volumes:
        if _number(v, f"{where}: volume") != int(v):
            raise ValidationError("bad_report", f"{where}: volume {v!r} is not a whole number")
    offset = _number(plain.get("offset", 0), f"{where}: offset")
    if offset != int(offset) or not 0 <= offset <= MAX_OFFSET_BP:
        raise ValidationError(
            "bad_report", f"{where}: offset {offset!r} is not whole basis points in "
            f"0..{MAX_OFFSET_BP}",
        )  # fmt: skip
    shift = int(offset) * RATE_UNIT
    return Report(
        side,
        tuple(int(v) for v in volumes),
        tuple(bp_to_units(_number(r, f"{where}: rate"), f"{where}: rate") + shift for r in rates),
        bp_to_units(_number(plain.get("hurdle", 0), f"{where}: hurdle"), f"{where}: hurdle"),
        shift,
    )


def read_json(path: Path, code: str = "bad_file", *, exact: bool = False) -> Any:
    """A JSON file's content (``exact``: see :func:`loads_strict`), or a ValidationError
    (``code``) naming the file and the problem."""
    try:
        return loads_strict(path.read_text(), exact=exact)
    except OSError as exc:
        raise ValidationError(code, f"{path}: cannot read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ValidationError(code, f"{path}: not JSON: {exc.msg}") from None
    except ValueError as exc:  # NaN or Infinity, or an integer too long to read
        raise ValidationError(code, f"{path}: not JSON: {exc}") from None


def read_report(path: Path, side: Side) -> Report:
    return report_from_plain(read_json(path, "bad_report", exact=True), side, str(path))
