"""Who may reach what: one authorization rule per kind of resource, for the API and the pages.

A rule names the roles that may ask at all (any other role: 403; no token: 401, no session:
the sign-in page), then decides on the resource itself. A resource the principal may not see
answers exactly as one that does not exist (404, the same body), so a rival sponsor learns
nothing of another's program, an analyst nothing of another's job, a dealer nothing of a
session it is not in.

=========================  ===================================================================
resource                   who may
=========================  ===================================================================
program (``PROGRAM``)      its sponsor; every scout, auditor and admin. Read its terms and
                           markets, reveal a market after its window (anyone of them may: the
                           window's end, not a person, decides)
program as its sponsor     its sponsor only: dashboard, approve, reject, acted-on, resolve,
(``SPONSOR``)              settle, its collateral (read, withdraw), close, the sponsor's pages
                           and market listing from them
market listing             its sponsor, or a scout; a scout's listing needs the program's
(``LISTING``)              ``community_listing`` term and pays its creation bond (the engine
                           holds the term: CLI, demo and API alike)
transcript                 its sponsor, auditors, admins; scouts only under the PUBLIC_ALL
(``TRANSCRIPT``)           reveal policy (the transcript holds every fill and salt, which the
                           other policies keep from scouts); after settlement, for everyone
audit page, checkpoints    its sponsor, auditors, admins
(``AUDIT``)
a scout's account          the scout itself, in any program: deposit, withdraw, balance, its
(``SCOUT``)                orders and receipts (another scout's order answers as a missing one)
deal job (``deal_job``)    the analyst that submitted it
repo session               its two dealers, auditors, admins (``REPO_SESSION``); commitments
                           and openings: its two dealers (``REPO_DEALER``); the published
                           settlement: auditors and admins (``REPO_AUDIT``)
=========================  ===================================================================

Admins see every program and transcript: the operator holds the database and the signing key,
runs the service and answers disputes, so hiding what it can read anyway would only slow an
investigation. Admins never act as a sponsor or a scout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Depends, HTTPException, Request

from marketcraft.app.repo_sessions import RepoSessions, Session
from marketcraft.kernel.errors import NotFound
from marketcraft.opportunity.journal import ProgramJournal
from marketcraft.opportunity.state import ProgramState
from marketcraft.opportunity.terms import RevealPolicy
from marketcraft.roles import Role
from marketcraft.service.auth import FORBIDDEN, RoleGuard
from marketcraft.service.deal_jobs import DealJobs, Job
from marketcraft.service.sessions import PageGuard
from marketcraft.store.principals import Principal

__all__ = [
    "AUDIT",
    "LISTING",
    "PROGRAM",
    "REPO_AUDIT",
    "REPO_DEALER",
    "REPO_READER",
    "REPO_SESSION",
    "SCOUT",
    "SCOUT_PAGE",
    "SPONSOR",
    "TRANSCRIPT",
    "Granted",
    "ProgramRule",
    "SessionGranted",
    "deal_file",
    "deal_job",
    "own_order",
    "repo_session",
]


def _no_program() -> NotFound:
    # the repository's own answer for a program that does not exist, word for word
    return NotFound("no_program", "no such program")


@dataclass(frozen=True, slots=True)
class Granted:
    """A principal let through to a program, with the program's journal."""

    principal: Principal
    journal: ProgramJournal

    @property
    def state(self) -> ProgramState:
        return self.journal.state


Check = Callable[[Principal, ProgramState], None]


def _sponsors_own(principal: Principal, state: ProgramState) -> None:
    """A sponsor reaches only its own programs; another's is as one that does not exist."""
    if principal.role == Role.SPONSOR and state.sponsor != principal.name:
        raise _no_program()


def _transcript(principal: Principal, state: ProgramState) -> None:
    _sponsors_own(principal, state)
    # The transcript holds every scout's fills and salts: a scout may have it only where the
    # reveal policy makes all of that public. (A transcript cut down to one scout's view could
    # not be replayed, so there is no partial one.)
    public = state.require_terms().reveal_policy is RevealPolicy.PUBLIC_ALL
    if principal.role == Role.SCOUT and not public:
        raise FORBIDDEN


