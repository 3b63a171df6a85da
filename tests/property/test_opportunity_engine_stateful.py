"""Thousands of random steps against the opportunity engine: cash conserved, no negative
balances, sponsor loss within budget (the dynamic pm-AMM's too, its liquidity decaying as the
steps advance the clock), escrow released exactly, payouts = winning shares, close orders of
both sides never trading worse than their trigger; a refused command changes nothing;
replaying the events rebuilds the same state. Money leaves at every stage (scouts' cash, the
sponsor's free collateral), and all of a settled program's money can leave: every account
withdrawn, the program then closes at zero."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from hypothesis import event as note_event
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from marketcraft.kernel import InvariantViolation, MarketcraftError
from marketcraft.kernel.messages import decode, encode
from marketcraft.kernel.money import quantize_down, quantize_up
from marketcraft.opportunity import accounts
from marketcraft.opportunity.amms import AmmKind
from marketcraft.opportunity.collateral import free_collateral, held, left_in
from marketcraft.opportunity.commands import (
    ApproveMarket,
    CancelCloseOrder,
    CloseProgram,
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
    WithdrawCollateral,
)
from marketcraft.opportunity.events import (
    MarketResolved,
    OrderExecuted,
    ProgramClosed,
    TriggeredTrade,
)
from marketcraft.opportunity.invariants import check_all
from marketcraft.opportunity.runner import ProgramRunner
from marketcraft.opportunity.state import MarketStatus
from marketcraft.opportunity.terms import (
    CollateralMode,
    FeePolicy,
    ProgramTerms,
    RevealPolicy,
    Side,
    Token,
)

SPONSOR = "sponsor"
SCOUTS = ["s1", "s2", "s3"]
ACTORS = [SPONSOR, *SCOUTS]
MARKETS = [f"m{i}" for i in range(8)]
# draws favour the two markets every run starts with, so most orders reach a live market
LIVE = st.sampled_from(["m0", "m0", "m0", "m1", "m1", "m1", *MARKETS[2:]])
T0 = datetime(2026, 1, 1, tzinfo=UTC)
WINDOW = 2 * 3600


class EngineMachine(RuleBasedStateMachine):
    @initialize(
        collateral=st.sampled_from(CollateralMode),
        fee_policy=st.sampled_from(FeePolicy),
        amm=st.sampled_from([AmmKind.LMSR, AmmKind.RANGE, AmmKind.PMAMM_DYNAMIC]),
        fee=st.sampled_from(["0", "0.01", "0.05"]),
        approval=st.booleans(),
        deposit_budgets=st.integers(1, 4),
    )
    def open(self, collateral, fee_policy, amm, fee, approval, deposit_budgets):
        self.terms = ProgramTerms(
            market_budget=D(500), pa=D("0.02"), pb=D("0.4"), amm=amm, window_seconds=WINDOW,
            fee_rate=D(fee), fee_policy=fee_policy, reveal_policy=RevealPolicy.PER_TRADER,
            collateral=collateral, first_n=2, creation_bond=D(5), approval_required=approval,
        )  # fmt: skip
        self.runner = ProgramRunner()
        self.commands = 0
        self.closed_at = None
        self.now = T0
        self.filled_since_jump = 0
        deposit = D(500 * max(deposit_budgets, 2 if collateral is CollateralMode.FIRST_N else 1))
        self.run(SPONSOR, OpenProgram("p", "Program", deposit, self.terms))
        self.salt = 0
        # Start from a live program: funded scouts and two markets, so trading begins at once.
        for scout in SCOUTS:
            self.run(scout, DepositCash(D(2000)))
        self.run(SPONSOR, ListMarket("m0", "Will we sign artist m0?"))
        self.run(SCOUTS[0], ListMarket("m1", "Will we sign artist m1?"))

    def run(self, actor, command):
        state = self.runner.state
        before = (state.version, dict(state.ledger.balances()))
        self.commands += 1
        try:
            events = self.runner.handle(command, Context(actor, self.now))
            self.filled_since_jump += sum(isinstance(e, OrderExecuted) for e in events)
            return events
        except InvariantViolation:
            raise  # a decided command that does not fold is a bug, never a refusal
        except MarketcraftError:
            assert (state.version, dict(state.ledger.balances())) == before, "refusal changed state"
            return None

    @rule(actor=st.sampled_from(ACTORS), amount=st.integers(1, 5000))
    def deposit(self, actor, amount):
        self.run(actor, DepositCash(D(amount)))

    @rule(actor=st.sampled_from(SCOUTS), amount=st.integers(1, 500))
    def withdraw(self, actor, amount):
        self.run(actor, WithdrawCash(D(amount)))

    @rule(actor=st.sampled_from(SCOUTS))
    def withdraw_everything(self, actor):
        """A scout takes out all it has, whatever the stage (open, revealed, resolved, voided,
        settled)."""
        available = self.runner.state.available(actor)
        if available:
            assert self.run(actor, WithdrawCash(available)) is not None, "free cash stuck"

    @rule(part=st.sampled_from(["0.01", "0.5", "1"]), more=st.booleans())
    def withdraw_collateral(self, part, more):
        """The sponsor takes out some or all of its free collateral (a cent more is refused)."""
        state = self.runner.state
        free = free_collateral(state)
        amount = quantize_down(free * D(part), 2) + (D("0.01") if more else 0)
        events = self.run(SPONSOR, WithdrawCollateral(amount)) if amount else None
        assert (events is not None) == (0 < amount <= free)

    @precondition(lambda self: self.runner.state.settled)
    @rule(empty_first=st.booleans())
    def close(self, empty_first):
        """The sponsor closes the settled program: it succeeds exactly when nothing is left
        (``empty_first``: after everyone withdrew everything). A closed program never changes
        again."""
        state = self.runner.state
        if empty_first and not state.closed:
            for scout in SCOUTS:
                self.withdraw_everything(scout)
            if free_collateral(state):
                self.run(SPONSOR, WithdrawCollateral(free_collateral(state)))
        was_closed, empty = state.closed, not left_in(state)
        events = self.run(SPONSOR, CloseProgram())
        assert (events is not None) == (empty and not was_closed)
        if events is not None:
            self.closed_at = state.version

    @invariant()
    def a_closed_program_never_changes(self):
        state = self.runner.state
        assert state.closed == (self.closed_at is not None)
        assert self.closed_at is None or state.version == self.closed_at

    @rule(actor=st.sampled_from(ACTORS), market=st.sampled_from(MARKETS), dup=st.booleans())
    def list_market(self, actor, market, dup):
        title = "Will we sign artist 0?" if dup else f"Will we sign artist {market}?"
        self.run(actor, ListMarket(market, title))

    @rule(market=st.sampled_from(MARKETS), approve=st.booleans())
    def approve_or_reject(self, market, approve):
        command = ApproveMarket(market) if approve else RejectMarket(market, "spam")
        self.run(SPONSOR, command)

    @rule(
        actor=st.sampled_from([*ACTORS, *SCOUTS, *SCOUTS]),
        market=LIVE,
        spend=st.none() | st.integers(1, 100_00),
        shares=st.none() | st.integers(1, 800_000000),
        limit=st.none() | st.integers(1, 99),
    )
    def buy(self, actor, market, spend, shares, limit):
        self.salt += 1
        self.run(actor, PlaceOrder(
            f"o{self.salt}", market, Side.BUY, self.salt.to_bytes(32, "big"),
            max_spend=None if spend is None else D(spend) / 100,
            max_shares=None if shares is None else D(shares) / 10**6,
            limit_price=None if limit is None else D(limit) / 100,
        ))  # fmt: skip

    @rule(
        actor=st.sampled_from(SCOUTS),
        market=LIVE,
        spend=st.integers(1, 50_00),
    )
    def buy_small(self, actor, market, spend):
        self.buy(actor, market, spend, None, None)

    @rule(
        actor=st.sampled_from(SCOUTS),
        market=LIVE,
        shares=st.integers(1, 5000_000000),
        limit=st.none() | st.integers(1, 99),
    )
    def sell(self, actor, market, shares, limit):
        self.salt += 1
        self.run(actor, PlaceOrder(
            f"o{self.salt}", market, Side.SELL, self.salt.to_bytes(32, "big"),
            max_shares=D(shares) / 10**6,
            limit_price=None if limit is None else D(limit) / 100,
        ))  # fmt: skip

    @rule(
        actor=st.sampled_from(SCOUTS),
        market=LIVE,
        spend=st.none() | st.integers(1, 60_00),
        shares=st.none() | st.integers(1, 400_000000),
        limit=st.none() | st.integers(50, 99),
    )
    def buy_no(self, actor, market, spend, shares, limit):
        self.salt += 1
        self.run(actor, PlaceOrder(
            f"o{self.salt}", market, Side.BUY, self.salt.to_bytes(32, "big"),
            max_spend=None if spend is None else D(spend) / 100,
            max_shares=None if shares is None else D(shares) / 10**6,
            limit_price=None if limit is None else D(limit) / 100, token=Token.NO,
        ))  # fmt: skip

    @rule(actor=st.sampled_from(SCOUTS), market=LIVE, shares=st.integers(1, 500_000000))
    def sell_no(self, actor, market, shares):
        self.salt += 1
        self.run(actor, PlaceOrder(
            f"o{self.salt}", market, Side.SELL, self.salt.to_bytes(32, "big"),
            max_shares=D(shares) / 10**6, token=Token.NO,
        ))  # fmt: skip

    @rule(
        actor=st.sampled_from(SCOUTS),
        market=LIVE,
        side=st.sampled_from(Side),
        token=st.sampled_from(Token),
        offset=st.integers(-5, 15),
        shares=st.integers(1, 3000_000000),
    )
    def close_order(self, actor, market, side, token, offset, shares):
        # the trigger is set off the token's price now (the test may look; the scout could
        # not): a sell a little above it, a buy a little below, so most wait and fire later
        price = D("0.5")
        if market in self.runner.state.markets:
            m = self.runner.state.markets[market]
            price = m.curve.price(m.amm_state)
        price = price if token is Token.YES else 1 - price
        move = D(offset) / 100 if side is Side.SELL else -D(offset) / 100
        trigger = min(max((price + move).quantize(D("0.01")), D("0.01")), D("0.99"))
        self.salt += 1
        self.run(actor, PlaceCloseOrder(
            f"c{self.salt}", market, token, trigger, D(shares) / 10**6,
            self.salt.to_bytes(32, "big"), side=side,
        ))  # fmt: skip

    @rule(actor=st.sampled_from(SCOUTS), n=st.integers(1, 400))
    def cancel_close_order(self, actor, n):
        self.run(actor, CancelCloseOrder(f"c{n}"))

    @rule(
        actor=st.sampled_from(SCOUTS),
        market=LIVE,
        budget=st.integers(1, 300),
        per=st.integers(1, 100),
        below=st.integers(2, 45),
        above=st.none() | st.integers(3, 60),
    )
    def agent(self, actor, market, budget, per, below, above):
        self.salt += 1
        self.run(actor, RegisterAgent(
            f"a{self.salt}", market, D(budget), D(min(per, budget)), D(below) / 100,
            self.salt.to_bytes(32, "big"), None if above is None else D(above) / 100,
        ))  # fmt: skip

    @rule(minutes=st.integers(1, 45))
    def advance(self, minutes):
        self.now += timedelta(minutes=minutes)

    @precondition(lambda self: self.filled_since_jump >= 6)
    @rule()
    def jump_past_the_window(self):
        self.now += timedelta(seconds=WINDOW + 60)
        self.filled_since_jump = 0

    @rule(market=st.sampled_from(MARKETS), actor=st.sampled_from(ACTORS))
    def reveal(self, market, actor):
        self.run(actor, RevealMarket(market))

    @rule(market=LIVE)
    def act_on(self, market):
        self.run(SPONSOR, RecordActedOn(market, "signed"))

    @rule(market=LIVE, outcome=st.sampled_from(Outcome))
    def resolve(self, market, outcome):
        state = self.runner.state
        held = {}
        if market in state.markets:
            held = {
                s: state.shares_held(s, market)
                for s in SCOUTS
                if s in state.markets[market].net_paid
            }
        held_no = {}
        if market in state.markets:
            traders = [s for s in SCOUTS if s in state.markets[market].net_paid]
            held_no = {s: state.shares_held(s, market, Token.NO) for s in traders}
        events = self.run(SPONSOR, ResolveMarket(market, outcome, "evidence"))
        for event in events or ():
            if isinstance(event, MarketResolved) and event.outcome is not Outcome.VOID:
                paid = dict(event.payouts)
                winners = held if event.outcome is Outcome.YES else held_no
                for scout, shares in winners.items():
                    assert paid.get(scout, D(0)) == quantize_down(shares, 2)

    @precondition(
        lambda self: (
            not self.runner.state.settled
            and len(self.runner.state.markets) >= 2
            and all(
                m.status in (MarketStatus.RESOLVED, MarketStatus.REJECTED)
                for m in self.runner.state.markets.values()
            )
        )
    )
    @rule()
    def settle(self):
        self.run(SPONSOR, SettleProgram())

    @precondition(lambda self: self.commands >= 60 and not self.runner.state.settled)
    @rule(outcomes=st.lists(st.sampled_from(Outcome), min_size=len(MARKETS), max_size=len(MARKETS)))
    def wind_up(self, outcomes):
        """Late in a run: every window closes, every market is resolved (its drawn outcome if
        the terms allow it, else NO, else VOID) or rejected, and the program settles."""
        self.now += timedelta(seconds=WINDOW + 60)
        state = self.runner.state
        for market_id, outcome in zip(sorted(state.markets), outcomes, strict=False):
            market = state.markets[market_id]
            if market.status is MarketStatus.PENDING:
                self.run(SPONSOR, RejectMarket(market_id, "too late"))
            for choice in (outcome, Outcome.NO, Outcome.VOID):
                if market.status in (MarketStatus.RESOLVED, MarketStatus.REJECTED):
                    break
                self.run(SPONSOR, ResolveMarket(market_id, choice, "wound up"))
        assert self.run(SPONSOR, SettleProgram()) is not None

    @invariant()
    def invariants_hold(self):
        check_all(self.runner.state)

    @invariant()
    def free_collateral_is_collateral_held_in_whole_cents(self):
        state = self.runner.state
        free = free_collateral(state)
        assert 0 <= free <= held(state) and free == quantize_down(free, 2)

    @invariant()
    def all_of_a_settled_programs_money_can_leave(self):
        """On a copy: every scout withdraws its cash, the sponsor its collateral, and the
        program then closes with every account at zero."""
        if not self.runner.state.settled or self.runner.state.closed:
            return
        copy = ProgramRunner(list(self.runner.events))
        at = Context(SPONSOR, self.now)
        for scout in SCOUTS:
            if copy.state.available(scout):
                copy.handle(WithdrawCash(copy.state.available(scout)), Context(scout, self.now))
        if free_collateral(copy.state):
            copy.handle(WithdrawCollateral(free_collateral(copy.state)), at)
        assert left_in(copy.state) == {}
        assert isinstance(copy.handle(CloseProgram(), at)[0], ProgramClosed)

    @invariant()
    def sponsor_never_trades(self):
        assert all(
            not (isinstance(e, OrderExecuted) and e.scout == SPONSOR) for e in self.runner.events
        )

    @invariant()
    def close_orders_never_trade_worse_than_their_trigger(self):
        state = self.runner.state
        for e in self.runner.events:
            if not isinstance(e, TriggeredTrade) or e.agent:
                continue
            record = state.close_orders[e.source_id]
            assert record.side is e.side and record.token is e.token
            at_trigger = e.shares * record.trigger_price
            if e.side is Side.BUY:  # a cost is rounded up to the cent, as every cost is
                assert e.cash <= quantize_up(at_trigger, 2) and e.shares <= record.max_shares
                assert e.cash + e.fee <= record.escrow
            else:
                assert e.cash >= at_trigger - D("0.01")  # proceeds rounded down to the cent

    @invariant()
    def revealed_markets_released_every_escrow(self):
        state = self.runner.state
        for market in state.markets.values():
            if market.status in (MarketStatus.REVEALED, MarketStatus.RESOLVED):
                for scout in market.order_held:
                    escrow = accounts.order_escrow(market.market_id, scout)
                    assert state.ledger.balance(escrow, state.cash).is_zero()

    def teardown(self):
        # what the run exercised, in the statistics (--hypothesis-show-statistics)
        note_event(f"amm {self.terms.amm.value}")
        fired = {(e.side.value, e.token.value) for e in self.runner.events
                 if isinstance(e, TriggeredTrade) and not e.agent and e.shares}  # fmt: skip
        note_event(f"close orders filled: {sorted(fired)}")
        # The events alone rebuild the same state, through their canonical encoding.
        replayed = ProgramRunner([decode(encode(e)) for e in self.runner.events]).state
        assert replayed.ledger.balances() == self.runner.state.ledger.balances()
        assert {k: m.amm_state for k, m in replayed.markets.items()} == {
            k: m.amm_state for k, m in self.runner.state.markets.items()
        }


# 100 steps per run; runs scale with the profile (dev: 30, ci: 100 -> 10,000 steps)
EngineMachine.TestCase.settings = settings(
    EngineMachine.TestCase.settings,
    stateful_step_count=100,
    max_examples=max(30, settings.default.max_examples // 2),
)
TestEngine = EngineMachine.TestCase


def test_the_machine_reaches_settlement_and_empties_the_program():
    """The rules above are not vacuous: one fixed run trades, withdraws collateral, winds up,
    passes the money-out invariant, and closes."""
    machine = EngineMachine()
    machine.open(CollateralMode.FIRST_N, FeePolicy.REFUND_PRO_RATA_FEES, AmmKind.LMSR, "0.01",
                 approval=False, deposit_budgets=3)  # fmt: skip
    for scout, market in [("s1", "m0"), ("s2", "m1"), ("s3", "m0")]:
        machine.buy_small(scout, market, 40_00)
    machine.withdraw_collateral("1", more=False)
    assert machine.runner.state.ledger.holding(accounts.SHARED, machine.runner.state.cash) > 0
    machine.commands = 60
    machine.wind_up([Outcome.YES, Outcome.VOID, *[Outcome.NO] * (len(MARKETS) - 2)])
    assert machine.runner.state.settled
    machine.all_of_a_settled_programs_money_can_leave()
    machine.close(empty_first=True)
    assert machine.runner.state.closed and left_in(machine.runner.state) == {}
    machine.a_closed_program_never_changes()
    machine.deposit("s1", 10)  # refused, and changes nothing
    machine.a_closed_program_never_changes()


class DynamicAmmMachine(EngineMachine):
    """The same steps on the dynamic pm-AMM alone: its liquidity L sqrt(T - t) falls as the
    steps advance the clock, and every invariant (the budget bound first) must still hold."""

    @initialize(
        collateral=st.sampled_from(CollateralMode),
        fee_policy=st.sampled_from(FeePolicy),
        fee=st.sampled_from(["0", "0.01", "0.05"]),
        approval=st.booleans(),
        deposit_budgets=st.integers(1, 4),
    )
    def open(self, collateral, fee_policy, fee, approval, deposit_budgets):
        super().open(collateral, fee_policy, AmmKind.PMAMM_DYNAMIC, fee, approval, deposit_budgets)


DynamicAmmMachine.TestCase.settings = settings(
    DynamicAmmMachine.TestCase.settings,
    stateful_step_count=100,
    max_examples=max(20, settings.default.max_examples // 4),
)
TestDynamicAmmEngine = DynamicAmmMachine.TestCase
