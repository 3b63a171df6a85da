"""Line charts as inline SVG, drawn on the server: no script, no CDN, readable without JS.

A chart has one x axis of times and one or more series of numbers (None leaves a gap). It is
drawn to what a trader expects of a chart:

- *nice* ticks on both axes (1, 2, 2.5 or 5 times a power of ten; times on whole minutes,
  hours or days) with gridlines, labelled in the page's number format (percentages for
  probabilities, thousands separators or k/M for large figures, never ``2.08e+05``);
- an axis that never runs below zero for a quantity that cannot (every series non-negative);
- an optional shaded band (the probability band, the peg band);
- hover values: each slice of the time axis carries a ``<title>`` with the time and every
  series' value there, which the browser shows as a tooltip.

The SVG scales to its card (``width: 100%`` in the pages' style); its ``viewBox`` fixes the
drawing's proportions.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["RANGES", "Band", "Series", "line_chart", "nice_ticks", "range_start", "time_ticks"]

Series = tuple[str, Sequence[float | None], str]  # (label, values, colour)

_W, _H, _LEFT, _RIGHT, _TOP, _BOTTOM = 640, 260, 64, 14, 34, 30
_FONT, _SMALL = 14, 12
_GRID, _MUTED, _BAND = "#eaecf0", "#667085", "#e8f0fb"
#: at most this many hover slices (a long history is summarised, not drawn point by point)
_HOVER_SLICES = 120
#: time steps a time axis may tick at
_TIME_STEPS = [timedelta(minutes=m) for m in (1, 5, 15, 30)] + [
    timedelta(hours=h) for h in (1, 3, 6, 12)
] + [timedelta(days=d) for d in (1, 2, 7, 14, 30, 91, 182, 365)]  # fmt: skip


@dataclass(frozen=True)
class Band:
    """A shaded range of the y axis, named ``label``: ``low`` to ``high``, fixed (numbers) or
    moving with time (one value per time, as the peg band moves with the feed)."""

    low: float | Sequence[float | None]
    high: float | Sequence[float | None]
    label: str

    def edges(self, count: int) -> tuple[list[float | None], list[float | None]]:
        """Both edges as one value per time."""

        def each(edge: float | Sequence[float | None]) -> list[float | None]:
            return [float(edge)] * count if isinstance(edge, int | float) else list(edge)

        return each(self.low), each(self.high)


#: the time ranges a chart's page offers, by the name its ``range`` query takes
RANGES: dict[str, timedelta | None] = {
    "1d": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30), "all": None,
}  # fmt: skip


def range_start(name: str, now: datetime) -> datetime | None:
    """Where the range ``name`` starts (None: from the beginning; an unknown name is all)."""
    length = RANGES.get(name)
    return None if length is None else now - length


def nice_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Ticks covering [low, high] at a step of 1, 2, 2.5 or 5 times a power of ten, at most
    ``most`` of them (``most`` >= 3: two ticks cannot cover a range that straddles a tick)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError("ticks need finite ends")
    if most < 3:
        raise ValueError("a nice axis needs room for three ticks")
    low, high = min(low, high), max(low, high)
    if high - low <= max(abs(low), abs(high)) * 1e-9:  # one value (to a part in 10^9)
        pad = abs(high) * 0.01 or 1.0
        low, high = low - pad, high + pad
    power = 10.0 ** math.floor(math.log10((high - low) / (most - 1)))
    while True:  # the step only grows, so the count of ticks falls to ``most`` or fewer
        for multiple in (1, 2, 2.5, 5):
            step = multiple * power
            first, last = math.floor(low / step), math.ceil(high / step)
            if last - first + 1 <= most:
                return [i * step for i in range(first, last + 1)]
        power *= 10


def time_ticks(start: datetime, end: datetime, most: int = 6) -> list[datetime]:
    """Times inside [start, end] on a whole step (minutes, hours, days: the smallest that
    gives at most ``most`` ticks), aligned to the step in UTC."""
    span = max(end - start, timedelta(seconds=1))
    step = next((s for s in _TIME_STEPS if span / s <= most - 1), _TIME_STEPS[-1])
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    first = epoch + step * math.ceil((start - epoch) / step)
    ticks = []
    at = first
    while at <= end:
        ticks.append(at)
        at += step
    return ticks


def _compact(value: float, step: float, percent: bool) -> str:
    """An axis label: a percentage for a probability; separators, or k and M for large
    figures; as many decimals as the step needs."""
    if percent:
        value, step = value * 100, step * 100
    if abs(value) < step / 1e6:  # zero, whatever the scale: never 0k or -0
        return "0%" if percent else "0"
    size = max(abs(value), step)
    suffix, scale = ("M", 1e6) if size >= 1e6 else ("k", 1e3) if size >= 1e4 else ("", 1.0)
    decimals = max(0, -math.floor(math.log10(step / scale) + 1e-9)) if step else 0
    text = f"{value / scale:,.{min(decimals, 6)}f}"
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]  # never -0
    return text + suffix + ("%" if percent else "")


def _exact_enough(value: float, percent: bool) -> str:
    """A value for its hover title: a percentage to two decimals, or a figure with
    separators (two decimals from a thousand up, six significant below)."""
    if percent:
        return f"{value * 100:.2f}%"
    if abs(value) >= 1000:
        return f"{value:,.2f}"
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _time_label(at: datetime, step: timedelta, previous: datetime | None) -> str:
    if step >= timedelta(days=1):
        return f"{at:%b %d}"
    if previous is None or previous.date() != at.date():
        return f"{at:%b %d %H:%M}"
    return f"{at:%H:%M}"


@dataclass(frozen=True)
class _Frame:
    """The plot's coordinates: times across, values up."""

    t0: datetime
    seconds: float
    low: float
    high: float

    def x(self, t: datetime) -> float:
        return _LEFT + (t - self.t0).total_seconds() / self.seconds * (_W - _LEFT - _RIGHT)

    def y(self, v: float) -> float:
        return _TOP + (self.high - v) / (self.high - self.low) * (_H - _TOP - _BOTTOM)


