"""`marketcraft peg ...`: stress-simulate the pegged-token market maker."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from marketcraft.cli.number_options import Scheduler, Workers, finite_float, read_seed, whole_number
from marketcraft.cli.progress import progress
from marketcraft.cli.tables import fitted_tables
from marketcraft.kernel.errors import MarketcraftError
from marketcraft.kernel.limits import MAX_SCENARIO_DAYS, MAX_SCENARIO_RUNS
from marketcraft.sim.peg.scenario import load_scenario, shipped_scenarios, validate

app = typer.Typer(no_args_is_help=True, help="Pegged-token market maker: stress simulations.")
out = Console()


@app.command("scenarios")
def scenarios() -> None:
    """List the shipped scenarios (pass a name, or your own TOML file, to `simulate`)."""
    for name in shipped_scenarios():
        out.print(f"[bold]{name}[/bold]: {load_scenario(name).description}")


@app.command("simulate")
def simulate(
    scenario: Annotated[str, typer.Argument(help="A TOML file, or a shipped scenario's name.")],
    runs: Annotated[
        int | None,
        typer.Option(parser=whole_number(1, MAX_SCENARIO_RUNS), help="Runs (default: the file's)."),
    ] = None,
    days: Annotated[
        float | None,
        typer.Option(parser=finite_float(0.001, MAX_SCENARIO_DAYS), help="Days to simulate."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(parser=read_seed, help="Seed (default: the file's).")
    ] = None,
    sweep: Annotated[
        list[str] | None,
        typer.Option(
            help="NAME=V1,V2,...; repeat for a full grid (band, delay, fee, ratio, feed_lag, "
            "report_minutes, arbitrage_latency, panic_per_hour...)."
        ),
    ] = None,
    scheduler: Scheduler = None,
    workers: Workers = None,
    results: Annotated[Path, typer.Option("--out", help="Where results go.")] = Path(
        "var/reports/peg"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Run a scenario (vectorised over runs, seeded) and write runs and summary as Parquet and
    CSV plus an HTML report with plots; print the headline metrics."""
    from marketcraft.reports.peg_report import HEADLINES, flip_lines, fmt, label, write_report  # noqa: PLC0415 (slow start: the simulator)
    from marketcraft.sim.peg.analysis import STUDY_HEADLINES  # noqa: PLC0415 (slow start: the simulator)
    from marketcraft.sim.peg.results import write_results  # noqa: PLC0415 (slow start: pyarrow)
    from marketcraft.sim.peg.runner import parse_sweep, run_scenario  # noqa: PLC0415 (slow start: the simulator)

    try:
        s = load_scenario(scenario)
        s = validate(
            replace(
                s,
                runs=s.runs if runs is None else runs,
                days=s.days if days is None else days,
                seed=s.seed if seed is None else seed,
            )
        )
        grid = parse_sweep(sweep or [])
        with progress(f"simulating {s.name}", quiet=as_json) as update:
            found = run_scenario(s, grid, workers=workers, scheduler=scheduler, progress=update)
    except MarketcraftError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    files = write_results(found, results, s)
    report = write_report(s, found, results / "report.html")
    if as_json:
        payload = {
            "scenario": s.name,
            "points": [
                {
                    "params": r.params,
                    "summary": {k: _finite(v) for k, v in r.summary.items()},
                    "mode_flips": flip_lines(r),
                }
                for r in found
            ],
            "files": [str(p) for p in [*files, report]],
        }
        typer.echo(json.dumps(payload, allow_nan=False))
        return
    rows = [(text, [fmt(key, r.summary[key]) for r in found]) for key, text, _ in HEADLINES]
    rows += [(text, [_format(spec, r.summary[key]) for r in found])
             for key, text, spec in STUDY_HEADLINES]  # fmt: skip
    rows.append((
        "MMS minus COL, mean (95% CI)",
        [f"{r.summary['mms_minus_col_mean']:+.2%} ({r.summary['mms_minus_col_ci_low']:+.2%}"
         f" to {r.summary['mms_minus_col_ci_high']:+.2%})" for r in found],
    ))  # fmt: skip
    rows.append((
        "black swan probability (95% CI)",
        [f"{r.summary['black_swan_probability_ci_low']:.1%} to "
         f"{r.summary['black_swan_probability_ci_high']:.1%}" for r in found],
    ))  # fmt: skip
    title = f"{s.name}: {s.runs} runs x {s.days:g} days"
    for table in fitted_tables(title, "metric", [label(r.params) for r in found], rows, out.width):
        out.print(table)
    for r in found:
        lines = flip_lines(r)
        if lines:
            out.print(f"mode flips ({label(r.params)}):")
            for line in lines:
                out.print(f"  {line}")
    out.print(f"report: {report}")
    for path in files:
        out.print(f"results: {path}")


