"""The demo opportunity programs: one whose window is open (the sponsor sees prices move over
nine days of blind trading; scouts see none) and one from last season that is revealed,
resolved and settled (scouts see their fills, P&L and payouts; everyone but the demo scout has
withdrawn its money, so the sponsor can close it once the demo scout withdraws; auditors verify
its transcript).

The order flow is seeded, so every load draws the same trades; the salts that seal the fills
are random, as they are for real orders.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from marketcraft.app.programs import ProgramRepository
from marketcraft.kernel.messages import Command
from marketcraft.kernel.signing import Signer
from marketcraft.opportunity.collateral import free_collateral
from marketcraft.opportunity.commands import (
    Context,
    DepositCash,
    ListMarket,
    OpenProgram,
    Outcome,
    PlaceCloseOrder,
    PlaceOrder,
    RecordActedOn,
    ResolveMarket,
    SettleProgram,
    WithdrawCash,
    WithdrawCollateral,
)
from marketcraft.opportunity.journal import DEFAULT_ORIGIN_PREFIX
from marketcraft.opportunity.terms import ProgramTerms, RevealPolicy, Side, Token
from marketcraft.store.database import Database

__all__ = ["LIVE_PROGRAM", "SETTLED_PROGRAM", "load_programs"]

LIVE_PROGRAM = "demo-label-x-2027"
SETTLED_PROGRAM = "demo-label-x-2026"
SPONSOR = "demo-sponsor"
SETTLED_AGE = timedelta(days=45)  # last season's program opened this long ago
LIVE_AGE = timedelta(days=9)
CADENCE = timedelta(seconds=60)  # the service's default checkpoint_seconds
#: scouts who trade in the demo; only the first two can sign in (the others fill the book)
SCOUTS = ["demo-scout", "demo-scout-2", "scout-ayo", "scout-bea", "scout-cal", "scout-dee"]


@dataclass(frozen=True)
class DemoMarket:
    title: str
    buys: int  # blind buys of YES over the window
    sells: int  # sales of YES bought earlier
    late: float  # share of the buys in the last day (a market heating up)


LIVE_MARKETS = [
    DemoMarket("Will we sign Ada Lovelace Trio in 2027?", buys=40, sells=3, late=0.35),
    DemoMarket("Will we sign The Analytical Engines in 2027?", buys=14, sells=5, late=0.0),
    DemoMarket("Will we sign Grace & the Compilers in 2027?", buys=9, sells=8, late=0.0),
    DemoMarket("Will we sign Difference Engine in 2027?", buys=4, sells=0, late=0.0),
    DemoMarket("Will we sign Babbage & Sons in 2027?", buys=0, sells=0, late=0.0),
]
SETTLED_MARKETS = [
    (DemoMarket("Will we sign Hopper Quartet in 2026?", buys=30, sells=2, late=0.2), Outcome.YES),
    (
        DemoMarket("Will we sign The Jacquard Looms in 2026?", buys=10, sells=4, late=0.0),
        Outcome.NO,
    ),
    (DemoMarket("Will we sign Turing Machines in 2026?", buys=3, sells=1, late=0.0), Outcome.NO),
]


class _Script:
    """Commands of one program, collected with their times and then run in time order."""

    def __init__(self, program_id: str) -> None:
        self.program_id = program_id
        self.steps: list[tuple[datetime, str, Command]] = []

    def add(self, at: datetime, actor: str, command: Command) -> None:
        self.steps.append((at, actor, command))

    def run(self, repo: ProgramRepository, now: datetime) -> None:
        """Run every step in time order, publishing a signed checkpoint at the end of each
        cadence slot that holds commands, as the service does (never later than ``now``)."""
        steps = sorted(self.steps, key=lambda s: s[0])  # stable: same-time steps keep order
        slots: dict[int, list[tuple[datetime, str, Command]]] = {}
        for step in steps:
            slots.setdefault(int(step[0].timestamp() // CADENCE.total_seconds()), []).append(step)
        for slot, batch in slots.items():
            requests = [(self.program_id, c, Context(actor, at)) for at, actor, c in batch]
            for result in repo.handle_many(requests):
                if isinstance(result, BaseException):
                    raise result
            end = datetime.fromtimestamp((slot + 1) * CADENCE.total_seconds(), UTC)
            repo.publish_checkpoint(self.program_id, min(end, now))


def _trades(
    script: _Script, rng: random.Random, market_id: str, market: DemoMarket, *,
    start: datetime, end: datetime,
) -> None:  # fmt: skip
    """Blind buys spread over [start, end] (``late`` of them in its last day), and sales of
    part of what was bought, each after the sale's own buy."""
    span = (end - start).total_seconds()
    buys: list[tuple[datetime, str]] = []
    for _ in range(market.buys):
        late = rng.random() < market.late
        offset = span - rng.uniform(0, 86400) if late else rng.uniform(0, span - 86400)
        at, scout = start + timedelta(seconds=int(offset)), rng.choice(SCOUTS)
        buys.append((at, scout))
        spend = Decimal(rng.randrange(500, 3500)) / 100
        order = PlaceOrder(_id(script, "o"), market_id, Side.BUY, _salt(), max_spend=spend)
        script.add(at, scout, order)
    for at, scout in rng.sample(buys, min(market.sells, len(buys))):
        later = at + timedelta(seconds=int(rng.uniform(60, max(120, (end - at).total_seconds()))))
        shares = Decimal(rng.randrange(100, 400))
        order = PlaceOrder(_id(script, "o"), market_id, Side.SELL, _salt(), max_shares=shares)
        script.add(min(later, end), scout, order)


