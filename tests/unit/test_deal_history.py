"""Bootstrap data carries its times: prices are taken at the simulation step, so a day's return
is never replayed as an hour's; data coarser than the step, gaps and rows out of order are
refused naming market.csv; the book is marked, and the report states, the data's own vol."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from marketcraft.deal.history import read_history
from marketcraft.deal.strategy import simulate_deal_paths
from marketcraft.deal.terms import load_terms, validate
from marketcraft.kernel.errors import ValidationError
from marketcraft.reports.deal_report import write_report
from marketcraft.sim.deal import analyze

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "deals"
VOL = 0.8


def gbm_prices(hours: int, every: float, seed: int = 4) -> np.ndarray:
    """A driftless GBM at ``VOL`` a year, a price every ``every`` hours."""
    dt = every / 8760
    steps = np.random.default_rng(seed).normal(-0.5 * VOL**2 * dt, VOL * np.sqrt(dt), hours)
    return np.exp(np.concatenate([[0.0], np.cumsum(steps)]))


def write(path: Path, prices: np.ndarray, every_hours: float, iso: bool = False) -> None:
    start = np.datetime64("2024-01-01T00:00:00")
    lines = ["time,price"]
    for i, p in enumerate(prices):
        moment = start + np.timedelta64(round(i * every_hours * 3600), "s")
        lines.append(f"{str(moment) + 'Z' if iso else int(i * every_hours * 3600)},{float(p)!r}")
    path.write_text("\n".join(lines) + "\n")


def bootstrap_deal(tmp_path: Path, days: int = 60, step: float = 24.0):
    t = load_terms(EXAMPLES / "article.toml")
    t = replace(
        t, loan=replace(t.loan, tenor_days=days), simulation=replace(t.simulation, step_hours=step),
        market=replace(t.market, model="bootstrap", csv="prices.csv", vol=1.0, block_hours=24.0),
    )  # fmt: skip
    return validate(t, tmp_path)


def test_a_daily_csv_cannot_be_run_at_an_hourly_step(tmp_path):
    write(tmp_path / "prices.csv", gbm_prices(800, 24.0), 24.0, iso=True)
    t = bootstrap_deal(tmp_path)  # accepted at its own 24h step
    with pytest.raises(ValidationError, match=r"holds a price every 24h: the step \(1h\) must"):
        analyze(t, paths=4, step_hours=1.0, base=tmp_path)
    with pytest.raises(ValidationError, match=r"market\.csv \(prices\.csv\) holds a price every"):
        bootstrap_deal(tmp_path, step=1.0)  # the terms' own step, checked with the terms


@pytest.mark.parametrize(("every", "step"), [(24.0, 24.0), (1.0, 1.0), (1.0, 6.0), (2.0, 24.0)])
def test_the_simulated_vol_is_the_datas_whatever_the_step(tmp_path, every, step):
    """The data are a GBM at 80%: the book is marked near 80%, and the paths' realised vol is
    the data's at the step (on the old reading, daily data at an hourly step ran at
    sqrt(24) x 80% = 392%)."""
    write(tmp_path / "prices.csv", gbm_prices(round(4 * 8760 / every), every), every)
    t = bootstrap_deal(tmp_path, days=30, step=step)
    found = analyze(t, paths=200, step_hours=step, base=tmp_path, workers=1)
    marked = found.values.vols[found.values.base]
    assert marked == pytest.approx(VOL, rel=0.1)
    assert np.median(found.metrics["realised_vol"]) == pytest.approx(marked, rel=0.15)
    report = write_report(found, tmp_path / "r.html").read_text()
    assert f"vol {marked:.0%} a year, from the data" in report and "vol 100%" not in report


def test_hourly_data_at_a_longer_step_takes_every_nth_price(tmp_path):
    prices = gbm_prices(2000, 1.0)
    write(tmp_path / "prices.csv", prices, 1.0, iso=True)
    history = read_history(tmp_path / "prices.csv")
    assert history.interval == 3600 and np.array_equal(history.at_step(4 * 3600), prices[::4])
    t = bootstrap_deal(tmp_path, days=10, step=4.0)
    r = simulate_deal_paths(t, 30, seed=2, step_hours=4.0, base=tmp_path)
    daily = np.diff(np.log(r.series["price"]), axis=0)
    four_hourly = np.diff(np.log(prices[::4]))
    # a day is six 4-hour returns drawn from the data, so within six of the largest
    assert np.all(np.abs(daily) <= 6 * np.abs(four_hourly).max() + 1e-12)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("price\n1\n2\n3\n", "needs a header with 'time'"),
        ("time,price\n0,1\n3600,1.1\n10800,1.2\n14400,1.1\n", "line 4: 2h after the line before"),
        ("time,price\n0,1\n3600,1.1\n0,1.2\n", "line 4: -1h after"),
        ("time,price\n7200,1\n3600,1.1\n0,1.2\n", "line 3: times must increase"),
        ("time,price\n0,1\nsoon,1.1\n7200,1.2\n", "line 3: time or price is not readable"),
        ("time,price\n0,1\n3600,-1\n7200,1.2\n", "line 3: the price must be positive"),
        ("time,price\n0,1\n3600,1\n", "needs at least 3 prices"),
    ],
)
def test_bad_data_is_refused_naming_market_csv_and_the_line(tmp_path, text, reason):
    (tmp_path / "prices.csv").write_text(text)
    with pytest.raises(ValidationError) as refused:
        bootstrap_deal(tmp_path)
    assert "market.csv (prices.csv)" in refused.value.reason and reason in refused.value.reason


def test_times_may_be_iso_with_or_without_a_zone_or_unix_seconds(tmp_path):
    texts = [
        "time,price\n2024-03-01T00:00:00Z,1\n2024-03-01T01:00:00Z,2\n2024-03-01T02:00:00Z,3\n",
        "time,price\n2024-03-01 00:00,1\n2024-03-01 01:00,2\n2024-03-01 02:00,3\n",
        "time,price\n1709251200,1\n1709254800,2\n1709258400,3\n",
        "time,price\n2024-03-01T02:00:00+02:00,1\n2024-03-01T01:00:00Z,2\n2024-03-01T02:00Z,3\n",
    ]
    for text in texts:
        (tmp_path / "p.csv").write_text(text)
        history = read_history(tmp_path / "p.csv")
        assert history.interval == 3600 and history.prices.tolist() == [1, 2, 3]
