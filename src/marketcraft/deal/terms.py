"""A market-making deal's terms, read from TOML with clear errors.

Prices are in the stablecoin per token; token amounts in tokens; times in days or hours as
named; rates as fractions (0.001 = 0.1%). Every table but ``[loan]`` and the call tranches has
defaults, so a terms file names what its deal fixes. ``examples/deals/`` holds the article's
deal and real-style variants."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

from marketcraft.deal.bounds import check
from marketcraft.kernel.errors import ValidationError
from marketcraft.tables import build_table, read_toml

__all__ = [
    "RETIRED",
    "SWEEPABLE",
    "Costs",
    "Desk",
    "Financing",
    "Funding",
    "Hedge",
    "Impact",
    "Loan",
    "Market",
    "Pool",
    "Repayment",
    "RetiredKey",
    "Simulation",
    "Stress",
    "Terms",
    "Token",
    "Tranche",
    "Venue",
    "load_terms",
    "validate",
    "with_params",
]

CODE = "bad_terms"


@dataclass(frozen=True)
class Token:
    symbol: str = "TKN"
    supply: float = 150_000_000.0
    listing_price: float = 1.0


@dataclass(frozen=True)
class Loan:
    """``tokens`` lent for ``tenor_days`` (a whole number of days), with ``interest`` per year
    paid in tokens."""

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
    arbitrage, ``organic_volume`` x ``value`` (stablecoin) trades each day in both directions
    (fees of ``lp_fee`` x that volume, no net price move)."""

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
    """Every trade the desk makes pays ``taker_fee`` + ``half_spread`` of its notional, plus
    its market impact (``[impact]``); each DEX transaction ``gas`` (stablecoin)."""

    taker_fee: float = 0.0005
    half_spread: float = 0.0002
    gas: float = 0.0  # per DEX transaction, stablecoin


@dataclass(frozen=True)
class Impact:
    """The market impact of the desk's own trades (the opening sale, perp hedges, exercise
    sales, the unwind, buy-backs and liquidations; see :mod:`marketcraft.deal.impact`). A
    trade of notional q moves the price at its peak by ``coefficient x daily vol x sqrt(q /
    daily_volume)`` and pays 2/3 of that on its notional (temporary); it moves the price by
    ``permanent x daily vol x q / daily_volume`` for the rest of the path (and so the pool's,
    through arbitrage). ``daily_volume``: the market's volume in stablecoin a day; 0 takes
    the volume the terms describe (the venues' takers at their quotes and the pool's organic
    volume). ``coefficient = permanent = 0`` turns impact off."""

    coefficient: float = 1.0
    permanent: float = 0.314
    daily_volume: float = 0.0


@dataclass(frozen=True)
class Financing:
    """Interest on the desk's stablecoin, accrued every step: ``borrow_rate`` a year on
    negative cash, ``deposit_rate`` on positive cash. ``credit_line``: the most the desk may
    borrow to meet a margin call (stablecoin); a call it cannot meet liquidates the perps."""

    borrow_rate: float = 0.08
    deposit_rate: float = 0.0
    credit_line: float = 1_000_000.0


@dataclass(frozen=True)
class Stress:
    """A named stress scenario, run beside the base case with ``--scenario NAME``. ``kind``:

    - ``jump``: the price moves by ``move`` (-0.8: a crash of 80%; 3.0: a pump of +300%) at
      day ``day``;
    - ``delisting``: at day ``day`` the price gaps by ``move`` and the token's centralised
      venues stop: no quotes, no fills, no hedging; the perps are closed at the gapped price;
    - ``outage``: ``venue`` (a venue's name, or ``perp`` for the perp venue) takes no fills
      and no hedges for ``hours`` from day ``day``."""

    name: str
    kind: str = "jump"
    day: float = 1.0
    move: float = 0.0
    hours: float = 0.0
    venue: str = ""


