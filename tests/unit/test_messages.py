from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum

import pytest

from marketcraft.kernel import Asset, Event, Money, ValidationError, decode, encode, message_type
from marketcraft.kernel.messages import Command


class Side(Enum):
    BUY = "buy"
    SELL = "sell"


@dataclass(frozen=True, slots=True)
class Leg:
    side: Side
    limit: Decimal | None


@message_type("test.order_placed")
@dataclass(frozen=True, slots=True)
class OrderPlaced(Event):
    order_id: str
    spend: Money
    legs: tuple[Leg, ...]
    salt: bytes
    at: datetime
    sequence: int
    tags: dict[str, str]
    note: str | None = None


@message_type("test.place_order")
@dataclass(frozen=True)
class PlaceOrder(Command):
    order_id: str


AT = datetime(2026, 1, 2, 3, 4, 5, 600_000, tzinfo=UTC)


def sample() -> OrderPlaced:
    return OrderPlaced(
        order_id="o-1",
        spend=Asset("USD", 2).money("12.50"),
        legs=(Leg(Side.BUY, Decimal("0.25")), Leg(Side.SELL, None)),
        salt=b"\x00\xff",
        at=AT,
        sequence=2**70,
        tags={"b": "2", "a": "1"},
    )


def test_encoding_is_canonical_and_exact():
    data = encode(sample())
    assert data == (
        b'{"data":{"at":"2026-01-02T03:04:05.600000Z","legs":[{"limit":"0.25","side":"buy"},'
        b'{"limit":null,"side":"sell"}],"note":null,"order_id":"o-1","salt":"00ff",'
        b'"sequence":1180591620717411303424,"spend":{"amount":"12.5","asset":{"code":"USD",'
        b'"decimals":2}},"tags":{"a":"1","b":"2"}},"type":"test.order_placed"}'
    )


def test_round_trip_gives_an_equal_message():
    assert decode(encode(sample())) == sample()
    assert decode(encode(PlaceOrder("x"))) == PlaceOrder("x")


def test_equal_values_encode_identically_whatever_their_exponent():
    a = OrderPlaced("o", Asset("USD", 2).money("1.50"), (), b"", AT, 1, {})
    b = OrderPlaced("o", Money(Decimal("1.5"), Asset("USD", 2)), (), b"", AT, 1, {})
    assert encode(a) == encode(b)


def test_floats_and_naive_times_have_no_encoding():
    @message_type("test.floaty")
    @dataclass(frozen=True)
    class Floaty(Event):
        x: float

    with pytest.raises(TypeError):
        encode(Floaty(0.5))
    naive = OrderPlaced("o", Asset("USD", 2).money("1"), (), b"", datetime(2026, 1, 1), 1, {})
    with pytest.raises(ValidationError):
        encode(naive)
    shifted = AT.astimezone(timezone(timedelta(hours=2)))
    with pytest.raises(ValidationError):
        encode(OrderPlaced("o", Asset("USD", 2).money("1"), (), b"", shifted, 1, {}))


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"[]",
        b'{"type":"nope","data":{}}',
        b'{"type":"test.place_order","data":{}}',
        b'{"type":"test.place_order","data":{"order_id":1}}',
        b'{"type":"test.place_order","data":{"order_id":"x","extra":1}}',
        b'{"type":"test.place_order","data":{"order_id":1.5}}',
    ],
)
def test_malformed_bytes_are_refused_with_a_validation_error(data):
    with pytest.raises(ValidationError):
        decode(data)


def test_registration_requires_frozen_dataclasses_and_unique_names():
    with pytest.raises(TypeError):

        @message_type("test.mutable")
        @dataclass
        class Mutable(Event):
            x: int

    with pytest.raises(TypeError):

        @message_type("test.order_placed")
        @dataclass(frozen=True)
        class Clash(Event):
            x: int
