"""Constant-product pool math (PancakeSwap v2 / Uniswap v2 style), vectorised over arrays.

A pool holds x tokens and y stablecoin with x * y = k; its price is P = y / x (stable per
token). At price P: ``x = sqrt(k / P)``, ``y = sqrt(k P)``, value ``2 sqrt(k P)``, delta (tokens
held) ``x``, gamma ``dx/dP = -1/2 sqrt(k) P^(-3/2)`` (short gamma). Impermanent loss at price
ratio q against holding: ``2 sqrt(q) / (1 + q) - 1``. Loss-versus-rebalancing accrues at about
``vol^2 / 8`` of the pool's value per unit of time (vol in the same time unit)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "FEE_DENOMINATOR",
    "PANCAKE_V2_FEE",
    "impermanent_loss",
    "lvr_rate",
    "pool_delta",
    "pool_gamma",
    "pool_stable",
    "pool_tokens",
    "pool_value",
    "swap_out",
]

Array = NDArray[np.float64]
FEE_DENOMINATOR = 10_000
#: PancakeSwap v2 keeps 25 of every 10,000 input units as fee (17 to LPs, 8 to the protocol)
PANCAKE_V2_FEE = 25


def _f(a: ArrayLike) -> Array:
    return np.asarray(a, dtype=np.float64)


def pool_tokens(k: ArrayLike, price: ArrayLike) -> Array:
    out: Array = np.sqrt(_f(k) / _f(price))
    return out


def pool_stable(k: ArrayLike, price: ArrayLike) -> Array:
    out: Array = np.sqrt(_f(k) * _f(price))
    return out


def pool_value(k: ArrayLike, price: ArrayLike) -> Array:
    out: Array = 2.0 * np.sqrt(_f(k) * _f(price))
    return out


def pool_delta(k: ArrayLike, price: ArrayLike) -> Array:
    """The pool's token holding: d(value)/dP."""
    return pool_tokens(k, price)


def pool_gamma(k: ArrayLike, price: ArrayLike) -> Array:
    """d2(value)/dP2 = -1/2 sqrt(k) P^(-3/2)."""
    out: Array = -0.5 * np.sqrt(_f(k)) * _f(price) ** -1.5
    return out


def impermanent_loss(ratio: ArrayLike) -> Array:
    """The pool's value against holding its starting amounts, less 1, after the price moves by
    ``ratio`` (never positive)."""
    q = _f(ratio)
    out: Array = 2.0 * np.sqrt(q) / (1.0 + q) - 1.0
    return out


def lvr_rate(vol: ArrayLike, value: ArrayLike) -> Array:
    """Expected loss to arbitrageurs per unit of time: vol^2 / 8 x pool value."""
    out: Array = _f(vol) ** 2 / 8.0 * _f(value)
    return out


def swap_out(
    amount_in: ArrayLike, reserve_in: ArrayLike, reserve_out: ArrayLike, fee: int = PANCAKE_V2_FEE
) -> Array:
    """What a swap of ``amount_in`` pays out: ``in (D - fee) R_out / (R_in D + in (D - fee))``
    with D = 10,000 (PancakeSwap v2's getAmountOut, without its integer rounding)."""
    kept = _f(amount_in) * (FEE_DENOMINATOR - fee)
    out: Array = kept * _f(reserve_out) / (_f(reserve_in) * FEE_DENOMINATOR + kept)
    return out
