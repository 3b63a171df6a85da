"""`marketcraft deal ...`: analyse a market-making deal, and the live hedge calculator."""

from __future__ import annotations

import json
import math
import shlex
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from marketcraft.cli.number_options import Scheduler, Workers, finite_float, read_seed, whole_number
from marketcraft.cli.progress import progress
from marketcraft.cli.tables import fitted_tables
from marketcraft.deal.book import BUCKETS
from marketcraft.deal.terms import SWEEPABLE, RetiredKey, Terms, load_terms
from marketcraft.deal.time_grid import parse_step
from marketcraft.kernel.errors import MarketcraftError, ValidationError
from marketcraft.kernel.limits import MAX_DEAL_PATHS
from marketcraft.sim.sweeps import parse_sweep

if TYPE_CHECKING:
    from marketcraft.deal.analysis import Analysis

app = typer.Typer(no_args_is_help=True, help="Market-maker deal desk: loan + call-option deals.")
out = Console()


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(2)


@app.command("analyze")
def analyze(
    terms: Annotated[Path | None, typer.Argument(help="The deal's terms (TOML).")] = None,
    paths: Annotated[
        int | None,
        typer.Option(parser=whole_number(1, MAX_DEAL_PATHS), help="Paths (default: the terms')."),
    ] = None,
    step: Annotated[str | None, typer.Option(help="Time step, e.g. 1h or 30m.")] = None,
    seed: Annotated[
        int | None, typer.Option(parser=read_seed, help="Seed (default: the terms').")
    ] = None,
    sweep: Annotated[
        list[str] | None,
        typer.Option(
            help="NAME=V1,V2,...; repeat for a full grid (vol, drift, band_tokens, "
            "funding_rate, pool_value, ...)."
        ),
    ] = None,
    scenario: Annotated[
        list[str] | None,
        typer.Option(
            help="A [[stress]] scenario of the terms, run beside the base case on the same "
            "paths; repeat for several, or 'all'."
        ),
    ] = None,
    scheduler: Scheduler = None,
    workers: Workers = None,
    results: Annotated[Path | None, typer.Option("--out", help="Where results go.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    rerun: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="A results folder: run it again as recorded and check that every "
            "result is the same, bit for bit (exit 1 if not).",
        ),
    ] = None,
) -> None:
    """Simulate the strategy under the deal and print the market maker's and the project's
    views; write Parquet results, an HTML report with plots, and what they were run from."""
    from marketcraft.deal.record import read_run, versions  # noqa: PLC0415 (slow start: scipy)
    from marketcraft.sim.deal import analyze_grid  # noqa: PLC0415 (slow start: scipy)

    hours: float | None = None
    try:
        if rerun is not None:
            if terms is not None or paths or step or seed is not None or sweep or scenario:
                raise ValidationError("bad_rerun", "--from runs the folder as recorded: give no "
                                      "terms file, --paths, --step, --seed, --sweep or "
                                      "--scenario")  # fmt: skip
            t, base, run = read_run(rerun)
            stresses = [run.scenario] if run.scenario else run.scenarios
            folder = results or rerun.with_name(f"{rerun.name}-rerun")
            if folder.resolve() == rerun.resolve():
                raise ValidationError("bad_rerun", "--out must not be the folder re-run")
            grid, paths, hours, seed = run.sweep, run.paths, run.step_hours, run.seed
        elif terms is None:
            raise ValidationError("bad_terms", "give a terms file, or --from a results folder")
        else:
            t, base = _load(terms), terms.parent
            stresses = _scenarios(t, scenario or [])
            hours = parse_step(step) if step else None
            grid = parse_sweep(sweep or [], SWEEPABLE)
            folder = results or Path("var/reports/deal") / t.name
        with progress(f"simulating {t.name}", quiet=as_json) as update:
            found = analyze_grid(
                t, grid, paths=paths, step_hours=hours, seed=seed, workers=workers,
                scheduler=scheduler, base=base, progress=update, scenarios=stresses,
                with_base=rerun is None or not run.scenario,
            )  # fmt: skip
    except MarketcraftError as exc:
        raise _fail(exc) from None
    first = found[0]
    command = _command(rerun or terms, first.paths, first.step_hours, first.seed, grid, stresses)
    _show(found, folder, as_json, command, (t, base, grid, stresses))
    if rerun is not None:
        from marketcraft.deal.results import differences  # noqa: PLC0415 (slow start: pyarrow)

        names = [f"point-{i}/" for i in range(len(found))] if len(found) > 1 else [""]
        differ = [f"{n}{f}" for n in names for f in differences(rerun / n, folder / n)]
        if run.versions != versions():
            typer.echo(f"note: recorded with {run.versions}, re-run with {versions()}", err=True)
        if differ:
            typer.echo(f"re-run differs from {rerun}: {', '.join(differ)}", err=True)
            raise typer.Exit(1)
        typer.echo(f"re-ran {rerun} bit for bit into {folder}", err=True)


