"""Sealed repo-trade sessions over HTTP. The operator (admin) opens and settles sessions; each
dealer contributes to the session's setup (downloads the circuit key, adds its randomness on its
own machine, uploads the result, which is verified before it is taken), commits, submits its
sealed opening, then reads its own legs of the trade; the auditor reads the published
settlement (commitments, outcome, proof), the verification key and every contribution to the
setup. A dealer that is not in a session gets the same 404 as for a session that does not
exist."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from marketcraft.app.repo_sessions import RepoSessions, Session
from marketcraft.kernel.errors import NotFound, ValidationError
from marketcraft.repo.legs import dealer_view
from marketcraft.repo.poseidon import FIELD_DIGITS, FIELD_TEXT_PATTERN, field_element
from marketcraft.repo.proving import MAX_K
from marketcraft.repo.schedule import LIMIT, MAX_OFFSET_BP, RATE_UNIT
from marketcraft.repo.zk.transcript import Ceremony
from marketcraft.roles import Role
from marketcraft.service.access import (
    REPO_AUDIT,
    REPO_DEALER,
    REPO_READER,
    REPO_SESSION,
    SessionGranted,
    repo_session,
)
from marketcraft.service.auth import RoleGuard
from marketcraft.service.exact_json import ExactNumbersRoute
from marketcraft.service.idempotency import IdempotencyKey
from marketcraft.service.opportunity_models import Limit, Offset, Page, page_of
from marketcraft.store.principals import Principal

router = APIRouter(tags=["sealed repo trades"], route_class=ExactNumbersRoute)
#: where a dealer uploads its contribution (the one route whose body may exceed the usual limit)
CONTRIBUTION_PATH = r"/repo/sessions/[^/]+/ceremony/contributions"

Admin = Annotated[Principal, Depends(RoleGuard(Role.ADMIN))]
Reader = Annotated[Principal, Depends(REPO_READER)]
Readable = Annotated[SessionGranted, Depends(REPO_SESSION)]
Dealt = Annotated[SessionGranted, Depends(REPO_DEALER)]
Audited = Annotated[SessionGranted, Depends(REPO_AUDIT)]


#: a grid volume: a whole number the circuit's 31-bit range checks hold
Volume = Annotated[int, Field(ge=0, lt=LIMIT)]


class SessionIn(BaseModel):
    """A session to open: its name, volume grid, commitment deadline and its two dealers."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "week-47",
                    "volumes": [0, 5, 10],
                    "deadline": "2026-11-20T12:00:00+00:00",
                    "mm_dealer": "mia",
                    "rm_dealer": "rex",
                }
            ]
        }
    )

    name: str = Field(examples=["week-47"])
    volumes: list[Volume] = Field(
        min_length=2, max_length=MAX_K, description="The common volume grid, from 0, increasing."
    )
    deadline: AwareDatetime = Field(
        description="Commitments close (and openings open) here; with its time zone."
    )
    mm_dealer: str = Field(description="The user who reports for the money-market side.")
    rm_dealer: str = Field(description="The user who reports for the repo-borrower side.")
    setup: str | None = Field(
        None, pattern=r"^[0-9a-f]{8,64}$",
        description="Setup id (its verification key's SHA-256 in hex, or a unique prefix of 8 "
        "or more digits); default: the newest for the grid. Its ceremony must verify; both "
        "dealers then add their contributions to it.",
    )  # fmt: skip
    rate_offset: int = Field(
        0, ge=0, le=MAX_OFFSET_BP,
        description="Whole basis points both reports must state as their `offset`, so that "
        "rates down to minus it (negative rates) are accepted.",
    )  # fmt: skip


class CommitmentIn(BaseModel):
    """A dealer's commitment to its sealed schedule, posted before the deadline."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"commitment": "1234567890123456789"}]}
    )

    commitment: str = Field(
        pattern=FIELD_TEXT_PATTERN,
        max_length=FIELD_DIGITS,
        description="Poseidon(schedule || hurdle || salt): a field element, in decimal.",
    )


class OpeningIn(BaseModel):
    """A dealer's opening (schedule, hurdle, salt), sealed to the contract's key."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"sealed": "q1o0XbY5Vq8mUjR9s3H4tZxWJbqH8rO0r0l2Vd1c1nA="}]}
    )

    sealed: str = Field(description="The opening sealed to the contract's key, base64.")


