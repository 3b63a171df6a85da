"""Events and commands: frozen dataclasses with one canonical byte encoding.

A message type is a frozen dataclass that subclasses :class:`Event` or :class:`Command` and is
registered under a stable name with :func:`message_type`::

    @message_type("opportunity.order_placed")
    @dataclass(frozen=True, slots=True)
    class OrderPlaced(Event):
        order_id: str
        spend: Decimal

The canonical encoding (:func:`encode`) is the UTF-8 JSON of ``{"type": name, "data": fields}``
with sorted keys, no insignificant whitespace and no floats:

* ``Decimal`` -> plain decimal string without exponent or trailing zeros (``"12.5"``);
* ``int`` -> JSON integer (any size); ``bool``, ``str`` and ``None`` as themselves;
* ``bytes`` -> lowercase hex string; ``datetime`` (UTC only) -> ``"YYYY-MM-DDTHH:MM:SS.ffffffZ"``;
* ``Enum`` -> its value; ``tuple`` -> list; ``dict`` with ``str`` keys -> object;
* nested dataclasses -> object of their fields.

The same message always encodes to the same bytes on every machine, so the bytes are what gets
hashed, chained and signed. :func:`decode` rebuilds the message from the field type hints and
rejects anything malformed with :class:`ValidationError`.
"""

from __future__ import annotations

import dataclasses
import json
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import cache, lru_cache
from typing import Any, ClassVar, TypeVar

import orjson

from marketcraft.kernel.errors import ValidationError

__all__ = [
    "Command",
    "Context",
    "Event",
    "Message",
    "added_field",
    "canonical_json",
    "decode",
    "decode_envelope",
    "decode_list",
    "encode",
    "from_plain",
    "message_type",
    "registered_types",
    "to_plain",
]


class Message:
    """Base of events and commands. ``type_name`` is set by :func:`message_type`."""

    type_name: ClassVar[str] = ""


class Event(Message):
    """Something that happened (past-tense noun: ``OrderPlaced``)."""


class Command(Message):
    """Something asked for (verb: ``PlaceOrder``)."""


@dataclass(frozen=True, slots=True)
class Context:
    """Who issues a command, and the instant it is handled (from the caller's clock: engines
    never read one)."""

    actor: str
    now: datetime


_REGISTRY: dict[str, type[Message]] = {}
M = TypeVar("M", bound=type[Message])

#: metadata keys of a field added to a message type after messages of it were stored, and of
#: the value such a message held without it (where that differs from the field's default)
_ADDED = "marketcraft.added"
_ABSENT = "marketcraft.absent"
_SAME: Any = object()


def added_field(default: Any, *, absent: Any = _SAME) -> Any:
    """A field added to a stored message type: left out of the encoding while it holds the
    value a message without it means, and read as that value when absent, so every message
    stored before the field existed decodes, re-encodes to the very bytes that were hashed and
    signed, and replays.

    That value is ``default`` unless ``absent`` names another: a rule that changed keeps its
    old value for the messages stored under it (``absent``) while new messages get the new one
    (``default``, which is then written out)."""
    metadata = {_ADDED: True} if absent is _SAME else {_ADDED: True, _ABSENT: absent}
    return dataclasses.field(default=default, metadata=metadata)


def _is_added(field: dataclasses.Field[Any]) -> bool:
    return bool(field.metadata.get(_ADDED))


def _absent_value(field: dataclasses.Field[Any]) -> Any:
    """What an added field holds in a message stored before it existed."""
    return field.metadata.get(_ABSENT, field.default)


def message_type(name: str) -> Callable[[M], M]:
    """Register a frozen dataclass message class under ``name`` (unique, stable forever)."""

    def register(cls: M) -> M:
        if not dataclasses.is_dataclass(cls) or not cls.__dataclass_params__.frozen:
            raise TypeError(f"{cls.__name__} must be a frozen dataclass")
        existing = _REGISTRY.get(name)
        if existing is not None and existing.__qualname__ != cls.__qualname__:
            raise TypeError(f"message type {name!r} is already registered to {existing!r}")
        cls.type_name = name
        _REGISTRY[name] = cls
        return cls

    return register


def registered_types() -> dict[str, type[Message]]:
    return dict(_REGISTRY)


# -- encoding -------------------------------------------------------------------------------------
def _decimal_text(value: Decimal) -> str:
    """Plain notation, no trailing zeros after the point, zero as ``0``."""
    if not value.is_finite():
        raise ValidationError("not_finite", f"cannot encode {value}")
    text = str(value)
    if "E" in text:  # str() uses an exponent for very small or very large values
        text = format(value, "f")
    if "." in text and text[-1] == "0":
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _identity(value: Any) -> Any:
    return value


