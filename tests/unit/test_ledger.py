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
