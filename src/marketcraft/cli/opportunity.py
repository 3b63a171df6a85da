"""``marketcraft opportunity ...``: planning tools for sponsors."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from marketcraft.cli.database import open_database, settings_with
from marketcraft.cli.monitor import monitor_command
from marketcraft.cli.number_options import decimal_option, finite_float, read_seed, whole_number
from marketcraft.cli.progress import progress
from marketcraft.kernel.clock import SystemClock
from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.limits import MAX_SIM_MARKETS, MAX_SIM_SCOUTS, MAX_SIM_SKILL
from marketcraft.number_types import Amount, Positive, Probability
from marketcraft.opportunity.amms import AmmKind
from marketcraft.opportunity.planning import plan, quote

app = typer.Typer(
    help="Opportunity markets: plan liquidity, quote trades, export and verify transcripts.",
    no_args_is_help=True,
)
out = Console()

Budget = Annotated[str, typer.Option("--budget", help="Loss budget B in cash units, e.g. 25000.")]
Band = Annotated[
    tuple[str, str],
    typer.Option(
        "--band", metavar="PA PB", help="The probability band, e.g. 0.01 0.30.", show_default=False
    ),
]
Amm = Annotated[AmmKind, typer.Option("--amm", help="The AMM design.", case_sensitive=False)]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _band(band: tuple[str, str]) -> tuple[Decimal, Decimal]:
    """PA and PB, each read as the API reads a price."""
    low, high = (decimal_option(Probability, text, "--band") for text in band)
    return low, high


def _emit(result: dict[str, Decimal | bool], as_json: bool, title: str) -> None:
    if as_json:  # exact decimal strings, as the API gives amounts (never a float's noise)
        plain = {k: v if isinstance(v, bool) else str(v) for k, v in result.items()}
        typer.echo(json.dumps(plain))
        return
    table = Table(title=title, show_header=False)
    for key, value in result.items():
        table.add_row(key, str(value))
    out.print(table)


@app.command("plan")
def plan_command(
    budget: Budget,
    band: Band,
    amm: Amm = AmmKind.LMSR,
    as_json: AsJson = False,
) -> None:
    """What a loss budget buys over a band: liquidity, worst case, traverse and doubling depth."""
    result = plan(amm, decimal_option(Positive, budget, "--budget"), *_band(band))
    _emit(dict(result), as_json, f"{amm.value} band plan")


@app.command("quote")
def quote_command(
    budget: Budget,
    band: Band,
    price: Annotated[str, typer.Option("--price", help="The market's current YES price.")],
    cash: Annotated[str, typer.Option("--cash", help="Cash to spend on YES.")],
    amm: Amm = AmmKind.LMSR,
    as_json: AsJson = False,
) -> None:
    """Shares a buy of CASH at PRICE receives, and the price after it."""
    result = quote(
        amm,
        decimal_option(Positive, budget, "--budget"),
        *_band(band),
        price=decimal_option(Probability, price, "--price"),
        cash=decimal_option(Amount, cash, "--cash"),
    )
    _emit(result, as_json, f"{amm.value} quote")


@app.command("export")
def export_command(
    program: Annotated[str, typer.Argument(help="The program's id.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="Overrides MARKETCRAFT_DATABASE_URL.")
    ] = None,
) -> None:
    """Export a program's transcript (after settlement) for anyone to verify."""
    from marketcraft.app.programs import ProgramRepository  # noqa: PLC0415 (slow start: SQLAlchemy)
    from marketcraft.opportunity.transcript import export_transcript  # noqa: PLC0415 (slow start: the engine)
    from marketcraft.store.keys import load_or_create_signer  # noqa: PLC0415 (slow start)

    settings = settings_with(database_url)
    with open_database(settings.database_url) as db:
        signer = load_or_create_signer(settings.data_dir)
        repo = ProgramRepository(
            db.events, signer, db.quarantine, db.snapshots, origin_prefix=settings.log_origin
        )
        journal = repo.journal(program)
        if not journal.state.settled:
            raise ValidationError("not_settled", "export a program's transcript after it settles")
        doc = export_transcript(
            journal.origin,
            repo.records(program),
            repo.checkpoints(program),
            signer,
            SystemClock().now(),
        )
    text = json.dumps(doc, indent=1, sort_keys=True)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text + "\n")


