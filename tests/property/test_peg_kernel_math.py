"""The compiled peg kernel's own arithmetic against NumPy's: the feed's median and the
deviation histogram's bins."""

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from marketcraft.sim.peg import kernel
from marketcraft.sim.peg.metrics import BINS

prices = st.floats(min_value=1e-6, max_value=1e9, allow_nan=False)


@given(st.lists(prices, min_size=1, max_size=48), st.data())
def test_the_median_of_the_valid_slots_is_numpys(values, data):
    window = np.array(values)
    valid = np.array(data.draw(st.lists(st.booleans(), min_size=len(values),
                                        max_size=len(values))))  # fmt: skip
    valid[data.draw(st.integers(0, len(values) - 1))] = True  # at least one report
    got = kernel._median(window, valid, np.empty(len(values)))
    assert got == np.median(window[valid])


deviations = st.one_of(
    st.just(0.0),
    st.floats(min_value=1e-12, max_value=100.0),
    st.sampled_from([float(10**e) for e in BINS[1:]]),  # on the edges themselves
    st.sampled_from([float(np.nextafter(10**e, 0)) for e in BINS[1:]]),
)


@given(deviations)
def test_a_deviation_falls_in_the_bin_np_histogram_puts_it_in(dev):
    with np.errstate(divide="ignore"):
        counts, _ = np.histogram([np.log10(dev)], bins=BINS)
    lg = math.log10(dev) if dev > 0 else -math.inf
    got = kernel._bin(dev, BINS)
    if counts.sum() == 0:  # above the range: the extra bin
        assert got == len(BINS) - 1
    else:
        # the rule, edges[k] <= log10(dev) < edges[k + 1] (the last bin closed), read off the
        # edges themselves with the kernel's log10 (the C library's): NumPy's log10 may be an ulp
        # away, and its fast path for even bins may differ by one bin within an ulp of an edge
        by_rule = min(int(np.searchsorted(BINS, lg, side="right")) - 1, len(BINS) - 2)
        assert got == by_rule and abs(got - int(np.argmax(counts))) <= 1
