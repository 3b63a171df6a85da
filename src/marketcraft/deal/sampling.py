"""Random draws the simulators need faster than NumPy's general-purpose samplers give them."""

from __future__ import annotations

import numpy as np

__all__ = ["poisson"]

#: above this mean, exp(-mean) loses precision and NumPy's rejection sampler is quicker anyway
INVERSION_LIMIT = 30.0
#: once fewer than this share of the draws still climb, carry on with just those
COMPACT_BELOW = 0.3


def poisson(rng: np.random.Generator, mean: np.ndarray) -> np.ndarray:
    """Poisson counts (as floats) for an array of small means, by inverting the distribution
    function with one uniform per draw: exact, and faster than ``rng.poisson`` with an array
    of means (which pays a fixed cost per element). The climb stops when the last draw is
    placed, and continues on the few draws left once most are done. Falls back to
    ``rng.poisson`` for means above :data:`INVERSION_LIMIT`."""
    shape = mean.shape
    if mean.size and float(mean.max()) > INVERSION_LIMIT:
        out: np.ndarray = rng.poisson(mean).astype(np.float64)
        return out
    mean = mean.reshape(-1)
    rest = rng.random(mean.size)  # the uniform less the distribution function so far
    term = np.exp(-mean)
    rest -= term
    count = np.zeros(mean.size)
    where: np.ndarray | None = None  # the draws still climbing, once compacted
    climbing = mean.size
    k = 0
    while True:
        k += 1
        more = rest > 0.0
        live = int(np.count_nonzero(more))
        if not live:
            return count.reshape(shape)
        if live < COMPACT_BELOW * climbing:
            keep = np.flatnonzero(more)
            where = keep if where is None else where[keep]
            rest, term, mean = rest[keep], term[keep], mean[keep]
            climbing = live
            count[where] += 1.0
        elif where is None:
            count += more
        else:
            count[where] += more
        term *= mean
        term *= 1.0 / k
        rest -= term
