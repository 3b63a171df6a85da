"""Request and response bodies of the opportunity-markets API.

Money and prices travel as decimal strings (numbers are accepted on input); they are never
floats on the way in or out. Every number on the way in is read through one of the bounded
types of :mod:`marketcraft.number_types` (the pages read their forms through the same ones).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)
from pydantic.config import JsonDict

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
    """A program's terms, fixed when it opens (the engine's defaults for what is left out)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "market_budget": "1000",
                    "window_seconds": 86400,
                    "fee_rate": "0.01",
                    "reveal_policy": "per_trader",
                }
            ]
        }
    )

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
    """A program to open: its title, the sponsor's collateral deposit and its terms."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Label X scouting",
                    "deposit": "100000",
                    "terms": {"market_budget": "1000", "window_seconds": 86400},
                }
            ]
        }
    )

    title: str = Field(min_length=1, max_length=200)
    deposit: Amount
    terms: TermsIn


#: a program's terms as the API shows them (the example of TermsOut and of ProgramOut's terms)
_TERMS_EXAMPLE: JsonDict = {
    "market_budget": "1000", "pa": "0.05", "pb": "0.95", "amm": "lmsr",
    "window_seconds": 86400, "fee_rate": "0.01", "fee_policy": "to_sponsor",
    "reveal_policy": "per_trader", "collateral": "full", "first_n": 0,
    "reveal_threshold": "0", "creation_bond": "25", "approval_required": False,
    "late_reveal_seconds": 0,
}  # fmt: skip


class TermsOut(BaseModel):
    """A program's terms as they were fixed: read back as stored, never judged again by the
    bounds on what may be sent today (a program opened before a bound still reads)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_TERMS_EXAMPLE]})

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
    """A program as its participants see it: its terms and whether it is settled or closed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "program_id": "p-3f9a1c2b7d4e5f60",
                    "title": "Label X scouting",
                    "sponsor": "label",
                    "terms": _TERMS_EXAMPLE,
                    "settled": False,
                    "closed": False,
                }
            ]
        }
    )

    program_id: str
    title: str
    sponsor: str
    terms: TermsOut
    settled: bool
    closed: bool = Field(description="Settled and emptied: every command is refused.")


class MarketIn(Strict):
    """A market to list in a program: its question and its resolution rules."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Will Label X sign artist Y by June?",
                    "rules": "Resolves yes on a signed contract.",
                }
            ]
        }
    )

    title: str = Field(min_length=1, max_length=200)
    rules: str = Field("", max_length=4000)


class MarketOut(BaseModel):
    """What everyone may see of a market: never its price while it is unrevealed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "market_id": "m-5b2c9e1f0a3d",
                    "title": "Will Label X sign artist Y by June?",
                    "rules": "Resolves yes on a signed contract.",
                    "status": "open",
                    "opens_at": "2026-01-01T00:00:00Z",
                    "closes_at": "2026-01-02T00:00:00Z",
                }
            ]
        }
    )

    market_id: str
    title: str
    rules: str
    status: str
    opens_at: datetime | None
    closes_at: datetime | None


class SponsorMarketOut(MarketOut):
    """A market on its sponsor's dashboard: with its live price, volume and traders."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "market_id": "m-5b2c9e1f0a3d",
                    "title": "Will Label X sign artist Y by June?",
                    "rules": "",
                    "status": "open",
                    "opens_at": "2026-01-01T00:00:00Z",
                    "closes_at": "2026-01-02T00:00:00Z",
                    "price": "0.540000",
                    "volume": "120.00",
                    "traders": 3,
                    "yes_outstanding": "210.5",
                }
            ]
        }
    )

    price: Shown
    volume: Shown
    traders: int
    yes_outstanding: Shown


class CashIn(Strict):
    """An amount of cash, in the program's currency (a decimal string)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"amount": "100"}]})

    amount: Positive


class OrderIn(Strict):
    """A blind order: BUY spends up to ``max_spend``, SELL sells up to ``max_shares``; never past
    ``limit_price``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "market_id": "m-5b2c9e1f0a3d",
                    "side": "buy",
                    "token": "yes",
                    "max_spend": "20",
                    "limit_price": "0.7",
                }
            ]
        }
    )

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

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "market_id": "m-5b2c9e1f0a3d",
                    "token": "yes",
                    "side": "sell",
                    "trigger_price": "0.8",
                    "max_shares": "10",
                }
            ]
        }
    )

    market_id: Id
    token: Token = Token.YES
    side: Side = Side.SELL
    trigger_price: Probability
    max_shares: Positive


