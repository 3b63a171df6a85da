"""The live hedge calculator: from the desk's positions now and a price, every component's
value, delta and gamma, both deltas, and the perp order that brings the chosen delta to zero.

A positions file (TOML)::

    vol = 1.0                      # per year, for the calls and a cash-repayment option
    delta_mode = "economic"        # or "inventory"
    band_tokens = 0                # no order while |delta| is within this
    [inventory]                    # tokens on each venue (and any wallet)
    A = 400_000
    [perp]
    tokens = -250_000              # negative: short
    [pool]                         # the pool's reserves now, and the desk's share
    tokens = 500_000
    stable = 500_000
    share = 1.0
    [[calls]]
    tokens = 100_000
    strike = 1.25
    days_left = 300
    [loan]
    tokens = 3_000_000
    days_left = 300
    cash_strike = 0                # > 0: may repay this per token in cash

The pool is valued after arbitrage to the price (``tokens = sqrt(k / P)``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from marketcraft.deal.bounds import first_not_finite
from marketcraft.deal.greeks import black_scholes
from marketcraft.deal.loan import loan_gamma, loan_value
from marketcraft.deal.pool import pool_gamma, pool_tokens, pool_value
from marketcraft.kernel.errors import ValidationError
from marketcraft.tables import build_table, read_toml

__all__ = ["HedgeOrder", "Positions", "hedge_now", "load_positions"]

CODE = "bad_positions"


@dataclass(frozen=True)
class Perp:
    tokens: float = 0.0


@dataclass(frozen=True)
class PoolShare:
    tokens: float = 0.0
    stable: float = 0.0
    share: float = 1.0


@dataclass(frozen=True)
class Call:
    tokens: float
    strike: float
    days_left: float


@dataclass(frozen=True)
class Debt:
    tokens: float = 0.0
    days_left: float = 0.0
    cash_strike: float = 0.0


@dataclass(frozen=True)
class Positions:
    vol: float = 1.0
    delta_mode: str = "economic"
    band_tokens: float = 0.0
    perp: Perp = field(default_factory=Perp)
    pool: PoolShare = field(default_factory=PoolShare)
    calls: tuple[Call, ...] = ()
    loan: Debt = field(default_factory=Debt)
    inventory: tuple[tuple[str, float], ...] = ()


_NESTED: dict[tuple[type, str], type] = {
    (Positions, "perp"): Perp,
    (Positions, "pool"): PoolShare,
    (Positions, "calls"): Call,
    (Positions, "loan"): Debt,
}


def load_positions(path: str | Path) -> Positions:
    source = Path(path)
    raw = read_toml(source, CODE)
    inventory = raw.pop("inventory", {})
    if not isinstance(inventory, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in inventory.values()
    ):
        raise ValidationError(CODE, f"{source.name}: [inventory] maps venues to token amounts")
    p: Positions = build_table(Positions, raw, source.name, _NESTED, CODE)
    p = Positions(**{**p.__dict__, "inventory": tuple((k, float(v)) for k, v in inventory.items())})
    return _validate(p, source.name)


def _validate(p: Positions, where: str) -> Positions:
    def need(ok: bool, message: str) -> None:
        if not ok:
            raise ValidationError(CODE, f"{where}: {message}")

    bad = first_not_finite(p)
    need(bad is None, f"{bad[0]} must be a finite number, not {bad[1]!r}" if bad else "")
    need(0 < p.vol <= 100, "vol must be in (0, 100]")
    need(p.delta_mode in ("economic", "inventory"), "delta_mode must be economic or inventory")
    need(p.band_tokens >= 0, "band_tokens must be >= 0")
    need(all(v >= 0 for _, v in p.inventory), "inventory amounts must be >= 0")
    need(p.pool.tokens >= 0 and p.pool.stable >= 0, "pool reserves must be >= 0")
    need((p.pool.tokens > 0) == (p.pool.stable > 0), "give both pool reserves, or neither")
    need(0 <= p.pool.share <= 1, "pool.share must be in [0, 1]")
    for i, c in enumerate(p.calls):
        need(c.tokens > 0 and c.strike > 0 and c.days_left >= 0, f"calls[{i}]: bad values")
    need(p.loan.tokens >= 0 and p.loan.days_left >= 0 and p.loan.cash_strike >= 0,
         "loan values must be >= 0")  # fmt: skip
    return p


@dataclass(frozen=True)
class HedgeOrder:
    rows: list[tuple[str, float, float, float]]  # (component, value, delta, gamma)
    delta_inventory: float
    delta_economic: float
    gamma: float
    order: float  # perps to buy (negative: sell) now
    notional: float


def hedge_now(p: Positions, price: float) -> HedgeOrder:
    """Greeks at ``price`` and the perp order to place now."""
    if not (price > 0 and math.isfinite(price)):
        raise ValidationError(CODE, "price must be a positive number")
    spot = np.array([price])
    rows: list[tuple[str, float, float, float]] = []
    for name, tokens in p.inventory:
        rows.append((f"inventory {name}", tokens * price, tokens, 0.0))
    rows.append(("perps", 0.0, p.perp.tokens, 0.0))
    if p.pool.tokens > 0:
        k = p.pool.tokens * p.pool.stable
        s = p.pool.share
        rows.append((
            "pool share", s * float(pool_value(k, price)), s * float(pool_tokens(k, price)),
            s * float(pool_gamma(k, price)),
        ))  # fmt: skip
    for c in p.calls:
        g = black_scholes(price, c.strike, c.days_left / 365.0, p.vol)
        rows.append((
            f"call {c.tokens:,.0f} at {c.strike:g}", c.tokens * float(g.price),
            c.tokens * float(g.delta), c.tokens * float(g.gamma),
        ))  # fmt: skip
    held = sum(r[2] for r in rows)
    loan = p.loan
    tenor = loan.days_left / 365.0
    if loan.tokens:
        value, delta = loan_value(spot, loan.tokens, loan.cash_strike, tenor, p.vol)
        gamma = loan_gamma(spot, loan.tokens, loan.cash_strike, tenor, p.vol)
        rows.append(("loan (owed)", -float(value[0]), -float(delta[0]), 0.0 - float(gamma[0])))
    economic = sum(r[2] for r in rows)
    target = economic if p.delta_mode == "economic" else held
    order = -target if abs(target) > p.band_tokens else 0.0
    return HedgeOrder(rows, held, economic, sum(r[3] for r in rows), order, abs(order) * price)
