"""Repo sessions in the event store, on every backend. Sessions were first stored as JSON
objects (``json.dumps`` of a dict per event); they load as they did, and what comes after is
stored kernel-encoded. The old events here are written with the old code's exact bytes."""

import json
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from marketcraft.app import repo_sessions
from marketcraft.app.repo_sessions import RepoSessions
from marketcraft.kernel.errors import InvariantViolation, NotFound, ValidationError
from marketcraft.kernel.messages import decode, encode
from marketcraft.repo.reports import report_from_plain
from marketcraft.repo.schedule import Side
from marketcraft.repo.sealing import ContractKey, Opening, seal
from marketcraft.repo.selection import Outcome
from marketcraft.repo.session import CommitmentPosted, OpeningSealed, SessionOpened
from marketcraft.repo.settlement import Settlement
from marketcraft.repo.zk.proof import Proof
from marketcraft.store import NewEvent

NOW = datetime(2026, 6, 1, tzinfo=UTC)
#: a deadline given in another zone, with microseconds: shown back exactly as given
DEADLINE = datetime(2026, 6, 1, 3, 30, 0, 250, tzinfo=timezone(timedelta(hours=2)))
GRID = [0, 5, 10]
KEY = ContractKey.generate()
MM = Opening.fresh(report_from_plain({"volumes": GRID, "rates": [500, 505, 510]}, Side.MM, "mm"))
RM = Opening.fresh(report_from_plain({"volumes": GRID, "rates": [540, 535, 530]}, Side.RM, "rm"))
#: a settlement as the old code published it: a half-unit inter-dealer rate, a joint profit
#: a float cannot hold exactly, and a proof whose keys are not in sorted order
SETTLEMENT = Settlement(
    "c0ffee00", tuple(GRID), MM.commitment, RM.commitment,
    Outcome(True, 2, 2_147_483_647, 5_100_000, 5_300_001, 200_001 * 2_147_483_647),
    Proof({"pi_a": ["1", "2", "1"], "pi_b": [["3", "4"]], "pi_c": ["5"], "protocol": "groth16",
           "curve": "bn128"}, [7, 2**250 + 1]),
)  # fmt: skip


# -- what the old code (service/repo_sessions.py before its events were kernel-encoded) wrote --
def old_append(events, name, version, kind, data):
    """``RepoSessions._append`` as it was."""
    events.append(f"repo/session/{name}", version, [NewEvent(kind, json.dumps(data).encode())])


def old_open(events, name):
    """``RepoSessions.open`` as it was, past its checks."""
    data = {
        "name": name,
        "volumes": GRID,
        "deadline": DEADLINE.isoformat(),
        "dealers": {"mm": "mia", "rm": "rex"},
        "setup": "c0ffee00",
    }
    old_append(events, name, 0, "repo.opened", data)
    index = events.stream_version("repo/sessions")
    events.append("repo/sessions", index, [NewEvent("repo.listed", name.encode())])


def old_commit(events, name, version, side, opening):
    old_append(events, name, version, "repo.committed",
               {"side": side.value, "commitment": str(opening.commitment)})  # fmt: skip


def old_submit(events, name, version, side, box):
    old_append(events, name, version, "repo.sealed", {"side": side.value, "box": box.hex()})


@pytest.fixture
def sessions(database, monkeypatch):
    # a proof setup is only needed to settle; these sessions are settled by the old code
    monkeypatch.setattr(repo_sessions, "setup_for", lambda k, *_, **__: SimpleNamespace(id="stub"))
    return RepoSessions(database.events, KEY)