def _value_ticks(shown: list[float]) -> list[float]:
    """The y axis's ticks: the values with a little margin, never below zero when no value
    is."""
    low, high = min(shown), max(shown)
    pad = (high - low) * 0.05 or abs(high) * 0.01 or 1.0
    bottom = max(low - pad, 0.0) if low >= 0 else low - pad
    return nice_ticks(bottom, high + pad)


def _band_area(frame: _Frame, times: Sequence[datetime], band: Band) -> str:
    """The band's area: along its top edge, back along its bottom."""
    lows, highs = band.edges(len(times))
    upper = [(frame.x(t), frame.y(min(v, frame.high)))
             for t, v in zip(times, highs, strict=True) if v is not None]  # fmt: skip
    lower = [(frame.x(t), frame.y(max(v, frame.low)))
             for t, v in zip(times, lows, strict=True) if v is not None]  # fmt: skip
    outline = " ".join(f"{px:.1f},{py:.1f}" for px, py in upper + lower[::-1])
    return (
        f'<polygon class="band" points="{outline}" fill="{_BAND}"><title>'
        f"{html.escape(band.label)}</title></polygon>"
    )


def _grid(frame: _Frame, ticks: list[float], times: Sequence[datetime], percent: bool) -> str:
    """Gridlines at the ticks of both axes, with their labels."""
    parts = []
    step = ticks[1] - ticks[0]
    for tick in ticks:  # horizontal, labelled on the left
        at = frame.y(tick)
        parts.append(
            f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{at:.1f}" y2="{at:.1f}" '
            f'stroke="{_GRID}"/><text x="{_LEFT - 6}" y="{at + 4:.1f}" text-anchor="end" '
            f'font-size="{_SMALL}" fill="{_MUTED}">{_compact(tick, step, percent)}</text>'
        )
    marks = time_ticks(times[0], times[-1])
    time_step = marks[1] - marks[0] if len(marks) > 1 else timedelta(days=1)
    previous = None
    for mark in marks:  # vertical, labelled below
        at = frame.x(mark)
        parts.append(
            f'<line x1="{at:.1f}" x2="{at:.1f}" y1="{_TOP}" y2="{_H - _BOTTOM}" '
            f'stroke="{_GRID}"/><text x="{at:.1f}" y="{_H - 10}" text-anchor="middle" '
            f'font-size="{_SMALL}" fill="{_MUTED}">{_time_label(mark, time_step, previous)}'
            "</text>"
        )
        previous = mark
    return "".join(parts)