def _plain_datetime(value: datetime) -> str:
    if value.tzinfo is not UTC and (value.tzinfo is None or value.utcoffset() != ZERO_OFFSET):
        raise ValidationError("naive_time", "timestamps must be timezone-aware UTC")
    return _utc_text(value)


@lru_cache(maxsize=256)
def _utc_text(v: datetime) -> str:
    """A UTC time's text; cached, because a command's time is written again in its events."""
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (  # noqa: UP031 - several times faster than strftime
        v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond,
    )  # fmt: skip


def _refuse_binary_fraction(_value: float) -> Any:
    raise TypeError("floats have no canonical encoding; use Decimal")


def _plain_mapping(value: dict[Any, Any]) -> dict[str, Any]:
    if not all(isinstance(k, str) for k in value):
        raise TypeError("only str keys have a canonical encoding")
    return {k: to_plain(v) for k, v in value.items()}


ZERO_OFFSET = timedelta(0)

_PLAIN: dict[type, Callable[[Any], Any]] = {
    str: _identity,
    int: _identity,
    bool: _identity,
    type(None): _identity,
    Decimal: _decimal_text,
    bytes: bytes.hex,
    float: _refuse_binary_fraction,
    datetime: _plain_datetime,
    tuple: lambda v: [to_plain(x) for x in v],
    list: lambda v: [to_plain(x) for x in v],
    dict: _plain_mapping,
}


_ENCODERS: dict[type, Callable[[Any], dict[str, Any]]] = {}


def _field_expression(tp: Any, var: str, namespace: dict[str, Any]) -> str:
    """Python source converting the field value ``var`` of annotated type ``tp``: a fast path
    when the value has exactly the annotated type (or is None for an optional field), and the
    general :func:`to_plain` for anything else (same output)."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(inner) == 1:
            return f"(None if {var} is None else {_field_expression(inner[0], var, namespace)})"
    if not isinstance(tp, type):
        return f"to_plain({var})"
    name = f"t{len(namespace)}"
    namespace[name] = tp
    if tp in (str, int, bool):
        fast = var
    elif tp is Decimal:
        fast = f"decimal_text({var})"
    elif tp is bytes:
        fast = f"{var}.hex()"
    elif tp is datetime:
        fast = f"plain_datetime({var})"
    elif issubclass(tp, Enum):
        values = f"v{len(namespace)}"
        namespace[values] = {member: to_plain(member.value) for member in tp}
        fast = f"{values}[{var}]"
    elif dataclasses.is_dataclass(tp):
        encoder = f"e{len(namespace)}"
        namespace[encoder] = _encoder(tp)
        fast = f"{encoder}({var})"
    else:
        return f"to_plain({var})"
    return f"({fast} if type({var}) is {name} else to_plain({var}))"


def _encoder(cls: type) -> Callable[[Any], dict[str, Any]]:
    """The compiled encoder of a dataclass: one generated function per class, reading each
    field once and converting it by its annotated type."""
    encoder = _ENCODERS.get(cls)
    if encoder is None:
        try:
            hints = typing.get_type_hints(cls)
        except (NameError, TypeError):
            hints = {}
        namespace: dict[str, Any] = {
            "to_plain": to_plain,
            "decimal_text": _decimal_text,
            "plain_datetime": _plain_datetime,
        }
        reads, items, added = [], [], []
        for i, field in enumerate(dataclasses.fields(cls)):
            reads.append(f"    a{i} = value.{field.name}\n")
            expression = _field_expression(hints.get(field.name), f"a{i}", namespace)
            if _is_added(field):
                namespace[f"d{i}"] = _absent_value(field)
                added.append(
                    f"    if a{i} != d{i}:\n        plain[{field.name!r}] = {expression}\n"
                )
            else:
                items.append(f"{field.name!r}: {expression}")
        source = (
            "def encoder(value):\n"
            + "".join(reads)
            + "    plain = {"
            + ", ".join(items)
            + "}\n"
            + "".join(added)
            + "    return plain\n"
        )
        exec(source, namespace)  # noqa: S102 - field names are identifiers of our own classes
        encoder = namespace["encoder"]
        _ENCODERS[cls] = encoder
    return encoder


def to_plain(value: Any) -> Any:
    """The JSON-ready form of ``value`` (see the module docstring for the mapping)."""
    kind = type(value)
    convert = _PLAIN.get(kind)
    if convert is not None:
        return convert(value)
    if isinstance(value, Enum):
        return to_plain(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _encoder(kind)(value)
    for base, convert in _PLAIN.items():  # subclasses of the supported types
        if isinstance(value, base):
            return convert(value)
    raise TypeError(f"no canonical encoding for {kind.__name__}")


def canonical_json(plain: Any) -> bytes:
    """Canonical UTF-8 JSON bytes of an already-plain value (no floats: :func:`to_plain` never
    makes one): keys sorted, no whitespace, non-ASCII as UTF-8, control characters escaped.

    orjson writes exactly the bytes of the standard library's ``json.dumps(sort_keys=True,
    separators=(",", ":"), ensure_ascii=False)`` (a property test holds the two together) at a
    tenth of the cost; what it does not take (integers beyond 64 bits, subclasses, types it
    would encode on its own) goes to the standard library, which encodes or refuses it."""
    try:
        return orjson.dumps(plain, option=_ORJSON_OPTIONS)
    except TypeError:
        return json.dumps(
            plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode("utf-8")


_ORJSON_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def encode(message: Message) -> bytes:
    """The canonical bytes of ``message`` (used for storage, hashing and signing)."""
    if not message.type_name or _REGISTRY.get(message.type_name) is not type(message):
        raise TypeError(f"{type(message).__name__} is not a registered message type")
    return canonical_json({"type": message.type_name, "data": to_plain(message)})


# -- decoding -------------------------------------------------------------------------------------
def decode(data: bytes) -> Message:
    """Rebuild a message from :func:`encode`'s bytes; :class:`ValidationError` if malformed."""
    try:
        envelope = json.loads(data, parse_float=_refuse_fraction, parse_constant=_refuse_fraction)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError("bad_encoding", f"not canonical message JSON: {exc}") from None
    return decode_envelope(envelope)


