"""The error types every layer shares.

Each carries a short machine-readable ``code`` and a human ``reason``; the service maps them to
HTTP 4xx responses. Reasons are written for the caller that caused them and never include data
the caller may not see.
"""

from __future__ import annotations

__all__ = [
    "ConcurrencyConflict",
    "InvariantViolation",
    "MarketcraftError",
    "NotFound",
    "ValidationError",
]


class MarketcraftError(Exception):
    """Base of every error this package raises on purpose."""

    code: str = "error"

    def __init__(self, code: str | None = None, reason: str = "") -> None:
        if code is not None:
            self.code = code
        self.reason = reason or self.code
        super().__init__(f"{self.code}: {self.reason}")


class ValidationError(MarketcraftError, ValueError):
    """Bad input: the command or value is malformed or not allowed. Nothing was changed."""

    code = "invalid"


class InvariantViolation(MarketcraftError):
    """An operation would break a named invariant (e.g. a ledger transaction that does not net
    to zero). The operation was refused and nothing was written."""

    code = "invariant_violation"


class ConcurrencyConflict(MarketcraftError):
    """An append expected a stream version that is no longer current. Nothing was written;
    reload and retry."""

    code = "conflict"


class NotFound(MarketcraftError, LookupError):
    """The named thing does not exist (or the caller may not know that it does)."""

    code = "not_found"