class Leg(BaseModel):
    """One of your two legs of the trade."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"counterparty": "your client (MM)", "you": "borrow", "volume": 10,
                 "rate": "510", "you_pay": "5100"}
            ]
        }
    )  # fmt: skip

    counterparty: str
    you: str = Field(description="borrow or lend")
    volume: int
    rate: str = Field(description="bp, exact decimal text")
    you_pay: str | None = Field(None, description="interest, bp x volume (borrowing)")
    you_receive: str | None = Field(None, description="interest, bp x volume (lending)")


class YourOutcome(BaseModel):
    """Your side of a settled session: your two legs (with your client, with the other
    dealer) and your profit; no field of the other side's report (see the README for what
    your share of the profit necessarily tells you)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "trade": True, "side": "mm", "volume": 10,
                    "client_leg": {"counterparty": "your client (MM)", "you": "borrow",
                                   "volume": 10, "rate": "510", "you_pay": "5100"},
                    "dealer_leg": {"counterparty": "the RM side's dealer", "you": "lend",
                                   "volume": 10, "rate": "520", "you_receive": "5200"},
                    "profit": "100",
                }
            ]
        }
    )  # fmt: skip

    trade: bool
    side: str
    volume: int
    client_leg: Leg | None = None
    dealer_leg: Leg | None = None
    profit: str | None = Field(None, description="Your profit, bp x volume.")


class SessionOut(BaseModel):
    """A session as you may see it: its grid, deadline, phase and the public commitments; your
    side and its outcome when you are one of its dealers."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "week-47",
                    "grid": [0, 5, 10],
                    "deadline": "2026-11-20T12:00:00Z",
                    "phase": "committing",
                    "setup": "9f2c4e1a0b3d5f67",
                    "commitments": {"mm": "1234567890123456789"},
                    "submitted": [],
                    "side": "mm",
                    "outcome": None,
                }
            ]
        }
    )

    name: str
    grid: list[int]
    deadline: datetime
    phase: str = Field(description="committing, opening or settled")
    setup: str = Field(
        description="The setup the session proves with (the newest its ceremony made)."
    )
    rate_offset: int = Field(0, description="The offset both reports state, whole bp.")
    awaiting_contribution: str | None = Field(
        None, description="The side whose contribution to the setup is awaited (mm first)."
    )
    commitments: dict[str, str] = Field(description="Posted commitments, by side (public).")
    submitted: list[str] = Field(description="Sides whose sealed opening is in.")
    side: str | None = Field(None, description="Your side, when you are one of its dealers.")
    outcome: YourOutcome | None = Field(None, description="Your side's outcome, once settled.")


class KeyOut(BaseModel):
    """The key dealers seal their openings to."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"public_key": "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"}
            ]
        }
    )

    public_key: str = Field(description="The contract's X25519 public key, hex.")


class AuditOut(BaseModel):
    """A settled session's published settlement and the key to verify its proof."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "settlement": {
                        "grid": [0, 5, 10],
                        "outcome": {"trade": True, "volume": 5},
                        "proof": {},
                        "public": [],
                    },
                    "verification_key": {"protocol": "groth16", "curve": "bn128"},
                    "posted": {"mm": "1234567890123456789", "rm": "987654321"},
                    "commitments_as_posted": True,
                }
            ]
        }
    )

    settlement: dict[str, Any] = Field(description="Grid, commitments, outcome, proof, public.")
    verification_key: dict[str, Any]
    posted: dict[str, str] = Field(
        description="The commitments the dealers posted before the deadline, by side: pass "
        "them to `marketcraft repo verify --posted-mm .. --posted-rm ..`."
    )
    commitments_as_posted: bool = Field(
        description="Whether the settlement (and so its proof's public signals) is over "
        "exactly the posted commitments."
    )
    ceremony: CeremonyOut = Field(
        description="The setup's ceremony, verified: every contribution's hash and who made it."
    )


_HASH = "9c2ba7377b3544647b54aa3674874a0c475e8aaea3709a0954bcf00c1b8881fd"
_HASH_2 = "52e8dd44c543de179ac41d638c0fd21c23807e36eaa62934c8520d08f4937bcb"
_SETUP = "d33a2bc94805565669214d74ef7c47eda97287f1dc936f8a917dee727c74d7bc"
_CONTRIBUTION: dict[str, Any] = {
    "phase": 2,
    "number": 1,
    "name": "contract",
    "hash": _HASH + _HASH_2,
}
_UPLOADED: dict[str, Any] = {"side": "mm", "dealer": "mia", "contribution": _HASH_2 + _HASH,
             "previous": _SETUP, "setup": "5e1f" + _SETUP[4:]}  # fmt: skip


class ContributionOut(BaseModel):
    """One contribution to a setup, as its ceremony's transcript verified it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CONTRIBUTION]})

    phase: int = Field(description="1: powers of tau; 2: the circuit key")
    number: int
    name: str = Field(description="The name its contributor gave it.")
    hash: str = Field(description="Its hash (BLAKE2b-512, hex), as snarkjs printed it.")


