"""Demo data for ``make run``: one user per role, and each mechanism's demo content.

Loading is idempotent: what exists is kept. Demo tokens are written once, to a file readable
only by its owner, because a token cannot be recovered from its stored hash.
"""

from __future__ import annotations

import os
from pathlib import Path

from marketcraft.kernel.clock import Clock
from marketcraft.service.auth import issue_token
from marketcraft.service.roles import Role
from marketcraft.store.database import Database

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
]


def load_demo(db: Database, tokens_file: Path, clock: Clock) -> bool:
    """Create missing demo users, appending their tokens to ``tokens_file``. True if anything
    was created."""
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
    return bool(lines)
