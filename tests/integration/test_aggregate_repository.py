"""ONE contract for the app layer's event-sourced repository, on every backend (memory,
SQLite, PostgreSQL): state is the fold of the stored events; a command that loses a race to
another process is decided again on the caught-up state, at most RETRIES times; a stream that
does not fold, or folds to a state that fails the type's check, quarantines its aggregate
(and only it); the index of names lists each name once, in order, through races."""

from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest

from marketcraft.app.aggregates import (
    NO_PROJECTION,
    RETRIES,
    AggregateType,
    NameIndex,
    Projection,
    Quarantining,
    Repository,
)
from marketcraft.kernel.errors import (
    ConcurrencyConflict,
    InvariantViolation,
    NotFound,
    Quarantined,
    ValidationError,
)
from marketcraft.kernel.messages import Command, Context, Event, message_type
from marketcraft.store import NewEvent, new_event

NOW = datetime(2026, 6, 1, tzinfo=UTC)
CTX = Context("ann", NOW)
#: a counter may not pass this (the type's invariant check)
CEILING = 1_000


@message_type("test.counter_added")
@dataclass(frozen=True, slots=True)
class Added(Event):
    amount: int


@message_type("test.counter_broken")
@dataclass(frozen=True, slots=True)
class Broken(Event):
    """An event the counter's evolve refuses (as an engine refuses an amount it cannot hold)."""


@dataclass(frozen=True, slots=True)
class Add(Command):
    amount: int


def decide(total: int, command: Command, ctx: Context) -> list[Event]:
    assert isinstance(command, Add)
    if command.amount <= 0:
        raise ValidationError("bad_amount", "add a positive amount")
    return [Added(command.amount)]


def evolve(total: int, event: Event) -> int:
    if isinstance(event, Broken):
        raise ValidationError("broken", "this event cannot be folded")
    assert isinstance(event, Added)
    return total + event.amount


def check(total: int) -> None:
    if total > CEILING:
        raise InvariantViolation("too_big", f"the counter holds {total} > {CEILING}")


COUNTER = AggregateType(
    noun="counter",
    stream=lambda name: f"test/counter/{name}",
    initial=int,
    decide=decide,
    evolve=evolve,
    missing=lambda name: NotFound("no_counter", f"no counter {name}"),
    exists=lambda name: ValidationError("counter_exists", f"counter {name} exists"),
    busy=lambda name: ConcurrencyConflict("busy", f"counter {name} is busy"),
    check=check,
    quarantining=Quarantining("counter", lambda name: Quarantined("counter_stopped", name)),
)


def fed(view: list, total: int, events, ctx) -> None:
    """The test projection: what it was fed, and whether from a command (ctx) or the store."""
    view.append((total, [e.amount for e in events], ctx is not None))


FED = Projection(list, fed)


def repository(database, kind=COUNTER, projection=FED):
    index = NameIndex(database.events, "test/counters", "test.counter_listed", "counter")
    return Repository(database.events, kind, projection, database.quarantine, index)


def total(repo, name):
    return repo.read(name, lambda state, view: state)


def test_state_is_the_fold_of_the_stored_events(database):
    writer = repository(database)
    assert writer.create("a", Add(2), CTX) == [Added(2)]
    writer.handle("a", Add(3), CTX)
    with pytest.raises(ValidationError):  # a refusal writes nothing
        writer.handle("a", Add(0), CTX)
    shown = writer.read("a", lambda state, view: (state, view))
    assert shown == (5, [(2, [2], True), (5, [3], True)])
    assert database.events.stream_version("test/counter/a") == 2
    # another process folds the stored events, one by one, into its own state and projection
    reader = repository(database)
    shown = reader.read("a", lambda state, view: (state, view))
    assert shown == (5, [(2, [2], False), (5, [3], False)])
    writer.handle("a", Add(4), CTX)
    assert total(reader, "a") == 9  # caught up before the read
    assert reader.names() == ["a"]
    with pytest.raises(ValidationError, match="counter_exists"):
        reader.create("a", Add(1), CTX)
    with pytest.raises(NotFound):
        reader.handle("b", Add(1), CTX)
    with pytest.raises(NotFound):
        reader.read("b", lambda state, view: state)


def interfering(other, times):
    """A decide that lets ``other`` (another process's repository) add 10 before this one's
    append, the first ``times`` times it is asked; the states it decided on, in order."""
    seen = []

    def decide_racing(state, command, ctx):
        seen.append(state)
        if len(seen) <= times:
            other.handle("a", Add(10), CTX)
        return decide(state, command, ctx)

    return replace(COUNTER, decide=decide_racing), seen