def _load(path: Path) -> Terms:
    """The terms, saying on stderr what an older file held that is gone."""
    with warnings.catch_warnings(record=True) as heard:
        warnings.simplefilter("always", RetiredKey)
        t = load_terms(path)
    for note in heard:
        if issubclass(note.category, RetiredKey):
            typer.echo(f"note: {note.message}", err=True)
    return t


def _scenarios(t: Terms, names: list[str]) -> list[str]:
    """The stress scenarios to run: those named (``all``: every one in the terms), each
    checked to be there."""
    if "all" in names:
        if not t.stress:
            raise ValidationError("bad_terms", f"{t.name}: --scenario all: the terms have no "
                                  "[[stress]] scenarios")  # fmt: skip
        return [s.name for s in t.stress]
    for name in names:
        t.scenario(name)
    return list(dict.fromkeys(names))


def _command(
    source: Path | None,
    paths: int,
    hours: float,
    seed: int,
    grid: dict[str, list[float]],
    scenarios: list[str],
) -> str:
    """The command line that runs this again."""
    named = {dotted: short for short, dotted in SWEEPABLE.items()}
    sweeps = "".join(
        f" --sweep {named[k]}={','.join(f'{v!r}' for v in values)}" for k, values in grid.items()
    )
    sweeps += "".join(f" --scenario {shlex.quote(name)}" for name in scenarios)
    return (
        f"marketcraft deal analyze {shlex.quote(str(source))} --paths {paths} --step "
        f"{hours * 60:g}m --seed {seed}{sweeps}"
    )


def label(a: Analysis) -> str:
    """A point's column heading: its sweep settings and its stress scenario."""
    parts = [f"{k.split('.')[-1]}={v:g}" for k, v in a.params.items()]
    if a.scenario:
        parts.append(f"stress {a.scenario}")
    return ", ".join(parts) or "as written"


def _show(
    found: list[Analysis],
    folder: Path,
    as_json: bool,
    command: str,
    source: tuple[Terms, Path, dict[str, list[float]], list[str]],
) -> None:
    """Write every point's results and report, and for a sweep its grid and inputs; print
    the views (a column per point)."""
    files = _write(found, folder, command, source)
    if as_json:
        typer.echo(json.dumps(_payload(found, files), allow_nan=False))
        return
    _print_views(found)
    for path in files:
        out.print(f"{'report' if path.suffix == '.html' else 'results'}: {path}")


def _write(
    found: list[Analysis],
    folder: Path,
    command: str,
    source: tuple[Terms, Path, dict[str, list[float]], list[str]],
) -> list[Path]:
    """Every point's results and report (beside the others', for stress scenarios), and for
    a sweep its grid and inputs."""
    from marketcraft.deal.results import write_results, write_sweep  # noqa: PLC0415 (slow start: pyarrow)
    from marketcraft.reports.deal_report import write_report  # noqa: PLC0415 (slow start: scipy)

    files: list[Path] = []
    for i, a in enumerate(found):
        home = folder if len(found) == 1 else folder / f"point-{i}"
        beside = [b for b in found if b.params == a.params] if source[3] else []
        files += [*write_results(a, home, command),
                  write_report(a, home / "report.html", beside)]  # fmt: skip
    if len(found) > 1:
        files += write_sweep(found, folder, source, command)
    return files


