"""The number types the entry points read numbers through: the API's models, the pages' form
fields and the command line's options all parse a value with the same type, so they accept and
refuse exactly the same values, and the API's schema shows the bounds.

Each type is a ``Decimal`` with its bounds from :mod:`marketcraft.kernel.limits`:

* finite (no NaN, sNaN or infinities, whether sent as text, as a JSON number or as a bare
  ``NaN``/``Infinity`` token);
* decimal text is plain ASCII: optional ``-``, digits, optional ``.`` and digits; no exponent,
  spaces, ``+``, ``_`` or other scripts' digits (``"١٢"``, ``"²"``), at most
  :data:`~marketcraft.kernel.limits.DECIMAL_TEXT_LENGTH` characters;
* within its range and decimal places; zero written as ``-0`` is refused (it would be stored
  with its sign).

Values leave as decimal text (``"12.50"``), never as floats.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
    TypeAdapter,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.limits import (
    AMOUNT_PLACES,
    DECIMAL_TEXT_LENGTH,
    FRACTION_PLACES,
    MAX_AMOUNT,
)

__all__ = [
    "DECIMAL_PATTERN",
    "FLOAT_TEXT",
    "WHOLE_TEXT",
    "Amount",
    "Fraction",
    "Positive",
    "Probability",
    "Shown",
    "first_error",
    "parse",
    "read",
]

#: decimal text as the entry points accept it (ASCII only: ``[0-9]``, not ``\d``)
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
_DECIMAL_TEXT = re.compile(DECIMAL_PATTERN)
#: a simulation's float as text (an exponent is allowed; ``nan``, ``inf`` and other scripts'
#: digits, which ``float()`` reads, are not); use with ``fullmatch``
FLOAT_TEXT = re.compile(r"-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")
#: a whole number as text (``int()`` also reads ``"١٢"`` and ``"1_000"``); use with ``fullmatch``
WHOLE_TEXT = re.compile(r"-?[0-9]+")


class PlainDecimalText:
    """Refuses decimal text that is not :data:`DECIMAL_PATTERN` (before the Decimal is parsed:
    Python's ``Decimal`` would read ``"١٢"`` as 12 and ``"1_0"`` as 10), and shows the pattern
    and the length limit on the string form in the JSON schema."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(_check_text, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        found = handler(schema)
        for branch in found.get("anyOf", []):
            if branch.get("type") == "string":
                branch.update(pattern=DECIMAL_PATTERN, maxLength=DECIMAL_TEXT_LENGTH)
        return found


def _check_text(value: Any) -> Any:
    if isinstance(value, str):
        if len(value) > DECIMAL_TEXT_LENGTH:
            raise PydanticCustomError(
                "decimal_too_long",
                "a number is at most {max_length} characters",
                {"max_length": DECIMAL_TEXT_LENGTH},
            )
        if not _DECIMAL_TEXT.match(value):
            raise PydanticCustomError(
                "decimal_text",
                "not a number: write plain decimal digits, with an optional '-' and '.', "
                "no exponent or spaces",
            )
    return value


def _unsigned_zero(value: Decimal) -> Decimal:
    if value.is_zero() and value.is_signed():
        raise PydanticCustomError("negative_zero", "write zero as 0, not -0")
    return value


_AS_TEXT = PlainSerializer(lambda v: format(v, "f"), return_type=str, when_used="json")

#: an amount of an asset (cash, shares, COL, PEG, MMS), or a threshold in such units: 0..10^15
Amount = Annotated[
    Decimal,
    Field(ge=0, le=MAX_AMOUNT, decimal_places=AMOUNT_PLACES, allow_inf_nan=False),
    PlainDecimalText(),
    AfterValidator(_unsigned_zero),
    _AS_TEXT,
]
#: a strictly positive amount, price (COL per PEG) or ratio: (0, 10^15]
Positive = Annotated[
    Decimal,
    Field(gt=0, le=MAX_AMOUNT, decimal_places=AMOUNT_PLACES, allow_inf_nan=False),
    PlainDecimalText(),
    _AS_TEXT,
]
#: a fraction in [0, 1]: fee rates, bands, thresholds, discounts
Fraction = Annotated[
    Decimal,
    Field(ge=0, le=1, decimal_places=FRACTION_PLACES, allow_inf_nan=False),
    PlainDecimalText(),
    AfterValidator(_unsigned_zero),
    _AS_TEXT,
]
#: a probability strictly inside (0, 1): the price of a YES or NO share
Probability = Annotated[
    Decimal,
    Field(gt=0, lt=1, decimal_places=FRACTION_PLACES, allow_inf_nan=False),
    PlainDecimalText(),
    _AS_TEXT,
]
#: a computed value on the way out (no bounds: it is ours, not the caller's)
Shown = Annotated[Decimal, _AS_TEXT]

_ADAPTERS: dict[str, TypeAdapter[Decimal]] = {}


def _adapter(kind: Any) -> TypeAdapter[Decimal]:
    key = repr(kind)
    if key not in _ADAPTERS:
        _ADAPTERS[key] = TypeAdapter(kind)
    return _ADAPTERS[key]


def first_error(exc: PydanticValidationError) -> str:
    """The first failure of a pydantic validation, in words."""
    return str(exc.errors(include_url=False)[0]["msg"])


def parse(kind: Any, text: str) -> Decimal:
    """``text`` read as ``kind``, one of the types here; raises pydantic's ValidationError."""
    return _adapter(kind).validate_python(text)


def read(kind: Any, text: str, field: str) -> Decimal:
    """``text`` (a form field) read as ``kind``, one of the types here.

    Raises :class:`~marketcraft.kernel.errors.ValidationError` (``bad_number``) whose reason
    starts with ``field``."""
    try:
        return parse(kind, text)
    except PydanticValidationError as exc:
        raise ValidationError("bad_number", f"{field}: {first_error(exc)}") from None
