"""Scenario tests of the opportunity engine's rules."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from marketcraft.kernel import NotFound, ValidationError
from marketcraft.kernel.messages import from_plain, to_plain
from marketcraft.opportunity.amms import AmmKind
from marketcraft.opportunity.collateral import free_collateral
from marketcraft.opportunity.commands import (
    ApproveMarket,
    CancelCloseOrder,
    CloseWindow,
    Context,
    DepositCash,
    ListMarket,
    OpenProgram,
    Outcome,
    PlaceCloseOrder,
    PlaceOrder,
    RecordActedOn,
    RegisterAgent,
    RejectMarket,
    ResolveMarket,
    RevealMarket,
    SettleProgram,
    WithdrawCash,
)
from marketcraft.opportunity.events import (
    MarketResolved,
    MarketRevealed,
    OrderExecuted,
    ProgramSettled,
    TriggeredTrade,
)
from marketcraft.opportunity.invariants import check_all
from marketcraft.opportunity.runner import ProgramRunner
from marketcraft.opportunity.terms import (
    CollateralMode,
    FeePolicy,
    ProgramTerms,
    RevealPolicy,
    Side,
    Token,
)
from marketcraft.opportunity.visibility import (
    public_market_view,
    scout_orders,
    sponsor_market_view,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)
LATER = T0 + timedelta(days=30)


def terms(**overrides) -> ProgramTerms:
    base = dict(
        market_budget=D(1000), pa=D("0.01"), pb=D("0.30"), amm=AmmKind.LMSR,
        window_seconds=14 * 86400, fee_rate=D("0.01"), fee_policy=FeePolicy.REFUND_PRO_RATA_FEES,
        reveal_policy=RevealPolicy.PER_TRADER, collateral=CollateralMode.UNLIMITED,
    )  # fmt: skip
    base.update(overrides)
    return ProgramTerms(**base)


class Program:
    def __init__(self, deposit=D(10_000), **overrides):
        self.runner = ProgramRunner()
        self.n = 0
        self.do("label", OpenProgram("p", "Label X scouting 2026", deposit, terms(**overrides)))

    def do(self, actor, command, at=T0):
        events = self.runner.handle(command, Context(actor, at))
        check_all(self.runner.state)
        return events

    def fund(self, *scouts, amount=D(1000)):
        for scout in scouts:
            self.do(scout, DepositCash(amount))

    def buy(self, scout, market, at=T0, **kw):
        self.n += 1
        (event,) = self.do(scout, PlaceOrder(f"o{self.n}", market, Side.BUY, bytes(32), **kw), at)
        return event

    def sell(self, scout, market, shares, at=T0, **kw):
        self.n += 1
        order = PlaceOrder(f"o{self.n}", market, Side.SELL, bytes(32), max_shares=shares, **kw)
        (event,) = self.do(scout, order, at)
        return event

    @property
    def state(self):
        return self.runner.state


def test_a_scouts_available_cash_never_depends_on_the_fill():
    """Two scouts spend the same at very different prices; what each can see is identical."""
    p = Program()
    p.do("label", ListMarket("m", "Will we sign XYZ?"))
    p.fund("early", "whale", "late")
    early = p.buy("early", "m", max_spend=D(100))
    p.buy("whale", "m", max_spend=D(900))
    late = p.buy("late", "m", max_spend=D(100))
    assert early.shares > 2 * late.shares  # very different fills ...
    assert p.state.available("early") == p.state.available("late") == D(900)  # ... same view
    assert early.escrow == late.escrow == D(100)


def test_a_clipped_buy_is_refunded_only_at_reveal():
    p = Program()
    p.do("label", ListMarket("m", "Will we sign XYZ?"))
    p.fund("a", amount=D(5000))
    fill = p.buy("a", "m", max_spend=D(4000))
    assert fill.clipped and fill.cash < D(4000)
    assert p.state.available("a") == D(1000)
    (_closed, revealed) = p.do("anyone", RevealMarket("m"), at=LATER)
    assert isinstance(revealed, MarketRevealed)
    assert p.state.available("a") == D(5000) - fill.cash - fill.fee


def test_the_sponsor_can_never_trade_by_any_command():
    p = Program()
    p.do("label", ListMarket("m", "Will we sign XYZ?"))
    for command in (
        DepositCash(D(10)),
        PlaceOrder("x", "m", Side.BUY, bytes(32), max_spend=D(1)),
        PlaceOrder("y", "m", Side.SELL, bytes(32), max_shares=D(1)),
    ):
        with pytest.raises(ValidationError, match="sponsor"):
            p.do("label", command)


def test_limit_prices_bound_buys_and_sells():
    p = Program()
    p.do("label", ListMarket("m", "Will we sign XYZ?"))
    p.fund("a", "b")
    capped = p.buy("a", "m", max_spend=D(500), limit_price=D("0.05"))
    curve = p.state.markets["m"].curve
    assert capped.clipped and curve.price(capped.state_after) <= D("0.05")
    floor = p.sell("a", "m", capped.shares, limit_price=D("0.03"))
    assert floor.clipped and curve.price(floor.state_after) >= D("0.03")


def test_sell_is_capped_at_what_the_scout_holds():
    p = Program()
    p.do("label", ListMarket("m", "Will we sign XYZ?"))
    p.fund("a")
    bought = p.buy("a", "m", max_spend=D(50))
    sold = p.sell("a", "m", bought.shares * 3)
    assert sold.shares == bought.shares and sold.clipped
    assert p.state.shares_held("a", "m") == 0


def test_duplicate_titles_after_normalisation_are_refused():
    p = Program()
    p.do("label", ListMarket("m1", "Will we sign XYZ in 2026?"))
    with pytest.raises(ValidationError, match="same title"):
        p.do("label", ListMarket("m2", "  will we SIGN xyz, in 2026!! "))


def test_community_listing_bond_approval_and_refund_when_the_window_closes():
    p = Program(creation_bond=D(25), approval_required=True)
    p.fund("fan", "b")
    p.do("fan", ListMarket("m", "Will we sign the fan's band?"))
    assert p.state.available("fan") == D(975)
    with pytest.raises(ValidationError, match="not open"):
        p.buy("b", "m", max_spend=D(10))
    with pytest.raises(ValidationError, match="sponsor"):
        p.do("fan", ApproveMarket("m"))
    p.do("label", ApproveMarket("m"))
    p.buy("b", "m", max_spend=D(10))
    assert p.state.available("fan") == D(975)  # an order tells the creator nothing
    (closed,) = p.do("anyone", CloseWindow("m"), at=LATER)
    assert closed.bond_refund == D(25) and p.state.available("fan") == D(1000)
    p.do("fan", ListMarket("spam", "Buy my mixtape"))
    p.do("label", RejectMarket("spam", "not an opportunity"))
    assert p.state.available("fan") == D(975)


def test_programs_under_rules_1_still_refund_the_bond_on_the_first_order():
    p = Program(creation_bond=D(25), rules=1)
    p.fund("fan", "b")
    p.do("fan", ListMarket("m", "Will we sign the fan's band?"))
    assert p.buy("b", "m", max_spend=D(10)).bond_refund == D(25)
    assert p.state.available("fan") == D(1000)
    (closed,) = p.do("anyone", CloseWindow("m"), at=LATER)
    assert closed.bond_refund == 0


def test_unlimited_collateral_refuses_a_market_the_deposit_cannot_cover():
    p = Program(deposit=D(2000))
    p.do("label", ListMarket("m1", "One"))
    p.do("label", ListMarket("m2", "Two"))
    with pytest.raises(ValidationError, match="deposit"):
        p.do("label", ListMarket("m3", "Three"))


def test_yes_pays_one_per_share_and_the_sponsor_loses_at_most_the_budget():
    p = Program()
    p.do("label", ListMarket("m", "Will we sign XYZ?"))
    p.fund("a", "b", amount=D(5000))
    a = p.buy("a", "m", max_spend=D(40))
    b = p.buy("b", "m", max_spend=D(40))
    assert a.shares > b.shares > 0
    (_, _, resolved) = p.do("label", ResolveMarket("m", Outcome.YES, "contract signed"), at=LATER)
    assert isinstance(resolved, MarketResolved)
    assert dict(resolved.payouts) == {"a": a.shares.quantize(D("0.01"), "ROUND_FLOOR")} | {
        "b": b.shares.quantize(D("0.01"), "ROUND_FLOOR")
    }
    (settled,) = p.do("label", SettleProgram(), at=LATER)
    assert isinstance(settled, ProgramSettled) and settled.collateral_returned == 0
    sponsor_loss = D(10_000) - free_collateral(p.state)
    assert 0 < sponsor_loss <= D(1000)


def test_void_refunds_at_cost_and_no_leaves_the_pool_to_the_sponsor():
    p = Program(fee_rate=D(0))
    p.do("label", ListMarket("v", "Voided"))
    p.do("label", ListMarket("n", "No"))
    p.fund("a", amount=D(500))
    p.buy("a", "v", max_spend=D(100))
    p.buy("a", "n", max_spend=D(100))
    p.do("label", ResolveMarket("v", Outcome.VOID, "cancelled"), at=LATER)
    assert p.state.available("a") == D(400)
    p.do("label", ResolveMarket("n", Outcome.NO, "passed"), at=LATER)
    p.do("label", SettleProgram(), at=LATER)
    assert free_collateral(p.state) == D(10_100)


def test_first_n_pays_only_the_first_n_markets_acted_on():
    p = Program(deposit=D(2000), collateral=CollateralMode.FIRST_N, first_n=2)
    for i in range(4):
        p.do("label", ListMarket(f"m{i}", f"Artist {i}"))
    p.fund("a", amount=D(4000))
    for i in range(4):
        p.buy("a", f"m{i}", max_spend=D(900))
    for i in (2, 0, 3):
        p.do("label", RecordActedOn(f"m{i}", f"signed artist {i}"))
    with pytest.raises(ValidationError, match="first N"):
        p.do("label", ResolveMarket("m3", Outcome.YES, "signed, but third"), at=LATER)
    with pytest.raises(ValidationError, match="first N"):
        p.do("label", ResolveMarket("m2", Outcome.NO, "first, cannot be NO"), at=LATER)
    for i, outcome in ((2, Outcome.YES), (0, Outcome.YES), (3, Outcome.NO), (1, Outcome.NO)):
        p.do("label", ResolveMarket(f"m{i}", outcome, "per the acted-on order"), at=LATER)
    (settled,) = p.do("label", SettleProgram(), at=LATER)
    assert settled.shared_released == free_collateral(p.state) - settled.dust_to_sponsor >= 0


@pytest.mark.parametrize("policy", list(FeePolicy))
def test_fees_go_back_to_traders_or_roll_on(policy):
    p = Program(fee_rate=D("0.02"), fee_policy=policy)
    p.do("label", ListMarket("m", "M"))
    p.fund("a", "b")
    fa = p.buy("a", "m", max_spend=D(60)).fee
    fb = p.buy("b", "m", max_spend=D(20)).fee
    assert fa > fb > 0
    p.do("label", ResolveMarket("m", Outcome.NO, "no"), at=LATER)
    (settled,) = p.do("label", SettleProgram(), at=LATER)
    refunds = dict(settled.fee_refunds)
    if policy is FeePolicy.ROLL_TO_NEXT_PROGRAM:
        assert settled.fees_rolled == fa + fb and not refunds
    else:
        assert sum(refunds.values()) + settled.dust_to_sponsor == fa + fb
        assert refunds["a"] > refunds["b"]


def test_window_rules_and_unknown_things():
    p = Program()
    p.do("label", ListMarket("m", "M"))
    p.fund("a")
    with pytest.raises(ValidationError, match="window"):
        p.buy("a", "m", at=LATER, max_spend=D(1))
    with pytest.raises(NotFound):
        p.buy("a", "nope", max_spend=D(1))
    with pytest.raises(ValidationError, match="window"):
        p.do("label", ResolveMarket("m", Outcome.YES, "early"))
    with pytest.raises(ValidationError, match="unresolved"):
        p.do("label", SettleProgram())
    with pytest.raises(ValidationError, match=r"insufficient|not enough"):
        p.do("a", WithdrawCash(D(5000)))


@pytest.mark.parametrize(
    "bad",
    [
        PlaceOrder("o", "m", Side.BUY, bytes(31), max_spend=D(1)),
        PlaceOrder("o", "m", Side.BUY, bytes(32)),
        PlaceOrder("o", "m", Side.BUY, bytes(32), max_spend=D("0.001")),
        PlaceOrder("o", "m", Side.BUY, bytes(32), max_spend=D(1), limit_price=D(1)),
        PlaceOrder("o", "m", Side.SELL, bytes(32), max_spend=D(1)),
        PlaceOrder("o", "m", Side.BUY, bytes(32), max_spend=D(10_000)),
    ],
)
def test_malformed_orders_get_clear_errors_and_change_nothing(bad):
    p = Program()
    p.do("label", ListMarket("m", "M"))
    p.fund("a")
    version = p.state.version
    with pytest.raises(ValidationError):
        p.do("a", bad)
    assert p.state.version == version
    assert not any(isinstance(e, OrderExecuted) for e in p.runner.events)


def test_no_side_buys_pay_on_no_and_move_the_price_down():
    p = Program(fee_rate=D(0))
    p.do("label", ListMarket("m", "M"))
    p.fund("bull", "bear")
    up = p.buy("bull", "m", max_spend=D(60))
    curve = p.state.markets["m"].curve
    price_up = curve.price(up.state_after)
    no = p.buy("bear", "m", max_spend=D(30), token=Token.NO)
    assert no.token is Token.NO and no.shares > D(30)  # NO costs less than 1 a share
    assert curve.price(no.state_after) < price_up
    capped = p.buy("bear", "m", max_spend=D(500), token=Token.NO, limit_price=D("0.9"))
    assert capped.clipped and curve.price(capped.state_after) >= D("0.1") - D("1e-20")
    (_, _, resolved) = p.do("label", ResolveMarket("m", Outcome.NO, "passed"), at=LATER)
    paid = dict(resolved.payouts)
    assert set(paid) == {"bear"}
    assert paid["bear"] == (no.shares + capped.shares).quantize(D("0.01"), "ROUND_FLOOR")
    assert p.state.shares_held("bull", "m") == 0


def test_no_positions_can_be_sold_back():
    p = Program(fee_rate=D(0))
    p.do("label", ListMarket("m", "M"))
    p.fund("a")
    p.buy("a", "m", max_spend=D(50))
    no = p.buy("a", "m", max_spend=D(20), token=Token.NO)
    back = p.sell("a", "m", no.shares * 2, token=Token.NO)
    assert back.shares == no.shares and back.clipped
    assert back.cash <= no.cash
    assert p.state.shares_held("a", "m", Token.NO) == 0


def test_a_close_order_fires_blind_when_its_price_is_reached():
    p = Program(fee_rate=D(0))
    p.do("label", ListMarket("m", "M"))
    p.fund("holder", "whale", amount=D(2000))
    bought = p.buy("holder", "m", max_spend=D(10))
    p.do("holder", PlaceCloseOrder("take", "m", Token.YES, D("0.2"), D(10**6), bytes(32)))
    before = p.state.available("holder")
    events = p.do("whale", PlaceOrder("w", "m", Side.BUY, bytes(32), max_spend=D(90)))
    fired = [e for e in events if isinstance(e, TriggeredTrade)]
    assert [f.source_id for f in fired] == ["take"]
    # it sells only as far as its limit allows: never below the trigger price
    assert 0 < fired[0].shares <= bought.shares
    curve = p.state.markets["m"].curve
    assert curve.price(fired[0].state_after) >= D("0.2") - D("1e-20")
    assert p.state.available("holder") == before  # blind until the reveal
    (cancelled,) = p.do("holder", CancelCloseOrder("take"))
    assert cancelled.was_pending is False  # recorded, but the scout's reply is the same
    with pytest.raises(NotFound):
        p.do("whale", CancelCloseOrder("take"))
    p.do("anyone", RevealMarket("m"), at=LATER)
    assert p.state.available("holder") == before + fired[0].cash


def test_an_agent_buys_below_its_price_and_sells_above_within_its_budget():
    p = Program(fee_rate=D(0))
    p.do("label", ListMarket("m", "M"))
    p.fund("scout", "whale", amount=D(2000))
    events = p.do("scout", RegisterAgent("bot", "m", D(30), D(10), D("0.03"), bytes(32), D("0.2")))
    buys = [e for e in events if isinstance(e, TriggeredTrade)]
    assert buys and all(b.side is Side.BUY for b in buys)
    curve = p.state.markets["m"].curve
    assert curve.price(buys[-1].state_after) <= D("0.03") + D("1e-20")
    assert sum(b.cash + b.fee for b in buys) <= D(30)
    assert p.state.available("scout") == D(1970)
    events = p.do("whale", PlaceOrder("w", "m", Side.BUY, bytes(32), max_spend=D(90)))
    sells = [e for e in events if isinstance(e, TriggeredTrade) and e.side is Side.SELL]
    held = sum(b.shares for b in buys)
    assert sells and 0 < sells[0].shares <= held
    assert curve.price(sells[-1].state_after) >= D("0.2") - D("1e-20")
    assert p.state.agents["bot"].holding == held - sum(x.shares for x in sells)


def test_views_hide_fills_until_the_reveal_and_then_follow_the_policy():
    for policy in RevealPolicy:
        p = Program(reveal_policy=policy, reveal_threshold=D(50), late_reveal_seconds=86400)
        p.do("label", ListMarket("m", "M"))
        p.fund("small", "big")
        p.buy("small", "m", max_spend=D(5))
        p.buy("big", "m", max_spend=D(80))
        (mine,) = scout_orders(p.state, "small")
        assert mine.fill is None and not mine.revealed
        closed = T0 + timedelta(days=14, hours=1)  # the window is 14 days; the delay 1 day
        assert public_market_view(p.state, "m", closed).final_price is None
        assert sponsor_market_view(p.state, "m").price > D("0.01")  # the sponsor always sees it
        p.do("anyone", RevealMarket("m"), at=closed)
        (mine,) = scout_orders(p.state, "small")
        assert mine.revealed and mine.fill is not None and mine.fill.shares > 0
        (theirs,) = scout_orders(p.state, "big")  # a large order's scout sees its own fill
        assert theirs.fill is not None and theirs.fill.cash > D(50)
        public = public_market_view(p.state, "m", closed)
        late = public_market_view(p.state, "m", T0 + timedelta(days=15))
        if policy is RevealPolicy.PER_TRADER:
            assert public.final_price is None and not public.fills and late == public
        elif policy is RevealPolicy.PUBLIC_ALL:
            assert len(public.fills) == 2 and public.aggregated_count == 0 and public.complete
            assert late == public
        else:
            # the small order in aggregate; nothing of the large one, not even the final price
            assert (public.fills, public.final_price) == ((), None) and not public.complete
            assert (public.aggregated_count, public.aggregated_size) == (1, D(5))
            assert public.late_reveal_at == T0 + timedelta(days=15)
            # the late reveal: the large order one by one, and the final price
            assert late.complete and late.final_price == sponsor_market_view(p.state, "m").price
            assert [f.cash for f in late.fills] == [theirs.fill.cash]
            assert (late.aggregated_count, late.aggregated_size) == (1, D(5))


def test_size_threshold_terms_replay_and_refuse_a_negative_delay():
    assert "late_reveal_seconds" not in to_plain(terms())  # the default: stored as before
    assert from_plain(ProgramTerms, to_plain(terms())).late_reveal_seconds == 30 * 86400
    with pytest.raises(ValidationError, match="late_reveal_seconds"):
        terms(late_reveal_seconds=-1)


def test_by_default_a_scouts_market_costs_a_bond():
    assert ProgramTerms(D(1000)).creation_bond > 0 and ProgramTerms(D(1000)).community_listing
    p = Program()
    p.fund("fan", amount=D(10))  # less than the default bond
    with pytest.raises(ValidationError, match="bond"):
        p.do("fan", ListMarket("m", "Will we sign the fan's band?"))


def test_a_program_closed_to_community_listing_lists_only_the_sponsors_markets():
    p = Program(community_listing=False)
    p.fund("fan")
    with pytest.raises(ValidationError) as refused:
        p.do("fan", ListMarket("m", "Will we sign the fan's band?"))
    assert refused.value.code == "community_listing_closed"
    assert p.state.markets == {} and p.state.available("fan") == D(1000)
    p.do("label", ListMarket("m", "Will we sign the fan's band?"))
    assert set(p.state.markets) == {"m"}


def test_community_listing_needs_a_bond_or_the_sponsors_approval():
    with pytest.raises(ValidationError, match="community_listing"):
        terms(creation_bond=D(0))
    assert terms(creation_bond=D(0), approval_required=True).community_listing
    assert not terms(creation_bond=D(0), community_listing=False).community_listing


def test_terms_stored_before_community_listing_existed_replay_byte_for_byte():
    plain = to_plain(terms())
    assert "community_listing" not in plain  # at its default: left out, as before it existed
    assert to_plain(from_plain(ProgramTerms, plain)) == plain
    closed = to_plain(terms(community_listing=False))
    assert closed["community_listing"] is False
    assert from_plain(ProgramTerms, closed) == terms(community_listing=False)
    with pytest.raises(ValidationError, match="at its default"):
        from_plain(ProgramTerms, {**plain, "community_listing": True})  # one encoding only
