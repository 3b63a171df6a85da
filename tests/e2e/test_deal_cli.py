"""`marketcraft deal analyze` and `deal hedge` end to end: tables or JSON, Parquet results, an
HTML report with its plots, clear errors, and a Dask cluster giving the same numbers as local
processes."""

import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from distributed import LocalCluster
from typer.testing import CliRunner

from marketcraft.cli import app

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "deals"
POSITIONS = str(EXAMPLES / "positions.toml")


def short_terms(tmp_path, days=8):
    text = (EXAMPLES / "article.toml").read_text()
    text = text.replace("tenor_days = 365", f"tenor_days = {days}")
    path = tmp_path / "deal.toml"
    path.write_text(text)
    return path


def analyze(*args):
    return runner.invoke(app, ["deal", "analyze", *args])


def test_analyze_writes_results_and_a_report(tmp_path):
    terms = short_terms(tmp_path)
    out = tmp_path / "out"
    result = analyze(str(terms), "--paths", "40", "--step", "2h", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    s = payload["summary"]
    assert s["attribution_residual"] < 1e-9
    assert abs(sum(v for k, v in s.items() if k.startswith("attr_")) - s["pnl_mean"]) < 1e-3
    expected = ["var_5%", "cvar_1%", "sharpe_median", "options_bs", "options_fair", "given_away"]
    expected += ["options_mc_rule", "exercise_rule_cost", "exercise_rule_cost_se"]
    expected += ["exercise_probability_0", "uptime_A", "tokens_sold_mean", "peak_perp_p95"]
    assert set(expected) <= set(s)
    paths = pq.read_table(out / "paths.parquet")
    assert paths.num_rows == 40 and "pnl" in paths.column_names
    daily = pq.read_table(out / "daily.parquet")
    assert daily.num_rows == 9 and daily.column("day").to_pylist()[-1] == 8
    assert pq.read_table(out / "options.parquet").num_rows == 5 * 3
    report = (out / "report.html").read_text()
    assert len(re.findall(r'<img alt="[^"]+" src="data:image/png;base64,', report)) == 9
    for title in ("The market maker", "The project", "Attribution", "Obligations"):
        assert title in report
    for row in ("given away at signing", "what that rule costs the desk", "held to expiry"):
        assert row in report
    assert json.loads((out / "summary.json").read_text())["paths"] == 40


def test_analyze_prints_both_views(tmp_path):
    result = analyze(str(short_terms(tmp_path, 3)), "--paths", "10", "--out", str(tmp_path / "o"))
    assert result.exit_code == 0, result.output
    for text in ("market maker's view", "project's view", "VaR 5%", "given away at signing",
                 "attribution", "report:"):  # fmt: skip
        assert text in result.output


def test_analyze_refuses_bad_input_clearly(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[loan]\ntokens = -1\n")
    result = analyze(str(bad))
    assert result.exit_code == 2 and "loan.tokens must be in (0, 1e+18], not -1" in result.output
    result = analyze(str(short_terms(tmp_path)), "--step", "soon")
    assert result.exit_code == 2 and "write the step as 1h" in result.output
    result = analyze(str(tmp_path / "missing.toml"))
    assert result.exit_code == 2 and "cannot read" in result.output


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("vol = 1.0", "vol = inf", "market.vol must be a finite number, not inf"),
        ("vol = 1.0", "vol = 1.0\ndrift = nan", "market.drift must be a finite number, not nan"),
        ("[market]", "[costs]\nhalf_spread = nan\n[market]", "costs.half_spread must be a finite"),
        ("[market]", "[funding]\nrate = nan\n[market]", "funding.rate must be a finite number"),
        ("vol = 1.0", "vol = 50", "market.vol, market.drift and the jumps"),
        ("tenor_days = 365", "tenor_days = 1e400", "loan.tenor_days must be a finite number"),
    ],
)
def test_terms_that_cannot_be_simulated_are_refused_naming_the_key(tmp_path, old, new, key):
    path = tmp_path / "deal.toml"
    path.write_text((EXAMPLES / "article.toml").read_text().replace(old, new))
    result = analyze(str(path), "--paths", "4", "--out", str(tmp_path / "o"))
    assert result.exit_code == 2, result.output
    assert key in result.output and "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_a_cex_only_deal_without_a_pool_runs(tmp_path):
    path = short_terms(tmp_path, 4)
    path.write_text(path.read_text().replace("value = 1_000_000", "value = 0"))
    out = tmp_path / "o"
    result = analyze(str(path), "--paths", "6", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    s = json.loads(result.output)["summary"]
    assert all(v is not None for v in s.values()), s
    assert s["attr_lp_fees"] == 0 and s["attr_lp_divergence"] == 0 and s["lvr_mean"] == 0
    assert (out / "report.html").exists()


def test_a_bad_seed_or_paths_is_refused(tmp_path):
    for option, value in (("--seed", "-1"), ("--paths", "100000000")):
        result = analyze(str(short_terms(tmp_path)), option, value, "--out", str(tmp_path / "o"))
        assert result.exit_code == 2, result.output
        assert option[2:] in result.output


def test_a_step_that_cannot_be_simulated_is_refused(tmp_path):
    for step in ("7h", "5h", "25h"):
        result = analyze(str(short_terms(tmp_path)), "--step", step, "--out", str(tmp_path / "o"))
        assert result.exit_code == 2, result.output
        refusal = f"--step: {step[:-1]}h cannot be simulated: the step must divide a day"
        assert refusal in result.output
    assert not (tmp_path / "o").exists()


def test_a_dask_cluster_gives_the_same_numbers(tmp_path):
    terms = short_terms(tmp_path, 3)
    local = analyze(str(terms), "--paths", "30", "--out", str(tmp_path / "a"), "--json")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster:
        remote = analyze(str(terms), "--paths", "30", "--out", str(tmp_path / "b"), "--json",
                         "--scheduler", cluster.scheduler_address)  # fmt: skip
    assert local.exit_code == 0 and remote.exit_code == 0, remote.output
    assert json.loads(local.output)["summary"] == json.loads(remote.output)["summary"]


def test_hedge_prints_the_order():
    result = runner.invoke(app, ["deal", "hedge", POSITIONS, "--price", "1"])
    assert result.exit_code == 0, result.output
    assert "order: BUY 2,999,987 perps" in result.output
    assert "pool share" in result.output and "loan (owed)" in result.output
    as_json = runner.invoke(app, ["deal", "hedge", POSITIONS, "--price", "1", "--json"])
    payload = json.loads(as_json.output)
    assert round(payload["order"]) == 2_999_987 and len(payload["rows"]) == 9
    refused = runner.invoke(app, ["deal", "hedge", POSITIONS, "--price", "0"])
    assert refused.exit_code == 2 and "price must be a positive number" in refused.output


def test_a_sweep_runs_every_point_on_the_same_paths(tmp_path):
    terms = short_terms(tmp_path, 3)
    out = tmp_path / "sweep"
    result = analyze(str(terms), "--paths", "20", "--out", str(out), "--json",
                     "--sweep", "vol=0.5,1.5", "--sweep", "band_tokens=0,50000")  # fmt: skip
    assert result.exit_code == 0, result.output
    points = json.loads(result.output)["points"]
    assert [p["params"] for p in points] == [
        {"market.vol": 0.5, "hedge.band_tokens": 0.0},
        {"market.vol": 0.5, "hedge.band_tokens": 50000.0},
        {"market.vol": 1.5, "hedge.band_tokens": 0.0},
        {"market.vol": 1.5, "hedge.band_tokens": 50000.0},
    ]
    bs = [p["summary"]["options_bs"] for p in points]
    assert bs[0] == bs[1] < bs[2] == bs[3]  # the calls are worth more at higher vol
    table = pq.read_table(out / "sweep.parquet")
    assert table.num_rows == 4 and "market.vol" in table.column_names
    assert all((out / f"point-{i}" / "report.html").exists() for i in range(4))
    prices = [pq.read_table(out / f"point-{i}" / "paths.parquet")["final_price"] for i in (0, 1)]
    assert prices[0].equals(prices[1])  # common random numbers: the band alone differs
    printed = analyze(str(terms), "--paths", "5", "--out", str(tmp_path / "p"),
                      "--sweep", "drift=-0.5,0.5")  # fmt: skip
    assert "drift=-0.5" in printed.output and "drift=0.5" in printed.output
    refused = analyze(str(terms), "--sweep", "colour=1,2")
    assert refused.exit_code == 2 and "NAME one of" in refused.output
    refused = analyze(str(terms), "--sweep", "vol=-1")
    assert refused.exit_code == 2 and "market.vol must be in [0, 100], not -1" in refused.output


def test_the_project_gives_away_the_right_to_repay_in_cash(tmp_path):
    text = (EXAMPLES / "cash-repay.toml").read_text().replace("tenor_days = 730", "tenor_days = 30")
    (tmp_path / "cash.toml").write_text(text)
    result = analyze(str(tmp_path / "cash.toml"), "--paths", "20", "--step", "6h", "--out",
                     str(tmp_path / "o"), "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    s = json.loads(result.output)["summary"]
    assert s["cash_option_bs"] > 0
    assert s["given_away"] == s["options_fair"] + s["cash_option_bs"]
    options = pq.read_table(tmp_path / "o" / "options.parquet").to_pylist()
    assert [r["black_scholes"] for r in options if r["option"] == -1][2] == s["cash_option_bs"]