def _money_keys() -> set[str]:
    """The summary's amounts of money (and their standard errors)."""
    from marketcraft.reports.deal_report import LOSS, MARKET_MAKER, MONEY, PROJECT, RISK  # noqa: PLC0415 (slow start: scipy)

    keys = {key for key, _, spec in MARKET_MAKER + RISK + PROJECT if spec in (MONEY, LOSS)}
    return keys | {f"{key}_se" for key in keys}


def _json_value(key: str, value: float, money: set[str]) -> object:
    """A summary value for ``--json``: money as a decimal string to the cent (as the API gives
    amounts), other figures as numbers, null where not finite."""
    if not math.isfinite(value):
        return None
    return f"{value:.2f}" if key in money else value


def _payload(found: list[Analysis], files: list[Path]) -> dict[str, object]:
    """What ``--json`` prints: every point's parameters and summary (null where not finite)."""
    money = _money_keys()
    points = [
        {"params": a.params, "scenario": a.scenario or "base",
         "summary": {k: _json_value(k, v, money) for k, v in a.summary.items()}}
        for a in found
    ]  # fmt: skip
    payload: dict[str, object] = {
        "deal": found[0].terms.name, "points": points, "files": [str(p) for p in files],
    }  # fmt: skip
    if len(found) == 1:
        payload["summary"] = points[0]["summary"]
    return payload


def _print_views(found: list[Analysis]) -> None:
    """The market maker's and the project's views and the attribution, a column per point."""
    from marketcraft.reports.deal_report import (  # noqa: PLC0415 (slow start: scipy)
        MARKET_MAKER,
        MONEY,
        PROJECT,
        RISK,
        cell,
    )

    first = found[0]
    headers = [label(a) for a in found]
    views = (("the market maker's view", MARKET_MAKER), ("risk, ± standard error", RISK),
             ("the project's view", PROJECT))  # fmt: skip
    for title, headlines in views:
        rows = [
            (text, [cell(a.summary, key, spec) for a in found]) for key, text, spec in headlines
        ]
        heading = f"{first.terms.name}: {title} ({first.paths:,} paths)"
        for table in fitted_tables(heading, "metric", headers, rows, out.width):
            out.print(table)
    rows = [(name, [cell(a.summary, f"attr_{name}", MONEY) for a in found]) for name in BUCKETS]
    for table in fitted_tables("attribution, mean over paths", "bucket", headers, rows, out.width):
        out.print(table)


