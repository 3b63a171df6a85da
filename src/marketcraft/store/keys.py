"""The service's keys, kept under ``DATA_DIR/keys/``, readable only by their owner, created on
first use.

* ``log-signing.key``: the platform's Ed25519 signing key (checkpoints, receipts, transcripts),
  a 32-byte hex seed. Losing it does not lose data, but receipts signed with it can then only
  be checked against its public key, so back it up with the database.
* ``session.key``: the secret that signs the pages' session and CSRF cookies, 32 random bytes
  in hex. Losing or replacing it signs everyone out of the pages, nothing more.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.signing import Signer

__all__ = ["load_or_create_secret", "load_or_create_signer"]


def load_or_create_signer(data_dir: Path) -> Signer:
    path = data_dir / "keys" / "log-signing.key"
    if path.exists():
        try:
            return Signer(bytes.fromhex(path.read_text().strip()))
        except ValueError:
            raise ValidationError("bad_key", f"{path} does not hold a 32-byte hex seed") from None
    signer = Signer.generate()
    _create(path, signer.seed.hex())
    return signer


def load_or_create_secret(data_dir: Path, name: str = "session") -> bytes:
    """The 32-byte secret in ``DATA_DIR/keys/NAME.key``, made (0600) if there is none."""
    path = data_dir / "keys" / f"{name}.key"
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process made it first: read theirs
            _create(path, secrets.token_hex(32))
    try:
        secret = bytes.fromhex(path.read_text().strip())
    except ValueError:
        secret = b""
    if len(secret) < 32:
        raise ValidationError("bad_key", f"{path} does not hold a 32-byte hex secret")
    return secret


def _create(path: Path, text: str) -> None:
    """Write ``text`` to a new file only its owner may read; FileExistsError if there is one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
