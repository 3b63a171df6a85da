"""A small, complete program run through the journal: the fixture for transcript tests."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from marketcraft.kernel import Signer
from marketcraft.opportunity.amms import AmmKind
from marketcraft.opportunity.commands import (
    Context,
    DepositCash,
    ListMarket,
    OpenProgram,
    Outcome,
    PlaceCloseOrder,
    PlaceOrder,
    RegisterAgent,
    ResolveMarket,
    SettleProgram,
)
from marketcraft.opportunity.journal import ProgramJournal
from marketcraft.opportunity.terms import (
    CollateralMode,
    FeePolicy,
    ProgramTerms,
    RevealPolicy,
    Side,
    Token,
)

T0 = datetime(2026, 4, 1, tzinfo=UTC)
SIGNER = Signer(bytes(range(1, 33)))


def settled_journal() -> tuple[ProgramJournal, list, list]:
    """Returns the journal, the receipts it issued, and the checkpoints it published."""
    terms = ProgramTerms(
        market_budget=D(2000), pa=D("0.01"), pb=D("0.30"), amm=AmmKind.LMSR,
        window_seconds=7 * 86400, fee_rate=D("0.01"), fee_policy=FeePolicy.REFUND_PRO_RATA_FEES,
        reveal_policy=RevealPolicy.PER_TRADER, collateral=CollateralMode.UNLIMITED,
    )  # fmt: skip
    j = ProgramJournal("program-demo", SIGNER)
    at = T0
    receipts, checkpoints = [], []

    def do(actor, command):
        nonlocal at
        at += timedelta(minutes=7)
        handled = j.handle(command, Context(actor, at))
        if handled.receipt:
            receipts.append(handled.receipt)
        # a cadence checkpoint a minute later, well within every receipt's merge_by
        if handled.receipt or len(j.records) % 4 == 0:
            checkpoints.append(j.signed_checkpoint(at + timedelta(minutes=1)))
        return handled

    do("label", OpenProgram("program-demo", "Label scouting", D(10_000), terms))
    do("label", ListMarket("m1", "Will we sign Ada?"))
    do("label", ListMarket("m2", "Will we sign Bo?"))
    for scout in ("s1", "s2", "s3"):
        do(scout, DepositCash(D(500)))
    do("s2", PlaceCloseOrder("s2-take", "m1", Token.YES, D("0.02"), D(10**5), bytes([7]) * 32))
    do("s3", RegisterAgent("s3-bot", "m2", D(30), D(10), D("0.02"), bytes([8]) * 32, D("0.05")))
    for i, (scout, market, spend) in enumerate(
        [("s1", "m1", 40), ("s2", "m1", 25), ("s3", "m2", 60), ("s1", "m2", 10), ("s2", "m1", 5)]
    ):
        do(scout, PlaceOrder(f"o{i}", market, Side.BUY, bytes([i + 1]) * 32, max_spend=D(spend)))
    do("s1", PlaceOrder("o9", "m1", Side.SELL, bytes([9]) * 32, max_shares=D(100)))
    at += timedelta(days=8)
    do("label", ResolveMarket("m1", Outcome.YES, "signed Ada on 2026-04-09"))
    do("label", ResolveMarket("m2", Outcome.NO, "passed on Bo"))
    do("label", SettleProgram())
    return j, receipts, checkpoints
