"""Black-Scholes greeks with a cost of carry, vectorised over NumPy arrays.

``black_scholes(spot, strike, tenor, vol, rate=0, carry=0)`` prices a European call (and, with
``call=False``, a put) in the generalised Black-Scholes-Merton model: ``carry`` b is the cost
of carry (b = r for a non-paying asset, b = 0 for a future, b = expected funding for a perp).
Crypto defaults are r = b = 0. Units:

- ``tenor`` in years, ``vol`` per year as a fraction (1.0 = 100%), ``rate`` and ``carry`` per
  year, continuously compounded;
- ``price`` in the strike's currency per unit of the underlying;
- ``delta`` per unit of underlying (dPrice/dSpot), ``gamma`` per unit per unit (d2Price/dSpot2);
- ``vega`` per 1.00 of vol (divide by 100 for per vol point);
- ``theta`` per year of calendar time (dPrice/dt with the expiry fixed; divide by 365 for per
  day), so a long option's theta is usually negative.

At expiry (tenor 0) the price is the intrinsic value, delta the exercise indicator (1 in the
money, 0 out, 1/2 at the money) and the other greeks 0. Inputs broadcast against each other."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr

__all__ = ["Greeks", "black_scholes", "call_parts", "call_value_delta"]

_SQRT_2PI = np.sqrt(2.0 * np.pi)

Array = NDArray[np.float64]


class Greeks(NamedTuple):
    price: Array
    delta: Array
    gamma: Array
    vega: Array
    theta: Array


def _pdf(x: Array) -> Array:
    out: Array = np.exp(-0.5 * x * x) / _SQRT_2PI
    return out


def black_scholes(  # noqa: PLR0917 (the conventional argument order)
    spot: ArrayLike,
    strike: ArrayLike,
    tenor: ArrayLike,
    vol: ArrayLike,
    rate: ArrayLike = 0.0,
    carry: ArrayLike = 0.0,
    *,
    call: bool = True,
) -> Greeks:
    """Price and greeks (see the module's docstring for units)."""
    s, k, t, v, r, b = np.broadcast_arrays(
        *(np.asarray(a, dtype=np.float64) for a in (spot, strike, tenor, vol, rate, carry))
    )
    if np.any(s <= 0) or np.any(k <= 0):
        raise ValueError("spot and strike must be positive")
    if np.any(t < 0) or np.any(v < 0):
        raise ValueError("tenor and vol must not be negative")
    live = (t > 0) & (v > 0)
    tt = np.where(live, t, 1.0)
    vv = np.where(live, v, 1.0)
    root = vv * np.sqrt(tt)
    d1 = (np.log(s / k) + (b + 0.5 * vv * vv) * tt) / root
    d2 = d1 - root
    carry_df = np.exp((b - r) * tt)
    df = np.exp(-r * tt)
    sign = 1.0 if call else -1.0
    n1, n2 = ndtr(sign * d1), ndtr(sign * d2)
    pdf1 = _pdf(d1)
    price = sign * (s * carry_df * n1 - k * df * n2)
    delta = sign * carry_df * n1
    gamma = carry_df * pdf1 / (s * root)
    vega = s * carry_df * pdf1 * np.sqrt(tt)
    theta = (
        -s * carry_df * pdf1 * vv / (2.0 * np.sqrt(tt))
        - sign * (b - r) * s * carry_df * n1
        - sign * r * k * df * n2
    )
    # expired, or no volatility: the forward's intrinsic value, discounted
    forward = s * np.exp(b * t)
    intrinsic = np.maximum(sign * (forward - k), 0.0) * np.exp(-r * t)
    itm = np.where(sign * (forward - k) > 0, 1.0, np.where(forward == k, 0.5, 0.0))
    dead_delta = sign * itm * np.exp((b - r) * t)
    # with no volatility the payoff is sure: only carry and discounting move it
    dead_theta = np.where(
        t > 0, -sign * itm * ((b - r) * s * np.exp((b - r) * t) + r * k * np.exp(-r * t)), 0.0
    )
    return Greeks(
        np.where(live, price, intrinsic),
        np.where(live, delta, dead_delta),
        np.where(live, gamma, 0.0),
        np.where(live, vega, 0.0),
        np.where(live, theta, dead_theta),
    )


def call_parts(
    spot: Array, strike: Array, tenor: float, vol: float, log_moneyness: Array | None = None
) -> tuple[Array, Array, Array]:
    """A call's price, N(d1) (its delta) and N(d2) (minus its sensitivity to the strike) with
    r = b = 0 for one ``tenor`` and ``vol`` (scalars): the simulator's hot path, equal to
    :func:`black_scholes` (tested) without its checks and the greeks it does not need;
    ``log_moneyness`` (ln(spot / strike)) may be passed if known. At expiry: intrinsic value
    and the exercise indicator for both."""
    if tenor <= 0 or vol <= 0:
        at_money = np.where(spot == strike, 0.5, 0.0)
        itm = np.where(spot > strike, 1.0, at_money)
        return np.maximum(spot - strike, 0.0), itm, itm
    root = vol * np.sqrt(tenor)
    if log_moneyness is None:
        log_moneyness = np.log(spot / strike)
    d1 = log_moneyness / root + 0.5 * root
    n1, n2 = ndtr(d1), ndtr(d1 - root)
    value: Array = spot * n1 - strike * n2
    return value, n1, n2


def call_value_delta(
    spot: Array, strike: Array, tenor: float, vol: float, log_moneyness: Array | None = None
) -> tuple[Array, Array]:
    """A call's price and delta (see :func:`call_parts`)."""
    value, n1, _ = call_parts(spot, strike, tenor, vol, log_moneyness)
    return value, n1
