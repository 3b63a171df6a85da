"""Signed checkpoints of an append-only log, as C2SP ``tlog-checkpoint`` bodies
(https://c2sp.org/tlog-checkpoint) in C2SP signed notes (:mod:`marketcraft.kernel.signed_note`),
so generic transparency-log tools can read them::

    <origin>                  the log's identity, also the signing key's name
    <tree size>               decimal
    <root hash>               base64 of the RFC 6962 Merkle root at that size
    time <instant>            one extension line: when the log signed it (UTC)

    — <origin> base64(key ID || Ed25519 signature)

A consistency proof between two checkpoints of the same log shows that the later one extends
the earlier (RFC 6962); a monitor that keeps the last checkpoint it saw and checks a proof to
each new one detects a fork. Pure functions of text, bytes and keys.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from marketcraft.kernel.clock import require_utc
from marketcraft.kernel.errors import MarketcraftError, ValidationError
from marketcraft.kernel.merkle import verify_consistency
from marketcraft.kernel.messages import from_plain, to_plain
from marketcraft.kernel.signed_note import NoteKey, open_note, sign_note, split_note
from marketcraft.kernel.signing import Signer

__all__ = [
    "Checkpoint",
    "SignedCheckpoint",
    "checkpoint_text",
    "open_checkpoint",
    "parse_checkpoint",
    "parse_checkpoint_body",
    "sign_checkpoint",
    "verify_checkpoint",
    "verify_checkpoints_consistent",
]

_TIME = "time "


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The state of the log named ``origin`` at ``tree_size`` entries, as of ``timestamp``."""

    origin: str
    tree_size: int
    root_hash: bytes
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """A checkpoint and the signed note that carries it (``note`` is empty for a checkpoint
    stored before checkpoints were notes: it is compared with the log, but not re-checked)."""

    checkpoint: Checkpoint
    note: str


def checkpoint_text(checkpoint: Checkpoint) -> str:
    """The note text of ``checkpoint`` (what its signature covers)."""
    root = base64.b64encode(checkpoint.root_hash).decode()
    when = to_plain(require_utc(checkpoint.timestamp))
    return f"{checkpoint.origin}\n{checkpoint.tree_size}\n{root}\n{_TIME}{when}\n"


def _bad(reason: str) -> ValidationError:
    return ValidationError("bad_checkpoint", reason)


def parse_checkpoint_body(text: str) -> tuple[str, int, bytes, list[str]]:
    """Any C2SP checkpoint body: (origin, tree size, root hash, extension lines);
    ValidationError if ``text`` is not one."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or not all(lines[:-1]):
        raise _bad("a checkpoint is origin, size, root and extension lines, each non-empty")
    origin, size, root, *extensions = lines[:-1]
    if not size.isascii() or not size.isdigit() or (size != "0" and size.startswith("0")):
        raise _bad("a checkpoint's size is a decimal with no leading zeros")
    try:
        root_hash = base64.b64decode(root, validate=True)
    except ValueError:  # binascii.Error, or non-ASCII text
        raise _bad("a checkpoint's root is base64") from None
    return origin, int(size), root_hash, extensions


def parse_checkpoint(text: str) -> Checkpoint:
    """Inverse of :func:`checkpoint_text`; ValidationError if ``text`` is not a checkpoint body
    with a 32-byte root and one time line."""
    origin, size, root_hash, extensions = parse_checkpoint_body(text)
    times = [line.removeprefix(_TIME) for line in extensions if line.startswith(_TIME)]
    if len(root_hash) != 32 or len(times) != 1:
        raise _bad("a checkpoint has a 32-byte root and one time line")
    try:
        timestamp = from_plain(datetime, times[0])
    except (MarketcraftError, ValueError, TypeError):
        raise _bad("a checkpoint's time is a UTC instant") from None
    return Checkpoint(origin, size, root_hash, timestamp)


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> SignedCheckpoint:
    """``checkpoint`` signed by ``signer``, under the log's origin as the key name."""
    return SignedCheckpoint(
        checkpoint, sign_note(checkpoint_text(checkpoint), checkpoint.origin, signer)
    )


def open_checkpoint(note: str, public_key: bytes) -> SignedCheckpoint:
    """The checkpoint in ``note`` if the log's key (``public_key``, named by the note's
    origin) signed it; ValidationError if not."""
    text, _ = split_note(note)
    checkpoint = parse_checkpoint(text)
    open_note(note, NoteKey(checkpoint.origin, public_key))
    return SignedCheckpoint(checkpoint, note)


def verify_checkpoint(signed: SignedCheckpoint, public_key: bytes) -> bool:
    """True iff ``signed``'s note is signed by ``public_key`` and holds its checkpoint."""
    try:
        return open_checkpoint(signed.note, public_key).checkpoint == signed.checkpoint
    except ValidationError:
        return False


def verify_checkpoints_consistent(old: Checkpoint, new: Checkpoint, proof: Sequence[bytes]) -> bool:
    """True iff ``new`` extends ``old`` (same log, not older, Merkle consistency proof holds)."""
    return (
        old.origin == new.origin
        and old.timestamp <= new.timestamp
        and verify_consistency(old.tree_size, new.tree_size, old.root_hash, new.root_hash, proof)
    )
