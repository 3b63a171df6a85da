"""The Poisson sampler against the exact distribution, for single and mixed means."""

import numpy as np
import pytest
from scipy import stats

from marketcraft.deal.sampling import INVERSION_LIMIT, poisson


def _chi_square_pvalue(draws: np.ndarray, mean: float) -> float:
    top = int(mean + 10 * np.sqrt(mean) + 10)
    observed = np.bincount(draws.astype(int), minlength=top + 1)[: top + 1]
    expected = stats.poisson.pmf(np.arange(top + 1), mean) * draws.size
    keep = expected > 5
    observed, expected = observed[keep], expected[keep]
    return float(stats.chisquare(observed, expected * observed.sum() / expected.sum()).pvalue)


@pytest.mark.parametrize("mean", [0.05, 0.7, 4.5, 17.0, 29.0])
def test_counts_follow_the_poisson_distribution(mean):
    draws = poisson(np.random.default_rng(7), np.full(100_000, mean))
    assert draws.dtype == np.float64 and np.all(draws == np.round(draws)) and draws.min() >= 0
    assert _chi_square_pvalue(draws, mean) > 1e-3


def test_mixed_means_keep_their_own_distribution_and_shape():
    rng = np.random.default_rng(11)
    means = np.array([[0.3], [5.0], [12.0]]) * np.ones((3, 60_000))
    draws = poisson(rng, means)
    assert draws.shape == means.shape
    for row, mean in zip(draws, (0.3, 5.0, 12.0), strict=True):
        assert _chi_square_pvalue(row, mean) > 1e-3


def test_large_means_fall_back_and_zero_means_give_zero():
    rng = np.random.default_rng(3)
    big = poisson(rng, np.full(50_000, INVERSION_LIMIT * 4))
    assert abs(big.mean() - INVERSION_LIMIT * 4) < 0.5
    assert not poisson(rng, np.zeros(1000)).any()


def test_the_same_generator_state_gives_the_same_counts():
    means = np.linspace(0.1, 9, 5000)
    first = poisson(np.random.default_rng(5), means)
    assert np.array_equal(first, poisson(np.random.default_rng(5), means))
