"""A peg stress scenario: the market's terms, the collateral's price path, the feed and the
traders, read from TOML with clear errors.

Units: the collateral price is PEG per COL (what a person quotes: "one COL is worth 2 PEG");
the model turns it into the feed's unit, COL per PEG, once. Times are in days and hours; shares
are fractions. Every field has a default, so a scenario names only what it changes."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.limits import MAX_SCENARIO_DAYS, MAX_SCENARIO_RUNS, MAX_SEED
from marketcraft.tables import build_table, read_toml

__all__ = [
    "Feed",
    "Market",
    "Outage",
    "Price",
    "Scenario",
    "Shock",
    "Traders",
    "Wave",
    "load_scenario",
    "shipped_scenarios",
]

SHIPPED = Path(__file__).parent / "scenarios"
#: the longest feed lag or arbitrage latency: a day
MAX_LAG_MINUTES = 1_440.0


@dataclass(frozen=True)
class Market:
    deposit: float = 10_000_000.0  # COL
    ratio: float = 4.0
    fee: float = 0.003
    fee_slope: float = 0.0
    max_fee: float = 0.05
    band: float = 0.02
    delay_hours: float = 24.0
    correction_hours: float = 1.0
    feed_window_hours: float = 24.0
    swan_enter: float = 0.01
    swan_exit: float = 0.5
    recovery_discount: float = 0.10
    #: where fees go: "connector" (the relay keeps them, SPOT rises with volume: the spec) or
    #: "excess" (added to excess collateral); the engine term of the same name
    fees_to: str = "connector"
    #: the most one trade puts into the pool, as a share of the reserve it trades against
    #: (traders split anything larger); the engine term of the same name
    max_trade_fraction: float = 0.25
    #: recovery ends only once the excess would still be swan_exit of its target after buying
    #: back the PEG that takes SPOT to the feed; the engine term of the same name
    swan_exit_after_burn: bool = True


@dataclass(frozen=True)
class Shock:
    """The collateral's price moves by ``move`` (-0.5 = halves), at once or spread evenly (in
    log terms) over ``hours``."""

    at_day: float
    move: float
    hours: float = 0.0


@dataclass(frozen=True)
class Price:
    start: float = 2.0  # PEG per COL
    vol: float = 0.8  # annualised volatility of the collateral
    drift: float = 0.0  # annualised drift of the collateral's log price
    shocks: tuple[Shock, ...] = ()


@dataclass(frozen=True)
class Outage:
    """No feed reports from ``at_day`` for ``hours``."""

    at_day: float
    hours: float


@dataclass(frozen=True)
class Feed:
    report_minutes: float = 60.0
    #: each report carries the outside price of this long ago (a slow oracle)
    lag_minutes: float = 0.0
    outages: tuple[Outage, ...] = ()


@dataclass(frozen=True)
class Wave:
    """From ``at_day`` for ``hours``, holders sell ``per_hour`` of the circulating PEG each hour
    into the relay (a run), or, for demand, buy ``per_hour`` of the connector PEG each hour."""

    at_day: float
    hours: float
    per_hour: float


@dataclass(frozen=True)
class Traders:
    #: share of the gap to the outside price an arbitrageur closes each step (1 = all of it)
    arbitrage_share: float = 1.0
    #: the most COL (or COL's worth of PEG) arbitrage moves in one step, as a share of C
    arbitrage_cap: float = 0.05
    #: people buying PEG to hold it (the reason PEG circulates at all)
    demand: tuple[Wave, ...] = (Wave(at_day=0.0, hours=240.0, per_hour=0.001),)
    runs: tuple[Wave, ...] = ()
    #: COL bought into MMS per day in recovery (while it has positive net value), as a share
    #: of the excess target (r - 1) C
    recovery_buy_per_day: float = 0.05
    #: the arbitrageur sees the outside price this late (and trades towards that)
    arbitrage_latency_minutes: float = 0.0
    #: panic sellers: while SPOT is more than ``panic_at`` below the feed, holders sell
    #: ``panic_per_hour`` of the circulating PEG each hour into the relay
    panic_at: float = 0.05
    panic_per_hour: float = 0.0
    #: MMS speculators (MMS is a leveraged long on COL): in normal mode, while COL trades more
    #: than ``speculator_trigger`` above the feed's median they put ``speculator_per_hour`` of
    #: the pool's COL into MMS each hour; while it trades that far below they sell all they hold
    speculator_per_hour: float = 0.0
    speculator_trigger: float = 0.05


@dataclass(frozen=True)
class Scenario:
    name: str = "custom"
    description: str = ""
    days: float = 365.0
    step_seconds: int = 60
    runs: int = 100
    seed: int = 1
    market: Market = field(default_factory=Market)
    price: Price = field(default_factory=Price)
    feed: Feed = field(default_factory=Feed)
    traders: Traders = field(default_factory=Traders)

    @property
    def steps(self) -> int:
        return round(self.days * 86_400 / self.step_seconds)

    @property
    def report_steps(self) -> int:
        return round(self.feed.report_minutes * 60 / self.step_seconds)

    @property
    def feed_lag_steps(self) -> int:
        return round(self.feed.lag_minutes * 60 / self.step_seconds)

    @property
    def arbitrage_lag_steps(self) -> int:
        return round(self.traders.arbitrage_latency_minutes * 60 / self.step_seconds)

    @property
    def window_reports(self) -> int:
        return round(self.market.feed_window_hours * 60 / self.feed.report_minutes)

    def with_values(self, **changes: Any) -> Scenario:
        """A copy with fields changed (a sweep point), a market field by its name and another
        section's as ``section.field`` (``feed.lag_minutes``); validated."""
        market = {k: v for k, v in changes.items() if "." not in k}
        sections: dict[str, dict[str, Any]] = {}
        for key, value in changes.items():
            if "." in key:
                section, name = key.split(".", 1)
                sections.setdefault(section, {})[name] = value
        s = self.with_market(**market) if market else self
        for section, values in sections.items():
            kind = {"feed": Feed, "traders": Traders, "price": Price}.get(section)
            unknown = set(values) - {f.name for f in fields(kind)} if kind else set(values)
            if unknown:
                raise ValidationError("bad_scenario", f"no {section} parameter {sorted(unknown)}")
            s = replace(s, **{section: replace(getattr(s, section), **values)})
        return validate(s)

    def with_market(self, **changes: Any) -> Scenario:
        """A copy with market parameters changed (a sweep point); validated."""
        unknown = set(changes) - {f.name for f in fields(Market)}
        if unknown:
            raise ValidationError("bad_scenario", f"no market parameter {sorted(unknown)}")
        return validate(replace(self, market=replace(self.market, **changes)))


