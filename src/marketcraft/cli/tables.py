"""Tables of metrics by point (a sweep's parameter sets) that fit the terminal: when the points'
columns do not fit beside the metric names, they are split over several tables of the same
rows, each as wide as fits; a value is never wrapped or cut, a long metric name wraps."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

__all__ = ["LABEL_WIDTH", "MAX_WIDTH", "fitted_tables"]

#: tables are kept to this many columns even on a wider terminal (readable, and pasteable)
MAX_WIDTH = 100
_BORDER = 3  # a column's padding and its border
_EDGE = 4  # the table's outer borders
#: a metric's name wraps beyond this many characters (the points' columns never do)
LABEL_WIDTH = 34


def _header_width(header: str) -> int:
    return max(len(part) for part in header.split(", "))


def fitted_tables(
    title: str,
    label_header: str,
    headers: Sequence[str],
    rows: Sequence[tuple[str, Sequence[str]]],
    width: int,
) -> list[Table]:
    """``rows`` of (metric, one cell per header) as tables no wider than ``width`` (at most
    :data:`MAX_WIDTH`): the columns in order, as many to a table as fit beside the metrics."""
    width = min(width, MAX_WIDTH)
    label_width = min(max([len(label_header), *(len(label) for label, _ in rows)]), LABEL_WIDTH)
    widths = [
        max([_header_width(h), *(len(cells[i]) for _, cells in rows)])
        for i, h in enumerate(headers)
    ]
    groups: list[list[int]] = [[]]
    used = label_width + _EDGE
    for i, column in enumerate(widths):
        if groups[-1] and used + column + _BORDER > width:
            groups.append([])
            used = label_width + _EDGE
        groups[-1].append(i)
        used += column + _BORDER
    tables = []
    for n, group in enumerate(groups, start=1):
        part = title if len(groups) == 1 else f"{title} ({n} of {len(groups)})"
        table = Table(title=part)
        table.add_column(label_header, width=label_width, overflow="fold")
        for i in group:
            table.add_column(headers[i].replace(", ", "\n"), justify="right", no_wrap=True)
        for label, cells in rows:
            table.add_row(label, *(cells[i] for i in group))
        tables.append(table)
    return tables
