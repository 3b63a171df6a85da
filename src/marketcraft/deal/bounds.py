"""The ranges a deal's terms must keep to, so that every accepted terms file simulates to finite
numbers; anything else is refused with a ``ValidationError`` naming the key.

Three kinds of check, in this order:

1. every number is finite (TOML allows ``nan`` and ``inf``);
2. each key lies in its range (:data:`RANGES`, plus the few ranges that depend on another key:
   a loan within the supply, a spread within twice the band...);
3. the price model cannot leave the numbers' range: over the tenor the log price may move by at
   most :data:`MAX_EXCURSION` (drift, volatility and jumps at up to :data:`MAX_VOL_SCALE` x the
   deal's vol, as the option valuation uses, plus the venues' adverse selection were every fill
   on one side). e^200 is about 1e87: far inside float64's e^709, so amounts x prices x prices
   stay finite. A 100%-vol token may run for the 10-year maximum; a 5,000%-vol one is refused.

The ranges are wide on purpose: they keep out what cannot be simulated, not what is unusual."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from marketcraft.deal.history import read_history
from marketcraft.deal.impact import derived_volume
from marketcraft.deal.time_grid import step_seconds
from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.limits import MAX_DEAL_PATHS, MAX_SEED
from marketcraft.tables import read_column

if TYPE_CHECKING:
    from marketcraft.deal.terms import Terms

__all__ = [
    "MAX_EXCURSION", "MAX_IMPACT_DRIFT", "MAX_PATHS", "MAX_VOL_SCALE", "RANGES", "check",
    "excursion", "first_not_finite",
]  # fmt: skip

CODE = "bad_terms"
MAX_EXCURSION = 200.0
#: the highest multiple of the deal's vol that the option valuation prices at
MAX_VOL_SCALE = 1.5
MAX_PATHS = MAX_DEAL_PATHS
MONEY = 1e15  # the largest amount of stablecoin (or tokens x price) a key may hold
#: the furthest the desk's own trades may move a path's log price in all (their permanent
#: impact is held within it, see :mod:`marketcraft.deal.impact`)
MAX_IMPACT_DRIFT = 20.0

#: key -> (low, high, low included, high included); a key of a list of tables (``calls``,
#: ``venues``) applies to each table
RANGES: dict[str, tuple[float, float, bool, bool]] = {
    "token.supply": (0.0, 1e18, False, True),
    "token.listing_price": (1e-12, 1e12, True, True),
    "loan.tokens": (0.0, 1e18, False, True),
    "loan.tenor_days": (1.0, 3650.0, True, True),
    "loan.interest": (0.0, 1.0, True, True),
    "repayment.cash_strike": (0.0, 1e18, True, True),
    "calls.tokens": (0.0, 1e18, False, True),
    "calls.strike": (0.0, 1e18, True, True),
    "calls.strike_multiple": (0.0, 1e6, True, True),
    "venues.depth": (0.0, MONEY, False, True),
    "venues.spread": (0.0, 2.0, False, True),
    "venues.band": (0.0, 1.0, False, False),
    "venues.intensity": (0.0, 1e4, True, True),
    "venues.decay": (0.0, 1e4, True, True),
    "venues.clip": (0.0, 1.0, False, True),
    "venues.skew": (0.0, 1e6, True, True),
    "venues.adverse": (0.0, 1.0, True, True),
    "pool.value": (0.0, MONEY, True, True),
    "pool.fee": (0.0, 1.0, True, False),
    "pool.lp_fee": (0.0, 1.0, True, False),
    "pool.share": (0.0, 1.0, True, True),
    "pool.organic_volume": (0.0, 100.0, True, True),
    "funding.rate": (-0.1, 0.1, True, True),
    "funding.mean": (-0.1, 0.1, True, True),
    "funding.speed": (0.0, 1e4, True, True),
    "funding.vol": (0.0, 0.1, True, True),
    "costs.taker_fee": (0.0, 1.0, True, False),
    "costs.half_spread": (0.0, 1.0, True, False),
    "costs.gas": (0.0, 1e9, True, True),
    "impact.coefficient": (0.0, 100.0, True, True),
    "impact.permanent": (0.0, 100.0, True, True),
    "impact.daily_volume": (0.0, MONEY, True, True),
    "financing.borrow_rate": (0.0, 10.0, True, True),
    "financing.deposit_rate": (0.0, 10.0, True, True),
    "financing.credit_line": (0.0, MONEY, True, True),
    "hedge.band_tokens": (0.0, 1e18, True, True),
    "hedge.interval_hours": (0.0, 1e6, False, True),
    "hedge.keep_inventory": (0.0, 1e18, True, True),
    "hedge.sell_for_quotes": (0.0, 1e18, True, True),
    "market.vol": (0.0, 100.0, True, True),
    "market.drift": (-100.0, 100.0, True, True),
    "market.jumps_per_year": (0.0, 1e4, True, True),
    "market.jump_mean": (-10.0, 10.0, True, True),
    "market.jump_vol": (0.0, 10.0, True, True),
    "market.block_hours": (0.0, 1e6, False, True),
    "desk.capital": (0.0, MONEY, True, True),
    "desk.margin": (0.0, 1.0, False, True),
    "desk.maintenance": (0.0, 1.0, False, True),
    "desk.liquidation_fee": (0.0, 1.0, True, True),
    "desk.exercise_buffer": (0.0, 10.0, True, True),
    "stress.day": (0.0, 3650.0, True, True),
    "stress.move": (-1.0, 1e4, False, True),
    "stress.hours": (0.0, 87_600.0, True, True),
    "simulation.paths": (1.0, MAX_PATHS, True, True),
    "simulation.seed": (0.0, float(MAX_SEED), True, True),
}


def _numbers(value: Any, key: str, table: str) -> list[tuple[str, str, float]]:
    """Every number in a table as (where, range key, value): ``calls[1].strike``..."""
    out = []
    for f in fields(value):
        item = getattr(value, f.name)
        if is_dataclass(item):
            out += _numbers(item, f"{key}{f.name}.", f.name)
        elif isinstance(item, tuple):
            for i, inner in enumerate(item):
                if is_dataclass(inner):
                    out += _numbers(inner, f"{key}{f.name}[{i}].", f.name)
                else:  # a (name, amount) pair, as a positions file's inventory
                    out.append((f"{key}{f.name}.{inner[0]}", f.name, float(inner[1])))
        elif isinstance(item, int | float) and not isinstance(item, bool):
            out.append((f"{key}{f.name}", f"{table}.{f.name}", float(item)))
    return out


def first_not_finite(table: Any) -> tuple[str, float] | None:
    """The first key of a table (dataclass) holding NaN or an infinity, and its value."""
    return next(
        ((where, v) for where, _, v in _numbers(table, "", "") if not math.isfinite(v)), None
    )


def _in(value: float, bounds: tuple[float, float, bool, bool]) -> bool:
    low, high, low_in, high_in = bounds
    above = value >= low if low_in else value > low
    below = value <= high if high_in else value < high
    return above and below


def _span(bounds: tuple[float, float, bool, bool]) -> str:
    low, high, low_in, high_in = bounds
    return f"{'[' if low_in else '('}{low:g}, {high:g}{']' if high_in else ')'}"


def excursion(t: Terms, base: Path = Path()) -> float:
    """How far (in log price) the price model could take a path over the tenor: the mean drift
    plus 8 standard deviations, at the deal's vol and drift or at ``MAX_VOL_SCALE`` x the vol
    without drift (the option valuation), whichever is further, plus the venues' adverse
    selection were every fill for the whole tenor on one side, the desk's own permanent impact
    (at most :data:`MAX_IMPACT_DRIFT`) and the largest stress scenario's jump. A bootstrap's
    drift and vol are its data's (``base`` is where its CSV is)."""
    m = t.market
    years = t.loan.tenor_days / 365.0
    jumps, jump_mean, jump_vol, drift, vol = (
        m.jumps_per_year,
        m.jump_mean,
        m.jump_vol,
        m.drift,
        m.vol,
    )
    if m.model == "bootstrap":
        log_drift, vol = read_history(base / m.csv).yearly()
        drift, jumps = log_drift + 0.5 * vol * vol, 0.0
    compensator = jumps * math.expm1(jump_mean + 0.5 * jump_vol**2)
    worst = 0.0
    for mu, sigma in ((drift, vol), (0.0, MAX_VOL_SCALE * vol)):
        mean = abs(mu - 0.5 * sigma * sigma - compensator + jumps * jump_mean)
        variance = sigma * sigma + jumps * (jump_mean**2 + jump_vol**2)
        worst = max(worst, mean * years + 8.0 * math.sqrt(variance * years))
    flow = sum(v.intensity * 8760.0 * v.adverse * v.spread for v in t.venues)
    own = MAX_IMPACT_DRIFT if t.impact.permanent > 0 else 0.0
    stress = max((abs(math.log1p(s.move)) for s in t.stress), default=0.0)
    return worst + flow * years + own + stress


