"""Simulation inputs from files (read with floats: these are simulation inputs, not engine
state): TOML tables into frozen dataclasses (scenario and deal files), with errors that name
the key (unknown and missing keys, scalars checked against the type of the field's default, numbers
finite);
and a named numeric column of a CSV file."""

from __future__ import annotations

import csv
import math
import tomllib
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

import numpy as np

from marketcraft.kernel.errors import ValidationError

__all__ = ["MAX_TOML_DEPTH", "build_table", "parse_toml", "read_column", "read_toml"]


def read_toml(path: Path, code: str, name: str | None = None) -> dict[str, Any]:
    """A TOML file's tables; ValidationError (``code``) naming the file as ``name`` (default:
    its name, never its folders: a message may reach a caller who must not learn the server's
    folders) if it cannot be read, is not UTF-8 TOML, nests deeper than
    :data:`MAX_TOML_DEPTH` or holds an integer longer than Python reads."""
    name = name or path.name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(code, f"{name}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ValidationError(code, f"{name}: not UTF-8 text") from None
    return parse_toml(text, name, code)


#: how deeply arrays and inline tables may nest in a TOML file: tomllib recurses once per level
MAX_TOML_DEPTH = 32


def parse_toml(text: str, name: str, code: str) -> dict[str, Any]:
    """TOML text's tables; ValidationError (``code``, naming ``name``) as :func:`read_toml`."""
    if _nesting(text) > MAX_TOML_DEPTH:
        raise ValidationError(code, f"{name}: nested deeper than {MAX_TOML_DEPTH} levels")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(code, f"{name}: not valid TOML: {exc}") from None
    except ValueError:  # an integer with more digits than int() reads (sys.int_info)
        raise ValidationError(code, f"{name}: a number is too long") from None


def _nesting(text: str) -> int:
    """An upper bound on how deeply TOML ``text`` nests arrays and inline tables: every opening
    bracket or brace counts, whether in a string, a comment or a table header, so a real file
    is never under-counted."""
    depth = deepest = 0
    for char in text:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(depth - 1, 0)
    return deepest


def read_column(path: Path, name: str, code: str) -> np.ndarray:
    """Column ``name`` of a CSV file with a header row, as finite floats; ValidationError
    (``code``) naming the file otherwise."""
    try:
        with path.open(newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise ValidationError(code, f"{path.name}: cannot read: {exc.strerror}") from None
    if not rows or name not in rows[0]:
        raise ValidationError(code, f"{path}: needs a {name!r} column and a row")
    try:
        values = np.array([float(r[name]) for r in rows])
    except (TypeError, ValueError):
        raise ValidationError(code, f"{path}: every {name} must be a number") from None
    if not np.all(np.isfinite(values)):
        raise ValidationError(code, f"{path}: every {name} must be finite")
    return values


def build_table(
    cls: type, raw: Any, where: str, nested: dict[tuple[type, str], type], code: str
) -> Any:
    """``cls(**raw)`` with every key checked; a key in ``nested`` holds a table (or a list of
    tables) of that class. Errors are ValidationError(``code``) naming ``where`` and the key."""
    if not isinstance(raw, dict):
        raise ValidationError(code, f"{where}: expected a table")
    known = {f.name: f for f in fields(cls)}
    unknown = set(raw) - set(known)
    if unknown:
        raise ValidationError(code, f"{where}: unknown key(s) {sorted(unknown)}")
    values: dict[str, Any] = {}
    for name, value in raw.items():
        inner = nested.get((cls, name))
        spot = f"{where}.{name}" if ": " in where else f"{where}: {name}"  # file: table.key
        if inner is not None and isinstance(value, list):
            values[name] = tuple(
                build_table(inner, item, f"{spot}[{i}]", nested, code)
                for i, item in enumerate(value)
            )
        elif inner is not None:
            values[name] = build_table(inner, value, spot, nested, code)
        else:
            values[name] = _scalar(value, _kind(known[name]), spot, code)
    missing = [f.name for f in known.values() if f.name not in values and _required(f)]
    if missing:
        raise ValidationError(code, f"{where}: missing key(s) {missing}")
    return cls(**values)


def _required(f: Any) -> bool:
    return bool(f.default is MISSING and f.default_factory is MISSING)


def _kind(f: Any) -> Any:
    """An example of the field's type: its default, or for a required field one made from its
    annotation (``str``, ``int``, ``bool``; anything else is a number)."""
    if f.default is not MISSING:
        return f.default
    return {"str": "", "int": 0, "bool": False}.get(str(f.type), 0.0)


def _scalar(value: Any, default: Any, where: str, code: str) -> Any:
    """``value`` as the type of ``default``."""
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ValidationError(code, f"{where}: expected text")
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValidationError(code, f"{where}: expected true or false")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(code, f"{where}: expected a number, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):  # TOML has inf and nan
        raise ValidationError(code, f"{where} must be a finite number, not {value!r}")
    if isinstance(default, int):
        if value != int(value):
            raise ValidationError(code, f"{where}: expected a whole number")
        return int(value)
    try:
        return float(value)
    except OverflowError:  # an integer beyond any float
        raise ValidationError(code, f"{where}: the number is too large") from None
