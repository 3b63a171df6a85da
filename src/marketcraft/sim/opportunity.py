"""Does an opportunity market find the opportunities? A seeded simulation that measures it.

Each market has a hidden true outcome (YES with probability ``base_rate``). Each scout looks at a
few markets and forms a private belief: a noisy view of the truth whose sharpness is the scout's
skill. Scouts trade blind (they never see a price): a scout whose belief is above the band's
floor buys, spending more the stronger its belief, with its belief as the limit price, so it
never pays more than it thinks YES is worth. At the end of the window the sponsor ranks markets
by price; the ranking's AUC against the true outcomes is the signal quality, and the sponsor's
cost (what it lost to scouts) is compared with its budget.

The simulation layer draws random numbers; the engine it drives stays deterministic.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from marketcraft.opportunity.amms import AmmKind
from marketcraft.opportunity.collateral import free_collateral
from marketcraft.opportunity.commands import (
    Context,
    DepositCash,
    ListMarket,
    OpenProgram,
    Outcome,
    PlaceOrder,
    ResolveMarket,
    SettleProgram,
    WithdrawCollateral,
)
from marketcraft.opportunity.events import ProgramSettled
from marketcraft.opportunity.invariants import check_all
from marketcraft.opportunity.runner import ProgramRunner
from marketcraft.opportunity.terms import (
    ProgramTerms,
    Side,
)

__all__ = ["SimulationConfig", "SimulationResult", "auc", "simulate_program"]

SPONSOR = "sponsor"
START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SimulationConfig:
    markets: int = 50
    scouts: int = 200
    seed: int = 1
    budget: Decimal = Decimal(25000)  # per market
    pa: Decimal = Decimal("0.01")
    pb: Decimal = Decimal("0.30")
    amm: AmmKind = AmmKind.LMSR
    base_rate: float = 0.10  # share of markets that turn out YES
    looks: int = 8  # markets each scout forms a view on
    skill: float = 1.5  # how sharp a typical scout's signal is (0: pure noise)
    bankroll: int = 2000  # each scout's cash
    window_days: int = 14
    fee_rate: Decimal = Decimal("0.01")


@dataclass
class SimulationResult:
    config: SimulationConfig
    outcomes: dict[str, bool]
    prices: dict[str, Decimal]  # end-of-window YES price per market
    sponsor_cost: Decimal  # deposit minus what came back
    total_budget: Decimal
    orders: int
    auc: float
    scout_pnl: dict[str, Decimal] = field(default_factory=dict)

    def summary(self) -> dict[str, object]:
        yes = [m for m, o in self.outcomes.items() if o]
        return {
            "markets": len(self.outcomes),
            "yes_markets": len(yes),
            "orders": self.orders,
            # amounts as exact decimal strings, as the API gives them
            "sponsor_cost": str(self.sponsor_cost),
            "total_budget": str(self.total_budget),
            "cost_share_of_budget": float(self.sponsor_cost / self.total_budget),
            "auc": round(self.auc, 4),
        }


def auc(scores: dict[str, Decimal], labels: dict[str, bool]) -> float:
    """Ranking AUC: the chance a random YES market outranks a random NO market (ties 1/2)."""
    pos = [scores[m] for m, y in labels.items() if y]
    neg = [scores[m] for m, y in labels.items() if not y]
    if not pos or not neg:
        return math.nan
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def _belief(rng: random.Random, truth: bool, base: float, skill: float) -> float:
    """A scout's posterior that YES: prior log-odds, plus evidence pointing at the truth with
    strength ``skill``, plus unit noise."""
    evidence = skill * (1.0 if truth else -1.0) + rng.gauss(0.0, 1.0)
    z = math.log(base / (1 - base)) + evidence
    return 1 / (1 + math.exp(-z))


def simulate_program(
    config: SimulationConfig, progress: Callable[[int, int], None] | None = None
) -> SimulationResult:
    """One opportunity program run through the engine: ``config.markets`` markets, scouts of
    drawn skill trading on their private beliefs, then each market resolved to its drawn
    truth and the program settled."""
    rng = random.Random(config.seed)
    terms = ProgramTerms(
        market_budget=config.budget, pa=config.pa, pb=config.pb, amm=config.amm,
        window_seconds=config.window_days * 86400, fee_rate=config.fee_rate,
    )  # fmt: skip
    deposit = config.budget * config.markets
    runner = ProgramRunner()
    runner.handle(OpenProgram("sim", "Simulated program", deposit, terms), Context(SPONSOR, START))
    markets = [f"m{i:03d}" for i in range(config.markets)]
    outcomes = {m: rng.random() < config.base_rate for m in markets}
    for m in markets:
        runner.handle(ListMarket(m, f"Opportunity {m}"), Context(SPONSOR, START))
    scouts = [f"scout{i:03d}" for i in range(config.scouts)]
    skills = {s: max(0.0, rng.gauss(config.skill, config.skill / 2)) for s in scouts}
    for s in scouts:
        runner.handle(DepositCash(Decimal(config.bankroll)), Context(s, START))

    # Every scout's orders, at random times in the window, executed in time order.
    window = timedelta(days=config.window_days)
    plan: list[tuple[datetime, str, str, float]] = []
    for s in scouts:
        for m in rng.sample(markets, min(config.looks, len(markets))):
            belief = _belief(rng, outcomes[m], config.base_rate, skills[s])
            at = START + window * rng.random() * 0.95
            plan.append((at, s, m, belief))
    plan.sort()
    floor = float(config.pa)
    orders = 0
    for n, (at, scout, market, belief) in enumerate(plan):
        if belief > floor * 1.5:
            conviction = min(1.0, (belief - floor) / (float(config.pb) - floor))
            spend = Decimal(max(1, int(config.bankroll / config.looks * conviction)))
            limit = Decimal(str(round(min(belief, 0.99), 4)))
            runner.handle(
                PlaceOrder(f"o{n}", market, Side.BUY, rng.randbytes(32), max_spend=spend,
                           limit_price=limit),
                Context(scout, at),
            )  # fmt: skip
            orders += 1
        if progress:
            progress(n + 1, len(plan))

    state = runner.state
    prices = {m: state.markets[m].curve.price(state.markets[m].amm_state) for m in markets}
    end = START + window + timedelta(hours=1)
    for m in markets:
        outcome = Outcome.YES if outcomes[m] else Outcome.NO
        runner.handle(ResolveMarket(m, outcome, "simulated truth"), Context(SPONSOR, end))
    (settled,) = runner.handle(SettleProgram(), Context(SPONSOR, end))
    assert isinstance(settled, ProgramSettled)
    returned = free_collateral(state)  # all of it, once settled: the sponsor takes it out
    runner.handle(WithdrawCollateral(returned), Context(SPONSOR, end))
    check_all(state)
    pnl = {s: state.available(s) - Decimal(config.bankroll) for s in scouts}
    return SimulationResult(
        config=config,
        outcomes=outcomes,
        prices=prices,
        sponsor_cost=deposit - returned,
        total_budget=deposit,
        orders=orders,
        auc=auc(prices, outcomes),
        scout_pnl=pnl,
    )
