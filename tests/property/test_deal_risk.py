"""The desk's risk figures (marketcraft.deal.risk): CVaR is never below VaR, VaR rises with the
confidence level, the bootstrap standard error shrinks as 1/sqrt(paths) on independent data and
does not shrink when a path's windows are copies of one another; and all of it against an
independent computation from the definitions (numpy's inverted-CDF quantile, the tail mean,
the normal distribution's known VaR and expected shortfall, the binomial's standard error)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import integrate, stats

from marketcraft.deal.risk import share_se, tail, tail_se, windows

finite = st.floats(-1e6, 1e6, allow_nan=False)
samples = arrays(np.float64, st.integers(1, 300), elements=finite)
levels = st.floats(0.5, 0.999)


@given(samples, levels)
def test_cvar_is_never_below_var(losses, level):
    var, cvar = tail(losses, level)
    assert cvar >= var - 1e-9 * max(1.0, abs(var))
    assert var <= losses.max() and cvar <= losses.max() + 1e-9 * max(1.0, abs(losses.max()))


@given(samples, levels, levels)
def test_var_rises_with_the_confidence_level(losses, a, b):
    low, high = sorted((a, b))
    assert tail(losses, low)[0] <= tail(losses, high)[0]


@given(samples, levels)
def test_var_is_numpys_inverted_cdf_quantile_and_cvar_the_tail_mean(losses, level):
    """The tail mean written out: the worst m = n (1 - a) losses, the last one counted in
    part."""
    var, cvar = tail(losses, level)
    assert var == np.quantile(losses, level, method="inverted_cdf")
    worst = np.sort(losses)[::-1]
    m = losses.size - level * losses.size
    whole = math.floor(m)
    expected = (worst[:whole].sum() + (m - whole) * worst[min(whole, worst.size - 1)]) / m
    assert cvar == pytest.approx(expected, rel=1e-9, abs=1e-6)


@settings(max_examples=8)
@given(st.integers(0, 2**32 - 1))
def test_the_standard_error_shrinks_as_one_over_root_paths_on_iid_data(seed):
    """log(error) against log(paths) over 500..32,000 paths: a slope of -1/2 (over 40 seeds
    it fell within -0.60..-0.34; a single bootstrap error is itself noisy)."""
    rng = np.random.default_rng(seed)
    paths = [500, 2_000, 8_000, 32_000]
    errors = []
    for n in paths:
        found = tail_se(rng.normal(size=(5, n)), (0.95, 0.99), seed)
        errors.append([found[a][i] for a in (0.95, 0.99) for i in (2, 3)])  # VaR's, CVaR's
    slopes = np.polyfit(np.log(paths), np.log(errors), 1)[0]
    assert np.all((slopes > -0.72) & (slopes < -0.28)), slopes


@settings(max_examples=10)
@given(st.integers(0, 2**32 - 1))
def test_overlapping_windows_of_one_path_do_not_shrink_the_error(seed):
    """Ten copies of each path's loss hold no more information than one: a bootstrap over
    paths gives the same error (a bootstrap over windows would give a third of it)."""
    x = np.random.default_rng(seed).normal(size=2_000)
    one = tail_se(x, (0.95,), seed)[0.95]
    ten = tail_se(np.repeat(x[None, :], 10, axis=0), (0.95,), seed)[0.95]
    assert one[:2] == pytest.approx(ten[:2])
    for i in (2, 3):
        assert 0.6 < ten[i] / one[i] < 1.6


def test_the_normal_distributions_var_and_expected_shortfall():
    """N(0, 1): VaR_99 = 2.326, ES_99 = phi(2.326) / 0.01 = 2.665; the standard errors
    against the asymptotic ones, sqrt(a (1 - a) / n) / f(VaR) and the spread of the
    expected shortfall's influence function, sd((L - VaR)+) / ((1 - a) sqrt(n))."""
    n = 20_000
    x = np.random.default_rng(3).normal(size=(1, n))
    found = tail_se(x, (0.95, 0.99), seed=3)
    for a in (0.95, 0.99):
        q = stats.norm.ppf(a)
        es = stats.norm.pdf(q) / (1 - a)
        var, cvar, var_se, cvar_se = found[a]
        want_var_se = math.sqrt(a * (1 - a) / n) / stats.norm.pdf(q)
        second = integrate.quad(lambda t, q=q: (t - q) ** 2 * stats.norm.pdf(t), q, np.inf)[0]
        first = stats.norm.pdf(q) - q * (1 - a)  # E[(L - q)+]
        want_cvar_se = math.sqrt(second - first**2) / ((1 - a) * math.sqrt(n))
        assert abs(var - q) < 4 * want_var_se and abs(cvar - es) < 4 * want_cvar_se
        assert 0.7 < var_se / want_var_se < 1.4
        assert 0.8 < cvar_se / want_cvar_se < 1.25
    big = np.random.default_rng(4).normal(size=1_000_000)
    assert tail(big, 0.99) == pytest.approx((2.326, 2.665), abs=0.01)


@given(st.lists(st.booleans(), min_size=1, max_size=500))
def test_a_probability_has_the_binomial_standard_error(flags):
    p, se = share_se(np.array(flags))
    n, k = len(flags), sum(flags)
    assert p == k / n
    assert se == pytest.approx(stats.binom.std(n, k / n) / n, abs=1e-15)


@given(arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(1, 5)), elements=finite),
       st.integers(1, 12))  # fmt: skip
def test_an_n_day_loss_is_the_fall_over_every_window_of_n_days(pnl, days):
    found = windows(pnl, days)
    expected = [[pnl[t, p] - pnl[t + days, p] for p in range(pnl.shape[1])]
                for t in range(pnl.shape[0] - days)]  # fmt: skip
    assert found.shape == (max(pnl.shape[0] - days, 0), pnl.shape[1])
    np.testing.assert_array_equal(found, np.array(expected).reshape(found.shape))