@app.command("audit")
def audit_command(
    program: Annotated[str, typer.Argument(help="The program's id.")],
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="Overrides MARKETCRAFT_DATABASE_URL.")
    ] = None,
) -> None:
    """Decide every stored command of a program again and check it gives the stored events and
    that every published checkpoint describes the log (a load only folds the events).
    Exit 1 naming the first record that disagrees."""
    from marketcraft.app.programs import ProgramRepository  # noqa: PLC0415 (slow start: SQLAlchemy)
    from marketcraft.kernel.errors import InvariantViolation  # noqa: PLC0415 (slow start)
    from marketcraft.store.keys import load_or_create_signer  # noqa: PLC0415 (slow start)

    settings = settings_with(database_url)
    with open_database(settings.database_url) as db:
        repo = ProgramRepository(
            db.events, load_or_create_signer(settings.data_dir), origin_prefix=settings.log_origin
        )
        checkpoints = len(repo.checkpoints(program))
        try:
            audited = repo.audit(program)
        except InvariantViolation as exc:
            out.print(f"[red]FAILED[/red] {program}: {exc.reason}")
            raise typer.Exit(1) from None
    out.print(
        f"ok {program}: {audited.size} records decide again to the stored events; "
        f"log root {audited.log.root().hex()}; {checkpoints} published checkpoints match"
    )


@app.command("verify")
def verify_command(
    transcript: Annotated[
        Path | None,
        typer.Argument(help="A transcript from `opportunity export` (after settlement)."),
    ] = None,
    receipt: Annotated[
        list[Path] | None,
        typer.Option("--receipt", help="A receipt or receipt download to check (repeatable)."),
    ] = None,
    order: Annotated[
        list[Path] | None,
        typer.Option(
            "--order",
            help="The order you sent, as JSON (the request body, or the receipt download's "
            "`order`); the Nth goes with the Nth --receipt.",
        ),
    ] = None,
    public_key: Annotated[
        str | None, typer.Option("--public-key", help="Pin the platform's key (hex).")
    ] = None,
) -> None:
    """Check receipts against the orders you sent and their inclusion proofs, and (given a
    transcript) replay it with this engine; exit 1 naming each failure."""
    from marketcraft.cli.receipt_check import check_receipts  # noqa: PLC0415 (slow start: the engine)

    failures, summary = check_receipts(transcript, receipt or [], order or [], public_key)
    for failure in failures:
        typer.echo(f"FAIL {failure}")
    if failures:
        raise typer.Exit(1)
    typer.echo(summary)


app.command("monitor")(monitor_command)


@app.command("simulate")
def simulate_command(
    markets: Annotated[
        int,
        typer.Option(parser=whole_number(2, MAX_SIM_MARKETS), help="Markets in the program."),
    ] = 50,
    scouts: Annotated[
        int, typer.Option(parser=whole_number(1, MAX_SIM_SCOUTS), help="Scouts trading blind.")
    ] = 200,
    seed: Annotated[
        int, typer.Option(parser=read_seed, help="Seed: the same seed gives the same run.")
    ] = 1,
    skill: Annotated[
        float,
        typer.Option(
            parser=finite_float(0, MAX_SIM_SKILL), help="Typical sharpness of a scout's signal."
        ),
    ] = 1.5,
    base_rate: Annotated[
        float, typer.Option(parser=finite_float(0.001, 0.999), help="Share of YES.")
    ] = 0.1,
    budget: Budget = "25000",
    amm: Amm = AmmKind.LMSR,
    plot: Annotated[Path, typer.Option(help="Where to write the picture.")] = Path(
        "var/reports/opportunity-simulation.png"
    ),
    as_json: AsJson = False,
) -> None:
    """Simulate a program: scouts with noisy private signals trade blind; report the sponsor's
    cost against its budget and how well end-of-window prices rank the true outcomes (AUC)."""
    from marketcraft.reports.opportunity_plots import plot_simulation  # noqa: PLC0415 (slow start: the engine)
    from marketcraft.sim.opportunity import SimulationConfig, simulate_program  # noqa: PLC0415 (slow start: the engine)

    config = SimulationConfig(
        markets=markets, scouts=scouts, seed=seed, skill=skill, base_rate=base_rate,
        budget=decimal_option(Positive, budget, "--budget"), amm=amm,
    )  # fmt: skip
    with progress("scouts trading", quiet=as_json) as update:
        result = simulate_program(config, update)
    picture = plot_simulation(result, plot)
    summary = {**result.summary(), "plot": str(picture)}
    if as_json:
        typer.echo(json.dumps(summary))
        return
    table = Table(title="opportunity simulation", show_header=False)
    for key, value in summary.items():
        table.add_row(key, f"{value:,.2f}" if isinstance(value, float) else str(value))
    out.print(table)
