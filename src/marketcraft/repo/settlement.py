"""A settlement as the contract publishes it: the grid, both commitments, the outcome and its
proof, tied to one setup; and the audit of such a file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marketcraft.kernel.errors import ValidationError
from marketcraft.repo.ceremony import Setup, vkey_id
from marketcraft.repo.circuit import public_signals, witness_input
from marketcraft.repo.proof import Proof, prove, verify_both
from marketcraft.repo.schedule import bp_to_units, units_to_bp
from marketcraft.repo.sealing import Opening
from marketcraft.repo.selection import Outcome, select

__all__ = ["Settlement", "audit", "outcome_plain", "settle"]


def outcome_plain(outcome: Outcome) -> dict[str, Any]:
    """The outcome in basis points (joint profit in basis points x volume)."""
    return {
        "trade": outcome.trade,
        "volume": outcome.volume,
        "rate_mm": float(units_to_bp(outcome.rate_mm)),
        "rate_rm": float(units_to_bp(outcome.rate_rm)),
        "rate_bd": float(units_to_bp(outcome.rate_bd)),
        "joint_profit": float(units_to_bp(outcome.joint_profit)),
        "profit_each": float(units_to_bp(outcome.profit_each)),
    }


@dataclass(frozen=True, slots=True)
class Settlement:
    setup_id: str
    volumes: tuple[int, ...]
    commit_mm: int
    commit_rm: int
    outcome: Outcome
    proof: Proof

    def to_plain(self) -> dict[str, Any]:
        return {
            "setup": self.setup_id,
            "grid": list(self.volumes),
            "commitments": {"mm": str(self.commit_mm), "rm": str(self.commit_rm)},
            "outcome": outcome_plain(self.outcome),
            **self.proof.to_json(),
        }


def settle(setup: Setup, mm: Opening, rm: Opening) -> Settlement:
    """Select and prove (the openings never leave this call except inside the proof's
    private witness)."""
    if len(mm.report.volumes) != setup.k:
        raise ValidationError(
            "bad_grid",
            f"the setup is for a {setup.k}-point grid; the reports have "
            f"{len(mm.report.volumes)} points",
        )
    outcome = select(mm.report, rm.report)
    proof = prove(setup, witness_input(mm.report, rm.report, mm.salt, rm.salt, outcome))
    return Settlement(setup.id, mm.report.volumes, mm.commitment, rm.commitment, outcome, proof)


def audit(plain: Any, vkey: dict[str, Any]) -> dict[str, bool]:
    """Every check an auditor makes of a published settlement, by name; all must hold."""
    checks: dict[str, bool] = {}
    try:
        grid = tuple(int(v) for v in plain["grid"])
        commits = (int(plain["commitments"]["mm"]), int(plain["commitments"]["rm"]))
        shown = plain["outcome"]
        trade = shown["trade"] is True
        rate_mm = bp_to_units(shown["rate_mm"], "rate_mm") if trade else 0
        rate_rm = bp_to_units(shown["rate_rm"], "rate_rm") if trade else 0
        volume = int(shown["volume"])
        claimed = Outcome(trade, None, volume, rate_mm, rate_rm, (rate_rm - rate_mm) * volume)
        public = [int(x) for x in plain["public"]]
        proof = plain["proof"]
    except (KeyError, TypeError, ValueError, OverflowError, ValidationError):
        # OverflowError: int() of an infinite number (1e400 reads as a float infinity)
        return {"well-formed": False}
    checks["well-formed"] = True
    checks["setup matches the verification key"] = plain.get("setup") == vkey_id(vkey)
    checks["public signals match the outcome, commitments and grid"] = public == public_signals(
        commits[0], commits[1], grid, claimed
    )
    checks["derived figures consistent"] = outcome_plain(claimed) == shown
    verdicts = verify_both(vkey, public, proof)
    checks["proof verified by snarkjs"] = verdicts["snarkjs"]
    checks["proof verified by the Python verifier"] = verdicts["python"]
    return checks