def _id(script: _Script, kind: str) -> str:
    return f"demo-{script.program_id[-4:]}-{kind}{len(script.steps):03d}"


def _salt() -> bytes:
    return secrets.token_bytes(32)


def _open(script: _Script, at: datetime, title: str, terms: ProgramTerms) -> None:
    script.add(at, SPONSOR, OpenProgram(script.program_id, title, Decimal(150_000), terms))
    for scout in SCOUTS:
        script.add(at, scout, DepositCash(Decimal(1_000 if scout == "demo-scout" else 3_000)))


def _live_program(now: datetime) -> _Script:
    # a reproducible order flow, not a secret
    script, rng = _Script(LIVE_PROGRAM), random.Random(2026)  # noqa: S311
    opened = now - LIVE_AGE
    _open(
        script,
        opened,
        "Label X scouting 2027",
        ProgramTerms(Decimal(25000), creation_bond=Decimal(25)),
    )
    for i, market in enumerate(LIVE_MARKETS):
        market_id = f"demo-m{i + 1}"
        script.add(opened, SPONSOR, ListMarket(market_id, market.title))
        start, end = opened + timedelta(hours=1), now - timedelta(minutes=5)
        _trades(script, rng, market_id, market, start=start, end=end)
    # the demo scout leaves a standing close order: sell its Ada YES if the price reaches 0.12
    close = PlaceCloseOrder(
        "demo-close-1", "demo-m1", Token.YES, Decimal("0.12"), Decimal(150), _salt()
    )
    script.add(now - timedelta(days=2), "demo-scout", close)
    script.add(now - timedelta(days=3), "demo-scout", PlaceOrder(
        "demo-own-1", "demo-m1", Side.BUY, _salt(), max_spend=Decimal(60)))  # fmt: skip
    return script


def _settled_program(now: datetime) -> _Script:
    script, rng = _Script(SETTLED_PROGRAM), random.Random(2025)  # noqa: S311
    opened = now - SETTLED_AGE
    closes = opened + timedelta(days=14)
    terms = ProgramTerms(Decimal(25000), reveal_policy=RevealPolicy.PUBLIC_ALL)
    _open(script, opened, "Label X scouting 2026", terms)
    for i, (market, _) in enumerate(SETTLED_MARKETS):
        market_id = f"demo-s{i + 1}"
        script.add(opened, SPONSOR, ListMarket(market_id, market.title))
        start, end = opened + timedelta(hours=1), closes - timedelta(hours=1)
        _trades(script, rng, market_id, market, start=start, end=end)
    decided = closes + timedelta(days=3)
    script.add(decided, SPONSOR, RecordActedOn("demo-s1", "offer sent to Hopper Quartet's manager"))
    for i, (_, outcome) in enumerate(SETTLED_MARKETS):
        evidence = {
            Outcome.YES: "contract signed; countersigned copy filed with A&R",
            Outcome.NO: "no offer made by the end of the season",
        }[outcome]
        script.add(
            decided + timedelta(days=1), SPONSOR, ResolveMarket(f"demo-s{i + 1}", outcome, evidence)
        )
    script.add(decided + timedelta(days=2), SPONSOR, SettleProgram())
    return script


def _empty_but_the_demo_scout(repo: ProgramRepository, at: datetime) -> None:
    """After settlement the sponsor and every other scout took their money out: once the demo
    scout withdraws its cash, the sponsor can close the program."""
    state = repo.journal(SETTLED_PROGRAM).state
    out: list[tuple[str, Command]] = [(SPONSOR, WithdrawCollateral(free_collateral(state)))]
    out += [(s, WithdrawCash(state.available(s))) for s in SCOUTS[1:] if state.available(s)]
    for result in repo.handle_many([(SETTLED_PROGRAM, c, Context(who, at)) for who, c in out]):
        if isinstance(result, BaseException):
            raise result


def load_programs(
    db: Database, signer: Signer, now: datetime, origin_prefix: str = DEFAULT_ORIGIN_PREFIX
) -> bool:
    """The two demo programs, if there is no program yet; True if they were created."""
    repo = ProgramRepository(
        db.events, signer, db.quarantine, db.snapshots, origin_prefix=origin_prefix
    )
    if repo.program_ids():
        return False
    _settled_program(now).run(repo, now)
    emptied = now - SETTLED_AGE + timedelta(days=21)
    _empty_but_the_demo_scout(repo, emptied)
    repo.publish_checkpoint(SETTLED_PROGRAM, emptied + CADENCE)
    _live_program(now).run(repo, now)
    return True