RECEIPT_EXAMPLE: dict[str, Any] = {
    "origin": "marketcraft.example/p-3f9a1c2b7d4e5f60",
    "order_id": "o-9c1e6f0b2a7d4e3f8a5b6c7d",
    "scout": "early",
    "accepted_at": "2026-01-01T00:01:00.000000Z",
    "order_hash": "5f1d0c2a9b8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a392817060f1e",
    "leaf_hash": "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
    "commitment": "9f8e7d6c5b4a39281706f5e4d3c2b1a00f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "merge_by": "2026-01-01T00:02:00.000000Z",
    "key_id": "3b6a27bc",
    "signature": "c0ffee" + "00" * 61,
    "batch_index": 3,
    "batch_path": ["0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"],
}


class SignedReceipt(BaseModel):
    """The signed receipt exactly as ``verify`` reads it (hex bytes, times as signed). Receipts
    signed in a batch carry their slot and Merkle path; one signed alone has neither (the
    routes answer with the fields set, so it is sent as it was signed)."""

    model_config = ConfigDict(json_schema_extra={"examples": [RECEIPT_EXAMPLE]})

    origin: str
    order_id: str
    scout: str
    accepted_at: str = Field(description="When the order was accepted (RFC 3339, UTC).")
    order_hash: str
    leaf_hash: str
    commitment: str
    merge_by: str = Field(description="A checkpoint will cover the order by then.")
    key_id: str
    signature: str
    batch_index: int = Field(0, description="The receipt's slot in its batch (signed in one).")
    batch_path: list[str] = Field(
        default_factory=list, description="The batch tree's path, hex (signed in one)."
    )


class SentOrder(BaseModel):
    """The order as its receipt's ``order_hash`` covers it: its type and what the scout sent,
    with the id the platform gave it (never the salt)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "opportunity.place_order",
                    "data": {"order_id": "o-9c1e6f0b2a7d4e3f8a5b6c7d",
                             "market_id": "m-5b2c9e1f0a3d", "side": "buy", "max_spend": "20",
                             "max_shares": None, "limit_price": None, "token": "yes"},
                }
            ]
        }
    )  # fmt: skip

    type: str = Field(description="`opportunity.place_order` or `opportunity.place_close_order`.")
    data: dict[str, Any] = Field(description="The order's fields, as placed.")


class ReceiptOut(BaseModel):
    """A signed promise, after Certificate Transparency's signed certificate timestamp: the
    order was accepted as sent (``order_hash``), its log entry is ``leaf_hash``, its fill is
    sealed in ``commitment``, and a signed checkpoint will cover it by ``merge_by``. The same
    fields, the same shape, whatever the fill; no log position."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **{k: RECEIPT_EXAMPLE[k] for k in ("order_id", "origin", "order_hash",
                                                       "leaf_hash", "commitment", "key_id",
                                                       "signature")},
                    "accepted_at": "2026-01-01T00:01:00Z",
                    "merge_by": "2026-01-01T00:02:00Z",
                    "order": SentOrder.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
                    "receipt": RECEIPT_EXAMPLE,
                }
            ]
        }
    )  # fmt: skip

    order_id: str
    origin: str = Field(description="The log's origin: its checkpoints' first line.")
    accepted_at: datetime
    merge_by: datetime
    order_hash: str
    leaf_hash: str
    commitment: str
    key_id: str
    signature: str
    order: SentOrder = Field(
        description="The order as `order_hash` covers it (what you sent, with its id; no salt)."
    )
    receipt: SignedReceipt = Field(
        description="The signed receipt, for `verify`: the fields above are a copy for reading, "
        "and only this object is signed."
    )


