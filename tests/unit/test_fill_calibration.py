"""Fill intensity calibrated from trades: the fit recovers the A and k trades were drawn from
(within its standard errors, which are themselves right in size), the shipped sample is the
draw its header says, and unreadable files are refused naming the file and line."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from typer.testing import CliRunner

from marketcraft.cli import app
from marketcraft.deal.calibration import fit_fills, read_trades, synthetic_trades, write_trades
from marketcraft.kernel.errors import ValidationError

SAMPLE = Path(__file__).parents[2] / "examples" / "deals" / "trades-sample.csv"
ANSWER = (20.0, 0.3, 50.0, 7)  # intensity, decay, hours, seed: as the sample's header says


def test_the_shipped_sample_is_the_draw_its_header_names(tmp_path):
    intensity, decay, hours, seed = ANSWER
    again = tmp_path / "again.csv"
    first_line = SAMPLE.read_text().splitlines()[0]
    write_trades(again, synthetic_trades(intensity, decay, hours, seed), first_line[2:])
    assert again.read_text() == SAMPLE.read_text()
    assert "A = 20/h, decay k = 0.3/bp, 50 h, seed 7" in first_line


def test_the_fit_recovers_the_samples_answer_within_its_errors():
    fit = fit_fills(*read_trades(SAMPLE))
    assert abs(fit.intensity - 20.0) < 3 * fit.intensity_se
    assert abs(fit.decay - 0.3) < 3 * fit.decay_se
    assert fit.grid_r2 > 0.98 and fit.ks < 0.05
    assert fit.hours == pytest.approx(50.0)


@settings(max_examples=15, deadline=None)
@given(st.floats(5, 50), st.floats(0.05, 2.0), st.integers(0, 2**32 - 1))
def test_the_fit_recovers_any_intensity_and_decay(intensity, decay, seed):
    hours = 600 / intensity  # about 600 trades
    trades = synthetic_trades(intensity, decay, hours, seed)
    at = np.array([np.datetime64(t[0][:19]) for t in trades]).astype("datetime64[s]").astype(float)
    distances = np.array([abs(p - m) / m * 1e4 for _, p, m in trades])
    fit = fit_fills(float(at[-1] - at[0]) / 3600, distances)
    assert abs(fit.intensity - intensity) < 5 * fit.intensity_se
    assert abs(fit.decay - decay) < 5 * fit.decay_se


def test_the_standard_errors_are_the_right_size():
    """Over many draws, (estimate - truth) / standard error has a spread near 1."""
    z = []
    for seed in range(60):
        rng = np.random.default_rng(seed)
        distances = rng.exponential(1 / 0.4, 400)
        z.append((fit_fills(20.0, distances).decay - 0.4) / fit_fills(20.0, distances).decay_se)
    assert 0.7 < float(np.std(z)) < 1.4 and abs(float(np.mean(z))) < 0.5


@pytest.mark.parametrize(("text", "says"), [
    ("time,price\n1,1\n", "needs a header with 'time', 'price' and 'mid'"),
    ("time,price,mid\n1,1,1\nsoon,1,1\n", "line 3"),
    ("time,price,mid\n1,1,0\n", "line 2: the mid must be positive"),
    ("time,price,mid\n" + "".join(f"{i},1.001,1\n" for i in range(5)), "5 trades"),
])  # fmt: skip
def test_unreadable_trades_are_refused_naming_the_file_and_line(tmp_path, text, says):
    path = tmp_path / "mine.csv"
    path.write_text(text)
    with pytest.raises(ValidationError) as refused:
        fit_fills(*read_trades(path))
    assert says in refused.value.reason and refused.value.code == "bad_trades"


def test_the_command_prints_the_fit_and_the_venue_lines():
    result = CliRunner().invoke(app, ["deal", "calibrate", str(SAMPLE), "--json"])
    assert result.exit_code == 0, result.output
    fit = json.loads(result.stdout)
    assert fit["trades"] > 900 and len(fit["grid"]) == 10
    shown = CliRunner().invoke(app, ["deal", "calibrate", str(SAMPLE)])
    assert "[[venues]]\nintensity = " in shown.stdout and "decay = 0.29" in shown.stdout


def test_the_fit_checks_against_independent_references():
    """KS against scipy's, the grid's rates counted here, R^2 from the grid's own columns."""
    rng = np.random.default_rng(3)
    d = rng.exponential(1 / 0.7, 500)
    fit = fit_fills(25.0, d)
    assert fit.decay == pytest.approx(500 / d.sum(), rel=1e-12)
    assert fit.intensity == pytest.approx(20.0) and fit.intensity_se == pytest.approx(20 / 500**0.5)
    expected_ks = stats.kstest(d, "expon", args=(0, 1 / fit.decay)).statistic
    assert fit.ks == pytest.approx(expected_ks, rel=1e-9)
    deltas = [x for x, _, _ in fit.grid]
    assert len(deltas) == 10 and deltas[0] == pytest.approx(d.min())
    for delta, rate, fitted in fit.grid:
        assert rate == pytest.approx((d >= delta).sum() / 25.0)
        assert fitted == pytest.approx(fit.intensity * np.exp(-fit.decay * delta))
    logs = np.log([r for _, r, _ in fit.grid])
    fits = np.log([f for _, _, f in fit.grid])
    r2 = 1 - ((logs - fits) ** 2).sum() / ((logs - logs.mean()) ** 2).sum()
    assert fit.grid_r2 == pytest.approx(r2, rel=1e-12) and 0.9 < fit.grid_r2 < 1.0


def test_the_fit_refuses_too_few_trades_no_span_and_bad_distances():
    d = np.full(30, 2.0)
    assert fit_fills(1.0, d).trades == 30  # the least a fit takes
    for hours, distances, says in (
        (1.0, d[:29], "29 trades"), (0.0, d, "span"), (-1.0, d, "span"),
        (math.inf, d, "span"), (1.0, np.zeros(30), "not all 0"),
        (1.0, np.append(d[:29], -1.0), "finite"), (1.0, np.append(d[:29], math.nan), "finite"),
    ):  # fmt: skip
        with pytest.raises(ValidationError) as refused:
            fit_fills(hours, distances)
        assert says in refused.value.reason


def test_distances_are_relative_to_the_mid_in_basis_points(tmp_path):
    path = tmp_path / "btc.csv"
    rows = [f"{3600 * i / 39},{2000 * (1 + (-1) ** i * 0.0003)},2000" for i in range(40)]
    path.write_text("time,price,mid\n" + "\n".join(rows) + "\n")
    hours, distances = read_trades(path)
    assert hours == pytest.approx(1.0) and distances == pytest.approx(np.full(40, 3.0))
