"""A program's log as a transparency log: signed checkpoints and consistency proofs for anyone
(no credentials: a monitor needs none), receipts and inclusion proofs for their scout.

A checkpoint says how many commands the program's log holds, its root and when; nothing of
their contents. Consistency proofs are served only between published checkpoint sizes, so
they tell nothing finer about the program's activity than the checkpoints do.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from marketcraft.app.programs import ProgramRepository
from marketcraft.kernel.checkpoints import SignedCheckpoint
from marketcraft.kernel.errors import NotFound
from marketcraft.kernel.limits import MAX_LOG_SIZE
from marketcraft.kernel.signed_note import NoteKey, verifier_key
from marketcraft.opportunity.journal import parse_command_record
from marketcraft.opportunity.receipts import order_plain
from marketcraft.service import access
from marketcraft.service.opportunity_models import (
    CheckpointOut,
    ConsistencyOut,
    InclusionOut,
    Limit,
    LogOut,
    Offset,
    Page,
    ReceiptOut,
)
from marketcraft.service.routers.opportunity import Scout, receipt_out

router = APIRouter(prefix="/programs", tags=["opportunity transparency log"])

Size = Annotated[int, Query(ge=0, le=MAX_LOG_SIZE)]


def _repo(request: Request) -> ProgramRepository:
    repo: ProgramRepository = request.app.state.programs
    return repo


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _checkpoint_out(signed: SignedCheckpoint) -> CheckpointOut:
    cp = signed.checkpoint
    return CheckpointOut(
        tree_size=cp.tree_size, root_hash=_b64(cp.root_hash), timestamp=cp.timestamp,
        note=signed.note,
    )  # fmt: skip


def _signed(repo: ProgramRepository, program_id: str) -> list[SignedCheckpoint]:
    repo.journal(program_id)  # NotFound for a missing program, as every route answers
    return [c for c in repo.checkpoints(program_id) if c.note]


@router.get(
    "/{program_id}/log",
    response_model=LogOut,
    summary="The log's origin and the platform's key, to pin in verify and monitor",
)
def get_log(program_id: str, request: Request) -> LogOut:
    """The log's origin, the platform's public key and its signed-note verifier key: what a
    verifier or monitor pins. Public."""
    repo = _repo(request)
    origin = repo.journal(program_id).origin
    return LogOut(
        origin=origin, public_key=repo.signer.public_key.hex(),
        verifier_key=verifier_key(NoteKey(origin, repo.signer.public_key)),
        max_merge_delay_seconds=repo.merge_delay.total_seconds(),
    )  # fmt: skip


@router.get(
    "/{program_id}/checkpoint",
    response_class=PlainTextResponse,
    responses={
        200: {
            "content": {
                "text/plain": {
                    "schema": {"type": "string"},
                    "example": "marketcraft.example/p-3f9a1c2b7d4e5f60\n12\n"
                    "q1o0XbY5Vq8mUjR9s3H4tZxWJbqH8rO0r0l2Vd1c1nA=\n\n"
                    "— marketcraft.example/p-3f9a1c2b7d4e5f60 AbCd1234...\n",
                }
            }
        }
    },
    summary="The latest signed checkpoint (a C2SP tlog-checkpoint note); no credentials",
)
def get_latest_checkpoint(program_id: str, request: Request) -> PlainTextResponse:
    """The newest signed checkpoint, as a signed note (text). Public."""
    published = _signed(_repo(request), program_id)
    if not published:
        raise NotFound("no_checkpoint", "no checkpoint is published yet")
    return PlainTextResponse(published[-1].note, media_type="text/plain; charset=utf-8")


@router.get(
    "/{program_id}/checkpoints",
    response_model=Page[CheckpointOut],
    summary="Every signed checkpoint, oldest first; no credentials",
)
def list_checkpoints(
    program_id: str, request: Request, offset: Offset = 0, limit: Limit = 100
) -> dict[str, Any]:
    """Every signed checkpoint of the program's log, oldest first, a page at a time. Public."""
    published = _signed(_repo(request), program_id)
    items = [_checkpoint_out(c) for c in published[offset : offset + limit]]
    more = offset + limit < len(published)
    return {"items": items, "next_offset": offset + limit if more else None}


@router.get(
    "/{program_id}/checkpoints/consistency",
    response_model=ConsistencyOut,
    summary="A proof that the checkpoint of size `second` extends the one of size `first`",
)
def get_consistency_proof(
    program_id: str, first: Size, second: Size, request: Request
) -> ConsistencyOut:
    """An RFC 6962 consistency proof between two published checkpoint sizes. Public."""
    proof = _repo(request).consistency(program_id, first, second)
    return ConsistencyOut(first=first, second=second, proof=[_b64(h) for h in proof])


@router.get(
    "/{program_id}/orders/{order_id}/receipt",
    response_model=ReceiptOut,
    response_model_exclude_unset=True,
    summary="One of your orders' signed receipt, re-issued (identical to the first)",
)
def get_receipt(program_id: str, order_id: str, request: Request, scout: Scout) -> ReceiptOut:
    """One of your orders' signed receipt again, identical to the first. Scouts only: another
    scout's order answers 404."""
    repo = _repo(request)
    access.own_order(repo.journal(program_id).state, scout, order_id)
    found = repo.receipt(program_id, order_id)
    if found is None:
        raise NotFound("no_order", "no such order among yours")
    receipt, record = found
    return receipt_out(receipt, order_plain(parse_command_record(record.command)[0]))


@router.get(
    "/{program_id}/orders/{order_id}/inclusion",
    response_model=InclusionOut,
    summary="The proof that your order's entry is in the first checkpoint that covers it",
)
def get_inclusion_proof(
    program_id: str, order_id: str, request: Request, scout: Scout
) -> InclusionOut:
    """The RFC 6962 proof that your order's log entry is in the first checkpoint that covers
    it (404 `not_merged` until one does). Scouts only."""
    repo = _repo(request)
    access.own_order(repo.journal(program_id).state, scout, order_id)
    found = repo.inclusion(program_id, order_id)
    if found is None:
        raise NotFound("not_merged", "no checkpoint covers this order yet: ask after merge_by")
    return InclusionOut(
        leaf_index=found.leaf_index, tree_size=found.checkpoint.checkpoint.tree_size,
        proof=[_b64(h) for h in found.proof], checkpoint=found.checkpoint.note,
    )  # fmt: skip
