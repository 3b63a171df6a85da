"""Demo data for ``make run``: one user per role, and each mechanism's demo content: two
opportunity programs (one trading blind now, one from last season, settled), a pegged-token
market with a day of history, and (when the demo is running: ``repo``) a repo session on the
demo's proof setup.

Loading is idempotent: what exists is kept. Demo tokens are written once, to a file readable
only by its owner, because a token cannot be recovered from its stored hash.
"""

from __future__ import annotations

import os
from pathlib import Path

from marketcraft.demo.opportunity import load_programs
from marketcraft.demo.peg import load_peg_market
from marketcraft.demo.repo import load_repo_session
from marketcraft.kernel.clock import Clock
from marketcraft.kernel.signing import Signer
from marketcraft.opportunity.journal import DEFAULT_ORIGIN_PREFIX
from marketcraft.roles import Role
from marketcraft.store.database import Database
from marketcraft.store.tokens import issue_token

__all__ = ["DEMO_USERS", "load_demo"]

DEMO_USERS: list[tuple[str, Role]] = [
    ("demo-admin", Role.ADMIN),
    ("demo-sponsor", Role.SPONSOR),
    ("demo-scout", Role.SCOUT),
    ("demo-scout-2", Role.SCOUT),
    ("demo-auditor", Role.AUDITOR),
    ("demo-dealer-mm", Role.DEALER),
    ("demo-dealer-rm", Role.DEALER),
    ("demo-analyst", Role.ANALYST),
    ("demo-trader", Role.TRADER),
]


def load_demo(
    db: Database,
    tokens_file: Path,
    clock: Clock,
    signer: Signer | None = None,
    origin_prefix: str = DEFAULT_ORIGIN_PREFIX,
    *,
    repo: tuple[Path, Path | None] | None = None,
) -> bool:
    """Create missing demo users (appending their tokens to ``tokens_file``) and, if there is
    no program yet, the demo opportunity programs; with ``repo`` (the contract's key file and
    the proof cache, given only when the demo is running), the demo repo session; True if
    anything was created."""
    lines: list[str] = []
    for name, role in DEMO_USERS:
        if db.principals.get(name) is None:
            _, token = issue_token(db.principals, name, role, clock.now())
            lines.append(f"{name}\t{role.value}\t{token}\n")
    if lines:
        tokens_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tokens_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            if f.tell() == 0:
                f.write(
                    "# name\trole\ttoken  (demo only; use with Authorization: Bearer <token>)\n"
                )
            f.writelines(lines)
    created_program = signer is not None and load_programs(db, signer, clock.now(), origin_prefix)
    created_peg = load_peg_market(db, clock)
    created_repo = repo is not None and load_repo_session(db, clock, *repo)
    return bool(lines) or created_program or created_peg or created_repo
