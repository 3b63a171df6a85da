"""Random steps against the peg engine, checking the spec's invariants after every step:
COL conserved, relay trades keep U + Dc and never lower C * U, MMS buys and sells keep the
shape C : X : U : Dc : MMS, a fee-free round trip never profits the trader, balances stay in
range and the MMS held equals the supply; a refusal changes nothing; events replay exactly.
Feed reports and ticks run alongside: a correction never moves SPOT past the feed nor further
than one fee, modes follow their thresholds, and recovery buys leave the relay alone."""

from decimal import Decimal as D

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from marketcraft.kernel import MarketcraftError
from marketcraft.kernel.ledger import check_balanced
from marketcraft.kernel.messages import decode, encode
from marketcraft.peg.correction import BUY_BURN, MINT_PEG, TO_EXCESS
from marketcraft.peg.events import MmsBought, MmsSold
from marketcraft.peg.market import PegMarket
from marketcraft.peg.modes import NORMAL, RECOVERY, buy_back_gap
from marketcraft.peg.state import LOCKED, MINT, WORLD, PegState, evolve, mms_sale_fee_split, wallet
from marketcraft.peg.terms import PegTerms

USERS = ("ann", "bob", "cy")
amounts = st.integers(1, 5_000_000).map(lambda n: D(n) / 100)
fractions = st.integers(1, 100).map(lambda n: D(n) / 100)


def relay_product(snap):
    return snap["connector_col"] * snap["connector_peg"]


