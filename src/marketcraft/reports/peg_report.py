"""The HTML report of a peg simulation: headline table, fan charts over time, the deviation
distribution, MMS against holding COL, and, for a sweep, each headline number across the grid.
One self-contained file (pictures embedded), readable offline."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from marketcraft.reports.figures import fan, page, pictures, png, pyplot
from marketcraft.sim.peg.metrics import BINS
from marketcraft.sim.peg.runner import PointResult
from marketcraft.sim.peg.scenario import Scenario

__all__ = ["HEADLINES", "flip_lines", "write_report"]

#: (summary key, label, format) for the table and the sweep charts
HEADLINES = [
    ("deviation_p50", "|SPOT/feed - 1| p50", "{:.3%}"),
    ("deviation_p95", "|SPOT/feed - 1| p95", "{:.3%}"),
    ("deviation_p99", "|SPOT/feed - 1| p99", "{:.3%}"),
    ("outside_band_share", "time outside the band", "{:.1%}"),
    ("min_reserve_ratio_p5", "lowest reserve ratio, p5 of runs", "{:.2f}"),
    ("black_swan_probability", "runs with a black swan", "{:.1%}"),
    ("black_swans_per_year", "black swans per year", "{:.3f}"),
    ("recovery_hours_mean", "hours in recovery (mean)", "{:,.1f}"),
    ("time_to_recover_hours_mean", "hours to recover (median episode)", "{:,.1f}"),
    ("still_recovering_share", "runs still recovering at the end", "{:.1%}"),
    ("mode_flips_mean", "mode flips per run (mean)", "{:.2f}"),
    ("mode_flips_max", "mode flips, most in one run", "{:.0f}"),
    ("refall_48h_share", "runs back in recovery within 48 h of leaving it", "{:.1%}"),
    ("max_shortfall_col_p95", "worst shortfall, p95 of runs (COL)", "{:,.0f}"),
    ("final_shortfall_share", "runs ending short", "{:.1%}"),
    ("mms_return_peg_median", "MMS return in PEG (median)", "{:+.1%}"),
    ("col_return_peg_median", "holding COL, return in PEG (median)", "{:+.1%}"),
    ("mms_minus_col_median", "MMS minus holding COL (median)", "{:+.2%}"),
    ("fees_col_mean", "fees earned (COL, mean)", "{:,.0f}"),
    ("corrected_to_excess_mean", "COL moved to excess (mean)", "{:,.0f}"),
    ("corrected_minted_mean", "PEG minted by corrections (mean)", "{:,.0f}"),
    ("corrected_bought_back_mean", "excess COL spent buying PEG (mean)", "{:,.0f}"),
]


def label(params: dict[str, float]) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in params.items()) or "scenario as written"


def fmt(key: str, value: float) -> str:
    spec = next((f for k, _, f in HEADLINES if k == key), "{:g}")
    return spec.format(value) if math.isfinite(value) else "n/a"  # NaN: nothing to measure


def flip_lines(r: PointResult, runs: int = 10) -> list[str]:
    """The mode flips of the first ``runs`` runs that flip: count and days, one line each."""
    lines = []
    for run in np.unique(r.flips[:, 0])[:runs]:
        mine = r.flips[r.flips[:, 0] == run]
        when = ", ".join(
            f"day {day:.2f} to {'recovery' if entered else 'normal'}" for _, day, entered in mine
        )
        lines.append(f"run {int(run)}: {len(mine)} flip{'s' if len(mine) != 1 else ''}: {when}")
    return lines


def _flips_html(r: PointResult) -> str:
    flipped = len(np.unique(r.flips[:, 0]))
    if not flipped:
        return "<p>No run changed mode.</p>"
    lines = "".join(f"<li>{html.escape(line)}</li>" for line in flip_lines(r, 20))
    more = f" (the first {min(flipped, 20)} shown)" if flipped > 20 else ""
    return (
        f"<p>{flipped} of {len(r.metrics['mode_flips'])} runs changed mode{more}; every flip "
        f"of every run is in <code>flips.csv</code>.</p><ul>{lines}</ul>"
    )


def write_report(s: Scenario, results: Sequence[PointResult], path: Path) -> Path:
    """Write the report to ``path`` (HTML) and return it."""
    plt = pyplot()
    figures = [
        ("SPOT against the feed over time", _fan(plt, results[0], "spot_vs_feed", "SPOT / feed")),
        (
            "SPOT against the outside price",
            _fan(plt, results[0], "spot_vs_price", "SPOT / outside price"),
        ),
        (
            "Reserve ratio (C + X) / ((U + Dc) feed)",
            _fan(plt, results[0], "reserve", "reserve ratio"),
        ),
        ("Excess collateral and recovery", _excess(plt, results[0])),
        ("How far SPOT strays from the feed", _deviation(plt, results[0])),
        ("MMS against just holding COL", _returns(plt, results[0])),
    ]
    if len(results) > 1:
        figures.append(("Across the grid", _sweep(plt, results)))
    header = "".join(f"<th>{html.escape(label(r.params))}</th>" for r in results)
    rows = "".join(
        f"<tr><td>{html.escape(text)}</td>"
        + "".join(f"<td>{fmt(key, r.summary[key])}</td>" for r in results)
        + "</tr>"
        for key, text, _ in HEADLINES
    )
    m = s.market
    body = f"""<p>{html.escape(s.description)}</p>
