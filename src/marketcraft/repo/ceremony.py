"""Temporary: the names ``service/repo_sessions.py`` imports from here, until that module (being
moved to ``app/``) imports them from :mod:`marketcraft.repo.zk.ceremony`. Delete then."""

from marketcraft.repo.zk.ceremony import Setup, load_setup, setup_for

__all__ = ["Setup", "load_setup", "setup_for"]