def _desk(t: Terms, need: Callable[[bool, str], None]) -> None:
    """The margin's levels in order, impact with a volume to act on, and each stress
    scenario's name unique, within the tenor, with what its kind needs."""
    d = t.desk
    need(d.maintenance <= d.margin, "desk.maintenance must be at most desk.margin (the initial "
         "margin the desk tops up to)")  # fmt: skip
    if t.impact.coefficient > 0 or t.impact.permanent > 0:
        need(t.impact.daily_volume > 0 or derived_volume(t) > 0,
             "impact.daily_volume: the terms have no venue takers or organic pool volume to "
             "take it from: give it (stablecoin a day), or set impact.coefficient and "
             "impact.permanent to 0")  # fmt: skip
    names = [s.name for s in t.stress]
    need(len(set(names)) == len(names), "stress names must differ")
    venues = {v.name for v in t.venues} | {"perp"}
    for i, s in enumerate(t.stress):
        where = f"stress[{i}] ({s.name!r})"
        need(s.name not in {"", "base"}, f"{where}: name it (not '' or 'base')")
        if s.kind == "outage":
            need(s.hours > 0, f"{where}.hours must be > 0 for an outage")
            need(s.venue in venues, f"{where}.venue must be one of {sorted(venues)}, "
                 f"not {s.venue!r}")  # fmt: skip
        else:
            need(s.venue == "" and s.hours == 0,
                 f"{where}: venue and hours are for kind = 'outage'")  # fmt: skip
        if s.kind == "jump":
            need(s.move != 0, f"{where}.move must be non-zero for a jump (-0.8: a crash of 80%)")


