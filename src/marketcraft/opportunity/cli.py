"""``marketcraft opportunity ...``: planning tools for sponsors."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from marketcraft.kernel.money import to_decimal
from marketcraft.opportunity.amms import AmmKind
from marketcraft.opportunity.planning import plan, quote

app = typer.Typer(help="Opportunity markets: plan liquidity, quote trades.", no_args_is_help=True)
out = Console()

Budget = Annotated[str, typer.Option("--budget", help="Loss budget B in cash units, e.g. 25000.")]
Band = Annotated[
    tuple[str, str],
    typer.Option("--band", help="The probability band PA PB, e.g. 0.01 0.30.", show_default=False),
]
Amm = Annotated[AmmKind, typer.Option("--amm", help="The AMM design.", case_sensitive=False)]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _decimal(text: str, name: str) -> Decimal:
    try:
        return to_decimal(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a number", param_hint=name) from None


def _emit(result: dict[str, Decimal | bool], as_json: bool, title: str) -> None:
    if as_json:
        # Values are already rounded to the places shown; their shortest float form prints the
        # same digits, so JSON consumers get plain numbers.
        plain = {k: v if isinstance(v, bool) else float(v) for k, v in result.items()}
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
    result = plan(
        amm, _decimal(budget, "--budget"), _decimal(band[0], "--band"), _decimal(band[1], "--band")
    )
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
        _decimal(budget, "--budget"),
        _decimal(band[0], "--band"),
        _decimal(band[1], "--band"),
        price=_decimal(price, "--price"),
        cash=_decimal(cash, "--cash"),
    )
    _emit(result, as_json, f"{amm.value} quote")
