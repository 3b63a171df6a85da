"""A sealed repo-trade session: what is asked of it (commands), what happened in it (events),
the state they fold to, and the contract's decisions.

A session names its grid, its commit deadline, its two dealers and the proof setup it starts
from. Each dealer then adds its own contribution to that setup's circuit key, the MM's dealer
first (verified on upload, outside this module); the session proves with the setup that holds
both, and cannot settle before. Before the deadline each dealer posts a commitment; from the
deadline on each submits its opening sealed to the contract's key, which must open to a report
on the session's grid matching that dealer's commitment (checked in memory: the box is kept
still sealed). The settlement (both
openings opened, selected and proved, outside this module) is recorded once both are in.

Rates in a settlement are kept in basis points as exact decimals; the published settlement
writes them as exact decimal text, as :func:`marketcraft.repo.settlement.outcome_plain` does
(one published before that wrote JSON numbers)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from marketcraft.kernel.errors import InvariantViolation, NotFound, ValidationError
from marketcraft.kernel.messages import Command, Context, Event, added_field, message_type
from marketcraft.repo.schedule import Side, bp_text, units_to_bp
from marketcraft.repo.sealing import ContractKey, open_box
from marketcraft.repo.settlement import Settlement, outcome_plain

__all__ = [
    "AddContribution", "CommitmentPosted", "ContributionAccepted", "OpenSession", "OpeningSealed",
    "PostCommitment", "RecordSettlement", "Session", "SessionOpened", "SessionSettled",
    "SubmitOpening", "decide", "evolve", "session_opened", "settlement_recorded",
]  # fmt: skip


# -- events ----------------------------------------------------------------------------------------
@message_type("repo.session_opened")
@dataclass(frozen=True, slots=True)
class SessionOpened(Event):
    name: str
    volumes: tuple[int, ...]
    deadline: datetime  # UTC
    utc_offset: int  # seconds east of UTC of the zone the deadline was given in (shown in it)
    mm: str  # the money-market side's dealer
    rm: str  # the repo borrower's side's dealer
    setup: str
    #: the rate offset both reports must state, rate units (negative rates: see Report)
    offset: int = added_field(0)


@message_type("repo.commitment_posted")
@dataclass(frozen=True, slots=True)
class CommitmentPosted(Event):
    side: Side
    commitment: int


@message_type("repo.opening_sealed")
@dataclass(frozen=True, slots=True)
class OpeningSealed(Event):
    side: Side
    box: bytes  # as the dealer sealed it


@message_type("repo.contribution_accepted")
@dataclass(frozen=True, slots=True)
class ContributionAccepted(Event):
    """A dealer's contribution to the session's setup, verified on upload: the setup it was
    added to, the setup it made (the session's from now on) and its hash."""

    side: Side
    dealer: str
    previous: str
    setup: str
    contribution: str


@message_type("repo.session_settled")
@dataclass(frozen=True, slots=True)
class SessionSettled(Event):
    """The published settlement: the grid, the commitments, the outcome (rates in basis
    points, exact) and its proof (its fields as pairs, in the prover's order: published as
    they were written) with the public signals (decimal text)."""

    setup: str
    grid: tuple[int, ...]
    commit_mm: int
    commit_rm: int
    trade: bool
    volume: int
    rate_mm: Decimal
    rate_rm: Decimal
    rate_bd: Decimal
    joint_profit: Decimal
    profit_each: Decimal
    proof: tuple[tuple[str, Any], ...]
    public: tuple[str, ...]
    #: the reports' rate offset, basis points (the rates above are the clients')
    offset: Decimal = added_field(Decimal(0))

    def published(self) -> dict[str, Any]:
        """The settlement as the contract publishes it (what an auditor checks)."""
        offset = {"rate_offset": bp_text(self.offset)} if self.offset else {}
        return {
            "setup": self.setup,
            "grid": list(self.grid),
            **offset,
            "commitments": {"mm": str(self.commit_mm), "rm": str(self.commit_rm)},
            "outcome": {
                "trade": self.trade,
                "volume": self.volume,
                "rate_mm": bp_text(self.rate_mm),
                "rate_rm": bp_text(self.rate_rm),
                "rate_bd": bp_text(self.rate_bd),
                "joint_profit": bp_text(self.joint_profit),
                "profit_each": bp_text(self.profit_each),
            },
            "proof": dict(self.proof),
            "public": list(self.public),
        }


def session_opened(
    name: str,
    volumes: tuple[int, ...],
    deadline: datetime,
    *,
    mm: str,
    rm: str,
    setup: str,
    rate_offset: int = 0,
) -> SessionOpened:
    """The opening of a session whose ``deadline`` is an aware time in any zone
    (``rate_offset`` in rate units)."""
    zone = deadline.utcoffset()
    if zone is None:
        raise ValidationError("bad_deadline", "the commit deadline needs its time zone")
    return SessionOpened(
        name, volumes, deadline.astimezone(UTC), zone // timedelta(seconds=1), mm, rm, setup,
        rate_offset,
    )  # fmt: skip


def settlement_recorded(result: Settlement) -> SessionSettled:
    outcome = result.outcome
    shown = {k: Decimal(v) for k, v in outcome_plain(outcome).items() if isinstance(v, str)}
    return SessionSettled(
        setup=result.setup_id, grid=result.volumes, commit_mm=result.commit_mm,
        commit_rm=result.commit_rm, trade=outcome.trade, volume=outcome.volume,
        rate_mm=shown["rate_mm"], rate_rm=shown["rate_rm"], rate_bd=shown["rate_bd"],
        joint_profit=shown["joint_profit"], profit_each=shown["profit_each"],
        proof=tuple(result.proof.proof.items()), public=tuple(str(x) for x in result.proof.public),
        offset=units_to_bp(outcome.offset),
    )  # fmt: skip


# -- state -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Session:
    name: str = ""
    volumes: tuple[int, ...] = ()
    deadline: datetime | None = None
    dealers: dict[Side, str] = field(default_factory=dict)
    setup_id: str = ""  # the setup the session proves with: the newest its ceremony made
    rate_offset: int = 0  # rate units
    contributions: tuple[ContributionAccepted, ...] = ()
    commitments: dict[Side, int] = field(default_factory=dict)
    sealed: dict[Side, bytes] = field(default_factory=dict)
    settlement: dict[str, Any] | None = None

    def side_of(self, user: str) -> Side | None:
        return next((side for side, who in self.dealers.items() if who == user), None)

    @property
    def next_contributor(self) -> Side | None:
        """Whose contribution to the setup the session waits for (the MM's dealer first)."""
        done = {c.side for c in self.contributions}
        return next((side for side in (Side.MM, Side.RM) if side not in done), None)

    @property
    def phase(self) -> str:
        if self.settlement is not None:
            return "settled"
        return "opening" if len(self.commitments) == 2 else "committing"


def evolve(session: Session, event: Event) -> Session:
    """``session`` with ``event`` folded in (a new state: sessions are never changed in
    place)."""
    if isinstance(event, SessionOpened):
        zone = timezone(timedelta(seconds=event.utc_offset))
        return Session(
            name=event.name, volumes=event.volumes, deadline=event.deadline.astimezone(zone),
            dealers={Side.MM: event.mm, Side.RM: event.rm}, setup_id=event.setup,
            rate_offset=event.offset,
        )  # fmt: skip
    if isinstance(event, ContributionAccepted):
        return replace(session, setup_id=event.setup, contributions=(*session.contributions, event))
    if isinstance(event, CommitmentPosted):
        return replace(session, commitments={**session.commitments, event.side: event.commitment})
    if isinstance(event, OpeningSealed):
        return replace(session, sealed={**session.sealed, event.side: event.box})
    if isinstance(event, SessionSettled):
        return replace(session, settlement=event.published())
    raise InvariantViolation("unknown_event", f"no handler for {type(event).__name__}")


# -- commands and decisions ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class OpenSession(Command):
    """Open a session (its inputs checked already: the grid, the dealers, the deadline and
    the setup)."""

    opened: SessionOpened


@dataclass(frozen=True, slots=True)
class PostCommitment(Command):
    commitment: int


@dataclass(frozen=True, slots=True)
class AddContribution(Command):
    """Record a dealer's contribution to the setup ``previous``, verified already: it made
    ``setup`` (whose newest phase-2 contribution, ``contribution``, is the dealer's)."""

    previous: str
    setup: str
    contribution: str


@dataclass(frozen=True, slots=True)
class SubmitOpening(Command):
    box: bytes


@dataclass(frozen=True, slots=True)
class RecordSettlement(Command):
    """Record a settlement made from the session's two sealed openings."""

    settlement: Settlement


def decide(session: Session, command: Command, ctx: Context, key: ContractKey) -> list[Event]:
    """The events of ``command`` on ``session`` (``ctx.actor`` the user asking); the
    contract's ``key`` opens a sealed opening to check it. A dealer's command from a user who
    is not one of the session's dealers is NotFound, as for a session that does not exist."""
    if isinstance(command, OpenSession):
        if session.name:
            raise ValidationError("already_open", f"session {session.name!r} already exists")
        return [command.opened]
    if isinstance(command, RecordSettlement):
        check_settleable(session)
        return [settlement_recorded(command.settlement)]
    side = session.side_of(ctx.actor)
    if side is None:  # the same answer as for a session that does not exist
        raise NotFound("no_session", "no such repo session")
    if isinstance(command, PostCommitment):
        return [_commitment(session, side, command, ctx)]
    if isinstance(command, SubmitOpening):
        return [_opening(session, side, command, ctx, key)]
    if isinstance(command, AddContribution):
        check_contributor(session, side)
        if command.previous != session.setup_id:
            raise ValidationError(
                "stale_setup", "the session's setup changed meanwhile: download it again"
            )
        return [
            ContributionAccepted(
                side, ctx.actor, command.previous, command.setup, command.contribution
            )
        ]
    raise ValidationError("unknown_command", f"no such command: {type(command).__name__}")


def check_settleable(session: Session) -> None:
    """ValidationError unless both dealers contributed to the setup, both openings are in and
    the session is not settled."""
    if session.settlement is not None:
        raise ValidationError("already_settled", "the session is settled")
    if session.next_contributor is not None:
        raise ValidationError(
            "ceremony_incomplete",
            f"the {session.next_contributor.value.upper()} dealer has not contributed to the "
            "setup yet (`marketcraft repo contribute --session URL`)",
        )
    if len(session.sealed) != 2:
        raise ValidationError("incomplete", "both dealers' openings are needed first")


def check_contributor(session: Session, side: Side) -> None:
    """ValidationError unless it is ``side``'s turn to contribute to the session's setup."""
    if session.settlement is not None:
        raise ValidationError("already_settled", "the session is settled")
    turn = session.next_contributor
    if turn is None or any(c.side is side for c in session.contributions):
        raise ValidationError("already_contributed", "you have already contributed")
    if turn is not side:
        raise ValidationError("not_your_turn", f"the {turn.value.upper()} dealer contributes first")


def _commitment(
    session: Session, side: Side, command: PostCommitment, ctx: Context
) -> CommitmentPosted:
    assert session.deadline is not None
    if ctx.now >= session.deadline:
        raise ValidationError("too_late", "the commit deadline has passed")
    if side in session.commitments:
        raise ValidationError("already_committed", "you have already committed")
    return CommitmentPosted(side, command.commitment)


def _opening(
    session: Session, side: Side, command: SubmitOpening, ctx: Context, key: ContractKey
) -> OpeningSealed:
    """Accept a sealed opening: after the deadline, from a dealer that committed, and only if
    it opens to a report on the session's grid matching that dealer's commitment."""
    assert session.deadline is not None
    if ctx.now < session.deadline:
        raise ValidationError("too_early", "openings are accepted from the commit deadline on")
    if side not in session.commitments:
        raise ValidationError("not_committed", "you did not commit before the deadline")
    if side in session.sealed:
        raise ValidationError("already_submitted", "you have already submitted")
    opening = open_box(command.box, key, side)
    if opening.report.volumes != session.volumes:
        raise ValidationError("bad_opening", "the opening is not on the session's grid")
    if opening.report.offset != session.rate_offset:
        raise ValidationError("bad_opening", "the opening does not state the session's offset")
    if opening.commitment != session.commitments[side]:
        raise ValidationError("bad_opening", "the opening does not match your commitment")
    return OpeningSealed(side, command.box)
