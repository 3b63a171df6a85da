"""The simulation measures the point of the mechanism: informed blind scouts make prices that
rank the true outcomes, at a cost within the sponsor's budget; runs are reproducible."""

import json
from decimal import Decimal as D

from typer.testing import CliRunner

from marketcraft.cli import app
from marketcraft.sim.opportunity import SimulationConfig, auc, simulate_program

SMALL = SimulationConfig(markets=24, scouts=60, seed=5, base_rate=0.25)


def test_same_seed_same_run_and_cost_within_budget():
    a, b = simulate_program(SMALL), simulate_program(SMALL)
    assert a.summary() == b.summary()
    assert a.prices == b.prices
    assert 0 < a.sponsor_cost <= a.total_budget
    assert all(SMALL.pa <= p <= SMALL.pb for p in a.prices.values())
    assert (
        simulate_program(SimulationConfig(markets=24, scouts=60, seed=6, base_rate=0.25)).prices
        != a.prices
    )


def test_informed_scouts_rank_outcomes_and_noise_does_not():
    informed = simulate_program(SMALL)
    noise = simulate_program(
        SimulationConfig(markets=24, scouts=60, seed=5, base_rate=0.25, skill=0.0)
    )
    assert informed.auc >= 0.9
    assert noise.auc <= informed.auc - 0.2


def test_auc_definition():
    labels = {"a": True, "b": False, "c": True, "d": False}

    assert auc({"a": D(3), "b": D(1), "c": D(2), "d": D(0)}, labels) == 1.0
    assert auc({"a": D(0), "b": D(1), "c": D(0), "d": D(2)}, labels) == 0.0
    assert auc({k: D(1) for k in labels}, labels) == 0.5


def test_cli_reports_and_draws(tmp_path):
    png = tmp_path / "sim.png"
    result = CliRunner().invoke(
        app,
        [
            "opportunity",
            "simulate",
            "--markets",
            "12",
            "--scouts",
            "30",
            "--plot",
            str(png),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert {"sponsor_cost", "total_budget", "auc", "plot"} <= set(summary)
    # amounts as exact decimal strings, as the API gives them
    assert D(summary["sponsor_cost"]) <= D(summary["total_budget"]) == 12 * 25_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
