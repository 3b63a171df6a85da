"""Every deal terms file either simulates to finite numbers or is refused with a ValidationError
that names the key: terms generated from the shipped deals with one to three keys set to NaN,
infinities, zero, negative, huge, tiny or merely unusual values."""

import math
import os
import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from marketcraft.deal.bounds import MAX_EXCURSION, excursion
from marketcraft.deal.terms import load_terms, validate
from marketcraft.kernel.errors import ValidationError
from marketcraft.sim.deal import analyze

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "deals"
DAYS = 4


def base(name: str) -> dict:
    raw = tomllib.loads((EXAMPLES / f"{name}.toml").read_text())
    raw["loan"]["tenor_days"] = DAYS
    raw["simulation"] = {"step_hours": 8.0}
    for c in raw.get("calls", []):
        if "average_days" in c:
            c["average_days"] = 2
    return raw


BASES = {name: base(name) for name in ("article", "twap-strike", "cash-repay")}
BASES["bootstrap"] = base("article")
BASES["bootstrap"]["market"] = {"model": "bootstrap", "csv": "prices.csv", "block_hours": 24.0}
#: hourly prices for the bootstrap: a year of a 90%-vol GBM
PRICES = "time,price\n" + "\n".join(
    f"{3600 * i},{p!r}"
    for i, p in enumerate(
        np.exp(np.cumsum(np.random.default_rng(3).normal(0, 0.9 / np.sqrt(8760), 8760))).tolist()
    )
)

#: (table, key, typical size): the numbers a terms file may hold; ``calls`` and ``venues``
#: keys go into their first table
KEYS = [
    ("token", "supply", 1e8), ("token", "listing_price", 1.0), ("loan", "tokens", 3e6),
    ("loan", "interest", 0.05), ("repayment", "cash_strike", 1.0), ("calls", "tokens", 1e5),
    ("calls", "strike", 1.5), ("calls", "strike_multiple", 2.0), ("venues", "depth", 1e5),
    ("venues", "spread", 0.002), ("venues", "band", 0.02), ("venues", "intensity", 20.0),
    ("venues", "decay", 0.3), ("venues", "clip", 0.05), ("venues", "skew", 1.0),
    ("venues", "adverse", 0.2), ("pool", "value", 1e6), ("pool", "fee", 0.0025),
    ("pool", "lp_fee", 0.0017), ("pool", "share", 0.5), ("pool", "organic_volume", 0.25),
    ("funding", "rate", 1e-4), ("funding", "mean", 1e-4), ("funding", "speed", 0.5),
    ("funding", "vol", 2e-4), ("costs", "taker_fee", 5e-4), ("costs", "half_spread", 2e-4),
    ("costs", "gas", 5.0), ("impact", "coefficient", 1.0), ("impact", "permanent", 0.5),
    ("impact", "daily_volume", 2e6), ("financing", "borrow_rate", 0.08),
    ("financing", "deposit_rate", 0.02), ("financing", "credit_line", 1e6),
    ("desk", "maintenance", 0.05), ("desk", "liquidation_fee", 0.01),
    ("hedge", "band_tokens", 25_000.0),
    ("hedge", "interval_hours", 8.0), ("hedge", "keep_inventory", 5e5),
    ("hedge", "sell_for_quotes", 5e5), ("market", "vol", 1.0), ("market", "drift", 0.5),
    ("market", "jumps_per_year", 4.0), ("market", "jump_mean", -0.1),
    ("market", "jump_vol", 0.2), ("market", "block_hours", 24.0), ("desk", "capital", 1e6),
    ("desk", "margin", 0.1),
    ("desk", "exercise_buffer", 0.05), ("simulation", "step_hours", 8.0),
]  # fmt: skip
#: whole-number keys, with the values tried
WHOLE = [
    ("loan", "tenor_days", [0, 1, 2, DAYS, 3651, -5]),
    ("calls", "average_days", [0, 1, 3, DAYS, 400]),
    ("simulation", "paths", [0, -1, 1, 10**7, 10**8]),
    ("simulation", "seed", [-1, 0, 7, 2**63 - 1]),
]
NASTY = [math.nan, math.inf, -math.inf, 0.0, -1.0, 1e300, -1e300, 1e-300, 1e18, 1e6, 3.0]


