"""A settlement as the contract publishes it: the grid, both commitments, the outcome and its
proof, tied to one setup; and the audit of such a file. The proof system comes in as a
:class:`~marketcraft.repo.proving.Prover` (to settle) or a
:class:`~marketcraft.repo.proving.Verifier` (to audit)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from marketcraft.kernel.errors import ValidationError
from marketcraft.repo.proving import (
    Proof,
    Prover,
    Verifier,
    public_signals,
    vkey_id,
    witness_input,
)
from marketcraft.repo.schedule import bp_text, bp_to_units, units_to_bp
from marketcraft.repo.sealing import Opening
from marketcraft.repo.selection import Outcome, select

__all__ = [
    "CEREMONY_CHECK",
    "VERDICTS",
    "Settlement",
    "audit",
    "offset_text",
    "outcome_plain",
    "same_figures",
    "settle",
]


_FIGURES = ("rate_mm", "rate_rm", "rate_bd", "joint_profit", "profit_each")


def outcome_plain(outcome: Outcome) -> dict[str, Any]:
    """The outcome in basis points (joint profit in basis points x volume), each figure as
    exact decimal text; rates are the clients' (the offset taken off), 0 without a trade."""
    shift = outcome.offset if outcome.trade else 0
    return {
        "trade": outcome.trade,
        "volume": outcome.volume,
        "rate_mm": bp_text(units_to_bp(outcome.rate_mm - shift)),
        "rate_rm": bp_text(units_to_bp(outcome.rate_rm - shift)),
        "rate_bd": bp_text(units_to_bp(outcome.rate_bd - shift)),
        "joint_profit": bp_text(units_to_bp(outcome.joint_profit)),
        "profit_each": bp_text(units_to_bp(outcome.profit_each)),
    }


def offset_text(offset: int) -> str:
    """A rate offset (rate units) as a settlement states it: whole basis points."""
    return bp_text(units_to_bp(offset))


def same_figures(exact: dict[str, Any], shown: dict[str, Any]) -> bool:
    """Whether ``shown`` states the outcome ``exact`` (from :func:`outcome_plain`): the same
    keys, trade and volume, and each figure the same number. Settlements published before
    figures were decimal text wrote them as JSON numbers (the float nearest the exact value),
    which are read as such."""
    if shown.keys() != exact.keys() or any(shown[k] != exact[k] for k in ("trade", "volume")):
        return False
    for name in _FIGURES:
        given, value = shown[name], Decimal(exact[name])
        if isinstance(given, bool) or not isinstance(given, str | int | float):
            return False
        if isinstance(given, float):
            if given != float(value):
                return False
        elif not _decimal_is(given, value):
            return False
    return True


def _decimal_is(given: str | int, value: Decimal) -> bool:
    try:
        return Decimal(str(given)) == value
    except ArithmeticError:
        return False


@dataclass(frozen=True, slots=True)
class Settlement:
    setup_id: str
    volumes: tuple[int, ...]
    commit_mm: int
    commit_rm: int
    outcome: Outcome
    proof: Proof

    def to_plain(self) -> dict[str, Any]:
        """The settlement as published; ``rate_offset`` only when the reports stated one (the
        public signals hold offset rates, the outcome the clients' rates)."""
        offset = {"rate_offset": offset_text(self.outcome.offset)} if self.outcome.offset else {}
        return {
            "setup": self.setup_id,
            "grid": list(self.volumes),
            **offset,
            "commitments": {"mm": str(self.commit_mm), "rm": str(self.commit_rm)},
            "outcome": outcome_plain(self.outcome),
            **self.proof.to_json(),
        }


def settle(prover: Prover, mm: Opening, rm: Opening) -> Settlement:
    """Select and prove (the openings never leave this call except inside the proof's
    private witness)."""
    if len(mm.report.volumes) != prover.k:
        raise ValidationError(
            "bad_grid",
            f"the setup is for a {prover.k}-point grid; the reports have "
            f"{len(mm.report.volumes)} points",
        )
    outcome = select(mm.report, rm.report)
    proof = prover.prove(witness_input(mm.report, rm.report, mm.salt, rm.salt, outcome))
    return Settlement(prover.id, mm.report.volumes, mm.commitment, rm.commitment, outcome, proof)


#: what the audit calls each verifier's verdict
VERDICTS = {
    "snarkjs": "proof verified by snarkjs",
    "python": "proof verified by the Python verifier",
}


#: the audit's check of the setup's ceremony (its transcript, made by the caller)
CEREMONY_CHECK = "the setup's ceremony verified (every named participant contributed)"


def audit(
    plain: Any,
    vkey: dict[str, Any],
    verify: Verifier,
    posted: tuple[int, int] | None = None,
    ceremony: bool = False,
) -> dict[str, bool]:
    """Every check an auditor makes of a published settlement, by name; all must hold.
    ``verify`` checks the proof (e.g. :func:`marketcraft.repo.zk.proof.verify_both`);
    ``posted``: the (MM, RM) commitments the dealers posted, which the settlement's (and so
    the proof's public signals) must be; ``ceremony``: whether the caller verified the
    transcript of the setup's ceremony (a proof under a setup nobody contributed to proves
    nothing, so without it the audit fails). The key's own delta and gamma are checked here:
    equal, phase 2 added no randomness and anyone can forge a proof."""
    checks: dict[str, bool] = {}
    try:
        grid = tuple(int(v) for v in plain["grid"])
        commits = (int(plain["commitments"]["mm"]), int(plain["commitments"]["rm"]))
        shown = plain["outcome"]
        trade = shown["trade"] is True
        offset = bp_to_units(plain.get("rate_offset", 0), "rate_offset")
        rate_mm = bp_to_units(shown["rate_mm"], "rate_mm") + offset if trade else 0
        rate_rm = bp_to_units(shown["rate_rm"], "rate_rm") + offset if trade else 0
        volume = int(shown["volume"])
        claimed = Outcome(
            trade, None, volume, rate_mm, rate_rm, (rate_rm - rate_mm) * volume, offset
        )
        public = [int(x) for x in plain["public"]]
        proof = plain["proof"]
    except (KeyError, TypeError, ValueError, OverflowError, ValidationError):
        # OverflowError: int() of an infinite number (1e400 reads as a float infinity)
        return {"well-formed": False}
    checks["well-formed"] = True
    checks[CEREMONY_CHECK] = ceremony
    checks["the key's delta differs from its gamma (phase 2 added randomness)"] = vkey.get(
        "vk_delta_2"
    ) != vkey.get("vk_gamma_2")
    if posted is not None:
        checks["commitments are the ones the dealers posted"] = commits == posted
    checks["setup matches the verification key"] = plain.get("setup") == vkey_id(vkey)
    checks["public signals match the outcome, commitments and grid"] = public == public_signals(
        commits[0], commits[1], grid, claimed
    )
    checks["derived figures consistent"] = isinstance(shown, dict) and same_figures(
        outcome_plain(claimed), shown
    )
    for name, verified in verify(vkey, public, proof).items():
        checks[VERDICTS.get(name, f"proof verified by {name}")] = verified
    return checks
