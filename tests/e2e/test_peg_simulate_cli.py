"""`marketcraft peg simulate` end to end: headline table or JSON, Parquet and CSV with a row
per run and grid point, an HTML report with its plots, clear errors, and a Dask cluster giving
the same numbers as local processes."""

import json

import pyarrow.parquet as pq
import pytest
from distributed import LocalCluster
from typer.testing import CliRunner

from marketcraft.cli import app

runner = CliRunner()
SMALL = ["--runs", "4", "--days", "2"]


def simulate(*args):
    result = runner.invoke(app, ["peg", "simulate", *args])
    return result


def test_a_sweep_writes_runs_summary_and_report(tmp_path):
    result = simulate(
        "gbm-crash", *SMALL, "--sweep", "band=0.02,0.05", "--sweep", "delay=1,24",
        "--out", str(tmp_path), "--json", "--workers", "2",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert [p["params"] for p in payload["points"]] == [
        {"band": 0.02, "delay_hours": 1.0},
        {"band": 0.02, "delay_hours": 24.0},
        {"band": 0.05, "delay_hours": 1.0},
        {"band": 0.05, "delay_hours": 24.0},
    ]
    summary = payload["points"][0]["summary"]
    for key in ("deviation_p99", "black_swan_probability", "mms_minus_col_median", "fees_col_mean"):
        assert summary[key] is not None
    assert summary["time_to_recover_hours_mean"] is None  # no recovery: nothing to measure
    runs = pq.read_table(tmp_path / "runs.parquet")
    assert runs.num_rows == 4 * 4
    assert {"point", "run", "band", "delay_hours", "max_deviation", "mms_return_peg"} <= set(
        runs.column_names
    )
    assert (tmp_path / "runs.csv").read_text().count("\n") == 4 * 4 + 1
    assert pq.read_table(tmp_path / "summary.parquet").num_rows == 4
    page = (tmp_path / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 7  # six charts and the grid
    assert "band=0.05, delay_hours=24" in page


def test_the_table_names_every_headline(tmp_path):
    result = simulate("slow-crash", *SMALL, "--out", str(tmp_path), "--workers", "1")
    assert result.exit_code == 0, result.output
    for text in ("time outside the band", "black swan", "MMS minus holding COL", "report:"):
        assert text in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere"], "no shipped one"),
        (["gbm-crash", "--sweep", "colour=1"], "NAME=V1"),
        (["gbm-crash", "--sweep", "fee=0.7"], "fee"),
    ],
)
def test_bad_input_exits_2_with_a_reason(tmp_path, args, message):
    result = simulate(*args, "--out", str(tmp_path))
    assert result.exit_code == 2
    assert message in result.output


def test_a_dask_cluster_gives_the_same_numbers_as_local_processes(tmp_path):
    local = simulate("stale-feed", *SMALL, "--out", str(tmp_path / "a"), "--json")
    with LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        remote = simulate(
            "stale-feed", *SMALL, "--out", str(tmp_path / "b"), "--json",
            "--scheduler", cluster.scheduler_address,
        )  # fmt: skip
    assert local.exit_code == 0 and remote.exit_code == 0, remote.output
    assert json.loads(local.output)["points"] == json.loads(remote.output)["points"]


def test_the_crash_scenario_reports_each_mode_flip_with_its_day(tmp_path):
    """crash-run: COL loses 95% on day 10 and the market enters recovery; the table, the JSON,
    flips.csv and the report show when."""
    args = ["crash-run", "--runs", "2", "--days", "12", "--workers", "1"]
    result = simulate(*args, "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "mode flips per run (mean)" in result.output
    assert "run 0: 1 flip: day 1" in result.output and "to recovery" in result.output
    flips = pq.read_table(tmp_path / "flips.parquet").to_pylist()
    assert [(f["run"], f["mode"]) for f in flips] == [(0, "recovery"), (1, "recovery")]
    assert all(10 < f["day"] < 12 for f in flips)
    assert "Mode flips" in (tmp_path / "report.html").read_text()
    payload = json.loads(simulate(*args, "--out", str(tmp_path / "j"), "--json").output)
    point = payload["points"][0]
    assert point["summary"]["mode_flips_mean"] == 1 and point["summary"]["refall_48h_share"] == 0
    assert point["mode_flips"][0].startswith("run 0: 1 flip: day 1")