class SessionContributionOut(BaseModel):
    """A dealer's contribution to the session's setup, uploaded by that dealer."""

    model_config = ConfigDict(json_schema_extra={"examples": [_UPLOADED]})

    side: str
    dealer: str
    contribution: str = Field(description="Its hash, hex.")
    previous: str = Field(description="The setup it was added to.")
    setup: str = Field(description="The setup it made.")


class CeremonyOut(BaseModel):
    """The session's setup and its ceremony: every contribution of both phases with its hash
    and name, which of them the dealers uploaded here, and whose contribution is awaited."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"setup": _UPLOADED["setup"], "participants": ["contract", "mia"],
                 "contributions": [{**_CONTRIBUTION, "phase": 1}, _CONTRIBUTION,
                                   {**_CONTRIBUTION, "number": 2, "name": "mia",
                                    "hash": _UPLOADED["contribution"]}],
                 "session_contributions": [_UPLOADED], "awaiting": "rm", "demo_only": False}
            ]
        }
    )  # fmt: skip

    setup: str
    participants: list[str] = Field(description="Whom the setup names; each contributed.")
    contributions: list[ContributionOut]
    session_contributions: list[SessionContributionOut]
    awaiting: str | None = Field(None, description="The side to contribute next, if any.")
    demo_only: bool = Field(description="Built on the demo's phase-1 file: demo only.")


def _sessions(request: Request) -> RepoSessions:
    sessions: RepoSessions = request.app.state.repo_sessions
    return sessions


def _bp(value: Any) -> Decimal:
    # exact decimal text; settlements recorded before that hold the float's shortest text
    return Decimal(value) if isinstance(value, str) else Decimal(repr(value))


def _ceremony(session: Session, ceremony: Ceremony) -> CeremonyOut:
    turn = session.next_contributor
    return CeremonyOut(
        setup=ceremony.setup_id,
        participants=list(ceremony.participants),
        contributions=[ContributionOut(**c.to_plain()) for c in ceremony.contributions],
        session_contributions=[
            SessionContributionOut(
                side=c.side.value,
                dealer=c.dealer,
                contribution=c.contribution,
                previous=c.previous,
                setup=c.setup,
            )
            for c in session.contributions
        ],
        awaiting=turn.value if turn else None,
        demo_only=ceremony.demo,
    )


def _out(session: Session, user: Principal) -> SessionOut:
    side = session.side_of(user.name) if user.role == Role.DEALER else None
    outcome = None
    if side is not None and session.settlement is not None:
        shown = session.settlement["outcome"]
        view = dealer_view(
            side, shown["trade"], shown["volume"], _bp(shown["rate_mm"]), _bp(shown["rate_rm"])
        )
        outcome = YourOutcome.model_validate(view)
    assert session.deadline is not None
    turn = session.next_contributor
    return SessionOut(
        name=session.name,
        grid=list(session.volumes),
        deadline=session.deadline,
        phase=session.phase,
        setup=session.setup_id,
        rate_offset=session.rate_offset // RATE_UNIT,
        awaiting_contribution=turn.value if turn else None,
        commitments={s.value: str(c) for s, c in sorted(session.commitments.items())},
        submitted=sorted(s.value for s in session.sealed),
        side=side.value if side else None,
        outcome=outcome,
    )


@router.get("/repo/key", response_model=KeyOut, summary="The contract's public key")
def get_repo_key(request: Request, _user: Reader) -> KeyOut:
    """The contract's X25519 public key, which dealers seal their openings to. Dealers,
    auditors and admins."""
    return KeyOut(public_key=_sessions(request).key.public.hex())


@router.post(
    "/repo/sessions", response_model=SessionOut, status_code=status.HTTP_201_CREATED,
    summary="Open a session (operator)",
)  # fmt: skip
def open_repo_session(body: SessionIn, request: Request, user: Admin) -> SessionOut:
    """Open a session on a volume grid with its two dealers (active users with the dealer
    role) and its commitment deadline. The operator (admin) only."""
    principals = request.app.state.database.principals
    for side, name in (("mm_dealer", body.mm_dealer), ("rm_dealer", body.rm_dealer)):
        dealer = principals.get(name)
        if dealer is None or not dealer.active or dealer.role != Role.DEALER:
            raise ValidationError("bad_dealers", f"{side}: {name!r} is not an active dealer")
    session = _sessions(request).open(
        body.name,
        volumes=body.volumes,
        deadline=body.deadline,
        mm=body.mm_dealer,
        rm=body.rm_dealer,
        setup_id=body.setup,
        rate_offset=body.rate_offset * RATE_UNIT,
        now=request.app.state.clock.now(),
    )
    return _out(session, user)


@router.get("/repo/sessions", response_model=Page[SessionOut], summary="Sessions you may see")
def list_repo_sessions(
    request: Request, user: Reader, offset: Offset = 0, limit: Limit = 50
) -> dict[str, Any]:
    """The sessions you may see, a page at a time: a dealer its own; auditors and admins
    every one."""
    visible = []
    for name in _sessions(request).names():
        try:
            visible.append(repo_session(request, user, name))
        except NotFound:
            continue  # a session this dealer is not in
    return page_of([_out(s, user) for s in visible], offset, limit)


@router.get("/repo/sessions/{name}", response_model=SessionOut, summary="One session")
def get_repo_session(granted: Readable) -> SessionOut:
    """One session. A dealer not in it gets 404, as for one that does not exist."""
    return _out(granted.session, granted.principal)


@router.post(
    "/repo/sessions/{name}/commitment", response_model=SessionOut,
    summary="Post your commitment (dealer, before the deadline)",
)  # fmt: skip
def post_commitment(name: str, body: CommitmentIn, request: Request, granted: Dealt) -> SessionOut:
    """Post your side's commitment, before the deadline. The session's dealers only."""
    user = granted.principal
    commitment = field_element(body.commitment, "commitment", "bad_commitment")
    session = _sessions(request).commit(name, user.name, commitment, request.app.state.clock.now())
    return _out(session, user)


@router.post(
    "/repo/sessions/{name}/opening", response_model=SessionOut,
    summary="Submit your sealed opening (dealer, from the deadline on)",
)  # fmt: skip
def post_opening(name: str, body: OpeningIn, request: Request, granted: Dealt) -> SessionOut:
    """Submit your sealed opening, from the deadline on; it must match your commitment. The
    session's dealers only."""
    user = granted.principal
    try:
        box = base64.b64decode(body.sealed, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("bad_opening", "sealed must be base64") from None
    session = _sessions(request).submit(name, user.name, box, request.app.state.clock.now())
    return _out(session, user)


@router.post(
    "/repo/sessions/{name}/settle", response_model=SessionOut,
    summary="Select, prove and publish (operator)",
)  # fmt: skip
def settle_repo_session(
    name: str, request: Request, user: Admin, _key: IdempotencyKey
) -> SessionOut:
    """Select the trade, prove it and publish the settlement (this takes a while: the proof
    is computed now). The operator (admin) only."""
    return _out(_sessions(request).settle(name, request.app.state.clock.now()), user)


@router.get(
    "/repo/sessions/{name}/settlement", response_model=AuditOut,
    summary="The published settlement and the key to verify it (auditor)",
)  # fmt: skip
def get_repo_settlement(request: Request, granted: Audited) -> AuditOut:
    """The published settlement (commitments, outcome, proof, public inputs) and the
    verification key. Auditors and admins."""
    sessions, session = _sessions(request), granted.session
    if session.settlement is None:
        raise ValidationError("not_settled", "the session is not settled yet")
    posted = {s.value: str(c) for s, c in sorted(session.commitments.items())}
    setup = sessions.setup(session)
    return AuditOut(
        settlement=session.settlement,
        verification_key=setup.vkey,
        posted=posted,
        commitments_as_posted=session.settlement.get("commitments") == posted,
        ceremony=_ceremony(session, setup.ceremony()),
    )


@router.get(
    "/repo/sessions/{name}/ceremony", response_model=CeremonyOut,
    summary="The session's setup and every contribution to it",
)  # fmt: skip
def get_repo_ceremony(request: Request, granted: Readable) -> CeremonyOut:
    """The setup the session proves with, its ceremony verified (every contribution of both
    phases, its hash and name), the dealers' contributions uploaded here and whose is
    awaited. The session's dealers, auditors and admins."""
    session = granted.session
    return _ceremony(session, _sessions(request).setup(session).ceremony())


@router.get(
    "/repo/sessions/{name}/ceremony/zkey", response_class=FileResponse,
    summary="Download the session's current circuit key (to contribute to it)",
    responses={200: {"content": {"application/octet-stream": {
        "schema": {"type": "string", "format": "binary"},
        "example": "(the .zkey file: snarkjs's circuit key, megabytes)"}}}},
)  # fmt: skip
def get_repo_zkey(request: Request, granted: Readable) -> FileResponse:
    """The session's current circuit key (snarkjs's .zkey): a dealer adds its contribution
    to it (`marketcraft repo contribute --session URL` does it all). The session's dealers,
    auditors and admins."""
    setup = _sessions(request).setup(granted.session)
    return FileResponse(setup.zkey, media_type="application/octet-stream",
                        filename=f"{setup.id[:16]}.zkey")  # fmt: skip


@router.get(
    "/repo/sessions/{name}/ceremony/ptau", response_class=FileResponse,
    summary="Download the phase-1 file the session's setup is built on (to check the ceremony)",
    responses={200: {"content": {"application/octet-stream": {
        "schema": {"type": "string", "format": "binary"},
        "example": "(the .ptau file: snarkjs's powers of tau, prepared for phase 2)"}}}},
)  # fmt: skip
def get_repo_ptau(request: Request, granted: Readable) -> FileResponse:
    """The powers of tau (phase 1, prepared for phase 2) the session's circuit key is built
    on: with the circuit key, what an auditor needs to check the whole ceremony on its own
    machine (`marketcraft repo verify --session URL` does it all). The session's dealers,
    auditors and admins."""
    setup = _sessions(request).setup(granted.session)
    return FileResponse(setup.ptau, media_type="application/octet-stream",
                        filename=f"{setup.id[:16]}.ptau")  # fmt: skip


@router.post(
    "/repo/sessions/{name}/ceremony/contributions", response_model=CeremonyOut,
    summary="Upload your contribution to the session's setup (dealer, in turn)",
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"},
                                     "example": "(the .zkey file with your contribution)"}}}},
)  # fmt: skip
async def post_repo_contribution(
    name: str, request: Request, granted: Dealt, _key: IdempotencyKey
) -> CeremonyOut:
    """Upload the circuit key with your contribution added (the body: the .zkey file). It
    must add exactly one phase-2 contribution, named as your user, to the session's current
    key, the MM's dealer first; it is verified against the circuit and the phase-1 file
    before the session takes it (this takes a while). The session's dealers only."""
    zkey = await request.body()
    if not zkey:
        raise ValidationError("bad_contribution", "the body must be the .zkey file")
    sessions, user = _sessions(request), granted.principal
    now = request.app.state.clock.now()
    session, _ = await run_in_threadpool(sessions.contribute, name, user.name, zkey, now)
    return _ceremony(session, sessions.setup(session).ceremony())
