"""What the token loan is worth to the lender, seen from the market maker who owes it.

Repaid in tokens, the loan is a short of ``owed`` tokens: value ``owed x P``, delta ``owed``.
When the market maker may instead pay ``cash_strike`` per token at maturity it repays the
cheaper, so it owes ``owed x min(P_T, K)``: a short token position plus a call it holds,
value ``owed (P - C(P, K))``, delta ``owed (1 - N(d1))`` (r = b = 0)."""

from __future__ import annotations

import numpy as np

from marketcraft.deal.greeks import black_scholes, call_value_delta

__all__ = ["loan_gamma", "loan_value"]


def loan_value(
    price: np.ndarray, owed: float, cash_strike: float, tenor: float, vol: float
) -> tuple[np.ndarray, np.ndarray]:
    """(value, delta in tokens) of the debt; ``cash_strike`` 0 means repaid in tokens."""
    if not cash_strike:
        return owed * price, np.full_like(price, owed)
    call, call_delta = call_value_delta(price, np.full_like(price, cash_strike), tenor, vol)
    return owed * (price - call), owed * (1.0 - call_delta)


def loan_gamma(
    price: np.ndarray, owed: float, cash_strike: float, tenor: float, vol: float
) -> np.ndarray:
    """The debt's gamma (the market maker's gamma from it is minus this)."""
    if not cash_strike or tenor <= 0:
        return np.zeros_like(price)
    out: np.ndarray = -owed * black_scholes(price, cash_strike, tenor, vol).gamma
    return out