@dataclass(frozen=True)
class Hedge:
    """Where the loan goes at the start and how the book stays neutral.

    ``initial``: ``article`` keeps ``keep_inventory`` tokens for all its market making (the
    pool's token side first, the rest on the venues) and sells the rest of the loan at once,
    as the article sells 2.3M of 3M and keeps 700k; ``economic`` sells only
    ``sell_for_quotes`` (for stablecoin to quote with) and keeps the rest, on the venues beyond
    the pool's tokens. Each preset's key is refused in the other, where it would do nothing.
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
    keep_inventory: float = 0.0  # article: tokens kept, for the pool and the venues
    sell_for_quotes: float = 0.0  # economic: tokens sold for the stablecoin to quote with


@dataclass(frozen=True)
class Market:
    """The token price: ``gbm`` with ``drift`` and ``vol`` per year and optional jumps
    (``jumps_per_year``, log-size mean and vol), or ``bootstrap`` from a ``csv`` of ``time``
    and ``price``, taken at the simulation step (a whole multiple of the data's interval, see
    :mod:`marketcraft.deal.history`) and resampled in blocks of ``block_hours``. Options and
    the loan are marked at ``vol`` (for a bootstrap: the data's own vol at the step)."""

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
    (initial margin per unit of notional, kept at the perp venue) and ``maintenance``: when
    the equity at the perp venue falls below ``maintenance`` x notional, the desk must top it
    up to ``margin`` x notional (a margin call) or the venue liquidates the perps, charging
    ``liquidation_fee`` x notional; an American call is exercised at the first touch of
    strike x (1 + ``exercise_buffer``)."""

    capital: float = 1_000_000.0
    margin: float = 0.1
    maintenance: float = 0.05
    liquidation_fee: float = 0.01
    exercise_buffer: float = 0.05


@dataclass(frozen=True)
class Simulation:
    """Defaults for ``deal analyze`` (the command line overrides them). ``step_hours`` must
    divide a day (see :mod:`marketcraft.deal.time_grid`)."""

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
    impact: Impact = field(default_factory=Impact)
    financing: Financing = field(default_factory=Financing)
    hedge: Hedge = field(default_factory=Hedge)
    market: Market = field(default_factory=Market)
    desk: Desk = field(default_factory=Desk)
    simulation: Simulation = field(default_factory=Simulation)
    stress: tuple[Stress, ...] = ()

    def scenario(self, name: str) -> Stress:
        """The stress scenario called ``name``; ``ValidationError`` naming those there are, or
        if it falls after the loan's tenor (a terms file may hold scenarios beyond a shorter
        tenor; they are refused when run)."""
        tenor = self.loan.tenor_days
        for s in self.stress:
            if s.name == name and s.day >= tenor:
                raise ValidationError(CODE, f"{self.name}: stress {name!r} at day {s.day:g} "
                                      f"falls after loan.tenor_days ({tenor:g})")  # fmt: skip
            if s.name == name:
                return s
        there = ", ".join(s.name for s in self.stress) or "none"
        raise ValidationError(CODE, f"{self.name}: no [[stress]] named {name!r} (there: {there})")


_NESTED: dict[tuple[type, str], type] = {
    (Terms, "loan"): Loan,
    (Terms, "calls"): Tranche,
    (Terms, "token"): Token,
    (Terms, "repayment"): Repayment,
    (Terms, "venues"): Venue,
    (Terms, "pool"): Pool,
    (Terms, "funding"): Funding,
    (Terms, "costs"): Costs,
    (Terms, "impact"): Impact,
    (Terms, "financing"): Financing,
    (Terms, "stress"): Stress,
    (Terms, "hedge"): Hedge,
    (Terms, "market"): Market,
    (Terms, "desk"): Desk,
    (Terms, "simulation"): Simulation,
}


def load_terms(path: str | Path, label: str | None = None) -> Terms:
    """Read and validate a terms file; its mistakes name it as ``label`` (default: its file
    name; the service says ``terms``, the field the analyst uploaded)."""
    source = Path(path)
    label = label or source.name
    raw = read_toml(source, CODE, label)
    raw.setdefault("name", source.stem)
    _retired(raw, label)
    for key, table in (("calls", Tranche), ("venues", Venue), ("stress", Stress)):
        if key in raw and not isinstance(raw[key], list):
            raise ValidationError(CODE, f"{label}: {key}: expected [[{key}]] tables")
        for i, item in enumerate(raw.get(key, [])):  # first, so a mistake names its table
            build_table(table, item, f"{label}: {key}[{i}]", _NESTED, CODE)
    return validate(build_table(Terms, raw, label, _NESTED, CODE), source.parent)


#: keys that were once in the terms: (table, key) -> what replaced them
RETIRED = {
    ("costs", "impact"): "the [impact] table (the square-root law: coefficient, permanent, "
    "daily_volume), which now prices every trade's impact",
}


class RetiredKey(UserWarning):
    """A terms file holds a key that is gone; it is read without it."""


def _retired(raw: dict[str, object], label: str) -> None:
    """Drop the retired keys from ``raw`` (an older terms file still loads), warning with
    what replaced each."""
    for (table, key), instead in RETIRED.items():
        found = raw.get(table)
        if isinstance(found, dict) and key in found:
            del found[key]
            warnings.warn(f"{label}: {table}.{key} is gone and was ignored: see {instead}",
                          RetiredKey, stacklevel=3)  # fmt: skip


def _choice(value: str, options: tuple[str, ...], where: str) -> None:
    if value not in options:
        raise ValidationError(CODE, f"{where} must be one of {', '.join(options)}, not {value!r}")


def validate(t: Terms, base: Path = Path()) -> Terms:
    """Choices, then every number finite and in its range (:mod:`marketcraft.deal.bounds`);
    raise ValidationError saying which key is wrong and why. ``base`` is where the terms' CSV
    files are looked for."""
    _choice(t.repayment.mode, ("tokens", "cash"), f"{t.name}: repayment.mode")
    for i, c in enumerate(t.calls):
        _choice(c.style, ("american", "european"), f"{t.name}: calls[{i}].style")
    _choice(t.funding.model, ("constant", "mean_reverting", "csv"), f"{t.name}: funding.model")
    _choice(t.hedge.initial, ("article", "economic"), f"{t.name}: hedge.initial")
    _choice(t.hedge.policy, ("per_fill", "band", "interval"), f"{t.name}: hedge.policy")
    _choice(t.hedge.delta_mode, ("inventory", "economic"), f"{t.name}: hedge.delta_mode")
    _choice(t.market.model, ("gbm", "bootstrap"), f"{t.name}: market.model")
    for i, st in enumerate(t.stress):
        _choice(st.kind, ("jump", "delisting", "outage"), f"{t.name}: stress[{i}].kind")
    check(t, base)
    return t


#: what ``--sweep`` may vary: the name a user writes -> (table, key) in the terms
SWEEPABLE = {
    "vol": "market.vol",
    "drift": "market.drift",
    "jumps_per_year": "market.jumps_per_year",
    "band_tokens": "hedge.band_tokens",
    "interval_hours": "hedge.interval_hours",
    "funding_rate": "funding.rate",
    "pool_value": "pool.value",
    "capital": "desk.capital",
}


def with_params(terms: Terms, params: dict[str, float], base: Path = Path()) -> Terms:
    """The terms with swept parameters set (``"market.vol": 0.8``...), validated."""
    for dotted, value in params.items():
        table, key = dotted.split(".")
        changed = replace(getattr(terms, table), **{key: value})
        terms = replace(terms, **{table: changed})
    return validate(terms, base)