def test_a_command_that_lost_a_race_is_decided_again_on_the_caught_up_state(database):
    other = repository(database)
    other.create("a", Add(1), CTX)
    kind, seen = interfering(other, times=2)
    racing = repository(database, kind)
    assert racing.handle("a", Add(5), CTX) == [Added(5)]
    assert seen == [1, 11, 21]  # decided three times: after each lost race, on the new state
    assert total(racing, "a") == total(repository(database), "a") == 26
    assert database.events.stream_version("test/counter/a") == 4


def test_a_command_that_loses_every_race_is_refused_and_writes_nothing_of_its_own(database):
    other = repository(database)
    other.create("a", Add(1), CTX)
    kind, seen = interfering(other, times=RETRIES)
    racing = repository(database, kind)
    with pytest.raises(ConcurrencyConflict, match="busy"):
        racing.handle("a", Add(5), CTX)
    assert len(seen) == RETRIES
    events = database.events.read_stream("test/counter/a")
    assert [e.data for e in events[1:]] == [new_event(Added(10)).data] * RETRIES
    assert total(racing, "a") == 1 + 10 * RETRIES and not racing.quarantined("a")


def append_raw(database, name, event: NewEvent):
    stream = f"test/counter/{name}"
    database.events.append(stream, database.events.stream_version(stream), [event])


@pytest.mark.parametrize(
    ("stored", "code"),
    [
        (NewEvent("test.counter_added", b'{"type": "test.counter_added", "data": {}}'),
         "bad_event"),
        (new_event(Broken()), "fold_failed"),
        (new_event(Added(CEILING)), "too_big"),
    ],
)  # fmt: skip
def test_a_stream_that_does_not_fold_quarantines_its_aggregate_alone(database, stored, code):
    repo = repository(database)
    repo.create("a", Add(1), CTX)
    repo.create("b", Add(1), CTX)
    append_raw(database, "a", stored)
    with pytest.raises(InvariantViolation) as found:  # the command that finds it: 500
        repo.handle("a", Add(1), CTX)
    assert found.value.code == code
    entry = database.quarantine.get("counter", "a")
    assert entry is not None and entry.reason.startswith(f"{code}: ")
    with pytest.raises(Quarantined, match="counter_stopped"):  # then refused, without a fold
        repo.handle("a", Add(1), CTX)
    with pytest.raises(Quarantined):  # and its state cannot be shown
        repo.read("a", lambda state, view: state)
    assert repository(database).quarantined("a")  # seen by every process
    repo.handle("b", Add(1), CTX)  # the other aggregate is untouched
    assert total(repo, "b") == 2
    # released with the cause still there: the next command finds it again
    database.quarantine.release("counter", "a")
    with pytest.raises(InvariantViolation):
        repo.handle("a", Add(1), CTX)
    assert database.quarantine.get("counter", "a") is not None
    assert database.events.stream_version("test/counter/a") == 2  # nothing written after it


def test_a_command_whose_events_break_the_check_is_stored_then_quarantines(database):
    repo = repository(database)
    repo.create("a", Add(1), CTX)
    with pytest.raises(InvariantViolation, match="too_big"):
        repo.handle("a", Add(CEILING), CTX)
    assert repo.quarantined("a")
    with pytest.raises(Quarantined):
        repo.read("a", lambda state, view: state)


def test_a_type_without_quarantine_answers_the_violation_itself(database):
    plain = replace(COUNTER, quarantining=None)
    repo = Repository(database.events, plain, NO_PROJECTION)
    repo.create("a", Add(1), CTX)
    append_raw(database, "a", new_event(Broken()))
    for _ in range(2):  # every time: nothing is stopped
        with pytest.raises(InvariantViolation, match="fold_failed"):
            repo.read("a", lambda state, view: state)
    assert database.quarantine.list() == []


class RacedStore:
    """The event store, with another process adding a name to the index just before each of
    the first ``races`` appends."""

    def __init__(self, events, races):
        self.events, self.races = events, races

    def __getattr__(self, name):
        return getattr(self.events, name)

    def append(self, stream, expected, batch):
        if self.races:
            self.races -= 1
            racer = NameIndex(self.events, stream, "test.counter_listed", "counter")
            racer.add(f"racer-{self.races}")
        return self.events.append(stream, expected, batch)


def test_the_index_lists_each_name_once_in_order_through_races(database):
    index = NameIndex(RacedStore(database.events, 2), "test/counters", "test.l", "counter")
    index.add("a")
    assert index.names() == ["racer-1", "racer-0", "a"]
    busy = NameIndex(RacedStore(database.events, RETRIES), "test/counters", "test.l", "counter")
    with pytest.raises(ConcurrencyConflict, match="the counter index is too busy"):
        busy.add("b")
    assert "b" not in index.names() and len(index.names()) == 3 + RETRIES