@app.command("restoration")
def restoration(
    gap: Annotated[
        list[float] | None,
        typer.Option(
            parser=finite_float(-0.9, 10.0),
            help="SPOT / feed - 1 to correct (repeat; default +-5%, 10%, 30%, 50%).",
        ),
    ] = None,
    fee: Annotated[
        list[float] | None,
        typer.Option(parser=finite_float(0.0001, 0.49), help="Fee rates (repeat)."),
    ] = None,
    tick: Annotated[
        list[int] | None,
        typer.Option(parser=whole_number(1, 86_400), help="Tick intervals, seconds (repeat)."),
    ] = None,
    band: Annotated[float, typer.Option(parser=finite_float(0.0, 0.5), help="The band.")] = 0.02,
    correction_hours: Annotated[
        float,
        typer.Option(parser=finite_float(0.0, 8_760.0), help="The correction time, hours."),
    ] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the cases as JSON.")] = False,
) -> None:
    """Time to band: how long the engine's corrections take to bring SPOT back into the band,
    by gap, fee and tick interval (no delay, no trading: the correction alone). A tick moves
    SPOT by at most one fee's worth, so a large gap takes at least the printed number of ticks,
    however long the correction time."""
    from marketcraft.sim.peg.restoration import restoration_time, ticks_needed  # noqa: PLC0415 (slow start: the engine)

    gaps = gap or [0.5, 0.3, 0.1, 0.05, -0.05, -0.1, -0.3, -0.5]
    fees = fee or [0.001, 0.003, 0.01]
    ticks = tick or [10, 30, 60, 600, 3600]
    span = round(correction_hours * 3_600)
    cases = [
        (f, g, [restoration_time(g, f, t, band=band, correction_seconds=span) for t in ticks])
        for f in fees
        for g in gaps
    ]
    if as_json:
        rows = [
            {"fee": f, "gap": g, "tick_seconds": r.tick_seconds, "seconds": r.seconds,
             "ticks": r.ticks, "fewest_ticks": ticks_needed(g, f, band)}
            for f, g, found in cases for r in found
        ]  # fmt: skip
        typer.echo(json.dumps(rows))
        return
    table = Table(
        title=f"time to band ±{band:g} by tick interval (correction time {correction_hours:g} h)"
    )
    for name in ("fee", "gap", "fewest ticks"):
        table.add_column(name, justify="right")
    for t in ticks:
        table.add_column(_duration(t), justify="right")
    for f, g, found in cases:
        cells = [_duration(r.seconds) if r.seconds is not None else "> 7 d" for r in found]
        table.add_row(f"{f:g}", f"{g:+.0%}", str(ticks_needed(g, f, band)), *cells)
    out.print(table)


def _duration(seconds: float) -> str:
    """12 s, 5 min, 1.4 h, 3.4 d."""
    if seconds < 60:
        return f"{seconds:g} s"
    if seconds < 3_600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86_400:
        return f"{seconds / 3_600:.1f} h"
    return f"{seconds / 86_400:.1f} d"


def _format(spec: str, value: float) -> str:
    return spec.format(value) if math.isfinite(value) else "n/a"


def _finite(value: float) -> float | None:
    """JSON has no NaN: a metric with nothing to measure (no recoveries...) is null."""
    return value if math.isfinite(value) else None
