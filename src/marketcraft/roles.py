"""The roles a principal can hold. A route names the roles it admits; no role implies another."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Role"]


class Role(StrEnum):
    """What a user may do: each route names the roles that may call it."""

    ADMIN = "admin"  # manages users and operates the service
    SPONSOR = "sponsor"  # runs opportunity programs and sees their prices
    SCOUT = "scout"  # trades blind in opportunity markets
    AUDITOR = "auditor"  # reads checkpoints and transcripts, verifies, flags
    DEALER = "dealer"  # a broker-dealer in the sealed repo contract
    ANALYST = "analyst"  # runs deal-desk and simulation analyses
    TRADER = "trader"  # trades PEG, COL and MMS in pegged-token markets
