"""What every HTML report shares: matplotlib set up off-screen, figures as embedded PNGs, a
fan chart of many paths over time, and the page around them (one self-contained file,
readable offline)."""

from __future__ import annotations

import base64
import html
import io
from typing import Any

import numpy as np

__all__ = ["fan", "page", "pictures", "png", "pyplot"]

STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;"
    "padding:0 1em}"
    # a wide table scrolls inside itself on a narrow screen; the page never scrolls sideways
    "table{border-collapse:collapse;margin:1em 0;display:block;overflow-x:auto;max-width:100%}"
    "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
    "td:first-child,th:first-child{text-align:left}img{max-width:100%}"
)


def pyplot() -> Any:
    """matplotlib's pyplot on the off-screen backend."""
    try:
        import matplotlib  # noqa: PLC0415 (slow start)

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415 (slow start)
    except ImportError as exc:  # pragma: no cover - the extra is missing
        raise RuntimeError("reports need matplotlib: pip install 'marketcraft[reports]'") from exc
    return plt


def png(plt: Any, fig: Any) -> str:
    """The figure as base64 PNG, closed."""
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def fan(plt: Any, days: np.ndarray, values: np.ndarray, ylabel: str, what: str = "runs") -> str:
    """Median and p1-p99 / p5-p95 bands over time; ``values`` is (days, paths)."""
    fig, ax = plt.subplots(figsize=(10, 3.6))
    if len(days):
        low1, low5, mid, high5, high1 = np.nanpercentile(values, [1, 5, 50, 95, 99], axis=1)
        ax.fill_between(days, low1, high1, color="#c6dbef", label=f"p1-p99 of {what}")
        ax.fill_between(days, low5, high5, color="#6baed6", label="p5-p95")
        ax.plot(days, mid, color="#08306b", linewidth=1, label="median")
    ax.set_xlabel("day")
    ax.set_ylabel(ylabel)
    ax.legend(loc="best")
    return png(plt, fig)


def pictures(figures: list[tuple[str, str]]) -> str:
    """``(title, png)`` pairs as headed images."""
    return "".join(
        f'<h2>{html.escape(title)}</h2><img alt="{html.escape(title)}" '
        f'src="data:image/png;base64,{data}">'
        for title, data in figures
    )


def page(title: str, body: str) -> str:
    """A whole HTML page; ``body`` is trusted HTML (escape what goes into it)."""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{body}</body></html>"
    )
