"""A repo session's events and decisions: a settlement stored kernel-encoded is published
exactly as the contract's settlement reads (to the byte), a deadline comes back in its zone,
the dealers contribute to the setup in turn (MM's first, once each, to the current setup), and
the contract decides a settlement or an opening only when the session is ready for it."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from marketcraft.kernel.errors import InvariantViolation, ValidationError
from marketcraft.kernel.messages import Context, Event, decode, encode
from marketcraft.repo.schedule import Side
from marketcraft.repo.session import (
    AddContribution,
    CommitmentPosted,
    ContributionAccepted,
    OpeningSealed,
    OpenSession,
    RecordSettlement,
    Session,
    decide,
    evolve,
    session_opened,
    settlement_recorded,
)
from tests.integration.test_repo_session_store import DEADLINE, GRID, KEY, SETTLEMENT

CTX = Context("ops", datetime(2026, 6, 2, tzinfo=UTC))


def opened():
    event = session_opened("wk47", tuple(GRID), DEADLINE, mm="mia", rm="rex", setup="c0ffee00")
    return evolve(Session(), event)


def fold(session, *events):
    for event in events:
        session = evolve(session, decode(encode(event)))  # through the store's encoding
    return session


def test_a_stored_settlement_is_published_to_the_byte_as_the_contract_wrote_it():
    event = settlement_recorded(SETTLEMENT)
    assert decode(encode(event)) == event
    settled = fold(opened(), event)
    assert json.dumps(settled.settlement) == json.dumps(SETTLEMENT.to_plain())
    assert settled.phase == "settled"


def test_a_deadline_is_stored_in_utc_and_shown_in_the_zone_it_was_given_in():
    event = session_opened("wk47", tuple(GRID), DEADLINE, mm="mia", rm="rex", setup="s")
    assert event.deadline.tzinfo is UTC and event.utc_offset == 7200
    shown = fold(Session(), event).deadline
    assert shown == DEADLINE and shown.isoformat() == DEADLINE.isoformat()
    west = DEADLINE.astimezone(timezone(timedelta(hours=-5, minutes=-30)))
    in_the_west = session_opened("w", (0, 1), west, mm="a", rm="b", setup="s")
    assert fold(Session(), in_the_west).deadline.isoformat() == west.isoformat()
    with pytest.raises(ValidationError, match="bad_deadline"):
        session_opened("wk47", tuple(GRID), datetime(2026, 6, 1), mm="a", rm="b", setup="s")


CEREMONY = (
    ContributionAccepted(Side.MM, "mia", "c0ffee00", "beef0001", "aa" * 64),
    ContributionAccepted(Side.RM, "rex", "beef0001", "beef0002", "bb" * 64),
)


def as_dealer(who):
    return Context(who, CTX.now)


def test_the_dealers_contribute_in_turn_to_the_current_setup():
    session = opened()
    assert session.next_contributor is Side.MM
    with pytest.raises(ValidationError, match="not_your_turn"):
        decide(session, AddContribution("c0ffee00", "beef0001", "bb" * 64), as_dealer("rex"), KEY)
    with pytest.raises(ValidationError, match="stale_setup"):
        decide(session, AddContribution("0ther", "beef0001", "aa" * 64), as_dealer("mia"), KEY)
    (event,) = decide(
        session, AddContribution("c0ffee00", "beef0001", "aa" * 64), as_dealer("mia"), KEY
    )
    assert event == CEREMONY[0]
    after = fold(session, event)
    assert after.setup_id == "beef0001" and after.next_contributor is Side.RM
    with pytest.raises(ValidationError, match="already_contributed"):
        decide(after, AddContribution("beef0001", "beef0003", "cc" * 64), as_dealer("mia"), KEY)
    done = fold(after, CEREMONY[1])
    assert done.setup_id == "beef0002" and done.next_contributor is None
    with pytest.raises(ValidationError, match="already_contributed"):
        decide(done, AddContribution("beef0002", "beef0003", "cc" * 64), as_dealer("rex"), KEY)


def test_a_settlement_is_decided_only_once_and_only_with_both_openings_and_contributions():
    session = opened()
    with pytest.raises(ValidationError, match="ceremony_incomplete"):
        decide(session, RecordSettlement(SETTLEMENT), CTX, KEY)
    sealed = (CommitmentPosted(Side.MM, 1), CommitmentPosted(Side.RM, 2),
              OpeningSealed(Side.MM, b"mm"), OpeningSealed(Side.RM, b"rm"))  # fmt: skip
    with pytest.raises(ValidationError, match="ceremony_incomplete"):  # one dealer only
        decide(fold(session, CEREMONY[0], *sealed), RecordSettlement(SETTLEMENT), CTX, KEY)
    with pytest.raises(ValidationError, match="incomplete"):
        decide(fold(session, *CEREMONY), RecordSettlement(SETTLEMENT), CTX, KEY)
    ready = fold(session, *CEREMONY, *sealed)
    assert ready.phase == "opening"
    (event,) = decide(ready, RecordSettlement(SETTLEMENT), CTX, KEY)
    with pytest.raises(ValidationError, match="already_settled"):
        decide(evolve(ready, event), RecordSettlement(SETTLEMENT), CTX, KEY)
    again = OpenSession(session_opened("wk47", (0, 1), DEADLINE, mm="a", rm="b", setup="s"))
    with pytest.raises(ValidationError, match="already_open"):  # a race lost to another open
        decide(ready, again, CTX, KEY)


def test_an_event_of_another_kind_does_not_fold():
    with pytest.raises(InvariantViolation, match="unknown_event"):
        evolve(opened(), Event())
