"""The ``marketcraft`` command. Each mechanism adds a sub-command group."""

from __future__ import annotations

import copy
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.main
from rich.console import Console
from rich.table import Table

from marketcraft.__about__ import __version__
from marketcraft.cli import deal as deal_cli
from marketcraft.cli import opportunity as opportunity_cli
from marketcraft.cli import peg as peg_cli
from marketcraft.cli import repo as repo_cli
from marketcraft.cli.database import DatabaseUrl, open_database, settings_with
from marketcraft.cli.number_options import whole_number
from marketcraft.kernel.clock import SystemClock
from marketcraft.kernel.errors import MarketcraftError
from marketcraft.kernel.limits import MAX_WORKERS
from marketcraft.roles import Role

app = typer.Typer(
    name="marketcraft",
    help="Run, simulate and audit market mechanisms.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Users and their API tokens.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(demo_app, name="demo")
app.add_typer(opportunity_cli.app, name="opportunity")
app.add_typer(peg_cli.app, name="peg")
app.add_typer(deal_cli.app, name="deal")
app.add_typer(repo_cli.app, name="repo")

out = Console()
err = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        out.print(f"marketcraft {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """marketcraft: opportunity markets, pegged tokens, market-maker deals, sealed repo trades."""


# -- serve ----------------------------------------------------------------------------------------
@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[
        int | None, typer.Option(parser=whole_number(0, 65535), help="Port (default 8000).")
    ] = None,
    workers: Annotated[
        int, typer.Option(parser=whole_number(1, MAX_WORKERS), help="Server processes.")
    ] = 1,
    database_url: DatabaseUrl = None,
) -> None:
    """Serve the HTTP API and pages."""
    import uvicorn  # noqa: PLC0415 (slow start)

    settings = settings_with(database_url)
    with open_database(settings.database_url):
        pass  # fail fast, with the fix, on a stale schema
    if database_url:  # the server processes read their settings from the environment
        os.environ["MARKETCRAFT_DATABASE_URL"] = database_url
    out.print(
        f"marketcraft {__version__} on http://{host or settings.host}:{port or settings.port} "
        f"({settings.database_url})"
    )
    uvicorn.run(
        "marketcraft.service.app:app_from_env",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level=settings.log_level,
        # uvicorn believes forwarded headers from 127.0.0.1 by default: any local caller could
        # then claim any address; only a configured proxy is believed
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
    )


# -- db -------------------------------------------------------------------------------------------
@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseUrl = None) -> None:
    """Create or migrate the schema to the newest version (safe to repeat)."""
    from marketcraft.store import connection, migrate  # noqa: PLC0415 (slow start: SQLAlchemy)

    url = settings_with(database_url).database_url
    if connection.backend_of(url) == "memory":
        out.print("memory:// needs no schema")
        return
    engine = connection.make_engine(url)
    try:
        migrate.upgrade(engine)
        out.print(f"schema at revision {migrate.current_revision(engine)}")
    finally:
        engine.dispose()


@db_app.command("current")
def db_current(database_url: DatabaseUrl = None) -> None:
    """Print the schema revision of the database and the newest one this version knows."""
    from marketcraft.store import connection, migrate  # noqa: PLC0415 (slow start: SQLAlchemy)

    engine = connection.make_engine(settings_with(database_url).database_url)
    try:
        revision = migrate.current_revision(engine)
        out.print(f"database: {revision or 'empty'}; newest: {migrate.head_revision()}")
    finally:
        engine.dispose()


# -- users ----------------------------------------------------------------------------------------
@users_app.command("create")
def users_create(
    role: Annotated[Role, typer.Option(help="The user's role.", case_sensitive=False)],
    name: Annotated[str, typer.Option(help="A unique name.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Create a user and print its API token. The token is shown only this once."""
    from marketcraft.store.tokens import issue_token  # noqa: PLC0415 (slow start: SQLAlchemy)

    with open_database(settings_with(database_url).database_url) as db:
        principal, token = issue_token(db.principals, name, role, SystemClock().now())
    err.print(f"created {principal.role} {principal.name!r}; this token is shown only once:")
    out.print(token, soft_wrap=True, highlight=False)


@users_app.command("list")
def users_list(database_url: DatabaseUrl = None) -> None:
    """List users (never their tokens)."""
    with open_database(settings_with(database_url).database_url) as db:
        table = Table("name", "role", "created", "active")
        for p in db.principals.list():
            table.add_row(p.name, p.role, p.created_at.isoformat(), "yes" if p.active else "no")
        out.print(table)


@users_app.command("revoke")
def users_revoke(name: str, database_url: DatabaseUrl = None) -> None:
    """Revoke a user's token at once."""
    with open_database(settings_with(database_url).database_url) as db:
        db.principals.revoke(name)
    out.print(f"revoked {name!r}")


# -- quarantine (opportunity programs, peg markets) -----------------------------------------------
QuarantinedName = Annotated[str, typer.Argument(help="The program's id or the market's name.")]


def _quarantine_app(kind: str, what: str) -> typer.Typer:
    """``marketcraft KIND quarantine list | release NAME``."""
    group = typer.Typer(
        help=f"Quarantined {what}s: stopped after a failed integrity check, their commands "
        "refused until released.",
        no_args_is_help=True,
    )

    @group.command("list")
    def quarantine_list(database_url: DatabaseUrl = None) -> None:
        """List the quarantined ones, with why and since when."""
        with open_database(settings_with(database_url).database_url) as db:
            entries = [e for e in db.quarantine.list() if e.kind == kind]
        table = Table(what, "since", "reason")
        for e in entries:
            table.add_row(e.name, e.since.isoformat(), e.reason)
        out.print(table)

    @group.command("release")
    def quarantine_release(name: QuarantinedName, database_url: DatabaseUrl = None) -> None:
        """Lift the quarantine (after fixing the cause): the next command builds the state from
        the store again, and quarantines it again if it still fails the check."""
        with open_database(settings_with(database_url).database_url) as db:
            db.quarantine.release(kind, name)
        out.print(f"released {what} {name!r}")

    return group


# the kinds are store.quarantine's OPPORTUNITY and PEG (spelled out: importing the store here
# would load SQLAlchemy for every command)
opportunity_cli.app.add_typer(_quarantine_app("opportunity", "program"), name="quarantine")
peg_cli.app.add_typer(_quarantine_app("peg", "peg market"), name="quarantine")


# -- demo -----------------------------------------------------------------------------------------
@demo_app.command("load")
def demo_load(
    database_url: DatabaseUrl = None,
    tokens_file: Annotated[
        Path | None,
        typer.Option(help="Where to write demo tokens (default DATA_DIR/demo-tokens.txt)."),
    ] = None,
) -> None:
    """Load demo users (and each mechanism's demo data). Safe to repeat: existing data is kept."""
    from marketcraft.demo import load_demo  # noqa: PLC0415 (slow start: SQLAlchemy)
    from marketcraft.store.keys import load_or_create_signer  # noqa: PLC0415 (slow start)

    settings = settings_with(database_url)
    path = tokens_file or settings.data_dir / "demo-tokens.txt"
    with open_database(settings.database_url) as db:
        # the demo repo session only when the demo is running: its setup is refused elsewhere
        repo = (settings.data_dir / "repo-contract.key", settings.repo_cache)
        created = load_demo(
            db, path, SystemClock(), load_or_create_signer(settings.data_dir), settings.log_origin,
            repo=repo if settings.demo else None,
        )  # fmt: skip
    if created:
        out.print(f"demo data loaded; demo users' tokens are in {path}")
    else:
        out.print(f"demo data already present; tokens are in {path}")


def name_metavars(command: Any) -> Any:
    """Name every value in the help as the option or argument it belongs to (``--runs RUNS``,
    ``--amm lmsr|range|...``, ``SCENARIO``) instead of its parser's or type's name
    (``<read>``, ``<str>``, ``<path>``); an explicit ``metavar`` is kept. ``command`` is the
    root command; returned for chaining."""
    for param in getattr(command, "params", []):
        if param.metavar is not None or getattr(param, "is_flag", False) or param.name is None:
            continue
        choices = getattr(param.type, "choices", None)
        longest = max(param.opts, key=len).lstrip("-").replace("-", "_")
        param.metavar = "|".join(map(str, choices)) if choices else longest.upper()
        if param.param_type_name == "argument":  # its name says it all: no type column
            param.type = copy.copy(param.type)
            param.type.get_metavar = lambda *_args, **_kwargs: ""
    if hasattr(command, "list_commands"):
        ctx = typer.Context(command)
        for name in command.list_commands(ctx):
            name_metavars(command.get_command(ctx, name))
    return command


def command() -> Any:
    """The command line as it runs (``main``), its help's values named (``name_metavars``)."""
    return name_metavars(typer.main.get_command(app))


def main() -> None:
    try:
        command()(prog_name="marketcraft")
    except MarketcraftError as exc:
        err.print(f"error: {exc.reason}")
        sys.exit(2)