@st.composite
def change(draw):
    if draw(st.integers(0, 9)) == 0:
        table, key, values = draw(st.sampled_from(WHOLE))
        return table, key, draw(st.sampled_from(values))
    table, key, size = draw(st.sampled_from(KEYS))
    if draw(st.integers(0, 3)) == 0:
        return table, key, draw(st.sampled_from(NASTY))
    return table, key, size * draw(st.sampled_from([0.01, 0.3, 0.5, 2.0, 3.0, 10.0, 1e3]))


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v + '"'
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(v)


def toml(raw: dict) -> str:
    lines = [f"{k} = {toml_value(v)}" for k, v in raw.items() if not isinstance(v, dict | list)]
    for k, v in raw.items():
        if isinstance(v, dict):
            lines += [f"[{k}]", *(f"{a} = {toml_value(b)}" for a, b in v.items())]
        elif isinstance(v, list):
            for item in v:
                lines += [f"[[{k}]]", *(f"{a} = {toml_value(b)}" for a, b in item.items())]
    return "\n".join(lines) + "\n"


#: DEAL_FUZZ=3000 HYPOTHESIS_PROFILE=fuzz searches longer (it passes, in about a minute)
@settings(
    max_examples=int(os.environ.get("DEAL_FUZZ", "150")),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(name=st.sampled_from(sorted(BASES)), changes=st.lists(change(), min_size=1, max_size=3))
def test_terms_simulate_to_finite_numbers_or_are_refused_naming_the_key(tmp_path, name, changes):
    raw = {k: (v if not isinstance(v, dict | list) else None) for k, v in BASES[name].items()}
    for k, v in BASES[name].items():
        if isinstance(v, dict):
            raw[k] = dict(v)
        elif isinstance(v, list):
            raw[k] = [dict(item) for item in v]
    for table, key, value in changes:
        spot = raw.setdefault(table, [{}] if table in ("calls", "venues") else {})
        (spot[0] if isinstance(spot, list) else spot)[key] = value
    path = tmp_path / "t.toml"
    path.write_text(toml(raw))
    (tmp_path / "prices.csv").write_text(PRICES)
    try:
        terms = load_terms(path)
    except ValidationError as refused:
        event("refused")
        assert any(key in refused.reason for _, key, _ in changes), refused.reason
        return
    try:
        found = analyze(terms, paths=6, workers=1, base=tmp_path)
    except ValidationError as refused:  # the paths or the seed, checked when a run starts
        assert any(key in refused.reason for _, key, _ in changes), refused.reason
        return
    event("simulated")
    bad = {k: v for k, v in found.summary.items() if not math.isfinite(v)}
    assert not bad, (changes, bad)
    assert found.summary.keys() >= {"pnl_mean", "var_5%", "options_bs", "attr_costs"}
    for key, values in found.metrics.items():
        if not key.startswith("exercise_day_"):  # NaN: never exercised, by definition
            assert np.all(np.isfinite(values)), (changes, key)


@pytest.mark.parametrize("price", [1e-12, 1e12])
def test_the_corners_of_the_ranges_simulate_to_finite_numbers(price):
    """The smallest and largest listing price, the whole supply lent, ten years at daily steps
    and the largest volatility the tenor allows."""
    t = load_terms(EXAMPLES / "article.toml")
    t = replace(
        t, token=replace(t.token, listing_price=price, supply=1e18),
        loan=replace(t.loan, tokens=1e18, tenor_days=3650),
        calls=tuple(replace(c, strike=c.strike * price) for c in t.calls),
        hedge=replace(t.hedge, keep_inventory=6e17), desk=replace(t.desk, capital=1e15),
    )  # fmt: skip
    low, high = 0.0, 10.0
    for _ in range(40):  # the vol at which the excursion reaches its limit
        mid = (low + high) / 2
        inside = excursion(replace(t, market=replace(t.market, vol=mid))) < MAX_EXCURSION
        low, high = (mid, high) if inside else (low, mid)
    t = validate(replace(t, market=replace(t.market, vol=low)), EXAMPLES)
    assert low > 2.5
    with pytest.raises(ValidationError, match="could move the log price"):
        validate(replace(t, market=replace(t.market, vol=low * 1.01)), EXAMPLES)
    found = analyze(t, paths=3, step_hours=24.0, workers=1, base=EXAMPLES)
    assert all(math.isfinite(v) for v in found.summary.values())
    assert all(np.all(np.isfinite(s)) for s in found.series.values())