<p>{s.runs} runs of {s.days:g} days at {s.step_seconds}-second steps, seed {s.seed}.
Market: deposit {m.deposit:,.0f} COL, ratio {m.ratio:g}, fee {m.fee:.2%}, band ±{m.band:.1%},
delay {m.delay_hours:g} h, correction {m.correction_hours:g} h, feed median over
{m.feed_window_hours:g} h. The feed and SPOT are in COL per PEG. Charts show the first
parameter set.</p>
<table><tr><th>metric</th>{header}</tr>{rows}</table>
<h2>Mode flips (normal and recovery)</h2>
{_flips_html(results[0])}
{pictures(figures)}"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page(f"Peg simulation: {s.name}", body))
    return path


def _fan(plt: Any, r: PointResult, key: str, ylabel: str) -> str:
    return fan(plt, r.series["day"], r.series[key], ylabel)


def _excess(plt: Any, r: PointResult) -> str:
    days = r.series["day"]
    fig, ax = plt.subplots(figsize=(10, 3.6))
    if len(days):
        excess = r.series["excess"]
        ax.plot(days, np.nanmedian(excess, axis=1), color="#08306b", label="excess ratio, median")
        ax.plot(days, np.nanpercentile(excess, 5, axis=1), color="#6baed6", label="p5")
        share = r.series["recovery"].mean(axis=1)
        ax.fill_between(days, 0, share, color="#d9534f", alpha=0.4, label="runs in recovery")
    ax.set_xlabel("day")
    ax.set_ylabel("excess / target; share of runs")
    ax.legend(loc="best")
    return png(plt, fig)


def _deviation(plt: Any, r: PointResult) -> str:
    edges = 10 ** BINS[1:]
    fig, ax = plt.subplots(figsize=(10, 3.4))
    ax.step(edges, r.histogram / max(r.histogram.sum(), 1), where="pre", color="#08306b")
    for key, colour in (("deviation_p50", "#6baed6"), ("deviation_p99", "#d9534f")):
        ax.axvline(r.summary[key], color=colour, linestyle="--", label=key)
    ax.set_xscale("log")
    ax.set_xlabel("|SPOT / feed - 1| (all steps of all runs)")
    ax.set_ylabel("share of steps")
    ax.legend(loc="best")
    return png(plt, fig)


def _returns(plt: Any, r: PointResult) -> str:
    fig, ax = plt.subplots(figsize=(6, 4.5))
    col, mms = r.metrics["col_return_peg"], r.metrics["mms_return_peg"]
    ax.scatter(col, mms, s=10, color="#08306b", alpha=0.6)
    low, high = float(min(col.min(), mms.min())), float(max(col.max(), mms.max()))
    ax.plot([low, high], [low, high], color="#999", linestyle="--", label="same as holding COL")
    ax.set_xlabel("holding COL: return in PEG")
    ax.set_ylabel("holding MMS: return in PEG")
    ax.legend(loc="best")
    return png(plt, fig)


def _sweep(plt: Any, results: Sequence[PointResult]) -> str:
    keys = [
        "deviation_p99", "outside_band_share", "black_swan_probability",
        "max_shortfall_col_p95", "mms_minus_col_median", "fees_col_mean",
    ]  # fmt: skip
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.5))
    names = [label(r.params) for r in results]
    for ax, key in zip(axes.flat, keys, strict=True):
        ax.bar(range(len(results)), [r.summary[key] for r in results], color="#6baed6")
        ax.set_title(next(t for k, t, _ in HEADLINES if k == key), fontsize=9)
        ax.set_xticks(range(len(results)), names, rotation=60, ha="right", fontsize=7)
    return png(plt, fig)