def decode_list(data: bytes) -> list[Message]:
    """Rebuild a JSON array of :func:`encode`'s messages; :class:`ValidationError` if
    malformed (one parse for the whole array)."""
    try:
        items = json.loads(data, parse_float=_refuse_fraction, parse_constant=_refuse_fraction)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError("bad_encoding", f"not canonical message JSON: {exc}") from None
    if not isinstance(items, list):
        raise ValidationError("bad_encoding", "expected a JSON array of messages")
    return [decode_envelope(item) for item in items]


def decode_envelope(envelope: Any) -> Message:
    """:func:`decode` of JSON already parsed (as :func:`decode` parses it: no floats)."""
    if not isinstance(envelope, dict) or set(envelope) != {"type", "data"}:
        raise ValidationError("bad_encoding", "a message is an object with 'type' and 'data'")
    cls = _REGISTRY.get(envelope["type"]) if isinstance(envelope["type"], str) else None
    if cls is None:
        raise ValidationError("unknown_type", f"unknown message type {envelope['type']!r}")
    message = from_plain(cls, envelope["data"])
    assert isinstance(message, Message)
    return message


def _refuse_fraction(text: str) -> Any:
    raise ValueError(f"floats are not allowed in canonical messages: {text}")


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decimal(plain: Any) -> Decimal:
    _expect(plain, str, Decimal)
    try:
        value = Decimal(plain)
    except InvalidOperation:
        raise ValidationError("bad_encoding", f"not a decimal: {plain!r}") from None
    if not value.is_finite():
        raise ValidationError("bad_encoding", f"not a finite decimal: {plain!r}")
    return value


def _int(plain: Any) -> int:
    if isinstance(plain, bool):
        raise ValidationError("bad_encoding", "expected an integer, got a boolean")
    _expect(plain, int, int)
    return int(plain)


def _bytes(plain: Any) -> bytes:
    _expect(plain, str, bytes)
    try:
        return bytes.fromhex(plain)
    except ValueError:
        raise ValidationError("bad_encoding", "bytes must be hex") from None