def check(t: Terms, base: Path) -> None:
    """Raise ``ValidationError`` naming the first key out of its range (see the module)."""

    def need(ok: bool, message: str) -> None:
        if not ok:
            raise ValidationError(CODE, f"{t.name}: {message}")

    bad = first_not_finite(t)
    need(bad is None, f"{bad[0]} must be a finite number, not {bad[1]!r}" if bad else "")
    found = _numbers(t, "", "")
    for where, key, value in found:
        bounds = RANGES.get(key)
        if bounds is not None:
            need(_in(value, bounds), f"{where} must be in {_span(bounds)}, not {value:g}")
    need(t.loan.tokens <= t.token.supply, "loan.tokens must be at most token.supply")
    need(float(t.loan.tenor_days).is_integer(), "loan.tenor_days must be a whole number of days")
    need(t.repayment.mode == "tokens" or t.repayment.cash_strike > 0,
         "repayment.cash_strike must be > 0 for cash repayment")  # fmt: skip
    for i, c in enumerate(t.calls):
        where = f"calls[{i}]"
        need((c.strike > 0) != (c.strike_multiple > 0),
             f"{where}: give strike or strike_multiple (with average_days), not both")  # fmt: skip
        need(
            c.strike_multiple <= 0 or 1 <= c.average_days < t.loan.tenor_days,
            f"{where}.average_days must be 1..loan.tenor_days - 1 with a strike_multiple",
        )
    need(sum(c.tokens for c in t.calls) <= t.token.supply, "the calls' tokens exceed token.supply")
    names = [v.name for v in t.venues]
    need(len(set(names)) == len(names), "venue names must differ")
    for i, v in enumerate(t.venues):
        where = f"venues[{i}] ({v.name!r})"
        need(v.spread <= 2 * v.band, f"{where}.spread must be at most twice its band")
        # beyond this no fill ever arrives, and the lean's exp() overflows
        need(v.decay * v.spread / 2 * 1e4 <= 100,
             f"{where}.decay x the half-spread in bp must be <= 100")  # fmt: skip
    _desk(t, need)
    p = t.pool
    need(p.lp_fee <= p.fee, "pool.lp_fee must be at most pool.fee")
    pooled = p.share * p.value / 2 / t.token.listing_price
    need(pooled <= t.loan.tokens, "the pool's token side (pool.value x pool.share / 2 / "
         "token.listing_price) must fit in loan.tokens")  # fmt: skip
    if t.funding.model == "csv":
        path = base / t.funding.csv
        need(path.is_file(), f"funding.csv: no file {t.funding.csv!r}")
        rates = read_column(path, "rate", CODE)
        need(bool(abs(rates).max() <= 0.1), "funding.csv: every rate must be in [-0.1, 0.1]")
    h = t.hedge
    if h.initial == "article":
        need(h.sell_for_quotes == 0, "hedge.sell_for_quotes is for initial = 'economic': the "
             "article sells all but hedge.keep_inventory at once")  # fmt: skip
        need(pooled <= h.keep_inventory <= t.loan.tokens,
             f"hedge.keep_inventory must hold the pool's tokens ({pooled:,.0f}: pool.value x "
             "pool.share / 2 / token.listing_price) and fit in loan.tokens: the article keeps "
             "it for the pool and the venues")  # fmt: skip
    else:
        need(h.keep_inventory == 0, "hedge.keep_inventory is for initial = 'article': the "
             "economic preset keeps all but hedge.sell_for_quotes")  # fmt: skip
        need(h.sell_for_quotes + pooled <= t.loan.tokens,
             "hedge.sell_for_quotes + the pool's tokens (pool.value x pool.share / 2 / "
             "token.listing_price) must fit in loan.tokens")  # fmt: skip
    m = t.market
    step = step_seconds(t.simulation.step_hours, "simulation.step_hours")
    if m.model == "bootstrap":
        need((base / m.csv).is_file(), f"market.csv: no file {m.csv!r}")
        read_history(base / m.csv).at_step(step)
    moved = excursion(t, base)
    source = (
        "the data of market.csv"
        if m.model == "bootstrap"
        else ("market.vol, market.drift and the jumps (market.jumps_per_year, jump_mean, jump_vol)")
    )
    need(moved <= MAX_EXCURSION,
         f"{source}, with the venues' adverse x intensity x spread, could move the log price by "
         f"{moved:,.0f} over loan.tenor_days ({t.loan.tenor_days:g}); at most "
         f"{MAX_EXCURSION:g} can be simulated")  # fmt: skip
