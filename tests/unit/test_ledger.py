from decimal import Decimal as D

import pytest

from marketcraft.kernel import Asset, InvariantViolation, Ledger, Posting, Transaction
from marketcraft.kernel.ledger import check_balanced

USD = Asset("USD", 2)
YES = Asset("YES", 6)


@pytest.fixture
def ledger() -> Ledger:
    ledger = Ledger()
    ledger.open("world", allow_negative=True)
    ledger.open("alice")
    ledger.open("bob")
    ledger.post(Transaction.transfer("world", "alice", USD.money("100")))
    return ledger


def test_transfer_moves_money_and_keeps_the_ledger_balanced(ledger):
    ledger.post(Transaction.transfer("alice", "bob", USD.money("30.25")))
    assert ledger.balance("alice", USD) == USD.money("69.75")
    assert ledger.balance("bob", USD) == USD.money("30.25")
    assert ledger.balance("world", USD) == USD.money("-100")
    check_balanced(ledger)


def test_unbalanced_transaction_is_refused_and_nothing_is_written(ledger):
    before = ledger.balances()
    tx = Transaction((Posting("alice", -USD.money("10")), Posting("bob", USD.money("9.99"))))
    with pytest.raises(InvariantViolation, match="net"):
        ledger.post(tx)
    assert ledger.balances() == before
    assert ledger.transactions_posted == 1


def test_netting_is_per_asset(ledger):
    tx = Transaction((Posting("alice", -USD.money("1")), Posting("bob", YES.money("1"))))
    with pytest.raises(InvariantViolation):
        ledger.post(tx)


def test_non_negative_accounts_cannot_overdraw_and_partial_writes_never_happen(ledger):
    before = ledger.balances()
    tx = Transaction(
        (
            Posting("world", -USD.money("5")),
            Posting("bob", USD.money("5")),
            Posting("alice", -USD.money("100.01")),
            Posting("world", USD.money("100.01")),
        )
    )
    with pytest.raises(InvariantViolation, match=r"negative_balance|would hold"):
        ledger.post(tx)
    assert ledger.balances() == before


def test_unknown_account_and_empty_transaction_are_refused(ledger):
    with pytest.raises(InvariantViolation, match="not open"):
        ledger.post(Transaction.transfer("alice", "carol", USD.money("1")))
    with pytest.raises(InvariantViolation):
        ledger.post(Transaction(()))
    with pytest.raises(InvariantViolation):
        ledger.balance("carol", USD)


def test_reopening_with_another_constraint_is_refused(ledger):
    ledger.open("alice")
    with pytest.raises(InvariantViolation):
        ledger.open("alice", allow_negative=True)


def test_copy_is_independent(ledger):
    other = ledger.copy()
    other.post(Transaction.transfer("alice", "bob", USD.money("1")))
    assert ledger.balance("bob", USD).is_zero()
    assert other.balance("bob", USD) == USD.money("1")


def test_move_applies_several_assets_as_one_transaction(ledger):
    ledger.open("mint", allow_negative=True)
    ledger.move([("alice", "bob", D("12.5"), USD), ("mint", "alice", D("3.000001"), YES)])
    assert ledger.balance("alice", USD) == USD.money("87.5")
    assert ledger.balance("bob", USD) == USD.money("12.5")
    assert ledger.balance("alice", YES) == YES.money("3.000001")
    assert ledger.transactions_posted == 2
    check_balanced(ledger)


def test_move_agrees_with_post():
    def fresh() -> Ledger:
        other = Ledger()
        other.open("world", allow_negative=True)
        for name in ("alice", "bob"):
            other.open(name)
        return other

    a, b = fresh(), fresh()
    legs = [("world", "alice", D("100"), USD), ("alice", "bob", D("0.01"), USD)]
    a.move(legs)
    for source, destination, amount, asset in legs:
        b.post(Transaction.transfer(source, destination, asset.money(amount)))
    assert a.balances() == b.balances()


@pytest.mark.parametrize(
    ("leg", "error"),
    [
        (("alice", "bob", 1.5, USD), TypeError),
        (("alice", "bob", 1, USD), TypeError),
        (("alice", "bob", "-1", USD), ValueError),
        (("alice", "bob", "0.001", USD), ValueError),
        (("alice", "bob", "NaN", USD), ValueError),
        (("alice", "nobody", "1", USD), InvariantViolation),
        (("alice", "bob", "100.01", USD), InvariantViolation),
        (("alice", "bob", "1", Asset("USD", 6)), InvariantViolation),
    ],
)
def test_move_refuses_bad_legs_and_writes_nothing(ledger, leg, error):
    source, destination, amount, asset = leg
    amount = D(amount) if isinstance(amount, str) else amount
    before = ledger.balances()
    with pytest.raises(error):
        ledger.move([("alice", "bob", D("5"), USD), (source, destination, amount, asset)])
    assert ledger.balances() == before
    assert ledger.transactions_posted == 1


@pytest.mark.parametrize("path", ["post", "move"])
def test_two_assets_with_one_code_in_one_transaction_are_refused(path):
    ledger = Ledger()
    ledger.open("world", allow_negative=True)
    ledger.open("alice")
    usd6 = Asset("USD", 6)
    with pytest.raises(InvariantViolation, match="two assets"):
        if path == "post":
            ledger.post(
                Transaction(
                    (
                        Posting("world", -USD.money("1")),
                        Posting("alice", USD.money("1")),
                        Posting("world", -usd6.money("1")),
                        Posting("alice", usd6.money("1")),
                    )
                )
            )
        else:
            ledger.move([("world", "alice", D(1), USD), ("world", "alice", D(1), usd6)])
    assert ledger.balances() == {}
