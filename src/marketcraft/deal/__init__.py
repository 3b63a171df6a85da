"""Market-maker deal desk: loan + call-option market-making deals, their greeks, a vectorised
Monte Carlo of the delta-neutral strategy (run by :mod:`marketcraft.sim.deal`), and the live
hedge calculator.

The names below are imported from their modules on first use: the greeks need scipy, slow to
import, and the command line and the server start without it."""

from typing import TYPE_CHECKING

from marketcraft.exports import lazy_exports

if TYPE_CHECKING:
    from marketcraft.deal.analysis import Analysis, summarize
    from marketcraft.deal.greeks import Greeks, black_scholes
    from marketcraft.deal.hedge import HedgeOrder, Positions, hedge_now, load_positions
    from marketcraft.deal.terms import SWEEPABLE, Terms, load_terms, with_params
    from marketcraft.deal.time_grid import TimeGrid, parse_step

__all__ = [
    "SWEEPABLE",
    "Analysis",
    "Greeks",
    "HedgeOrder",
    "Positions",
    "Terms",
    "TimeGrid",
    "black_scholes",
    "hedge_now",
    "load_positions",
    "load_terms",
    "parse_step",
    "summarize",
    "with_params",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "Analysis": ".analysis",
        "summarize": ".analysis",
        "Greeks": ".greeks",
        "black_scholes": ".greeks",
        "HedgeOrder": ".hedge",
        "Positions": ".hedge",
        "hedge_now": ".hedge",
        "load_positions": ".hedge",
        "SWEEPABLE": ".terms",
        "Terms": ".terms",
        "load_terms": ".terms",
        "with_params": ".terms",
        "TimeGrid": ".time_grid",
        "parse_step": ".time_grid",
    },
)
