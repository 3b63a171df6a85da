"""`marketcraft opportunity plan|quote`: the spec's public numbers, JSON keys, clear errors."""

import json
import re

import pytest
from typer.testing import CliRunner

from marketcraft.cli import app

runner = CliRunner()
PLAN_KEYS = {
    "liquidity",
    "max_loss",
    "full_traverse_shares",
    "full_traverse_cash",
    "depth_to_double_price",
    "depth_to_double_shares",
    "depth_to_double_cash",
}


def run_json(*args: str) -> dict:
    """The command's JSON, its amounts (exact decimal strings, as the API gives them) read as
    numbers for the comparisons below."""
    result = runner.invoke(app, ["opportunity", *args, "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert all(isinstance(v, bool) or re.fullmatch(r"-?\d+(\.\d+)?", v) for v in out.values())
    return {k: v if isinstance(v, bool) else float(v) for k, v in out.items()}


def test_plan_reproduces_the_published_band_numbers():
    out = run_json("plan", "--budget", "25000", "--band", "0.01", "0.30")
    assert set(out) == PLAN_KEYS
    assert out["liquidity"] == pytest.approx(7350.35259, abs=1e-5)
    assert out["max_loss"] == pytest.approx(25000, abs=1e-6)
    assert out["full_traverse_shares"] == pytest.approx(27547.8, abs=0.05)
    assert out["full_traverse_cash"] == pytest.approx(2547.8, abs=0.05)
    assert out["depth_to_double_price"] == pytest.approx(0.02)
    assert 0 < out["depth_to_double_cash"] < out["full_traverse_cash"]


def test_quote_reproduces_the_published_trade():
    out = run_json(
        "quote", "--budget", "25000", "--band", "0.01", "0.30", "--price", "0.01", "--cash", "100"
    )
    assert {"shares", "new_price"} <= set(out)
    assert out["shares"] == pytest.approx(6341.8494, abs=1e-4)
    assert out["new_price"] == pytest.approx(0.0233775, abs=1e-7)
    assert out["cost"] <= 100


@pytest.mark.parametrize("amm", ["lmsr", "range", "pmamm"])
def test_every_amm_plans_to_the_budget_and_quotes_inside_the_band(amm):
    out = run_json("plan", "--budget", "5000", "--band", "0.02", "0.25", "--amm", amm)
    # shown rounded up to 6 places: the worst case is never understated
    assert 5000 <= out["max_loss"] <= 5000.000001
    assert out["full_traverse_shares"] - out["full_traverse_cash"] == pytest.approx(5000, abs=1e-5)
    q = run_json(
        "quote",
        "--budget",
        "5000",
        "--band",
        "0.02",
        "0.25",
        "--amm",
        amm,
        "--price",
        "0.1",
        "--cash",
        "50",
    )
    assert 0.1 < q["new_price"] <= 0.25
    assert q["shares"] > 50


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "--budget", "0", "--band", "0.01", "0.3"], "budget"),
        (["plan", "--budget", "10", "--band", "0.3", "0.01"], "band"),
        (["plan", "--budget", "ten", "--band", "0.01", "0.3"], "not a number"),
        (
            ["quote", "--budget", "10", "--band", "0.01", "0.3", "--price", "0.5", "--cash", "1"],
            "within",
        ),
        (
            [
                "quote",
                "--budget",
                "10",
                "--band",
                "0.01",
                "0.3",
                "--price",
                "0.1",
                "--cash",
                "0.001",
            ],
            "units",
        ),
    ],
)
def test_bad_input_gets_a_clear_error_and_nonzero_exit(args, message):
    result = runner.invoke(app, ["opportunity", *args])
    assert result.exit_code != 0
    text = result.output + str(result.exception or "")
    assert message in text