def load_scenario(source: str | Path) -> Scenario:
    """Read a scenario from a TOML file, or a shipped one by name (``gbm-crash``...)."""
    path = Path(source)
    if not path.exists() and (SHIPPED / f"{source}.toml").exists():
        path = SHIPPED / f"{source}.toml"
    if not path.exists():
        names = ", ".join(shipped_scenarios())
        raise ValidationError("no_scenario", f"no file {source!r} and no shipped one ({names})")
    raw = read_toml(path, "bad_scenario")
    raw.setdefault("name", path.stem)
    return validate(_build(Scenario, raw, path.name))


def shipped_scenarios() -> list[str]:
    return sorted(p.stem for p in SHIPPED.glob("*.toml"))


_NESTED: dict[tuple[type, str], type] = {
    (Scenario, "market"): Market,
    (Scenario, "price"): Price,
    (Scenario, "feed"): Feed,
    (Scenario, "traders"): Traders,
    (Price, "shocks"): Shock,
    (Feed, "outages"): Outage,
    (Traders, "demand"): Wave,
    (Traders, "runs"): Wave,
}


def _build(cls: type, raw: Any, where: str) -> Any:
    return build_table(cls, raw, where, _NESTED, "bad_scenario")


def validate(s: Scenario) -> Scenario:
    """Check ranges and that the time grid fits together; raise ValidationError saying what."""
    m = s.market

    def need(ok: bool, message: str) -> None:
        if not ok:
            raise ValidationError("bad_scenario", f"{s.name}: {message}")

    # days first: steps is computed from it (an infinite day count has no step count)
    need(0 < s.days <= MAX_SCENARIO_DAYS, f"days must be > 0 and at most {MAX_SCENARIO_DAYS}")
    need(1 <= s.step_seconds <= 86_400, "step_seconds must be in 1..86400")
    need(s.steps >= 1, "days must hold at least one step")
    need(1 <= s.runs <= MAX_SCENARIO_RUNS, f"runs must be in 1..{MAX_SCENARIO_RUNS:,}")
    need(0 <= s.seed <= MAX_SEED, f"seed must be in 0..{MAX_SEED}")
    need(m.deposit > 0 and m.ratio >= 1, "need deposit > 0 and ratio >= 1")
    need(0 <= m.fee < 0.5 and m.fee <= m.max_fee < 0.5, "need 0 <= fee <= max_fee < 0.5")
    need(m.fee_slope >= 0 and 0 <= m.band < 1, "need fee_slope >= 0 and 0 <= band < 1")
    need(min(m.delay_hours, m.correction_hours) >= 0, "delay and correction times must be >= 0")
    need(0 <= m.swan_enter < m.swan_exit <= 1, "need 0 <= swan_enter < swan_exit <= 1")
    need(0 <= m.recovery_discount < 1, "the recovery discount must be in [0, 1)")
    need(m.fees_to in ("connector", "excess"), "market.fees_to must be connector or excess")
    need(0 < m.max_trade_fraction <= 1, "market.max_trade_fraction must be in (0, 1]")
    need(isinstance(m.swan_exit_after_burn, bool), "market.swan_exit_after_burn: true or false")
    report = s.feed.report_minutes * 60
    need(
        report >= s.step_seconds and abs(report / s.step_seconds - s.report_steps) < 1e-9,
        "feed.report_minutes must be a whole number of steps",
    )
    need(
        s.window_reports >= 1
        and abs(m.feed_window_hours * 60 / s.feed.report_minutes - s.window_reports) < 1e-9,
        "market.feed_window_hours must be a whole number of report intervals",
    )
    need(s.price.start > 0 and s.price.vol >= 0, "need price.start > 0 and price.vol >= 0")
    for shock in s.price.shocks:
        need(shock.move > -1 and shock.hours >= 0, "a shock's move must be > -1, hours >= 0")
    t = s.traders
    need(0 <= t.arbitrage_share <= 1 and t.arbitrage_cap >= 0, "bad arbitrage parameters")
    for wave in (*t.demand, *t.runs):
        need(wave.hours >= 0 and 0 <= wave.per_hour <= 1, "a wave needs hours >= 0, 0..1/h")
    need(t.recovery_buy_per_day >= 0, "recovery_buy_per_day must be >= 0")
    need(0 <= t.panic_at < 1 and 0 <= t.panic_per_hour <= 1, "need 0 <= panic_at < 1, 0..1/h")
    need(
        0 <= t.speculator_per_hour <= 1 and 0 <= t.speculator_trigger < 1,
        "need speculator_per_hour in 0..1 and 0 <= speculator_trigger < 1",
    )
    lags = {
        "feed.lag_minutes": s.feed.lag_minutes,
        "traders.arbitrage_latency_minutes": t.arbitrage_latency_minutes,
    }
    for name, lag in lags.items():
        need(0 <= lag <= MAX_LAG_MINUTES, f"{name} must be in 0..{MAX_LAG_MINUTES}")
        steps = lag * 60 / s.step_seconds
        need(abs(steps - round(steps)) < 1e-9, f"{name} must be a whole number of steps")
    return s
