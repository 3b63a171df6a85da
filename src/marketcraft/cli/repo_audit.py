"""`marketcraft repo verify --session URL`: an auditor's own check of a session's settlement.
Downloads the published settlement, the commitments the dealers posted and the setup's circuit
key and phase-1 file, and keeps the setup here once its whole ceremony verifies on this machine
(against the circuit compiled from this package's sources): nothing of the service's own
verdict is taken on trust."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marketcraft.cli.session_client import SessionClient
from marketcraft.kernel.errors import MarketcraftError, ValidationError
from marketcraft.repo.poseidon import field_element
from marketcraft.repo.zk import ceremony
from marketcraft.repo.zk.ceremony import Setup

__all__ = ["Fetched", "fetch_session", "posted_of"]


@dataclass(frozen=True)
class Fetched:
    settlement: dict[str, Any]
    posted: tuple[int, int]  # (MM, RM), as the service shows them posted
    setup: Setup  # in the local cache, its ceremony verified here


def posted_of(download: dict[str, Any]) -> tuple[int, int]:
    """The (MM, RM) commitments an auditor's download from the service shows posted."""
    shown = download.get("posted")
    if not isinstance(shown, dict):
        raise ValidationError("bad_commitment", "the download shows no posted commitments")
    return (
        field_element(str(shown.get("mm")), "posted.mm", "bad_commitment"),
        field_element(str(shown.get("rm")), "posted.rm", "bad_commitment"),
    )


def fetch_session(session_url: str, token: str, *, allow_demo: bool = False) -> Fetched:
    """The session's published settlement and its setup, fetched and checked here."""
    client = SessionClient(session_url, token)
    published = client.json("/settlement")
    try:
        settlement = published["settlement"]
        setup_id = str(settlement["setup"])
        k = len(settlement["grid"])
        posted = posted_of(published)
        names = [str(n) for n in client.json("/ceremony")["participants"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError("bad_settlement", f"the service's settlement: {exc}") from None
    try:  # fetched before: its files are checked again below, when it is used
        return Fetched(settlement, posted, ceremony.load_setup(setup_id, allow_demo=allow_demo))
    except MarketcraftError:
        pass
    with tempfile.TemporaryDirectory(prefix="marketcraft-audit-") as tmp:
        zkey = client.download("/ceremony/zkey", Path(tmp) / "circuit.zkey")
        ptau = client.download("/ceremony/ptau", Path(tmp) / "pot_final.ptau")
        setup = ceremony.adopt_setup(zkey, ptau, k, names, allow_demo=allow_demo)
    if setup.id != setup_id:
        raise ValidationError(
            "bad_setup",
            f"the session's setup ({setup.id[:12]}) is not the one its settlement names "
            f"({setup_id[:12]})",
        )
    return Fetched(settlement, posted, setup)
