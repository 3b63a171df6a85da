"""`marketcraft deal analyze` and `deal hedge` end to end: tables or JSON, Parquet results, an
HTML report with its plots, clear errors, and a Dask cluster giving the same numbers as local
processes."""

import json
import re
from pathlib import Path

import numpy as np
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
    money = [k for k, v in payload["summary"].items() if isinstance(v, str)]
    assert "pnl_mean" in money and all(
        re.fullmatch(r"-?\d+\.\d\d", payload["summary"][k]) for k in money
    )  # money: decimal strings, to the cent
    s = numbers(payload["summary"])
    assert s["attribution_residual"] < 1e-9
    buckets = [v for k, v in s.items() if k.startswith("attr_") and not k.endswith("_se")]
    assert len(buckets) == 11 and abs(sum(buckets) - s["pnl_mean"]) <= 0.005 * 10  # cents
    assert s["attr_impact"] < 0 and s["initial_impact_mean"] > 0  # the opening sale's impact
    assert s["attr_financing"] <= 0 and 0 <= s["margin_call_probability"] <= 1
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
    rows = ["given away at signing", "what that rule costs the desk", "held to expiry"]
    rows += ["market impact of the desk", "of which the opening sale", "perp margin calls"]
    rows += ["financing: interest on cash", "perp liquidations"]
    for row in rows:
        assert row in report
    assert json.loads((out / "summary.json").read_text())["paths"] == 40


#: the desk's risk figures, each with its standard error (``NAME_se``)
RISK = [f"{kind}_{horizon}{tail}" for kind in ("var", "cvar") for horizon in ("1d_", "10d_", "")
        for tail in ("5%", "1%")] + ["drawdown_mean", "drawdown_p95", "margin_call_probability",
                                     "liquidation_probability"]  # fmt: skip


def test_the_risk_figures_are_in_the_json_the_summary_and_the_report(tmp_path):
    """1- and 10-day VaR and CVaR at 95% and 99%, drawdown and the margin-call and
    liquidation probabilities, each with a standard error: printed by --json, kept in
    summary.json, shown in the report's risk table, and for every stress scenario."""
    terms = short_terms(tmp_path, days=14)
    out = tmp_path / "out"
    result = analyze(str(terms), "--paths", "30", "--step", "6h", "--out", str(out), "--json",
                     "--scenario", "crash")  # fmt: skip
    assert result.exit_code == 0, result.output
    points = json.loads(result.output)["points"]
    assert [p["scenario"] for p in points] == ["base", "crash"]
    for i, point in enumerate(points):
        s = numbers(point["summary"])
        assert {*RISK, *(f"{k}_se" for k in RISK)} <= set(s)
        assert all(s[f"{k}_se"] >= 0 for k in RISK)
        assert s["var_1d_5%_se"] > 0 and s["cvar_10d_1%_se"] > 0  # 30 paths that differ
        assert s["cvar_1d_1%"] >= s["var_1d_1%"] >= s["var_1d_5%"]
        assert s["cvar_10d_5%"] >= s["var_10d_5%"]
        stored = json.loads((out / f"point-{i}" / "summary.json").read_text())["summary"]
        assert stored["var_10d_1%"] == pytest.approx(s["var_10d_1%"], abs=0.005)
        assert stored["margin_call_probability_se"] == s["margin_call_probability_se"]
        report = (out / f"point-{i}" / "report.html").read_text()
        table = report[report.index('<table id="risk">') :]
        table = table[: table.index("</table>")]
        assert "<th>VaR 95%</th><th>CVaR 95%</th><th>VaR 99%</th><th>CVaR 99%</th>" in table
        figure = r"<td>(?:loss|gain) [\d,]+ ± [\d,]+</td>"
        for label in ("1 day", "10 days", "to maturity"):  # four figures with their errors
            assert re.search(rf"<td>{label}</td>(?:{figure}){{4}}</tr>", table), label
        for label in ("max drawdown, p95", "probability of at least one perp margin call"):
            assert re.search(rf'{re.escape(label)}</td><td colspan="4">[^<]+</td>', table)
        assert "bootstrap over whole paths" in report


