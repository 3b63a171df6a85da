"""Plots and HTML reports (matplotlib, imported when the first picture is drawn).

The names below are imported from their modules on first use (the deal report needs scipy)."""

from typing import TYPE_CHECKING

from marketcraft.exports import lazy_exports

if TYPE_CHECKING:
    from marketcraft.reports import deal_report, peg_report
    from marketcraft.reports.opportunity_plots import plot_simulation

__all__ = [
    "deal_report",
    "peg_report",
    "plot_simulation",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "deal_report": ".deal_report",
        "plot_simulation": ".opportunity_plots",
        "peg_report": ".peg_report",
    },
)
