"""`marketcraft repo contribute --session URL`: a dealer's contribution to a session's setup,
made on the dealer's own machine. Downloads the session's current circuit key, adds one
phase-2 contribution named as the dealer's user (fresh randomness, handed to snarkjs on its
standard input and forgotten), uploads the result, and checks that the service's ceremony now
lists that contribution's hash under the dealer's name."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from marketcraft.cli.session_client import SessionClient
from marketcraft.kernel.errors import ValidationError
from marketcraft.repo.zk.ceremony import contribute_zkey

__all__ = ["contribute_to_session"]


def contribute_to_session(session_url: str, token: str) -> str:
    """Contribute to the session at ``session_url`` as the user ``token`` belongs to; the
    contribution's hash (hex), once the service has verified and listed it."""
    client = SessionClient(session_url, token)
    me = client.json("/me", root=True)["name"]
    state = client.json("/ceremony")
    mine = client.json().get("side")
    if state["awaiting"] != mine:
        waiting = state["awaiting"]
        raise ValidationError(
            "not_your_turn",
            "the session awaits no contribution" if waiting is None
            else f"the session awaits the {waiting.upper()} dealer's contribution first",
        )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="marketcraft-contribute-") as tmp:
        current = client.download("/ceremony/zkey", Path(tmp) / "current.zkey")
        mine_key = Path(tmp) / "mine.zkey"
        made = contribute_zkey(current, mine_key, me)
        after = json.loads(client.request("/ceremony/contributions", mine_key.read_bytes()))
    listed = [c for c in after["contributions"] if c["phase"] == 2 and c["hash"] == made]
    if not listed or listed[0]["name"] != me:
        raise ValidationError(
            "not_listed", f"the service's ceremony does not list contribution {made} by {me}"
        )
    return made