class TranscriptRecord(BaseModel):
    """One entry of a program's log: a command and the events it made (canonical JSON text)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"command": '{"actor":"early","at":"2026-01-01T00:01:00.000000Z",...}',
                 "events": '[{"type":"opportunity.cash_deposited",...}]'}
            ]
        }
    )  # fmt: skip

    command: str
    events: str


class TranscriptOut(BaseModel):
    """A settled program's whole log, for `marketcraft opportunity verify`: every record, the
    published checkpoints (signed notes) and a final one over every record."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "format": "marketcraft/opportunity-transcript/2",
                    "engine_version": "0.2.0",
                    "origin": "marketcraft.example/p-3f9a1c2b7d4e5f60",
                    "public_key": RECEIPT_EXAMPLE["order_hash"],
                    "records": [TranscriptRecord.model_config["json_schema_extra"]["examples"][0]],  # type: ignore[index]
                    "checkpoints": ["marketcraft.example/p-3f9a1c2b7d4e5f60\n12\n...\n"],
                }
            ]
        }
    )

    format: str
    engine_version: str
    origin: str
    public_key: str = Field(description="The platform's Ed25519 public key, hex.")
    records: list[TranscriptRecord]
    checkpoints: list[str] = Field(description="Signed notes (c2sp.org/tlog-checkpoint).")


class CheckpointOut(BaseModel):
    """A signed checkpoint of a program's log: a C2SP tlog-checkpoint in a signed note."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "tree_size": 12,
                    "root_hash": "q1o0XbY5Vq8mUjR9s3H4tZxWJbqH8rO0r0l2Vd1c1nA=",
                    "timestamp": "2026-01-01T00:05:00Z",
                    "note": "marketcraft.example/p-3f9a1c2b7d4e5f60\n12\n"
                    "q1o0XbY5Vq8mUjR9s3H4tZxWJbqH8rO0r0l2Vd1c1nA=\n\n"
                    "— marketcraft.example/p-3f9a1c2b7d4e5f60 AbCd1234...\n",
                }
            ]
        }
    )

    tree_size: int
    root_hash: str = Field(description="Base64, as in the note.")
    timestamp: datetime
    note: str = Field(description="The signed note (c2sp.org/tlog-checkpoint).")


class LogOut(BaseModel):
    """What a verifier or a monitor pins: the log's name and the platform's key."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "origin": "marketcraft.example/p-3f9a1c2b7d4e5f60",
                    "public_key": "3b6a27bcceb6a42d62a3a8d02a6f0d73"
                    "653215771de243a63ac048a18b59da29",
                    "verifier_key": "marketcraft.example/p-3f9a1c2b7d4e5f60+1a2b3c4d+AbCd...",
                    "max_merge_delay_seconds": 60.0,
                }
            ]
        }
    )

    origin: str
    public_key: str = Field(description="The platform's Ed25519 public key, hex.")
    verifier_key: str = Field(description="The signed-note verifier key of this log.")
    max_merge_delay_seconds: float


class ConsistencyOut(BaseModel):
    """An RFC 6962 proof that the log of size ``second`` extends the one of size ``first``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "first": 10,
                    "second": 20,
                    "proof": ["q1o0XbY5Vq8mUjR9s3H4tZxWJbqH8rO0r0l2Vd1c1nA="],
                }
            ]
        }
    )

    first: int
    second: int
    proof: list[str] = Field(description="RFC 6962 consistency proof, base64 hashes.")


class InclusionOut(BaseModel):
    """Where a receipt's entry is in the log, against the first checkpoint that covers it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "leaf_index": 7,
                    "tree_size": 12,
                    "proof": ["q1o0XbY5Vq8mUjR9s3H4tZxWJbqH8rO0r0l2Vd1c1nA="],
                    "checkpoint": "marketcraft.example/p-3f9a1c2b7d4e5f60\n12\n...\n",
                }
            ]
        }
    )

    leaf_index: int
    tree_size: int
    proof: list[str] = Field(description="RFC 6962 inclusion proof, base64 hashes.")
    checkpoint: str = Field(description="The signed note of the checkpoint.")