def _lines(frame: _Frame, times: Sequence[datetime], series: Sequence[Series]) -> str:
    """Each series as polylines (a None breaks the line), and the legend."""
    parts: list[str] = []
    for i, (name, vs, colour) in enumerate(series):
        runs: list[list[str]] = [[]]
        for t, v in zip(times, vs, strict=True):
            if v is None:
                runs.append([])
            else:
                runs[-1].append(f"{frame.x(t):.1f},{frame.y(v):.1f}")
        parts.extend(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(run)}"/>'
            for run in runs
            if len(run) > 1
        )
        lx = _W - _RIGHT - 130 * (len(series) - i)
        parts.append(
            f'<rect x="{lx}" y="8" width="10" height="10" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="18" font-size="{_SMALL}">{html.escape(name)}</text>'
        )
    return "".join(parts)


def line_chart(
    title: str,
    times: Sequence[datetime],
    series: Sequence[Series],
    *,
    band: Band | None = None,
    percent: bool = False,
) -> str:
    """An SVG chart (``role="img"`` with ``title`` as its accessible name). ``percent``: the
    values are probabilities, labelled as percentages."""
    values = [v for _, vs, _ in series for v in vs if v is not None]
    label = html.escape(title)
    head = (
        f'<svg class="chart" role="img" aria-label="{label}" viewBox="0 0 {_W} {_H}" '
        f'font-size="{_FONT}" font-family="system-ui, sans-serif">'
        f'<text x="{_LEFT}" y="18" font-weight="600">{label}</text>'
    )
    if len(times) < 2 or not values:
        return (
            head
            + f'<text x="{_LEFT}" y="{_H // 2}" fill="{_MUTED}">not enough data yet</text></svg>'
        )
    edges = [v for edge in (band.edges(len(times)) if band else ()) for v in edge if v is not None]
    ticks = _value_ticks(values + edges)
    frame = _Frame(times[0], (times[-1] - times[0]).total_seconds() or 1.0, ticks[0], ticks[-1])
    return "".join([
        head,
        _band_area(frame, times, band) if band else "",
        _grid(frame, ticks, times, percent),
        _lines(frame, times, series),
        _hover(times, series, frame.x, percent, ticks[1] - ticks[0]),
        "</svg>",
    ])  # fmt: skip


def _hover(
    times: Sequence[datetime],
    series: Sequence[Series],
    x: Callable[[datetime], float],
    percent: bool,
    step: float,
) -> str:
    """Transparent slices of the plot, each titled with its time and the series' values there
    (the last point of the slice): the browser's tooltip on hover."""
    count = len(times)
    slices = min(count, _HOVER_SLICES)
    inner_h = _H - _TOP - _BOTTOM
    parts = ['<g class="hover" fill="transparent">']
    for k in range(slices):
        lo, hi = k * count // slices, (k + 1) * count // slices - 1
        left, right = x(times[lo]), x(times[hi])
        if k + 1 < slices:
            right = x(times[(k + 1) * count // slices])
        shown = "; ".join(
            f"{name} {_exact_enough(value, percent)}"
            for name, vs, _ in series
            if (value := vs[hi]) is not None
        )
        parts.append(
            f'<rect x="{left:.1f}" y="{_TOP}" width="{max(right - left, 1.0):.1f}" '
            f'height="{inner_h}"><title>{times[hi]:%Y-%m-%d %H:%M} UTC: '
            f"{html.escape(shown)}</title></rect>"
        )
    parts.append("</g>")
    return "".join(parts)