def test_stress_scenarios_run_beside_the_base_case_on_the_same_paths(tmp_path):
    terms, out = short_terms(tmp_path), tmp_path / "out"
    result = analyze(str(terms), "--paths", "20", "--step", "4h", "--out", str(out), "--json",
                     "--scenario", "crash", "--scenario", "pump")  # fmt: skip
    assert result.exit_code == 0, result.output
    points = json.loads(result.output)["points"]
    assert [p["scenario"] for p in points] == ["base", "crash", "pump"]
    pnl = {p["scenario"]: float(p["summary"]["pnl_mean"]) for p in points}
    # the article's desk is short the loan: a crash pays it, a pump costs it
    assert pnl["crash"] > pnl["base"] > pnl["pump"]
    sweep = pq.read_table(out / "sweep.parquet")
    assert sweep.column("scenario").to_pylist() == ["base", "crash", "pump"]
    report = (out / "point-2" / "report.html").read_text()
    assert "Stress scenarios, on the same paths" in report and "Stress scenario pump" in report
    assert json.loads((out / "point-1" / "summary.json").read_text())["scenario"] == "crash"
    again = analyze("--from", str(out), "--out", str(tmp_path / "again"))
    assert again.exit_code == 0, again.output


@pytest.mark.parametrize(
    ("args", "says"),
    [(["--scenario", "meteor"], "no [[stress]] named 'meteor'"),
     (["--scenario", "delisting"], "falls after loan.tenor_days"),
     (["--scenario", "all"], "falls after loan.tenor_days")],
)  # fmt: skip
def test_a_scenario_not_in_the_terms_or_after_the_tenor_is_refused(tmp_path, args, says):
    result = analyze(str(short_terms(tmp_path)), "--paths", "5", "--out", str(tmp_path), *args)
    assert result.exit_code == 2 and says in result.output


def test_an_older_terms_file_with_the_retired_impact_key_loads_with_a_note(tmp_path):
    terms = short_terms(tmp_path, 3)
    terms.write_text(terms.read_text() + "\n[costs]\nimpact = 0.0001\n")
    result = analyze(str(terms), "--paths", "5", "--out", str(tmp_path / "o"), "--json")
    assert result.exit_code == 0, result.output
    assert "note: deal.toml: costs.impact is gone and was ignored: see the [impact] table" in (
        result.stderr
    )


def test_analyze_prints_both_views(tmp_path):
    result = analyze(str(short_terms(tmp_path, 3)), "--paths", "10", "--out", str(tmp_path / "o"))
    assert result.exit_code == 0, result.output
    for text in ("market maker's view", "project's view", "risk, ± standard error",
                 "VaR over 1 day, 99%", "given away at signing", "attribution",
                 "report:"):  # fmt: skip
        assert text in result.output
    assert re.search(r"VaR over 10 days, 95% +│ +n/a", result.output)  # a 3-day deal


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
    s = numbers(json.loads(result.output)["summary"])
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


def numbers(summary: dict) -> dict:
    """A ``--json`` summary with its money (decimal strings) read as numbers."""
    return {k: float(v) if isinstance(v, str) else v for k, v in summary.items()}


def test_hedge_prints_the_order():
    result = runner.invoke(app, ["deal", "hedge", POSITIONS, "--price", "1"])
    assert result.exit_code == 0, result.output
    assert "order: BUY 2,999,987 perps" in result.output
    assert "pool share" in result.output and "loan (owed)" in result.output
    as_json = runner.invoke(app, ["deal", "hedge", POSITIONS, "--price", "1", "--json"])
    payload = json.loads(as_json.output)
    assert round(payload["order"]) == 2_999_987 and len(payload["rows"]) == 9
    assert re.fullmatch(r"-?\d+\.\d\d", payload["notional"])  # money to the cent
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
    s = numbers(json.loads(result.output)["summary"])
    assert s["cash_option_bs"] > 0
    assert s["given_away"] == pytest.approx(s["options_fair"] + s["cash_option_bs"], abs=0.011)
    options = pq.read_table(tmp_path / "o" / "options.parquet").to_pylist()
    cash_option = [r["black_scholes"] for r in options if r["option"] == -1][2]
    assert round(cash_option, 2) == s["cash_option_bs"]  # the summary's money: to the cent


