"""The handler table of the cores' decide and evolve: one handler per exact message type."""

from dataclasses import dataclass

import pytest

from marketcraft.kernel.handlers import HandlerTable


@dataclass(frozen=True)
class Ping:
    n: int


@dataclass(frozen=True)
class LoudPing(Ping):
    pass


@dataclass(frozen=True)
class Pong:
    text: str


def ping(state: list[str], message: Ping, prefix: str) -> str:
    return f"{prefix}ping {message.n} after {len(state)}"


def pong(state: list[str], message: Pong, prefix: str) -> str:
    return f"{prefix}pong {message.text}"


def table() -> HandlerTable[list[str], object, [str], str]:
    handlers: HandlerTable[list[str], object, [str], str] = HandlerTable()
    handlers.add(Ping, ping)
    handlers.add(Pong, pong)
    return handlers


def test_each_type_finds_its_own_handler():
    handlers = table()
    found = handlers.get(Ping)
    assert found is not None and found(["a"], Ping(3), "> ") == "> ping 3 after 1"
    found = handlers.get(Pong)
    assert found is not None and found([], Pong("x"), "") == "pong x"
    assert Ping in handlers and Pong in handlers


def test_an_unregistered_type_has_none_not_even_a_subclass():
    handlers = table()
    assert handlers.get(int) is None
    assert handlers.get(LoudPing) is None
    assert LoudPing not in handlers


def test_a_type_takes_one_handler():
    handlers = table()
    with pytest.raises(ValueError, match="Ping already has a handler"):
        handlers.add(Ping, ping)


def test_replacing_copies_and_leaves_the_table_as_it_was():
    handlers = table()

    def other(state: list[str], message: Ping, prefix: str) -> str:
        return "other"

    copy = handlers.replacing(Ping, other)
    replaced, kept = copy.get(Ping), handlers.get(Ping)
    assert replaced is other and kept is ping
    assert copy.get(Pong) is pong
