"""The platform's Ed25519 signing key (checkpoints, receipts, transcripts).

Kept as a 32-byte hex seed in ``DATA_DIR/keys/log-signing.key``, readable only by its owner,
created on first use. Losing it does not lose data, but receipts signed with it can then only be
checked against its public key, so back it up with the database.
"""

from __future__ import annotations

import os
from pathlib import Path

from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.signing import Signer

__all__ = ["load_or_create_signer"]


def load_or_create_signer(data_dir: Path) -> Signer:
    path = data_dir / "keys" / "log-signing.key"
    if path.exists():
        try:
            return Signer(bytes.fromhex(path.read_text().strip()))
        except ValueError:
            raise ValidationError("bad_key", f"{path} does not hold a 32-byte hex seed") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    signer = Signer.generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(signer.seed.hex() + "\n")
    return signer
