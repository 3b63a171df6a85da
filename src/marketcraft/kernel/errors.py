"""The error types every layer shares.

Each carries a short machine-readable ``code`` and a human ``reason``; the service maps them to
HTTP 4xx responses. Reasons are written for the caller that caused them and never include data
the caller may not see.
"""

from __future__ import annotations

__all__ = [
    "Closed",
    "ConcurrencyConflict",
    "IdempotencyKeyReused",
    "InvariantViolation",
    "MarketcraftError",
    "NotFound",
    "OrderExists",
    "Quarantined",
    "QuotaExceeded",
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


class OrderExists(ValidationError):
    """An order (or close order, or agent) with this id is already placed. Nothing was changed;
    a retry of the same request is answered with the first one's receipt."""

    code = "order_exists"


class IdempotencyKeyReused(ValidationError):
    """An idempotency key already placed a different order. Nothing was changed."""

    code = "idempotency_key_reused"


class Closed(ValidationError):
    """The aggregate (a program) was closed for good and takes no more commands. What it
    holds can still be read. Nothing was changed."""

    code = "closed"


class InvariantViolation(MarketcraftError):
    """An operation would break a named invariant (e.g. a ledger transaction that does not net
    to zero), or stored state does not replay. Never the caller's fault: a bug or corrupt
    state, which the service answers with 500 and stops (see :class:`Quarantined`). The
    operation was refused and nothing was written."""

    code = "invariant_violation"


class ConcurrencyConflict(MarketcraftError):
    """An append expected a stream version that is no longer current. Nothing was written;
    reload and retry."""

    code = "conflict"


class NotFound(MarketcraftError, LookupError):
    """The named thing does not exist (or the caller may not know that it does)."""

    code = "not_found"


class Quarantined(MarketcraftError):
    """The aggregate (a program, a peg market) was stopped after its state failed a check;
    commands on it are refused until an operator releases it. Nothing was written."""

    code = "quarantined"


class QuotaExceeded(MarketcraftError):
    """The caller has as much running as its quota allows; retry once some of it finished.
    Nothing was written."""

    code = "quota_exceeded"