#: what the encoder writes; anything else takes the slower, more lenient strptime path
_CANONICAL_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def _datetime(plain: Any) -> datetime:
    _expect(plain, str, datetime)
    try:
        if _CANONICAL_TIME.fullmatch(plain):
            return datetime.fromisoformat(plain[:-1]).replace(tzinfo=UTC)
        return datetime.strptime(plain, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        raise ValidationError("bad_encoding", f"bad timestamp {plain!r}") from None


def _same(kind: type) -> Callable[[Any], Any]:
    def check(plain: Any) -> Any:
        _expect(plain, kind, kind)
        return plain

    return check


_SCALARS: dict[Any, Callable[[Any], Any]] = {
    Decimal: _decimal,
    int: _int,
    bool: _same(bool),
    str: _same(str),
    bytes: _bytes,
    datetime: _datetime,
    typing.Any: lambda plain: plain,
}


def from_plain(tp: Any, plain: Any) -> Any:
    """Rebuild a value of type ``tp`` from its plain (JSON) form; ValidationError if malformed."""
    return _decoder(tp)(plain)


@cache
def _decoder(tp: Any) -> Callable[[Any], Any]:
    """The function that rebuilds values of type ``tp``, built once per type (as
    :func:`_encoder` is): loading a program decodes every stored event."""
    scalar = _SCALARS.get(tp)
    if scalar is not None:
        return scalar
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return _union(tp)
    if origin is tuple:
        return _tuple(tp)
    if origin is dict:
        return _dict(tp)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return _enum(tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass(tp)
    raise TypeError(f"no canonical decoding for {tp!r}")


def _union(tp: Any) -> Callable[[Any], Any]:
    args = typing.get_args(tp)
    non_none = [a for a in args if a is not type(None)]
    if len(non_none) != 1:
        raise TypeError(f"unsupported union {tp!r}")
    inner, optional = _decoder(non_none[0]), type(None) in args

    def decode_union(plain: Any) -> Any:
        if plain is None and optional:
            return None
        return inner(plain)

    return decode_union


def _tuple(tp: Any) -> Callable[[Any], Any]:
    args = typing.get_args(tp)
    if len(args) == 2 and args[1] is Ellipsis:
        item = _decoder(args[0])

        def decode_items(plain: Any) -> tuple[Any, ...]:
            _expect(plain, list, tp)
            return tuple(item(v) for v in plain)

        return decode_items
    items = [_decoder(a) for a in args]

    def decode_fixed(plain: Any) -> tuple[Any, ...]:
        _expect(plain, list, tp)
        if len(items) != len(plain):
            raise ValidationError("bad_encoding", f"expected {len(items)} items for {tp}")
        return tuple(decode(v) for decode, v in zip(items, plain, strict=True))

    return decode_fixed


def _dict(tp: Any) -> Callable[[Any], Any]:
    value = _decoder(typing.get_args(tp)[1])

    def decode_dict(plain: Any) -> dict[Any, Any]:
        _expect(plain, dict, tp)
        return {k: value(v) for k, v in plain.items()}

    return decode_dict


def _enum(tp: type[Enum]) -> Callable[[Any], Any]:
    def decode_enum(plain: Any) -> Any:
        try:
            return tp(plain)
        except ValueError:
            raise ValidationError("bad_encoding", f"{plain!r} is not a {tp.__name__}") from None

    return decode_enum


def _dataclass(tp: type) -> Callable[[Any], Any]:
    hints = _hints(tp)
    fields = [f for f in dataclasses.fields(tp) if f.init]
    names = frozenset(f.name for f in fields)
    required = frozenset(f.name for f in fields if not _is_added(f))
    decoders = [(f.name, _decoder(hints[f.name])) for f in fields]
    added = [(f.name, _absent_value(f)) for f in fields if _is_added(f)]
    #: added fields whose old messages meant something other than the field's default
    changed = [(f.name, f.metadata[_ABSENT]) for f in fields if _ABSENT in f.metadata]

    def decode_dataclass(plain: Any) -> Any:
        _expect(plain, dict, tp)
        given = plain.keys()
        if not (required <= given <= names):
            raise ValidationError(
                "bad_encoding", f"{tp.__name__} fields {sorted(names)} != {sorted(plain)}"
            )
        kwargs = {name: decode(plain[name]) for name, decode in decoders if name in plain}
        for name, absent in added:
            if name in plain and kwargs[name] == absent:
                # the encoding leaves out a field that holds what its absence means (its
                # default, for most): one message, one encoding
                raise ValidationError("bad_encoding", f"{tp.__name__}.{name} at its default")
        for name, absent in changed:
            kwargs.setdefault(name, absent)
        try:
            return tp(**kwargs)
        except (TypeError, ValueError) as exc:
            raise ValidationError("bad_encoding", f"invalid {tp.__name__}: {exc}") from None

    return decode_dataclass


def _expect(plain: Any, kind: type, tp: Any) -> None:
    if not isinstance(plain, kind):
        raise ValidationError(
            "bad_encoding", f"expected {kind.__name__} for {tp!r}, got {type(plain).__name__}"
        )
