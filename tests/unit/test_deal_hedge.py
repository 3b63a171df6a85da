"""The live hedge calculator: each position's greeks, both deltas, and the order to place."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from marketcraft.deal.greeks import black_scholes
from marketcraft.deal.hedge import hedge_now, load_positions
from marketcraft.kernel.errors import ValidationError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "deals"


def test_holding_the_whole_loan_leaves_only_the_calls_delta(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(
        "[inventory]\nA = 3_000_000\n[loan]\ntokens = 3_000_000\ndays_left = 365\n"
        + "".join(
            f"[[calls]]\ntokens = 100_000\nstrike = {k}\ndays_left = 365\n" for k in (1.25, 1.5, 2)
        )
    )
    found = hedge_now(load_positions(path), 1.0)
    calls = sum(100_000 * float(black_scholes(1.0, k, 1.0, 1.0).delta) for k in (1.25, 1.5, 2))
    assert abs(calls - 157_000) < 100  # the spec's figure
    assert np.isclose(found.delta_economic, calls)
    assert np.isclose(found.delta_inventory, 3_000_000 + calls)
    assert np.isclose(found.order, -calls) and np.isclose(found.notional, calls)


def test_the_article_desk_is_short_the_loan_and_short_gamma():
    p = load_positions(EXAMPLES / "positions.toml")
    found = hedge_now(p, 1.0)
    assert abs(found.delta_inventory) < 100  # neutral by the article's count
    assert np.isclose(found.delta_economic, found.delta_inventory - 3_000_000)
    pool_gamma = -0.5 * np.sqrt(500_000.0 * 500_000.0)
    assert found.gamma < 0 and np.isclose(
        found.gamma - pool_gamma, sum(r[3] for r in found.rows[5:8])
    )
    assert found.order == -found.delta_economic  # economic mode: buy the loan's short back
    # counted the article's way, the same desk is within its band: no order at all
    assert hedge_now(replace(p, delta_mode="inventory"), 1.0).order == 0


def test_a_cash_repayable_loan_counts_only_its_short_call_part(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text("[loan]\ntokens = 1000\ndays_left = 365\ncash_strike = 0.9\n")
    found = hedge_now(load_positions(path), 1.0)
    call = black_scholes(1.0, 0.9, 1.0, 1.0)
    assert np.isclose(found.delta_economic, -1000 * (1 - float(call.delta)))
    assert np.isclose(found.gamma, 1000 * float(call.gamma))  # long the repayment option


def test_within_the_band_there_is_no_order(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text("band_tokens = 500\n[inventory]\nA = 400\n")
    assert hedge_now(load_positions(path), 2.0).order == 0
    path.write_text("band_tokens = 500\n[inventory]\nA = 600\n")
    assert hedge_now(load_positions(path), 2.0).order == -600


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("vol = 0", "vol must be in (0, 100]"),
        ("delta_mode = 'gross'", "delta_mode must be"),
        ("[inventory]\nA = 'many'", "maps venues to token amounts"),
        ("[pool]\ntokens = 5", "give both pool reserves"),
        ("[[calls]]\ntokens = 1\nstrike = 0\ndays_left = 1", "calls[0]: bad values"),
        ("[perp]\nsize = 1", "unknown key(s) ['size']"),
        ("x = [", "not valid TOML"),
    ],
)
def test_bad_positions_are_named(tmp_path, text, reason):
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(ValidationError) as refused:
        load_positions(path)
    assert reason in str(refused.value)


def test_a_bad_price_is_refused():
    p = load_positions(EXAMPLES / "positions.toml")
    for price in (0.0, -1.0, float("nan")):
        with pytest.raises(ValidationError, match="price must be a positive number"):
            hedge_now(p, price)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("vol = nan\n", "vol must be a finite number, not nan"),
        ("[perp]\ntokens = inf\n", "perp.tokens must be a finite number, not inf"),
        (
            "[[calls]]\ntokens = 1\nstrike = nan\ndays_left = 1\n",
            "calls[0].strike must be a finite",
        ),
        ("[inventory]\nA = inf\n", "inventory.A must be a finite number, not inf"),
    ],
)
def test_positions_that_are_not_numbers_are_refused_naming_the_key(tmp_path, text, key):
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(ValidationError) as refused:
        load_positions(path)
    assert key in refused.value.reason