@app.command("hedge")
def hedge(
    positions: Annotated[Path, typer.Argument(help="The desk's positions now (TOML).")],
    price: Annotated[float, typer.Option(parser=finite_float(), help="The token's price now.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Print every position's greeks at PRICE and the perp order to place now."""
    from marketcraft.deal.hedge import hedge_now, load_positions  # noqa: PLC0415 (slow start: scipy)

    try:
        p = load_positions(positions)
        found = hedge_now(p, price)
    except MarketcraftError as exc:
        raise _fail(exc) from None
    if as_json:
        typer.echo(json.dumps({  # money as decimal strings to the cent, as the API gives it
            "rows": [{"component": name, "value": f"{value:.2f}", "delta": delta, "gamma": gamma}
                     for name, value, delta, gamma in found.rows],
            "delta_inventory": found.delta_inventory, "delta_economic": found.delta_economic,
            "gamma": found.gamma, "order": found.order, "notional": f"{found.notional:.2f}",
        }))  # fmt: skip
        return
    from marketcraft.reports.deal_report import MONEY, fmt  # noqa: PLC0415 (slow start: scipy)

    table = Table(title=f"positions at {price:g}")
    for name in ("component", "value", "delta (tokens)", "gamma"):
        table.add_column(name, justify="left" if name == "component" else "right")
    for name, value, delta, gamma in found.rows:
        table.add_row(name, fmt(MONEY, value), fmt(MONEY, delta), fmt("{:,.1f}", gamma))
    out.print(table)
    out.print(
        f"inventory delta {fmt(MONEY, found.delta_inventory)}; economic delta "
        f"{fmt(MONEY, found.delta_economic)}; net gamma {fmt('{:,.1f}', found.gamma)} "
        f"({p.delta_mode} mode)"
    )
    if found.order == 0:
        out.print(f"no order: the {p.delta_mode} delta is within {p.band_tokens:,.0f} tokens")
    else:
        side = "BUY" if found.order > 0 else "SELL"
        out.print(f"order: {side} {abs(found.order):,.0f} perps (about {found.notional:,.0f} "
                  "notional)")  # fmt: skip


@app.command("calibrate")
def calibrate(
    trades: Annotated[Path, typer.Argument(help="A CSV of trades: time, price, mid.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the fit as JSON.")] = False,
) -> None:
    """Fit the venues' fill intensity (A) and decay (k) to TRADES: maximum likelihood, with
    standard errors, the empirical rate on a grid of distances against the fitted curve, and
    the lines to put in a [[venues]] table."""
    from marketcraft.deal.calibration import fit_fills, read_trades  # noqa: PLC0415 (slow start: numpy)

    try:
        fit = fit_fills(*read_trades(trades))
    except MarketcraftError as exc:
        raise _fail(exc) from None
    if as_json:
        typer.echo(json.dumps({**fit.summary(), "grid": [list(row) for row in fit.grid]}))
        return
    table = Table(title=f"fills in {trades.name}: {fit.trades:,} trades over {fit.hours:,.1f} h")
    table.add_column("distance from mid (bp)", justify="right")
    table.add_column("trades/h at least that far", justify="right")
    table.add_column("fitted A exp(-k d)", justify="right")
    for delta, rate, fitted in fit.grid:
        table.add_row(f"{delta:.2f}", f"{rate:.3f}", f"{fitted:.3f}")
    out.print(table)
    out.print(f"intensity A = {fit.intensity:.3f} ± {fit.intensity_se:.3f} fills/h at the mid")
    out.print(f"decay k = {fit.decay:.4f} ± {fit.decay_se:.4f} per bp")
    out.print(f"grid fit R^2 (log scale) {fit.grid_r2:.4f}; Kolmogorov-Smirnov distance "
              f"{fit.ks:.4f}")  # fmt: skip
    venue = f"[[venues]]\nintensity = {fit.intensity:.4g}\ndecay = {fit.decay:.4g}"
    out.print(venue, markup=False, highlight=False)


@app.command("sample-trades")
def sample_trades(
    out_file: Annotated[Path, typer.Argument(help="Where to write the CSV.")],
    intensity: Annotated[
        float,
        typer.Option(
            parser=finite_float(0, 1e4, low_open=True), help="A: fills per hour at the mid."
        ),
    ] = 20.0,
    decay: Annotated[
        float, typer.Option(parser=finite_float(0, 100, low_open=True), help="k: per basis point.")
    ] = 0.3,
    hours: Annotated[
        float,
        typer.Option(parser=finite_float(0, 1e5, low_open=True), help="Hours the trades span."),
    ] = 50.0,
    seed: Annotated[int, typer.Option(parser=read_seed, help="Seed.")] = 7,
) -> None:
    """Write trades drawn from known A and k, to check `deal calibrate` against the answer."""
    from marketcraft.deal.calibration import synthetic_trades, write_trades  # noqa: PLC0415 (slow start: numpy)

    if intensity * hours > 1e6:
        raise _fail(ValidationError("bad_sample", "intensity x hours: at most 1,000,000 trades"))
    note = (f"synthetic trades: intensity A = {intensity:g}/h, decay k = {decay:g}/bp, "
            f"{hours:g} h, seed {seed} (marketcraft deal sample-trades)")  # fmt: skip
    write_trades(out_file, synthetic_trades(intensity, decay, hours, seed), note)
    out.print(f"wrote {out_file}")
