"""Request and response bodies of the opportunity-markets API.

Money and prices travel as decimal strings (numbers are accepted on input); they are never
floats on the way in or out. Every number on the way in is read through one of the bounded
types of :mod:`marketcraft.number_types` (the pages read their forms through the same ones).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from marketcraft.number_types import Amount, Fraction, Positive, Probability, Shown
from marketcraft.opportunity.amms import AmmKind
from marketcraft.opportunity.commands import Outcome
from marketcraft.opportunity.terms import (
    CollateralMode,
    FeePolicy,
    ProgramTerms,
    RevealPolicy,
    Side,
    Token,
)

Id = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# The API's defaults are the engine's: one place decides them.
TERMS_DEFAULTS: dict[str, Any] = {f.name: f.default for f in dataclasses.fields(ProgramTerms)}


class TermsIn(Strict):
    market_budget: Positive
    pa: Probability = TERMS_DEFAULTS["pa"]
    pb: Probability = TERMS_DEFAULTS["pb"]
    amm: AmmKind = TERMS_DEFAULTS["amm"]
    window_seconds: int = Field(TERMS_DEFAULTS["window_seconds"], gt=0, le=10 * 366 * 86400)
    fee_rate: Fraction = TERMS_DEFAULTS["fee_rate"]
    fee_policy: FeePolicy = TERMS_DEFAULTS["fee_policy"]
    reveal_policy: RevealPolicy = TERMS_DEFAULTS["reveal_policy"]
    collateral: CollateralMode = TERMS_DEFAULTS["collateral"]
    first_n: int = Field(TERMS_DEFAULTS["first_n"], ge=0, le=10_000)
    reveal_threshold: Amount = TERMS_DEFAULTS["reveal_threshold"]
    creation_bond: Amount = TERMS_DEFAULTS["creation_bond"]
    approval_required: bool = TERMS_DEFAULTS["approval_required"]
    community_listing: bool = TERMS_DEFAULTS["community_listing"]
    late_reveal_seconds: int = Field(
        TERMS_DEFAULTS["late_reveal_seconds"], ge=0, le=10 * 366 * 86400
    )


class ProgramIn(Strict):
    title: str = Field(min_length=1, max_length=200)
    deposit: Amount
    terms: TermsIn


class TermsOut(BaseModel):
    """A program's terms as they were fixed: read back as stored, never judged again by the
    bounds on what may be sent today (a program opened before a bound still reads)."""

    market_budget: Shown
    pa: Shown
    pb: Shown
    amm: AmmKind
    window_seconds: int
    fee_rate: Shown
    fee_policy: FeePolicy
    reveal_policy: RevealPolicy
    collateral: CollateralMode
    first_n: int
    reveal_threshold: Shown
    creation_bond: Shown
    approval_required: bool
    # left out of a stored program's record at its default, so read back with it
    late_reveal_seconds: int = TERMS_DEFAULTS["late_reveal_seconds"]


class ProgramOut(BaseModel):
    program_id: str
    title: str
    sponsor: str
    terms: TermsOut
    settled: bool
    closed: bool = Field(description="Settled and emptied: every command is refused.")


class MarketIn(Strict):
    title: str = Field(min_length=1, max_length=200)
    rules: str = Field("", max_length=4000)


class MarketOut(BaseModel):
    """What everyone may see of a market: never its price while it is unrevealed."""

    market_id: str
    title: str
    rules: str
    status: str
    opens_at: datetime | None
    closes_at: datetime | None


class SponsorMarketOut(MarketOut):
    price: Shown
    volume: Shown
    traders: int
    yes_outstanding: Shown


class CashIn(Strict):
    amount: Positive


class OrderIn(Strict):
    market_id: Id
    side: Side
    token: Token = Token.YES
    max_spend: Positive | None = None
    max_shares: Positive | None = None
    limit_price: Probability | None = None


class CloseOrderIn(Strict):
    """A close order: SELL up to ``max_shares`` of ``token`` once its price rises to
    ``trigger_price`` (never below it), or BUY up to ``max_shares`` once it falls to it (never
    above it; the most it can cost is escrowed now, the rest comes back at the reveal)."""

    market_id: Id
    token: Token = Token.YES
    side: Side = Side.SELL
    trigger_price: Probability
    max_shares: Positive


class ReceiptOut(BaseModel):
    """A signed promise, after Certificate Transparency's signed certificate timestamp: the
    order was accepted as sent (``order_hash``), its log entry is ``leaf_hash``, its fill is
    sealed in ``commitment``, and a signed checkpoint will cover it by ``merge_by``. The same
    fields, the same shape, whatever the fill; no log position."""

    order_id: str
    origin: str = Field(description="The log's origin: its checkpoints' first line.")
    accepted_at: datetime
    merge_by: datetime
    order_hash: str
    leaf_hash: str
    commitment: str
    key_id: str
    signature: str
    order: dict[str, object] = Field(
        description="The order as `order_hash` covers it (what you sent, with its id; no salt)."
    )
    receipt: dict[str, object] = Field(
        description="The signed receipt, for `verify`: the fields above are a copy for reading, "
        "and only this object is signed."
    )


class CheckpointOut(BaseModel):
    """A signed checkpoint of a program's log: a C2SP tlog-checkpoint in a signed note."""

    tree_size: int
    root_hash: str = Field(description="Base64, as in the note.")
    timestamp: datetime
    note: str = Field(description="The signed note (c2sp.org/tlog-checkpoint).")


class LogOut(BaseModel):
    """What a verifier or a monitor pins: the log's name and the platform's key."""

    origin: str
    public_key: str = Field(description="The platform's Ed25519 public key, hex.")
    verifier_key: str = Field(description="The signed-note verifier key of this log.")
    max_merge_delay_seconds: float


class ConsistencyOut(BaseModel):
    first: int
    second: int
    proof: list[str] = Field(description="RFC 6962 consistency proof, base64 hashes.")


class InclusionOut(BaseModel):
    """Where a receipt's entry is in the log, against the first checkpoint that covers it."""

    leaf_index: int
    tree_size: int
    proof: list[str] = Field(description="RFC 6962 inclusion proof, base64 hashes.")
    checkpoint: str = Field(description="The signed note of the checkpoint.")


class FillOut(BaseModel):
    shares: Shown
    cash: Shown
    fee: Shown
    clipped: bool


class OrderOut(BaseModel):
    order_id: str
    market_id: str
    side: Side
    token: Token
    escrow: Shown
    revealed: bool
    fill: FillOut | None


class MarketResultsOut(BaseModel):
    """What everyone in the program may see of a market after its reveal, under the program's
    reveal policy: the same fields whatever the orders were; ``complete`` is False while the
    policy holds something back until ``late_reveal_at``."""

    market_id: str
    title: str
    revealed: bool
    final_price: Shown | None
    fills: list[FillOut]
    aggregated_count: int
    aggregated_size: Shown
    complete: bool
    late_reveal_at: datetime | None


class BalanceOut(BaseModel):
    available: Shown


class CollateralOut(BaseModel):
    """The sponsor's collateral in a program (the budgets reserved in its markets' pools
    aside): ``free`` of it may be withdrawn now (all of it once the program is settled); the
    rest may still pay a market's worst case."""

    held: Shown
    free: Shown
    withdrawn: Shown = Field(description="What has left the program so far.")


class ResolveIn(Strict):
    outcome: Outcome
    evidence: str = Field(min_length=1, max_length=4000)


class EvidenceIn(Strict):
    evidence: str = Field(min_length=1, max_length=4000)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_offset: int | None
