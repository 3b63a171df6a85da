"""Money leaves a program at every stage, and a settled program closes with every account at
zero; the creation bond comes back at a time no one else's order decides."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from marketcraft.kernel import ValidationError
from marketcraft.kernel.errors import Closed
from marketcraft.kernel.messages import decode, encode, from_plain, to_plain
from marketcraft.opportunity.collateral import free_collateral, left_in, still_needed
from marketcraft.opportunity.commands import (
    ApproveMarket,
    CloseProgram,
    CloseWindow,
    Context,
    DepositCash,
    ListMarket,
    OpenProgram,
    Outcome,
    PlaceOrder,
    RecordActedOn,
    ResolveMarket,
    RevealMarket,
    SettleProgram,
    WithdrawCash,
    WithdrawCollateral,
)
from marketcraft.opportunity.events import (
    CollateralWithdrawn,
    ProgramClosed,
    ProgramSettled,
    WindowClosed,
)
from marketcraft.opportunity.invariants import check_all
from marketcraft.opportunity.runner import ProgramRunner
from marketcraft.opportunity.terms import RULES, CollateralMode, ProgramTerms, Side

T0 = datetime(2026, 3, 1, tzinfo=UTC)
LATER = T0 + timedelta(days=30)


class Program:
    def __init__(self, deposit=D(10_000), **terms):
        self.runner = ProgramRunner()
        self.n = 0
        base = {"market_budget": D(1000), "window_seconds": 14 * 86400, **terms}
        self.do("label", OpenProgram("p", "Label X", deposit, ProgramTerms(**base)))

    def do(self, actor, command, at=T0):
        events = self.runner.handle(command, Context(actor, at))
        check_all(self.runner.state)
        return events

    def buy(self, scout, market, spend, at=T0):
        self.n += 1
        order = PlaceOrder(f"o{self.n}", market, Side.BUY, bytes(32), max_spend=D(spend))
        return self.do(scout, order, at)[0]

    def take_all(self, scout, at=LATER):
        """Withdraw everything the scout has available; what it took."""
        amount = self.state.available(scout)
        if amount:
            self.do(scout, WithdrawCash(amount), at)
        assert self.state.available(scout) == 0
        return amount

    @property
    def state(self):
        return self.runner.state


def test_a_scout_takes_its_cash_out_at_every_stage():
    p = Program(fee_rate=D("0.01"))
    for market in ("r", "y", "v"):
        p.do("label", ListMarket(market, f"Will we sign {market}?"))
    p.do("a", DepositCash(D(1000)))
    for market in ("r", "y", "v"):
        p.buy("a", market, 100)
    # open: the free cash, never the escrows
    assert p.take_all("a", T0) == D(700)
    with pytest.raises(ValidationError, match="not enough"):
        p.do("a", WithdrawCash(D("0.01")))
    # revealed: what each fill left in its escrow
    for market in ("r", "y", "v"):
        p.do("label", RevealMarket(market), at=LATER)
    p.take_all("a")
    yes = p.state.shares_held("a", "y")
    p.do("label", ResolveMarket("y", Outcome.YES, "signed"), at=LATER)
    assert p.take_all("a") == yes.quantize(D("0.01"), "ROUND_FLOOR")  # the payout
    p.do("label", ResolveMarket("v", Outcome.VOID, "cancelled"), at=LATER)
    assert p.take_all("a") == D(99)  # refunded at cost, the fee aside
    p.do("label", ResolveMarket("r", Outcome.NO, "passed"), at=LATER)
    (settled,) = p.do("label", SettleProgram(), at=LATER)
    assert isinstance(settled, ProgramSettled)
    assert p.take_all("a") == dict(settled.fee_refunds)["a"] == D("2.97")  # the fees, back
    assert [k for k in left_in(p.state) if k[0] == "cash:a"] == []


def test_the_sponsor_takes_out_free_collateral_never_what_a_payout_needs():
    p = Program(deposit=D(3000), creation_bond=D(25), approval_required=True)
    p.do("label", ListMarket("m", "Will we sign M?"))  # reserves a budget in its pool
    p.do("fan", DepositCash(D(500)))
    p.do("fan", ListMarket("f", "Will we sign the fan's band?"))  # awaits approval
    assert still_needed(p.state) == D(1000)  # the pending market's budget, should it be approved
    assert free_collateral(p.state) == D(1000)
    with pytest.raises(ValidationError) as refused:
        p.do("label", WithdrawCollateral(D("1000.01")))
    assert refused.value.code == "collateral_needed"
    (taken,) = p.do("label", WithdrawCollateral(D(1000)))
    assert isinstance(taken, CollateralWithdrawn) and free_collateral(p.state) == 0
    p.do("label", ApproveMarket("f"))  # still possible: its budget was kept
    with pytest.raises(ValidationError, match="deposit"):
        p.do("label", ListMarket("x", "Will we sign X?"))
    for market in ("m", "f"):  # the whole band bought: each pool pays its YES alone
        p.buy("fan", market, 200)
        p.do("label", ResolveMarket(market, Outcome.YES, "signed"), at=LATER)
    p.do("label", SettleProgram(), at=LATER)
    assert free_collateral(p.state) > 0  # what the markets did not cost


def test_first_n_keeps_what_the_first_n_yes_markets_may_draw():
    p = Program(deposit=D(2500), collateral=CollateralMode.FIRST_N, first_n=1)
    for i in range(3):
        p.do("label", ListMarket(f"m{i}", f"Will we sign {i}?"))
    assert still_needed(p.state) == D(1000)  # one YES, of at most one budget
    p.do("label", WithdrawCollateral(D(1500)))
    with pytest.raises(ValidationError, match="free"):
        p.do("label", WithdrawCollateral(D("0.01")))
    p.do("a", DepositCash(D(3000)))
    for i in range(3):
        p.buy("a", f"m{i}", 900)  # through the band: YES would cost the sponsor a budget
    p.do("label", RecordActedOn("m2", "signed"), at=LATER)
    p.do("label", ResolveMarket("m2", Outcome.YES, "signed"), at=LATER)
    for i in range(2):
        p.do("label", ResolveMarket(f"m{i}", Outcome.NO, "passed"), at=LATER)
    (settled,) = p.do("label", SettleProgram(), at=LATER)
    cost = sum((m.sponsor_cost for m in p.state.markets.values()), D(0))
    assert 0 < cost <= D(1000)  # the one YES market cost at most a budget
    assert free_collateral(p.state) == D(1000) - cost + settled.dust_to_sponsor


def test_a_settled_program_closes_once_every_account_is_at_zero():
    p = Program()
    p.do("label", ListMarket("m", "Will we sign M?"))
    p.do("a", DepositCash(D(500)))
    p.buy("a", "m", 50)
    p.do("label", ResolveMarket("m", Outcome.YES, "signed"), at=LATER)
    with pytest.raises(ValidationError) as early:
        p.do("label", CloseProgram(), at=LATER)
    assert early.value.code == "not_settled"
    (settled,) = p.do("label", SettleProgram(), at=LATER)
    assert settled.collateral_returned == 0  # it stays for the sponsor to withdraw
    with pytest.raises(ValidationError) as refused:
        p.do("label", CloseProgram(), at=LATER)
    assert refused.value.code == "money_left" and "your collateral" in refused.value.reason
    p.take_all("a")
    p.do("label", WithdrawCollateral(free_collateral(p.state)), at=LATER)
    assert left_in(p.state) == {}
    with pytest.raises(ValidationError, match="sponsor"):
        p.do("a", CloseProgram(), at=LATER)
    (closed,) = p.do("label", CloseProgram(), at=LATER)
    assert isinstance(closed, ProgramClosed) and p.state.closed
    before = (p.state.version, dict(p.state.ledger.balances()))
    refused = [
        ("a", DepositCash(D(1))), ("a", WithdrawCash(D(1))), ("label", WithdrawCollateral(D(1))),
        ("label", CloseProgram()), ("label", ListMarket("n", "Again?")),
        ("label", SettleProgram()),
    ]  # fmt: skip
    for actor, command in refused:
        with pytest.raises(Closed) as refusal:
            p.do(actor, command, at=LATER)
        assert refusal.value.code == "program_closed"
    assert (p.state.version, dict(p.state.ledger.balances())) == before


def test_a_settled_program_takes_only_withdrawals_and_closing():
    p = Program()
    p.do("label", ListMarket("m", "Will we sign M?"))
    p.do("label", ResolveMarket("m", Outcome.NO, "passed"), at=LATER)
    p.do("label", SettleProgram(), at=LATER)
    for actor, command in [("a", DepositCash(D(1))), ("label", ListMarket("n", "N?"))]:
        with pytest.raises(ValidationError) as refused:
            p.do(actor, command, at=LATER)
        assert refused.value.code == "program_settled" and not isinstance(refused.value, Closed)
    with pytest.raises(ValidationError, match="sponsor"):
        p.do("a", WithdrawCollateral(D(1)), at=LATER)
    p.do("label", WithdrawCollateral(D(10_000)), at=LATER)
    p.do("label", CloseProgram(), at=LATER)


def creator_views(order: bool) -> list[D]:
    """The creator's available cash at each step, with or without someone's order."""
    p = Program(creation_bond=D(25))
    p.do("fan", DepositCash(D(100)))
    p.do("b", DepositCash(D(100)))
    p.do("fan", ListMarket("m", "Will we sign the fan's band?"))
    seen = [p.state.available("fan")]
    if order:
        p.buy("b", "m", 10)
    seen.append(p.state.available("fan"))
    p.do("anyone", CloseWindow("m"), at=LATER)
    seen.append(p.state.available("fan"))
    return seen


def test_the_creator_gets_its_bond_back_at_the_window_close_whoever_ordered():
    assert creator_views(order=True) == creator_views(order=False) == [D(75), D(75), D(100)]


def test_terms_stored_before_the_rules_existed_are_read_as_rules_1_byte_for_byte():
    new = to_plain(ProgramTerms(D(1000)))
    assert new["rules"] == RULES == 2  # written out: its absence means the old rules
    stored = {k: v for k, v in new.items() if k != "rules"}
    old = from_plain(ProgramTerms, stored)
    assert old.rules == 1 and to_plain(old) == stored
    with pytest.raises(ValidationError, match="at its default"):
        from_plain(ProgramTerms, {**stored, "rules": 1})  # one encoding only
    with pytest.raises(ValidationError, match="rules"):
        ProgramTerms(D(1000), rules=3)
    closed = (
        b'{"data":{"at":"2026-03-01T00:00:00.000000Z","market_id":"m"},'
        b'"type":"opportunity.window_closed"}'
    )
    event = decode(closed)
    assert event == WindowClosed("m", T0) and event.bond_refund == 0 and encode(event) == closed


def test_programs_under_rules_1_return_the_collateral_at_settlement_and_can_close():
    p = Program(rules=1)
    p.do("label", ListMarket("m", "Will we sign M?"))
    p.do("a", DepositCash(D(100)))
    p.buy("a", "m", 10)
    p.do("label", ResolveMarket("m", Outcome.NO, "passed"), at=LATER)
    (settled,) = p.do("label", SettleProgram(), at=LATER)
    assert settled.collateral_returned > D(10_000) and free_collateral(p.state) == 0
    p.take_all("a")
    p.do("label", CloseProgram(), at=LATER)


def test_free_collateral_is_whole_cents_rounded_down_and_can_all_be_withdrawn():
    p = Program(deposit=D(2000), collateral=CollateralMode.FIRST_N, first_n=1)
    p.do("label", ListMarket("m", "Will we sign M?"))
    p.do("a", DepositCash(D(100)))
    p.buy("a", "m", "37.37")
    p.do("label", RevealMarket("m"), at=LATER)  # the window closed: YES would draw exactly this
    needed = still_needed(p.state)
    assert needed != needed.quantize(D("0.01"))  # shares leave a fraction of a cent
    free = free_collateral(p.state)
    assert free == (D(2000) - needed).quantize(D("0.01"), "ROUND_FLOOR")
    p.do("label", WithdrawCollateral(free), at=LATER)
    p.do("label", RecordActedOn("m", "signed"), at=LATER)
    p.do("label", ResolveMarket("m", Outcome.YES, "signed"), at=LATER)  # still paid in full
