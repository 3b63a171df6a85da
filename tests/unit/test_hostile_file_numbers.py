"""Hostile numbers in the files and words the command lines read: terms and scenario TOML (which
has ``inf`` and ``nan``), sweep specs, repo report and settlement JSON (Python's ``json`` reads
``NaN``, ``Infinity`` and ``1e400`` as floats). Each is a ValidationError naming what is wrong,
never an OverflowError or a float that slips through; and the money context holds every
computation at the bounds the entry points accept."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketcraft.deal.terms import load_terms
from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.limits import AMOUNT_PLACES, FRACTION_PLACES, MAX_AMOUNT
from marketcraft.kernel.money import quantize_down, quantize_up, with_money_context
from marketcraft.opportunity.amms import AmmKind
from marketcraft.opportunity.planning import plan, quote
from marketcraft.repo.reports import read_report
from marketcraft.repo.schedule import Side
from marketcraft.repo.settlement import audit
from marketcraft.repo.zk.proof import verify_both
from marketcraft.sim.peg.scenario import load_scenario
from marketcraft.sim.sweeps import parse_sweep

DEALS = Path(__file__).parents[2] / "examples" / "deals"


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (("supply = 150_000_000", "supply = inf"), "token.supply must be a finite number"),
        (("supply = 150_000_000", "supply = nan"), "token.supply must be a finite number"),
        (("supply = 150_000_000", f"supply = {10**400}"), "token.supply: the number is too large"),
        (("tenor_days = 365", "tenor_days = 365\n\n[simulation]\nseed = -1"), "seed"),
        (("tenor_days = 365", "tenor_days = 365\n\n[simulation]\npaths = 10000000"), "paths"),
        (("vol = 1.0", "vol = 1.0\n\n[impact]\ndaily_volume = -200_000"), "impact.daily_volume"),
        (("vol = 1.0", "vol = 1.0\n\n[impact]\ndaily_volume = nan"), "impact.daily_volume"),
        (("vol = 1.0", "vol = 1.0\n\n[impact]\ncoefficient = inf"), "impact.coefficient"),
        (("vol = 1.0", "vol = 1.0\n\n[impact]\npermanent = -0.5"), "impact.permanent"),
        (("vol = 1.0", "vol = 1.0\n\n[financing]\nborrow_rate = -0.05"), "financing.borrow_rate"),
        (("vol = 1.0", "vol = 1.0\n\n[financing]\ncredit_line = 1e400"), "financing.credit_line"),
        (("vol = 1.0", "vol = 1.0\n\n[desk]\nmaintenance = 0.2"), "desk.maintenance"),
        (("vol = 1.0", "vol = 1.0\n\n[desk]\nliquidation_fee = nan"), "desk.liquidation_fee"),
        (("move = -0.8", "move = -1.0"), "stress[0].move"),
        (("move = 3.0", "move = inf"), "stress[1].move"),
        (("hours = 12", "hours = -12"), "stress[3].hours"),
        (('venue = "perp"', 'venue = "D"'), "stress[3] ('perp-outage').venue"),
    ],
    ids=[
        "inf",
        "nan",
        "10^400",
        "negative seed",
        "too many paths",
        "negative volume",
        "nan volume",
        "inf coefficient",
        "negative permanent",
        "negative rate",
        "10^400 credit",
        "maintenance > margin",
        "nan fee",
        "a -100% crash",
        "inf pump",
        "negative hours",
        "unknown venue",
    ],
)
def test_a_hostile_number_in_a_terms_file_is_named(tmp_path, change, says):
    text = (DEALS / "article.toml").read_text()
    assert change[0] in text
    (tmp_path / "deal.toml").write_text(text.replace(*change, 1))
    with pytest.raises(ValidationError) as refused:
        load_terms(tmp_path / "deal.toml")
    assert says in refused.value.reason


@pytest.mark.parametrize(
    ("line", "says"),
    [("days = inf", "days"), ("days = nan", "days"), ("days = 1e9", "days"),
     ("seed = -1", "seed"), ("runs = 0", "runs"),
     ("[feed]\nlag_minutes = nan", "feed.lag_minutes"),
     ("[feed]\nlag_minutes = 1e9", "feed.lag_minutes"),
     ("[traders]\narbitrage_latency_minutes = -60", "traders.arbitrage_latency_minutes"),
     ("[traders]\npanic_per_hour = inf", "panic"), ("[traders]\npanic_at = nan", "panic"),
     ("[traders]\nspeculator_per_hour = nan", "speculator"),
     ("[traders]\nspeculator_trigger = 1e9", "speculator")],
)  # fmt: skip
def test_a_hostile_number_in_a_scenario_is_named(tmp_path, line, says):
    (tmp_path / "s.toml").write_text(line + "\n")
    with pytest.raises(ValidationError) as refused:
        load_scenario(tmp_path / "s.toml")
    assert says in refused.value.reason


@pytest.mark.parametrize("values", ["nan", "inf", "-inf", "1e400", "١٢", "0x10", "1_0", "0.1,nan"])
def test_a_sweep_of_hostile_numbers_is_refused_naming_the_sweep(values):
    with pytest.raises(ValidationError) as refused:
        parse_sweep([f"band={values}"], {"band": "band"})
    assert refused.value.reason.startswith("sweep 'band=")


@pytest.mark.parametrize(
    "report",
    ['{"volumes": [0, 5], "rates": [500, NaN]}', '{"volumes": [0, 5], "rates": [500, Infinity]}',
     '{"volumes": [0, 1e400], "rates": [500, 505]}', '{"volumes": [0, 5], "rates": [500, "505"]}',
     '{"volumes": [0, 5], "rates": [500, 505], "hurdle": "0"}',
     '{"volumes": [0, "5"], "rates": [500, 505]}',
     '{"volumes": [0, ' + "9" * 5000 + '], "rates": [500, 505]}',
     '{"volumes": [0, 5], "rates": [500, 505.00000000000000000000000000000001]}',
     '{"volumes": [0, 5], "rates": [500, 1e-324]}'],
    ids=["NaN", "Infinity", "1e400", "text rate", "text hurdle", "text volume", "5000 digits",
         "finer than a float", "below a float"],
)  # fmt: skip
def test_a_report_file_takes_finite_json_numbers_only_and_exactly(tmp_path, report):
    (tmp_path / "r.json").write_text(report)
    with pytest.raises(ValidationError):
        read_report(tmp_path / "r.json", Side.MM)


def test_a_settlement_with_an_infinite_number_is_not_well_formed():
    plain = {"grid": [0, 1e400], "commitments": {"mm": "1", "rm": "2"},
             "outcome": {"trade": False, "volume": 0}, "public": [], "proof": {}}  # fmt: skip
    assert audit(json.loads(json.dumps(plain)), {}, verify_both) == {"well-formed": False}


# -- the bounds: the money context holds every computation they allow ----------------------------
amounts = st.decimals(0, MAX_AMOUNT, places=AMOUNT_PLACES, allow_nan=False, allow_infinity=False)
fractions = st.decimals(0, 1, places=FRACTION_PLACES, allow_nan=False, allow_infinity=False)


@with_money_context
def _fees_and_sums(amount: Decimal, fraction: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    fee = quantize_up(amount * fraction, AMOUNT_PLACES)
    kept = quantize_down(amount - fee, AMOUNT_PLACES)
    many = quantize_down(amount * 10**6, AMOUNT_PLACES)  # a million deposits at the bound
    return fee, kept, many


@settings(max_examples=200, derandomize=True, deadline=None)
@given(amount=amounts, fraction=fractions)
def test_products_and_sums_at_the_bounds_quantise_without_error(amount, fraction):
    fee, kept, many = _fees_and_sums(amount, fraction)
    assert fee + kept == amount and many == amount * 10**6
    assert amount.quantize(Decimal("0.01"), rounding="ROUND_FLOOR") <= amount  # default context


@settings(max_examples=40, derandomize=True, deadline=None)
@given(
    budget=st.decimals(1, MAX_AMOUNT, places=2),
    cash=st.decimals(0, MAX_AMOUNT, places=2),
    amm=st.sampled_from(list(AmmKind)),
)
def test_planning_and_quoting_work_up_to_the_largest_amounts(budget, cash, amm):
    pa, pb = Decimal("0.01"), Decimal("0.30")
    planned = plan(amm, budget, pa, pb)
    quoted = quote(amm, budget, pa, pb, price=Decimal("0.1"), cash=cash)
    for value in [*planned.values(), *quoted.values()]:
        assert not isinstance(value, Decimal) or value.is_finite()
    assert quoted["new_price"] <= pb