class PegMachine(RuleBasedStateMachine):
    @initialize(
        deposit=st.integers(1_000, 10**8).map(D),
        feed=st.integers(1, 10_000).map(lambda n: D(n) / 1000),
        ratio=st.sampled_from([D(1), D("1.05"), D(2), D(4)]),
        fee_free=st.booleans(),
        dynamic=st.booleans(),
        delay=st.sampled_from([0, 60, 3600]),
        fees_to=st.sampled_from(["connector", "excess"]),
    )
    def open(self, deposit, feed, ratio, fee_free, dynamic, delay, fees_to):
        terms = PegTerms(
            ratio=ratio,
            fee_rate=D(0) if fee_free else D("0.003"),
            fee_slope=D("0.5") if dynamic else D(0),
            delay_seconds=delay,
            correction_seconds=600,
            feed_window_seconds=1800,
            fees_to=fees_to,
        )
        self.market = PegMarket.open(deposit, feed, terms=terms, opener="ann")
        # with a dynamic fee a trade away from the feed pays even at a zero base rate
        self.fee_free = fee_free and not dynamic
        self.no_corrections = fee_free  # a zero base rate leaves no safe correction step
        self.funded = deposit
        for user in USERS:
            self.market.fund(user, 10**6)
            self.funded += 10**6

    def attempt(self, call):
        before, events = self.market.snapshot(), len(self.market.events)
        try:
            return call()
        except MarketcraftError:
            assert self.market.snapshot() == before and len(self.market.events) == events
            return None

    @rule(user=st.sampled_from(USERS), col=amounts)
    def buy_peg(self, user, col):
        before = self.market.snapshot()
        if self.attempt(lambda: self.market.buy_peg(user, col)) is not None:
            self.check_relay(before)

    @rule(user=st.sampled_from(USERS), part=fractions)
    def sell_peg(self, user, part):
        held = self.market.balance(user, "PEG")
        before = self.market.snapshot()
        peg = (held * part).quantize(D("0.000001"), rounding="ROUND_FLOOR")
        if self.attempt(lambda: self.market.sell_peg(user, peg)) is not None:
            self.check_relay(before)

    @rule(user=st.sampled_from(USERS), col=amounts)
    def round_trip(self, user, col):
        """Buy PEG and sell exactly what was bought: never more COL back than was paid, and
        (5.) without fees the relay is back where it was up to rounding, which it keeps."""
        paid_before = self.market.balance(user, "COL")
        pool_before = self.market.snapshot()
        peg = self.attempt(lambda: self.market.buy_peg(user, col))
        if peg is None:
            return
        spot_between = self.market.snapshot()["spot"]
        if self.attempt(lambda: self.market.sell_peg(user, peg)) is not None:
            assert self.market.balance(user, "COL") <= paid_before
            after = self.market.snapshot()
            if self.fee_free and after["mode"] == pool_before["mode"]:
                assert after["connector_peg"] == pool_before["connector_peg"]
                kept = after["connector_col"] - pool_before["connector_col"]
                # one unit of PEG rounded away on the way in is worth up to SPOT (at its
                # highest, between the legs) units of COL
                assert D(0) <= kept <= D("0.000001") * (spot_between + 2)

    @rule(user=st.sampled_from(USERS), col=amounts)
    def buy_mms(self, user, col):
        before = self.market.snapshot()
        if self.attempt(lambda: self.market.buy_mms(user, col)) is None:
            return
        if before["mode"] == RECOVERY:
            # the net deposit goes to excess, the fee where the terms keep fees; no PEG moves
            after, fee = self.market.snapshot(), self.market.events[-1].fee
            in_connector = fee if self.market.state.require_terms().fees_to == "connector" else 0
            assert after["excess_col"] == before["excess_col"] + col - in_connector
            assert after["connector_col"] == before["connector_col"] + in_connector
            for key in ("connector_peg", "circulating_peg"):
                assert after[key] == before[key], key
        else:
            self.check_shape(before)

    @rule(move=st.integers(-60, 100))
    def report_price(self, move):
        """The outside price moves by ``move`` percent of the current feed."""
        price = (self.market.state.feed * (100 + move) / 100).quantize(D("0.000001"))
        if price > 0:
            self.market.update_feed(price)

    @rule(seconds=st.sampled_from([1, 60, 300, 3600]), repeat=st.integers(1, 20))
    def ticks(self, seconds, repeat):
        for _ in range(repeat):
            self.market.advance(seconds)
            before = self.market.snapshot()
            u_min = self.market.state.u_min
            mode = self.market.state.mode
            correction = self.market.tick()
            if correction is not None:
                self.check_correction(before, u_min, correction)
            self.check_mode(mode)

    def check_correction(self, before, u_min, correction):
        after, terms = self.market.snapshot(), self.market.state.require_terms()
        feed, f = after["feed"], terms.fee_rate
        assert not self.no_corrections  # a zero fee leaves no safe step
        if correction.kind in (TO_EXCESS, MINT_PEG):
            assert before["spot"] > feed and feed <= after["spot"] < before["spot"]
        else:
            assert correction.kind == BUY_BURN and before["mode"] == NORMAL
            assert before["spot"] < feed and before["spot"] < after["spot"] <= feed
        if correction.kind == TO_EXCESS:
            assert after["connector_col"] >= (1 - f) * before["connector_col"]
            target = (terms.ratio - 1) * after["connector_col"]
            assert after["excess_col"] <= target + D("0.000001")
        elif correction.kind == MINT_PEG:
            assert correction.peg <= f * u_min
        else:
            assert after["connector_peg"] * (1 + f) >= before["connector_peg"]
            assert after["excess_col"] >= 0
        # a correction only moves what the pool owns: nothing leaves or enters a wallet
        assert after["circulating_peg"] == before["circulating_peg"]

    def check_mode(self, mode_before):
        s, terms = self.market.snapshot(), self.market.state.require_terms()
        level = s["excess_ratio"]
        if level is None:
            assert s["mode"] == NORMAL
        elif s["mode"] == RECOVERY:
            # still recovering: excess short of swan_exit once the buy-back that takes SPOT to
            # the feed is paid for (no gap under the plain rule, or with SPOT not below the band)
            c, x = s["connector_col"], s["excess_col"]
            gap = buy_back_gap(c, s["connector_peg"], s["feed"], terms.band)
            if not terms.swan_exit_after_burn:
                gap = D(0)
            assert (x - gap) / ((terms.ratio - 1) * (c + gap)) < terms.swan_exit
            assert mode_before == RECOVERY or level <= terms.swan_enter
        else:
            assert level > terms.swan_enter
            assert mode_before == NORMAL or level >= terms.swan_exit

    @rule(user=st.sampled_from(USERS), part=fractions)
    def sell_mms(self, user, part):
        held = self.market.balance(user, "MMS")
        mms = (held * part).quantize(D("0.000001"), rounding="ROUND_FLOOR")
        before = self.market.snapshot()
        sold = self.attempt(lambda: self.market.sell_mms(user, mms))
        # the opening locked some MMS: no holder has the whole supply, so "last_mms" never
        # stands in a holder's way
        assert mms < before["mms_supply"]
        if before["mode"] == RECOVERY:
            assert sold is None  # blocked while the pool recovers
        elif sold is not None:
            self.check_shape(before)

    def check_relay(self, before):
        after = self.market.snapshot()
        # 2. relay trades leave U + Dc unchanged
        assert (
            after["connector_peg"] + after["circulating_peg"]
            == before["connector_peg"] + before["circulating_peg"]
        )
        # 3. C * U never decreases (rounding and fees stay in the pool)
        assert relay_product(after) >= relay_product(before)

    def check_shape(self, before):
        """4. C : X : U : Dc and MMS all scale by the same factor (up to one unit of rounding
        each; the fee, kept where the terms' fees_to says, moves C or X on top of that)."""
        after, event = self.market.snapshot(), self.market.events[-1]
        unit = D("0.000001")
        state = self.market.state
        if isinstance(event, MmsBought):
            g = (event.col_in - event.fee) / (before["connector_col"] + before["excess_col"])
            to_connector = state.require_terms().fees_to == "connector"
            fee_in_connector = event.fee if to_connector else D(0)
            fee_in_excess = event.fee - fee_in_connector
        else:
            assert isinstance(event, MmsSold)
            g = -event.mms / before["mms_supply"]
            fee_in_connector, fee_in_excess = mms_sale_fee_split(
                state, event.fee, event.from_connector, event.from_excess
            )
        after["excess_col"] -= fee_in_excess
        after["connector_col"] -= fee_in_connector
        keys = ("connector_col", "excess_col", "connector_peg", "circulating_peg", "mms_supply")
        for key in keys:
            assert abs(after[key] - before[key] * (1 + g)) <= 2 * unit, key

    @invariant()
    def balances_in_range_and_col_conserved(self):
        s: PegState = self.market.state
        check_balanced(s.ledger)
        # 1. COL: connector + excess + wallets = what came in from the world
        assert -s.held(WORLD, s.col) == self.funded
        total = s.connector_col + s.excess_col + sum(s.held(wallet(u), s.col) for u in USERS)
        assert total == self.funded
        # 6. C, U > 0; X, Dc >= 0; MMS held = supply
        assert s.connector_col > 0 and s.connector_peg > 0
        assert s.excess_col >= 0 and s.circulating_peg >= 0
        # (with the MMS the opening locked)
        held = sum(s.held(wallet(u), s.mms) for u in USERS) + s.held(LOCKED, s.mms)
        assert held == s.mms_supply == -s.held(MINT, s.mms)

    def teardown(self):
        if hasattr(self, "market"):
            self.events_replay_to_the_same_state()

    def events_replay_to_the_same_state(self):
        replayed = PegState()
        for event in self.market.events:
            evolve(replayed, decode(encode(event)))
        assert replayed.ledger.balances() == self.market.state.ledger.balances()


test_peg_engine = PegMachine.TestCase
