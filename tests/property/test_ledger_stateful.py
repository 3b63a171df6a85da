"""Random transactions against the ledger: all-or-nothing, balanced, never negative."""

from decimal import Decimal

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from marketcraft.kernel import Asset, InvariantViolation, Ledger, Posting, Transaction
from marketcraft.kernel.ledger import check_balanced

ASSETS = [Asset("USD", 2), Asset("YES", 0)]
ACCOUNTS = ["a", "b", "c", "escrow"]
amounts = st.integers(-5_000, 5_000)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.ledger = Ledger()
        self.ledger.open("world", allow_negative=True)
        for account in ACCOUNTS:
            self.ledger.open(account)
        self.model: dict[tuple[str, str], Decimal] = {}

    @rule(
        legs=st.lists(
            st.tuples(st.sampled_from(["world", *ACCOUNTS]), st.sampled_from(ASSETS), amounts),
            min_size=1,
            max_size=5,
        ),
        balance_it=st.booleans(),
    )
    def post(self, legs, balance_it):
        postings = [
            Posting(acc, asset.money(Decimal(units).scaleb(-asset.decimals)))
            for acc, asset, units in legs
        ]
        if balance_it:
            for asset in ASSETS:
                net = sum(
                    (p.amount.amount for p in postings if p.amount.asset == asset), Decimal(0)
                )
                if net:
                    postings.append(Posting("world", asset.money(-net)))
        expected = dict(self.model)
        for p in postings:
            key = (p.account, p.amount.asset.code)
            expected[key] = expected.get(key, Decimal(0)) + p.amount.amount
        nets_zero = all(
            sum((p.amount.amount for p in postings if p.amount.asset == a), Decimal(0)) == 0
            for a in ASSETS
        )
        non_negative = all(v >= 0 for (acc, _), v in expected.items() if acc != "world")
        try:
            self.ledger.post(Transaction(tuple(postings)))
        except InvariantViolation:
            assert not (nets_zero and non_negative)
        else:
            assert nets_zero and non_negative
            self.model = expected

    @invariant()
    def matches_model_and_is_balanced(self):
        check_balanced(self.ledger)
        for asset in ASSETS:
            for account in ["world", *ACCOUNTS]:
                got = self.ledger.balance(account, asset).amount
                assert got == self.model.get((account, asset.code), Decimal(0))
                if account != "world":
                    assert got >= 0


TestLedger = LedgerMachine.TestCase
