"""Simulations: seeded, reproducible runs of the mechanisms on synthetic participants, on local
processes or a Dask cluster.

The names below are imported from their modules on first use: the simulators are slow to
import, and the command line starts without them."""

from typing import TYPE_CHECKING

from marketcraft.exports import lazy_exports

if TYPE_CHECKING:
    from marketcraft.sim.deal import analyze, analyze_grid
    from marketcraft.sim.dispatch import Progress, run_jobs
    from marketcraft.sim.opportunity import SimulationConfig, SimulationResult
    from marketcraft.sim.peg.runner import PointResult, run_scenario
    from marketcraft.sim.peg.scenario import Scenario, load_scenario, shipped_scenarios
    from marketcraft.sim.sweeps import combinations

__all__ = [
    "PointResult",
    "Progress",
    "Scenario",
    "SimulationConfig",
    "SimulationResult",
    "analyze",
    "analyze_grid",
    "combinations",
    "load_scenario",
    "run_jobs",
    "run_scenario",
    "shipped_scenarios",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "analyze": ".deal",
        "analyze_grid": ".deal",
        "Progress": ".dispatch",
        "run_jobs": ".dispatch",
        "SimulationConfig": ".opportunity",
        "SimulationResult": ".opportunity",
        "PointResult": ".peg.runner",
        "run_scenario": ".peg.runner",
        "Scenario": ".peg.scenario",
        "load_scenario": ".peg.scenario",
        "shipped_scenarios": ".peg.scenario",
        "combinations": ".sweeps",
    },
)
