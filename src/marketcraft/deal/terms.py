"""A market-making deal's terms, read from TOML with clear errors.

Prices are in the stablecoin per token; token amounts in tokens; times in days or hours as
named; rates as fractions (0.001 = 0.1%). Every table but ``[loan]`` and the call tranches has
defaults, so a terms file names what its deal fixes. ``examples/deals/`` holds the article's
deal and real-style variants."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.limits import MAX_DEAL_PATHS, MAX_SEED
from marketcraft.tables import build_table, read_toml

__all__ = [
    "Costs",
    "Desk",
    "Funding",
    "Hedge",
    "Loan",
    "Market",
    "Pool",
    "Repayment",
    "Simulation",
    "Terms",
    "Token",
    "Tranche",
    "Venue",
    "load_terms",
]

CODE = "bad_terms"


@dataclass(frozen=True)
class Token:
    symbol: str = "TKN"
    supply: float = 150_000_000.0
    listing_price: float = 1.0


@dataclass(frozen=True)
class Loan:
    tokens: float
    tenor_days: float = 365.0
    interest: float = 0.0  # per year, paid in tokens


@dataclass(frozen=True)
class Repayment:
    """``tokens``: the loan is returned in tokens. ``cash``: the market maker may instead pay
    ``cash_strike`` per token (it repays whichever is cheaper: a call it holds)."""

    mode: str = "tokens"
    cash_strike: float = 0.0


@dataclass(frozen=True)
class Tranche:
    """A call on ``tokens`` at ``strike``, or at ``strike_multiple`` x the average price over
    the first ``average_days`` after launch (a TWAP-struck call)."""

    tokens: float
    strike: float = 0.0
    strike_multiple: float = 0.0
    average_days: int = 0
    style: str = "american"  # or "european"


@dataclass(frozen=True)
class Venue:
    """A centralised exchange with a quoting obligation: quotes within ``band`` of mid, spread
    at most ``spread``, ``depth`` (stablecoin) per side; fills arrive at ``intensity`` x
    exp(-``decay`` x distance in bp) per hour, each taking ``clip`` of the depth. Quotes lean
    against inventory: ``skew`` x (inventory / starting inventory - 1) of the half-spread, at
    most 90%, moves both quotes (the spread stays the same)."""

    name: str
    depth: float
    spread: float = 0.001
    band: float = 0.02
    intensity: float = 20.0
    decay: float = 0.3
    clip: float = 0.05
    skew: float = 1.0
    adverse: float = 0.0  # mid moves against the fill by this fraction of the spread


@dataclass(frozen=True)
class Pool:
    """The DEX pool: ``value`` at listing, half in each asset; ``fee`` per swap, of which
    ``lp_fee`` to liquidity providers; ``share`` of it belongs to the market maker. Besides
    arbitrage, ``organic_volume`` x value trades each day in both directions (fees, no net
    price move)."""

    value: float = 1_000_000.0
    fee: float = 0.0025
    lp_fee: float = 0.0017
    share: float = 1.0
    organic_volume: float = 0.25


@dataclass(frozen=True)
class Funding:
    """Perp funding per 8 hours: ``constant`` at ``rate``; ``mean_reverting`` around ``mean``
    with ``speed`` per day and ``vol`` per sqrt(day); or a ``csv`` of rates."""

    model: str = "constant"
    rate: float = 0.0001
    mean: float = 0.0001
    speed: float = 0.5
    vol: float = 0.0002
    csv: str = ""


@dataclass(frozen=True)
class Costs:
    taker_fee: float = 0.0005
    half_spread: float = 0.0002
    impact: float = 0.0001  # extra cost per $1M of notional
    gas: float = 0.0  # per DEX transaction, stablecoin


@dataclass(frozen=True)
class Hedge:
    """Where the loan goes at the start and how the book stays neutral.

    ``initial``: ``article`` keeps ``keep_inventory`` tokens on the venues and sells the rest
    of the loan (beyond the pool's token side) at once; ``economic`` sells only
    ``sell_for_quotes`` (for stablecoin to quote with) and keeps the rest on the venues.
    ``policy``: ``per_fill`` (re-hedge every step, as the article does on each fill and for
    the pool continuously), ``band`` (when |delta| > ``band_tokens``) or ``interval`` (every
    ``interval_hours``). ``delta_mode``: which delta the perps neutralise, ``inventory``
    (venues + pool + perps + calls) or ``economic`` (also the loan's short); both are always
    reported."""

    initial: str = "economic"
    policy: str = "band"
    band_tokens: float = 25_000.0
    interval_hours: float = 8.0
    delta_mode: str = "economic"
    keep_inventory: float = 0.0  # tokens kept to quote with
    sell_for_quotes: float = 0.0  # tokens sold for the stablecoin to quote with


@dataclass(frozen=True)
class Market:
    """The token price: ``gbm`` with ``drift`` and ``vol`` per year and optional jumps
    (``jumps_per_year``, log-size mean and vol), or ``bootstrap`` from a ``csv`` with a
    ``price`` column sampled every simulation step, resampled in blocks of ``block_hours``.
    Options and the loan are marked at ``vol`` (for a bootstrap: the data's own vol)."""

    model: str = "gbm"
    vol: float = 1.0
    drift: float = 0.0
    jumps_per_year: float = 0.0
    jump_mean: float = 0.0
    jump_vol: float = 0.0
    csv: str = ""
    block_hours: float = 24.0


@dataclass(frozen=True)
class Desk:
    """The market maker's own side: ``capital`` in stablecoin at the start; perp ``margin``
    (initial margin per unit of notional, for the margin report); an American call is
    exercised at the first touch of strike x (1 + ``exercise_buffer``)."""

    capital: float = 1_000_000.0
    margin: float = 0.1
    exercise_buffer: float = 0.05


@dataclass(frozen=True)
class Simulation:
    """Defaults for ``deal analyze`` (the command line overrides them)."""

    paths: int = 2_000
    step_hours: float = 1.0
    seed: int = 1


@dataclass(frozen=True)
class Terms:
    name: str
    loan: Loan
    calls: tuple[Tranche, ...] = ()
    token: Token = field(default_factory=Token)
    repayment: Repayment = field(default_factory=Repayment)
    venues: tuple[Venue, ...] = ()
    pool: Pool = field(default_factory=Pool)
    funding: Funding = field(default_factory=Funding)
    costs: Costs = field(default_factory=Costs)
    hedge: Hedge = field(default_factory=Hedge)
    market: Market = field(default_factory=Market)
    desk: Desk = field(default_factory=Desk)
    simulation: Simulation = field(default_factory=Simulation)


_NESTED: dict[tuple[type, str], type] = {
    (Terms, "loan"): Loan,
    (Terms, "calls"): Tranche,
    (Terms, "token"): Token,
    (Terms, "repayment"): Repayment,
    (Terms, "venues"): Venue,
    (Terms, "pool"): Pool,
    (Terms, "funding"): Funding,
    (Terms, "costs"): Costs,
    (Terms, "hedge"): Hedge,
    (Terms, "market"): Market,
    (Terms, "desk"): Desk,
    (Terms, "simulation"): Simulation,
}


def load_terms(path: str | Path) -> Terms:
    """Read and validate a terms file."""
    source = Path(path)
    raw = read_toml(source, CODE)
    raw.setdefault("name", source.stem)
    for key in ("calls", "venues"):
        if key in raw and not isinstance(raw[key], list):
            raise ValidationError(CODE, f"{source.name}: {key}: expected [[{key}]] tables")
    return validate(build_table(Terms, raw, source.name, _NESTED, CODE), source.parent)


def _choice(value: str, options: tuple[str, ...], where: str) -> None:
    if value not in options:
        raise ValidationError(CODE, f"{where} must be one of {', '.join(options)}, not {value!r}")


def validate(t: Terms, base: Path = Path()) -> Terms:
    """Ranges and choices; raise ValidationError saying which key is wrong and why."""

    def need(ok: bool, message: str) -> None:
        if not ok:
            raise ValidationError(CODE, f"{t.name}: {message}")

    need(t.token.supply > 0 and t.token.listing_price > 0, "token supply and price must be > 0")
    need(0 < t.loan.tokens <= t.token.supply, "loan.tokens must be in (0, supply]")
    need(1 <= t.loan.tenor_days <= 3650, "loan.tenor_days must be 1..3650")
    need(t.loan.interest >= 0, "loan.interest must be >= 0")
    _choice(t.repayment.mode, ("tokens", "cash"), "repayment.mode")
    need(t.repayment.mode == "tokens" or t.repayment.cash_strike > 0,
         "repayment.cash_strike must be > 0 for cash repayment")  # fmt: skip
    for i, c in enumerate(t.calls):
        where = f"calls[{i}]"
        need(c.tokens > 0, f"{where}.tokens must be > 0")
        need((c.strike > 0) != (c.strike_multiple > 0),
             f"{where}: give strike or strike_multiple (with average_days), not both")  # fmt: skip
        need(c.strike_multiple <= 0 or 1 <= c.average_days < t.loan.tenor_days,
             f"{where}.average_days must be 1..tenor for a strike_multiple")  # fmt: skip
        _choice(c.style, ("american", "european"), f"{where}.style")
    need(sum(c.tokens for c in t.calls) <= t.token.supply, "the calls exceed the token supply")
    names = [v.name for v in t.venues]
    need(len(set(names)) == len(names), "venue names must differ")
    for v in t.venues:
        where = f"venue {v.name!r}"
        need(v.depth > 0 and v.spread > 0, f"{where}: depth and spread must be > 0")
        need(0 < v.band < 1, f"{where}: band must be in (0, 1)")
        need(v.intensity >= 0 and v.decay >= 0 and v.adverse >= 0 and v.skew >= 0,
             f"{where}: intensity, decay, skew and adverse must be >= 0")  # fmt: skip
        need(0 < v.clip <= 1, f"{where}: clip must be in (0, 1]")
    p = t.pool
    need(p.value >= 0 and 0 <= p.lp_fee <= p.fee < 1, "pool: value >= 0, 0 <= lp_fee <= fee < 1")
    need(0 <= p.share <= 1, "pool.share must be in [0, 1]")
    need(p.organic_volume >= 0, "pool.organic_volume must be >= 0")
    pooled = p.share * p.value / 2 / t.token.listing_price
    need(pooled <= t.loan.tokens, "the pool's token side must fit in the loan")
    _choice(t.funding.model, ("constant", "mean_reverting", "csv"), "funding.model")
    need(t.funding.model != "csv" or (base / t.funding.csv).is_file(),
         f"funding.csv: no file {t.funding.csv!r}")  # fmt: skip
    need(t.funding.speed >= 0 and t.funding.vol >= 0, "funding speed and vol must be >= 0")
    k = t.costs
    need(min(k.taker_fee, k.half_spread, k.impact, k.gas) >= 0, "costs must be >= 0")
    h = t.hedge
    _choice(h.initial, ("article", "economic"), "hedge.initial")
    _choice(h.policy, ("per_fill", "band", "interval"), "hedge.policy")
    _choice(h.delta_mode, ("inventory", "economic"), "hedge.delta_mode")
    need(h.band_tokens >= 0 and h.interval_hours > 0, "hedge band >= 0 and interval > 0")
    need(h.keep_inventory >= 0 and h.sell_for_quotes >= 0, "hedge amounts must be >= 0")
    need(
        h.keep_inventory + h.sell_for_quotes + pooled <= t.loan.tokens,
        "hedge.keep_inventory + sell_for_quotes + the pool's tokens must fit in the loan",
    )
    m = t.market
    _choice(m.model, ("gbm", "bootstrap"), "market.model")
    need(m.vol >= 0 and m.jumps_per_year >= 0 and m.jump_vol >= 0, "market vols must be >= 0")
    need(m.block_hours > 0, "market.block_hours must be > 0")
    need(m.model != "bootstrap" or (base / m.csv).is_file(), f"market.csv: no file {m.csv!r}")
    d = t.desk
    need(d.capital >= 0 and 0 < d.margin <= 1 and d.exercise_buffer >= 0,
         "desk: capital >= 0, margin in (0, 1], exercise_buffer >= 0")  # fmt: skip
    sim = t.simulation
    need(
        1 <= sim.paths <= MAX_DEAL_PATHS and 0 < sim.step_hours <= 24 and 0 <= sim.seed <= MAX_SEED,
        f"simulation: paths >= 1 (at most {MAX_DEAL_PATHS:,}), step_hours 0..24, "
        f"seed 0..{MAX_SEED}",
    )
    return t