def test_a_settled_session_stored_by_the_old_code_loads_as_it_did(database, sessions):
    events = database.events
    old_open(events, "wk47")
    old_commit(events, "wk47", 1, Side.MM, MM)
    old_commit(events, "wk47", 2, Side.RM, RM)
    boxes = {Side.MM: seal(MM, KEY.public), Side.RM: seal(RM, KEY.public)}
    old_submit(events, "wk47", 3, Side.MM, boxes[Side.MM])
    old_submit(events, "wk47", 4, Side.RM, boxes[Side.RM])
    published = json.dumps(SETTLEMENT.to_plain()).encode()
    events.append("repo/session/wk47", 5, [NewEvent("repo.settled", published)])

    assert sessions.names() == ["wk47"]
    session = sessions.get("wk47")
    assert (session.name, session.volumes, session.setup_id) == ("wk47", tuple(GRID), "c0ffee00")
    assert session.deadline == DEADLINE
    assert session.deadline.isoformat() == DEADLINE.isoformat()  # in the zone it was given in
    assert session.dealers == {Side.MM: "mia", Side.RM: "rex"}
    assert session.commitments == {Side.MM: MM.commitment, Side.RM: RM.commitment}
    assert session.sealed == boxes
    assert session.phase == "settled"
    # the published settlement, to its bytes: keys in their order, every float as it was
    assert json.dumps(session.settlement).encode() == published
    with pytest.raises(ValidationError, match="already_settled"):
        sessions.settle("wk47", NOW)
    assert events.stream_version("repo/session/wk47") == 6  # reading rewrote nothing


def test_a_session_begun_by_the_old_code_goes_on_in_kernel_encoded_events(database, sessions):
    events = database.events
    old_open(events, "wk47")
    old_commit(events, "wk47", 1, Side.MM, MM)
    sessions.commit("wk47", "rex", RM.commitment, NOW)
    box = seal(MM, KEY.public)
    sessions.submit("wk47", "mia", box, DEADLINE)
    stored = events.read_stream("repo/session/wk47")
    assert [e.type for e in stored] == [
        "repo.opened", "repo.committed", "repo.commitment_posted", "repo.opening_sealed",
    ]  # fmt: skip
    assert stored[2].data == encode(CommitmentPosted(Side.RM, RM.commitment))
    assert decode(stored[3].data) == OpeningSealed(Side.MM, box)
    fresh = RepoSessions(events, KEY).get("wk47")  # another process folds the mixed stream
    assert fresh.commitments == {Side.MM: MM.commitment, Side.RM: RM.commitment}
    assert fresh.sealed == {Side.MM: box} and fresh.phase == "opening"
    # a new session is kernel-encoded from its opening, and listed in the same index
    sessions.open("wk48", volumes=GRID, deadline=DEADLINE, mm="mia", rm="rex", setup_id=None,
                  now=NOW)  # fmt: skip
    (opened,) = events.read_stream("repo/session/wk48")
    assert opened.type == "repo.session_opened"
    assert decode(opened.data) == SessionOpened(
        "wk48", tuple(GRID), DEADLINE.astimezone(UTC), 7200, "mia", "rex", "stub"
    )
    assert RepoSessions(events, KEY).get("wk48").deadline.isoformat() == DEADLINE.isoformat()
    assert RepoSessions(events, KEY).names() == ["wk47", "wk48"]
    with pytest.raises(ValidationError, match="already_open"):
        sessions.open("wk47", volumes=GRID, deadline=DEADLINE, mm="mia", rm="rex",
                      setup_id=None, now=NOW)  # fmt: skip


def test_the_old_code_s_refusals_are_the_new_code_s(database, sessions):
    old_open(database.events, "wk47")
    old_commit(database.events, "wk47", 1, Side.MM, MM)
    with pytest.raises(ValidationError, match="already_committed"):
        sessions.commit("wk47", "mia", MM.commitment, NOW)
    with pytest.raises(NotFound, match="no_session"):  # not a dealer: as if there were none
        sessions.commit("wk47", "dan", MM.commitment, NOW)
    with pytest.raises(NotFound, match="no_session"):
        sessions.get("wk99")
    with pytest.raises(ValidationError, match="too_early"):
        sessions.submit("wk47", "mia", seal(MM, KEY.public), NOW)
    with pytest.raises(ValidationError, match="not_committed"):
        sessions.submit("wk47", "rex", seal(RM, KEY.public), DEADLINE)
    with pytest.raises(ValidationError, match="incomplete"):
        sessions.settle("wk47", DEADLINE)
    assert database.events.stream_version("repo/session/wk47") == 2


def test_an_old_event_that_is_not_one_stops_the_read(database, sessions):
    old_open(database.events, "wk47")
    old_append(database.events, "wk47", 1, "repo.committed", {"side": "mm"})
    with pytest.raises(InvariantViolation, match="bad_event"):
        sessions.get("wk47")