def bootstrap_deal(tmp_path):
    """A deal that reads two CSVs (a bootstrap and funding rates) from beside its terms."""
    rng = np.random.default_rng(5)
    prices = np.exp(np.cumsum(rng.normal(0, 0.01, 2000)))
    data = tmp_path / "data"
    data.mkdir()
    (data / "btc.csv").write_text(
        "time,price\n" + "\n".join(f"{3600 * i},{float(p)!r}" for i, p in enumerate(prices))
    )
    (data / "rates.csv").write_text("rate\n0.0001\n-0.0002\n0.0003\n")
    text = (
        short_terms(tmp_path, 6)
        .read_text()
        .replace(
            "[market]\nvol = 1.0",
            "[market]\nmodel = 'bootstrap'\ncsv = 'btc.csv'\n"
            "[funding]\nmodel = 'csv'\ncsv = 'rates.csv'",
        )
    )
    (data / "deal.toml").write_text(text)
    return data / "deal.toml"


def test_results_record_their_inputs_and_rerun_bit_for_bit(tmp_path):
    terms = bootstrap_deal(tmp_path)
    out = tmp_path / "out"
    first = analyze(str(terms), "--paths", "25", "--step", "2h", "--seed", "9", "--out", str(out))
    assert first.exit_code == 0, first.output
    run = json.loads((out / "run.json").read_text())
    assert (run["paths"], run["step_hours"], run["seed"]) == (25, 2.0, 9)
    assert run["versions"]["marketcraft"] and run["versions"]["numpy"]
    assert run["command"].startswith("marketcraft deal analyze") and "--seed 9" in run["command"]
    recorded = (out / "inputs" / "terms.toml").read_text()
    assert 'csv = "market.csv"' in recorded and (out / "inputs" / "market.csv").exists()
    assert (out / "inputs" / "funding.csv").read_text() == (terms.parent / "rates.csv").read_text()
    # the original CSVs may go: the folder is enough to run it again
    for name in ("btc.csv", "rates.csv", "deal.toml"):
        (terms.parent / name).unlink()
    again = analyze("--from", str(out), "--out", str(tmp_path / "again"))
    assert again.exit_code == 0, again.output
    assert "bit for bit" in again.output
    for name in ("paths.parquet", "daily.parquet", "options.parquet"):
        old, new = pq.read_table(out / name), pq.read_table(tmp_path / "again" / name)
        for column in old.column_names:  # the same bits (NaN included: never exercised)
            a, b = old[column].to_numpy(), new[column].to_numpy()
            assert a.tobytes() == b.tobytes(), (name, column)
    summary = json.loads((out / "summary.json").read_text())["summary"]
    assert json.loads((tmp_path / "again" / "summary.json").read_text())["summary"] == summary


def test_a_rerun_that_differs_or_changed_terms_are_reported(tmp_path):
    out = tmp_path / "out"
    assert analyze(str(short_terms(tmp_path, 3)), "--paths", "8", "--out", str(out)).exit_code == 0
    summary = json.loads((out / "summary.json").read_text())
    summary["summary"]["pnl_mean"] += 1
    (out / "summary.json").write_text(json.dumps(summary))
    differs = analyze("--from", str(out), "--out", str(tmp_path / "b"))
    assert differs.exit_code == 1
    assert differs.output.strip().endswith(f"re-run differs from {out}: summary.json")
    terms = out / "inputs" / "terms.toml"
    terms.write_text(terms.read_text().replace("seed = 1", "seed = 2"))
    changed = analyze("--from", str(out), "--out", str(tmp_path / "c"))
    assert changed.exit_code == 2 and "changed since the run" in changed.output
    both = analyze(str(terms), "--from", str(out))
    assert both.exit_code == 2 and "--from runs the folder as recorded" in both.output
    same = analyze("--from", str(out), "--out", str(out))
    assert same.exit_code == 2


def test_a_sweep_reruns_bit_for_bit(tmp_path):
    out = tmp_path / "sweep"
    first = analyze(str(short_terms(tmp_path, 3)), "--paths", "10", "--out", str(out),
                    "--sweep", "vol=0.5,1.5", "--sweep", "funding_rate=0.0002")  # fmt: skip
    assert first.exit_code == 0, first.output
    run = json.loads((out / "run.json").read_text())
    assert run["sweep"] == {"market.vol": [0.5, 1.5], "funding.rate": [0.0002]}
    assert json.loads((out / "point-1" / "run.json").read_text())["params"] == {
        "market.vol": 1.5, "funding.rate": 0.0002,
    }  # fmt: skip
    again = analyze("--from", str(out), "--out", str(tmp_path / "again"))
    assert again.exit_code == 0 and "bit for bit" in again.output, again.output
    point = analyze("--from", str(out / "point-1"), "--out", str(tmp_path / "p1"))
    assert point.exit_code == 0 and "bit for bit" in point.output, point.output
