"""`marketcraft deal ...`: analyse a market-making deal, and the live hedge calculator."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from marketcraft.kernel.errors import MarketcraftError, ValidationError

app = typer.Typer(no_args_is_help=True, help="Market-maker deal desk: loan + call-option deals.")
out = Console()

_STEP = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(h|m|min)?\s*$")


def parse_step(text: str) -> float:
    """``1h``, ``30m``, ``0.5h`` or a bare number of hours -> hours."""
    found = _STEP.match(text)
    if not found:
        raise ValidationError("bad_step", f"{text!r}: write the step as 1h, 30m or 0.25h")
    hours = float(found.group(1)) / (60.0 if found.group(2) in ("m", "min") else 1.0)
    if not 0 < hours <= 24:
        raise ValidationError("bad_step", f"{text!r}: the step must be more than 0 and at most 24h")
    return hours


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(2)


@app.command("analyze")
def analyze(
    terms: Annotated[Path, typer.Argument(help="The deal's terms (TOML).")],
    paths: Annotated[int | None, typer.Option(min=1, help="Paths (default: the terms').")] = None,
    step: Annotated[str | None, typer.Option(help="Time step, e.g. 1h or 30m.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the terms').")] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="A Dask scheduler address; default: local processes.")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Local processes (default: every core).")
    ] = None,
    results: Annotated[Path | None, typer.Option("--out", help="Where results go.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Simulate the strategy under the deal and print the market maker's and the project's
    views; write Parquet results and an HTML report with plots."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from marketcraft.deal.analysis import analyze as run
    from marketcraft.deal.results import write_results
    from marketcraft.deal.terms import load_terms
    from marketcraft.reports.deal_report import MARKET_MAKER, PROJECT, fmt, write_report

    try:
        t = load_terms(terms)
        hours = parse_step(step) if step else None
        columns = (TextColumn("simulating"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"))
        with Progress(*columns, TimeRemainingColumn(), disable=as_json, transient=True) as bar:
            task = bar.add_task("simulating", total=None)
            found = run(
                t, paths=paths, step_hours=hours, seed=seed, workers=workers,
                scheduler=scheduler, base=terms.parent,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )  # fmt: skip
    except MarketcraftError as exc:
        raise _fail(exc) from None
    folder = results or Path("var/reports/deal") / t.name
    files = write_results(found, folder)
    report = write_report(found, folder / "report.html")
    if as_json:
        summary = {k: (v if math.isfinite(v) else None) for k, v in found.summary.items()}
        payload = {"deal": t.name, "summary": summary, "files": [str(p) for p in [*files, report]]}
        typer.echo(json.dumps(payload, allow_nan=False))
        return
    for title, headlines in (("market maker", MARKET_MAKER), ("project", PROJECT)):
        table = Table(title=f"{t.name}: the {title}'s view ({found.paths:,} paths)")
        table.add_column("metric")
        table.add_column("value", justify="right")
        for key, text, spec in headlines:
            if key in found.summary:
                table.add_row(text, fmt(spec, found.summary[key]))
        out.print(table)
    attribution = Table(title="attribution, mean over paths")
    attribution.add_column("bucket")
    attribution.add_column("PnL", justify="right")
    for key, value in found.summary.items():
        if key.startswith("attr_") and key != "attribution_residual":
            attribution.add_row(key.removeprefix("attr_"), f"{value:,.0f}")
    out.print(attribution)
    out.print(f"report: {report}")
    for path in files:
        out.print(f"results: {path}")


@app.command("hedge")
def hedge(
    positions: Annotated[Path, typer.Argument(help="The desk's positions now (TOML).")],
    price: Annotated[float, typer.Option(help="The token's price now.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Print every position's greeks at PRICE and the perp order to place now."""
    from marketcraft.deal.hedge import hedge_now, load_positions

    try:
        p = load_positions(positions)
        found = hedge_now(p, price)
    except MarketcraftError as exc:
        raise _fail(exc) from None
    if as_json:
        typer.echo(json.dumps({
            "rows": [dict(zip(("component", "value", "delta", "gamma"), r, strict=True))
                     for r in found.rows],
            "delta_inventory": found.delta_inventory, "delta_economic": found.delta_economic,
            "gamma": found.gamma, "order": found.order, "notional": found.notional,
        }))  # fmt: skip
        return
    table = Table(title=f"positions at {price:g}")
    for name in ("component", "value", "delta (tokens)", "gamma"):
        table.add_column(name, justify="left" if name == "component" else "right")
    for name, value, delta, gamma in found.rows:
        table.add_row(name, f"{value:,.0f}", f"{delta:,.0f}", f"{gamma:,.1f}")
    out.print(table)
    out.print(
        f"inventory delta {found.delta_inventory:,.0f}; economic delta "
        f"{found.delta_economic:,.0f}; net gamma {found.gamma:,.1f} ({p.delta_mode} mode)"
    )
    if found.order == 0:
        out.print(f"no order: the {p.delta_mode} delta is within {p.band_tokens:,.0f} tokens")
    else:
        side = "BUY" if found.order > 0 else "SELL"
        out.print(f"order: {side} {abs(found.order):,.0f} perps (about {found.notional:,.0f} "
                  "notional)")  # fmt: skip
