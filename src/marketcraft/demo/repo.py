"""The demo repo session: the demo's two dealers on the demo setup's 4-point grid, taking
commitments for 20 minutes after loading, so ``make run`` shows the whole path (contribute,
commit, open, settle, audit) with no setup to wait for. Loaded only when the demo is running:
the demo setup is refused everywhere else (:mod:`marketcraft.repo.zk.demo`)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from marketcraft.app.repo_sessions import RepoSessions
from marketcraft.kernel.clock import Clock
from marketcraft.repo.zk.demo import DEMO_GRID, DEMO_SETUP_ID, install_demo_setup
from marketcraft.store.database import Database

__all__ = ["DEMO_SESSION", "load_repo_session"]

DEMO_SESSION = "demo-week"
#: how long the demo session takes commitments (its dealers contribute and commit meanwhile)
DEMO_WINDOW = timedelta(minutes=20)


def load_repo_session(db: Database, clock: Clock, key_file: Path, cache: Path | None) -> bool:
    """Install the demo setup in ``cache`` and open the demo session (if it is not there)."""
    install_demo_setup(cache)
    sessions = RepoSessions(db.events, key_file, cache, demo=True)
    if DEMO_SESSION in sessions.names():
        return False
    now = clock.now()
    sessions.open(
        DEMO_SESSION, volumes=list(DEMO_GRID), deadline=now + DEMO_WINDOW,
        mm="demo-dealer-mm", rm="demo-dealer-rm", setup_id=DEMO_SETUP_ID, now=now,
    )  # fmt: skip
    return True
