"""The ``--database-url`` option the commands share, the settings it overrides, and the store it
names, opened for one command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from marketcraft.config import Settings

if TYPE_CHECKING:
    from marketcraft.store.database import Database

__all__ = ["DatabaseUrl", "open_database", "settings_with"]

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="Overrides MARKETCRAFT_DATABASE_URL.", show_default=False),
]


def settings_with(database_url: str | None = None) -> Settings:
    """The settings, with ``database_url`` (when given) instead of the configured one."""
    settings = Settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    return settings


@contextmanager
def open_database(url: str) -> Iterator[Database]:
    """The store at ``url``, closed when the block ends (a schema older than this version's
    raises at once, naming the fix)."""
    from marketcraft.store.database import Database  # noqa: PLC0415 (slow start: SQLAlchemy)

    db = Database.open(url)
    try:
        yield db
    finally:
        db.close()
