"""Report files: ``{"volumes": [...], "rates": [...], "hurdle": h}`` with volumes whole numbers
and rates and hurdle in basis points (numbers, at most 4 decimals)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from marketcraft.kernel.errors import ValidationError
from marketcraft.repo.schedule import Report, Side, bp_to_units

__all__ = ["read_json", "read_report", "report_from_plain"]


def report_from_plain(plain: Any, side: Side, where: str) -> Report:
    if not isinstance(plain, dict):
        raise ValidationError("bad_report", f"{where}: expected an object")
    unknown = set(plain) - {"volumes", "rates", "hurdle"}
    if unknown or not {"volumes", "rates"} <= set(plain):
        raise ValidationError(
            "bad_report", f"{where}: needs volumes and rates (and may give hurdle), nothing else"
        )
    volumes, rates = plain["volumes"], plain["rates"]
    if not isinstance(volumes, list) or not isinstance(rates, list):
        raise ValidationError("bad_report", f"{where}: volumes and rates must be lists")
    for v in volumes:
        if isinstance(v, bool) or not isinstance(v, int | float) or v != int(v):
            raise ValidationError("bad_report", f"{where}: volume {v!r} is not a whole number")
    return Report(
        side,
        tuple(int(v) for v in volumes),
        tuple(bp_to_units(r, f"{where}: rate") for r in rates),
        bp_to_units(plain.get("hurdle", 0), f"{where}: hurdle"),
    )


def read_json(path: Path, code: str = "bad_file") -> Any:
    """A JSON file's content, or a ValidationError(``code``) naming the file and the problem."""
    try:
        return json.loads(path.read_text())
    except OSError as exc:
        raise ValidationError(code, f"{path}: cannot read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ValidationError(code, f"{path}: not JSON: {exc.msg}") from None


def read_report(path: Path, side: Side) -> Report:
    return report_from_plain(read_json(path, "bad_report"), side, str(path))