class ProgramRule:
    """One rule for a program: the roles that may ask and the check on the program itself.

    ``api`` and ``page`` are FastAPI dependencies (bearer token and page session) returning a
    :class:`Granted`; they run before the request's body is read."""

    def __init__(self, name: str, roles: tuple[Role, ...], check: Check = _sponsors_own) -> None:
        self.name, self.roles, self.check = name, frozenset(roles), check
        self.api = self._dependency(RoleGuard(*roles))
        self.page = self._dependency(PageGuard(*roles))

    def __repr__(self) -> str:
        return f"ProgramRule({self.name})"

    def grant(self, request: Request, principal: Principal, program_id: str) -> Granted:
        """The program if ``principal`` may reach it by this rule; NotFound (404) for one it
        may not see, as for one that does not exist; 403 for one it sees but may not use."""
        if principal.role not in self.roles:
            raise FORBIDDEN
        journal: ProgramJournal = request.app.state.programs.journal(program_id)
        self.check(principal, journal.state)
        return Granted(principal, journal)

    def allows(self, principal: Principal, state: ProgramState) -> bool:
        """For lists: whether the program is among those ``principal`` may reach."""
        if principal.role not in self.roles:
            return False
        try:
            self.check(principal, state)
        except (NotFound, HTTPException):
            return False
        return True

    def _dependency(self, guard: Any) -> Callable[..., Granted]:
        def dependency(
            program_id: str,
            request: Request,
            principal: Principal = Depends(guard),  # noqa: B008 - FastAPI's way
        ) -> Granted:
            return self.grant(request, principal, program_id)

        return dependency


PROGRAM = ProgramRule("program", (Role.SPONSOR, Role.SCOUT, Role.AUDITOR, Role.ADMIN))
SPONSOR = ProgramRule("sponsor", (Role.SPONSOR,))
LISTING = ProgramRule("listing", (Role.SPONSOR, Role.SCOUT))
TRANSCRIPT = ProgramRule(
    "transcript", (Role.SPONSOR, Role.AUDITOR, Role.ADMIN, Role.SCOUT), _transcript
)
AUDIT = ProgramRule("audit", (Role.SPONSOR, Role.AUDITOR, Role.ADMIN))
#: a scout's own account, in any program (the engine answers a missing one with the same 404)
SCOUT = RoleGuard(Role.SCOUT)
SCOUT_PAGE = PageGuard(Role.SCOUT)


def own_order(state: ProgramState, principal: Principal, order_id: str) -> None:
    """An order's receipt is its scout's: another scout's order is as one that does not exist."""
    order = state.orders.get(order_id)
    if order is None or order.scout != principal.name:
        raise NotFound("no_order", "no such order among yours")


# -- deal jobs -------------------------------------------------------------------------------------
def deal_job(request: Request, principal: Principal, job_id: str) -> Job:
    """The analyst's own job; anyone else's is as one that does not exist (404)."""
    jobs: DealJobs = request.app.state.deal_jobs
    job = jobs.find(job_id)
    if job is None or job.owner != principal.name or principal.role != Role.ANALYST:
        raise NotFound("no_job", "no such job")
    return job


def deal_file(request: Request, principal: Principal, job_id: str, name: str) -> Path:
    jobs: DealJobs = request.app.state.deal_jobs
    return jobs.file(deal_job(request, principal, job_id), name)


# -- repo sessions ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SessionGranted:
    principal: Principal
    session: Session


def repo_session(request: Request, principal: Principal, name: str) -> Session:
    """A session its dealers, auditors and admins may read; to any other dealer it is as one
    that does not exist (404)."""
    sessions: RepoSessions = request.app.state.repo_sessions
    if principal.role == Role.DEALER:
        return sessions.as_dealer(name, principal.name)[0]
    if principal.role in (Role.AUDITOR, Role.ADMIN):
        return sessions.get(name)
    raise FORBIDDEN


def _session_dependency(*roles: Role) -> Callable[..., SessionGranted]:
    guard = RoleGuard(*roles)

    def dependency(
        name: str,
        request: Request,
        principal: Principal = Depends(guard),  # noqa: B008 - FastAPI's way
    ) -> SessionGranted:
        return SessionGranted(principal, repo_session(request, principal, name))

    return dependency


#: read a session: its dealers, auditors, admins
REPO_SESSION = _session_dependency(Role.DEALER, Role.AUDITOR, Role.ADMIN)
#: commit and open in a session: its dealers
REPO_DEALER = _session_dependency(Role.DEALER)
#: the published settlement: auditors and admins
REPO_AUDIT = _session_dependency(Role.AUDITOR, Role.ADMIN)
#: the contract's public key and the list of sessions (filtered by :func:`repo_session`'s rule)
REPO_READER = RoleGuard(Role.DEALER, Role.AUDITOR, Role.ADMIN)
