"""`marketcraft repo ...`: settle a sealed repo trade from the two dealers' reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from marketcraft.kernel.errors import MarketcraftError

app = typer.Typer(no_args_is_help=True, help="Sealed repo-trade contract.")
out = Console()


@app.command("settle")
def settle(
    mm: Annotated[Path, typer.Argument(help="BDmm's report (JSON).")],
    rm: Annotated[Path, typer.Argument(help="BDrm's report (JSON).")],
    no_proof: Annotated[bool, typer.Option("--no-proof", help="Select without proving.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Select the joint-profit-maximising trade that clears both hurdles, or no trade. Rates
    are in basis points; the joint profit is in basis points times volume."""
    from marketcraft.repo.reports import read_report
    from marketcraft.repo.schedule import Side, units_to_bp
    from marketcraft.repo.selection import select

    try:
        if not no_proof:
            raise MarketcraftError(
                "no_prover", "proofs are not available in this version yet; pass --no-proof"
            )
        outcome = select(read_report(mm, Side.MM), read_report(rm, Side.RM))
    except MarketcraftError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    result = {
        "trade": outcome.trade,
        "volume": outcome.volume,
        "rate_mm": float(units_to_bp(outcome.rate_mm)),
        "rate_rm": float(units_to_bp(outcome.rate_rm)),
        "rate_bd": float(units_to_bp(outcome.rate_bd)),
        "joint_profit": float(units_to_bp(outcome.joint_profit)),
        "profit_each": float(units_to_bp(outcome.profit_each)),
    }
    if as_json:
        typer.echo(json.dumps(result))
        return
    table = Table(title="repo settlement" if outcome.trade else "no trade", show_header=False)
    for key, value in result.items():
        table.add_row(key, str(value))
    out.print(table)
