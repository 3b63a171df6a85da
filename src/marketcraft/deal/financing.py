"""The desk's financing and its perp margin, as pure functions over paths.

- Interest accrues every step on the stablecoin: ``borrow_rate`` a year on negative cash,
  ``deposit_rate`` on positive cash, simple over the step (``cash x rate x dt``, ``dt`` in
  years).
- The perp venue holds the desk's collateral; the perps' variation margin and funding settle
  into it. Its equity fails the **maintenance test** when it is below ``maintenance`` x the
  position's notional at the mark (a flat position never fails). The desk then owes a margin
  call: it tops the collateral up to ``margin`` x notional from its cash if it can without
  borrowing beyond its credit line; where it cannot, the venue liquidates the position.
- A hedge may grow the position only as far as the desk can post its initial margin
  (:func:`affordable`); cutting it is always allowed. So a desk that was liquidated for want of
  cash stays unhedged until it has the margin again, rather than reopening at once."""

from __future__ import annotations

import numpy as np

__all__ = ["affordable", "interest", "maintenance_fails", "top_up"]


def interest(cash: np.ndarray, borrow_rate: float, deposit_rate: float, dt: float) -> np.ndarray:
    """Interest on ``cash`` over ``dt`` years: negative (paid) on negative cash at
    ``borrow_rate``, positive (earned) on positive cash at ``deposit_rate``, zero on none."""
    rate = np.where(cash < 0, borrow_rate, deposit_rate)
    out: np.ndarray = cash * rate * dt
    return out


def maintenance_fails(
    collateral: np.ndarray, perp: np.ndarray, price: np.ndarray, maintenance: float
) -> np.ndarray:
    """Where the equity at the perp venue (``collateral``, variation margin settled in) is
    below ``maintenance`` x notional (``|perp| x price``): the paths owing a margin call."""
    out: np.ndarray = (perp != 0) & (collateral < maintenance * np.abs(perp) * price)
    return out


def top_up(
    collateral: np.ndarray, cash: np.ndarray, required: np.ndarray, credit_line: float
) -> np.ndarray:
    """How much cash moves to the perp venue to bring ``collateral`` to ``required``: the
    shortfall, as far as cash can pay it without going below ``-credit_line``; negative: the
    excess over ``required`` comes back to cash."""
    short = required - collateral
    room = np.maximum(cash + credit_line, 0.0)
    out: np.ndarray = np.where(short > 0, np.minimum(short, room), short)
    return out


def affordable(  # noqa: PLR0917 (the state the rule reads, per path)
    perp: np.ndarray,
    wanted: np.ndarray,
    collateral: np.ndarray,
    cash: np.ndarray,
    price: np.ndarray,
    margin: float,
    credit_line: float,
) -> np.ndarray:
    """The position the desk can hold instead of ``wanted`` (tokens): as large as the
    collateral and the cash it may still borrow (down to ``-credit_line``) cover at
    ``margin`` x notional, or as large as ``perp`` now on the same side, whichever is larger;
    ``wanted`` itself where that fits."""
    room = collateral + np.maximum(cash + credit_line, 0.0)
    cap = np.maximum(room, 0.0) / (margin * price)
    same_side = np.sign(wanted) == np.sign(perp)
    limit = np.maximum(cap, np.where(same_side, np.abs(perp), 0.0))
    out: np.ndarray = np.sign(wanted) * np.minimum(np.abs(wanted), limit)
    return out
