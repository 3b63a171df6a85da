"""Line charts as inline SVG, drawn on the server: no script, no CDN, readable without JS.

A chart has one x axis of times and one or more series of numbers (None leaves a gap); the y
range covers every series with a little margin, and its ends are labelled."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime

__all__ = ["Series", "line_chart"]

Series = tuple[str, Sequence[float | None], str]  # (label, values, colour)

_W, _H, _LEFT, _RIGHT, _TOP, _BOTTOM = 720, 220, 64, 12, 24, 28


def line_chart(title: str, times: Sequence[datetime], series: Sequence[Series]) -> str:
    """An SVG chart (``role="img"`` with ``title`` as its accessible name)."""
    values = [v for _, vs, _ in series for v in vs if v is not None]
    label = html.escape(title)
    head = (
        f'<svg class="chart" role="img" aria-label="{label}" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}"><text x="{_LEFT}" y="15" font-size="13">{label}</text>'
    )
    if len(times) < 2 or not values:
        return (
            head
            + f'<text x="{_LEFT}" y="{_H // 2}" fill="#667085">not enough data yet</text></svg>'
        )
    low, high = min(values), max(values)
    pad = (high - low) * 0.05 or abs(high) * 0.01 or 1.0
    low, high = low - pad, high + pad
    t0, t1 = times[0].timestamp(), times[-1].timestamp()
    span_t = (t1 - t0) or 1.0
    inner_w, inner_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def x(t: datetime) -> float:
        return _LEFT + (t.timestamp() - t0) / span_t * inner_w

    def y(v: float) -> float:
        return _TOP + (high - v) / (high - low) * inner_h

    parts = [head]
    parts.append(
        f'<rect x="{_LEFT}" y="{_TOP}" width="{inner_w}" height="{inner_h}" fill="none" '
        'stroke="#e4e7ec"/>'
        f'<text x="{_LEFT - 6}" y="{_TOP + 10}" font-size="11" text-anchor="end">{high:.4g}</text>'
        f'<text x="{_LEFT - 6}" y="{_TOP + inner_h}" font-size="11" text-anchor="end">'
        f"{low:.4g}</text>"
        f'<text x="{_LEFT}" y="{_H - 8}" font-size="11">{times[0]:%Y-%m-%d %H:%M}</text>'
        f'<text x="{_W - _RIGHT}" y="{_H - 8}" font-size="11" text-anchor="end">'
        f"{times[-1]:%Y-%m-%d %H:%M}</text>"
    )
    for i, (name, vs, colour) in enumerate(series):
        runs: list[list[str]] = [[]]
        for t, v in zip(times, vs, strict=True):
            if v is None:
                runs.append([])
            else:
                runs[-1].append(f"{x(t):.1f},{y(v):.1f}")
        for run in runs:
            if len(run) > 1:
                parts.append(
                    f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" '
                    f'points="{" ".join(run)}"/>'
                )
        lx = _W - _RIGHT - 150 * (len(series) - i)
        parts.append(
            f'<rect x="{lx}" y="6" width="10" height="10" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="15" font-size="11">{html.escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
