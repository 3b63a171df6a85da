"""The DEX pool under arbitrage, vectorised over paths.

After the outside price moves, an arbitrageur makes the one swap that pays most against the
outside price (PancakeSwap v2 pricing: ``out = gamma in R_out / (R_in + gamma in)``, ``gamma =
1 - fee``, and the whole input goes into the reserves). The protocol's cut (``fee - lp_fee`` of
the input) then leaves the pool pro rata from both reserves, as PancakeSwap's protocol-fee
minting dilutes liquidity providers, so the pool's price stays where the arbitrage left it. The
liquidity providers' part of the fee stays in the pool: that is what :func:`arbitrage` reports
as fees, with the volume they were paid on."""

from __future__ import annotations

import numpy as np

__all__ = ["arbitrage", "inflow"]


def inflow(r_in: np.ndarray, r_out: np.ndarray, outside: np.ndarray, gamma: float) -> np.ndarray:
    """How much of the ``in`` asset an arbitrageur pays in for the swap that pays most, with
    ``out`` worth ``outside`` (in ``in``) elsewhere; 0 where no swap pays (the pool is within
    the fee band). It maximises ``outside x out(u) - u``: ``(r_in + gamma u)^2 = gamma outside
    r_in r_out``, so ``u = (sqrt(gamma outside r_in r_out) - r_in) / gamma``, written to keep
    its precision when ``u`` is small."""
    product = gamma * outside * r_in * r_out
    out: np.ndarray = np.maximum((product - r_in * r_in) / (gamma * (np.sqrt(product) + r_in)), 0.0)
    return out


def arbitrage(
    tokens: np.ndarray, stable: np.ndarray, price: np.ndarray, fee: float, lp_fee: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The reserves after the arbitrage at outside ``price``, the liquidity providers' fees
    from it and the volume paid in (both in stablecoin at ``price``): fees = ``lp_fee`` x
    volume."""
    gamma = 1.0 - fee
    protocol = fee - lp_fee
    buy = inflow(stable, tokens, price, gamma)  # stablecoin in, tokens out
    sell = inflow(tokens, stable, 1.0 / price, gamma)  # tokens in, stablecoin out
    tokens_out = gamma * buy * tokens / (stable + gamma * buy)
    stable_out = gamma * sell * stable / (tokens + gamma * sell)
    new_tokens = tokens - tokens_out + sell
    new_stable = stable - stable_out + buy
    paid_in = buy + sell * price  # in stablecoin at the outside price
    if protocol > 0:
        keep = 1.0 - protocol * paid_in / (new_tokens * price + new_stable)
        new_tokens *= keep
        new_stable *= keep
    fees: np.ndarray = lp_fee * paid_in
    return new_tokens, new_stable, fees, paid_in