class FillOut(BaseModel):
    """What an order got: shares, the cash it cost (or brought), the fee, and whether a bound
    clipped it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"shares": "35.2", "cash": "20.00", "fee": "0.20", "clipped": False}]
        }
    )

    shares: Shown
    cash: Shown
    fee: Shown
    clipped: bool


class OrderOut(BaseModel):
    """One of your orders: its escrow while the market is unrevealed, its fill after."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "order_id": "o-9c1e6f0b2a7d4e3f8a5b6c7d",
                    "market_id": "m-5b2c9e1f0a3d",
                    "side": "buy",
                    "token": "yes",
                    "escrow": "20.00",
                    "revealed": False,
                    "fill": None,
                    "placed_at": "2027-03-01T12:00:00Z",
                }
            ]
        }
    )

    order_id: str
    market_id: str
    side: Side
    token: Token
    escrow: Shown
    revealed: bool
    fill: FillOut | None
    placed_at: datetime = Field(description="When the program accepted the order (UTC)")


class MarketResultsOut(BaseModel):
    """What everyone in the program may see of a market after its reveal, under the program's
    reveal policy: the same fields whatever the orders were; ``complete`` is False while the
    policy holds something back until ``late_reveal_at``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "market_id": "m-5b2c9e1f0a3d",
                    "title": "Will Label X sign artist Y by June?",
                    "revealed": True,
                    "final_price": "0.610000",
                    "fills": [{"shares": "35.2", "cash": "20.00", "fee": "0.20", "clipped": False}],
                    "aggregated_count": 0,
                    "aggregated_size": "0.00",
                    "complete": True,
                    "late_reveal_at": None,
                }
            ]
        }
    )

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
    """A scout's cash in a program that is free to order or withdraw (escrows aside)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"available": "475.00"}]})

    available: Shown


class CollateralOut(BaseModel):
    """The sponsor's collateral in a program (the budgets reserved in its markets' pools
    aside): ``free`` of it may be withdrawn now (all of it once the program is settled); the
    rest may still pay a market's worst case."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"held": "99000.00", "free": "1000.00", "withdrawn": "0.00"}]
        }
    )

    held: Shown
    free: Shown
    withdrawn: Shown = Field(description="What has left the program so far.")


class ResolveIn(Strict):
    """How a market resolved, and the evidence for it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"outcome": "yes", "evidence": "Contract signed 2026-03-02."}]
        }
    )

    outcome: Outcome
    evidence: str = Field(min_length=1, max_length=4000)


class EvidenceIn(Strict):
    """Evidence for a sponsor's decision (a rejection, acting on a market)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"evidence": "Acted on it: signed the artist."}]}
    )

    evidence: str = Field(min_length=1, max_length=4000)


T = TypeVar("T")


def _page_example(schema: dict[str, Any], cls: type[BaseModel]) -> None:
    """A page's example: one item of its kind (the item model's own example)."""
    item = cls.model_fields["items"].annotation
    args = getattr(item, "__args__", ())
    while args and getattr(args[0], "__args__", ()):  # list[A | B]: A's
        args = args[0].__args__
    extra = getattr(args[0], "model_config", {}).get("json_schema_extra") if args else None
    examples = extra.get("examples") if isinstance(extra, dict) else None
    if examples:
        schema["examples"] = [{"items": examples[:1], "next_offset": 50}]
    schema["description"] = (
        "One page of a list: ask again with `offset=next_offset` for the next (null: the last)."
    )


#: the page parameters every list takes: ``?offset=0&limit=50``
Offset = Annotated[int, Query(ge=0, le=10**9, description="How many items to skip.")]
Limit = Annotated[int, Query(ge=1, le=500, description="At most this many items (1..500).")]


def page_of(items: list[Any], offset: int, limit: int) -> dict[str, Any]:
    """One page of ``items`` (a :class:`Page`)."""
    chunk = items[offset : offset + limit]
    return {"items": chunk, "next_offset": offset + limit if offset + limit < len(items) else None}


class Page(BaseModel, Generic[T]):
    """One page of a list: ask again with ``offset=next_offset`` for the next (null: the
    last)."""

    model_config = ConfigDict(json_schema_extra=_page_example)

    items: list[T]

    @classmethod
    def model_parametrized_name(cls, params: tuple[Any, ...]) -> str:
        """``ProgramOutPage``: a page's schema is named after its items."""
        (item,) = params
        names = [getattr(a, "__name__", str(a)) for a in getattr(item, "__args__", (item,))]
        return "Or".join(names) + "Page"

    next_offset: int | None = Field(description="The offset of the next page; null on the last.")
