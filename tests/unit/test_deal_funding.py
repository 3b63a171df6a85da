"""Funding rates per model and the sign of a funding payment."""

import numpy as np
import pytest

from marketcraft.deal.funding import funding_rates, funding_received
from marketcraft.deal.terms import Funding
from marketcraft.kernel.errors import ValidationError


def test_longs_pay_shorts_when_the_rate_is_positive():
    got = funding_received(
        np.array([1000.0, -1000.0]), np.array([2.0, 2.0]), np.array([1e-4, 1e-4])
    )
    assert got.tolist() == [-0.2, 0.2]


def test_constant_and_csv_rates(tmp_path):
    rng = np.random.default_rng(0)
    assert np.all(funding_rates(Funding(rate=3e-4), 5, 2, rng) == 3e-4)
    (tmp_path / "r.csv").write_text("time,rate\n0,0.0001\n8,-0.0002\n16,0.0003\n")
    rates = funding_rates(Funding(model="csv", csv="r.csv"), 7, 3, rng, tmp_path)
    assert rates[:, 0].tolist() == [1e-4, -2e-4, 3e-4, 1e-4, -2e-4, 3e-4, 1e-4]
    assert np.all(rates == rates[:, :1])
    (tmp_path / "bad.csv").write_text("time,r\n0,1\n")
    with pytest.raises(ValidationError, match="'rate' column"):
        funding_rates(Funding(model="csv", csv="bad.csv"), 1, 1, rng, tmp_path)


def test_mean_reversion_has_the_ou_processs_stationary_moments():
    model = Funding(model="mean_reverting", rate=0.001, mean=1e-4, speed=0.5, vol=2e-4)
    rates = funding_rates(model, 600, 4000, np.random.default_rng(1))
    # from 0.001 it decays toward the mean: after 10 days (30 intervals) e^-5 of the gap is left
    assert rates[29].mean() == pytest.approx(1e-4 + 9e-4 * np.exp(-5), abs=5e-6)
    settled = rates[300:]
    assert settled.mean() == pytest.approx(1e-4, abs=3e-6)
    assert settled.std() == pytest.approx(2e-4 / np.sqrt(2 * 0.5), rel=0.03)
    again = funding_rates(model, 600, 4000, np.random.default_rng(1))
    assert np.array_equal(rates, again)  # seeded: reproducible
