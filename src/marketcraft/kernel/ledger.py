"""Double-entry ledger: every money move is a transaction whose postings net to zero per asset.

Accounts are opened explicitly; each is either constrained non-negative (a trader's cash, an
escrow, a pool) or allowed to go negative (an external source/sink such as ``world`` that
stands for money entering or leaving the system). A transaction is checked in full before any
balance changes: if it does not net to zero per asset, names an unknown account, or would drive a
constrained account below zero, :class:`InvariantViolation` is raised and nothing is written.

Because every transaction nets to zero and balances start at zero, the sum of all balances of
each asset is always zero (:func:`check_balanced`).
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from marketcraft.kernel.errors import InvariantViolation, ValidationError
from marketcraft.kernel.money import (
    MONEY_CONTEXT,
    QUANTA,
    Asset,
    Money,
    fits_decimals,
    money_context,
    money_context_once,
)

__all__ = ["Ledger", "Posting", "Transaction", "check_balanced"]

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Posting:
    """One leg of a transaction: ``amount`` added to ``account`` (negative to take away)."""

    account: str
    amount: Money


@dataclass(frozen=True, slots=True)
class Transaction:
    """A set of postings applied atomically. ``memo`` says why (kept in the event, not here)."""

    postings: tuple[Posting, ...]
    memo: str = ""

    @staticmethod
    def transfer(source: str, destination: str, amount: Money, memo: str = "") -> Transaction:
        """Move ``amount`` (>= 0) from ``source`` to ``destination``."""
        if amount.amount < 0:
            raise ValidationError("negative_transfer", "a transfer amount must be >= 0")
        return Transaction((Posting(source, -amount), Posting(destination, amount)), memo)


class Ledger:
    """Balances per (account, asset); mutated only through :meth:`post`, which is all-or-nothing."""

    __slots__ = ("_assets", "_balances", "_negative_allowed", "_posted")

    def __init__(self) -> None:
        self._negative_allowed: dict[str, bool] = {}
        # Balances are keyed by asset code (cheap to hash); _assets keeps each code's Asset
        # and refuses a second, different Asset under the same code.
        self._balances: dict[tuple[str, str], Decimal] = {}
        self._assets: dict[str, Asset] = {}
        self._posted = 0

    # -- accounts -----------------------------------------------------------------------------
    def open(self, account: str, *, allow_negative: bool = False) -> None:
        """Open ``account``. Opening an open account with the same constraint is a no-op."""
        current = self._negative_allowed.get(account)
        if current is allow_negative:
            return
        if not account:
            raise ValidationError("bad_account", "account name must be non-empty")
        if current is not None:
            raise InvariantViolation(
                "account_exists", f"account {account!r} is already open with another constraint"
            )
        self._negative_allowed[account] = allow_negative

    def is_open(self, account: str) -> bool:
        return account in self._negative_allowed

    # -- reading ------------------------------------------------------------------------------
    def balance(self, account: str, asset: Asset) -> Money:
        value = self.holding(account, asset)
        return Money(value, asset) if value else asset.zero()

    def holding(self, account: str, asset: Asset) -> Decimal:
        """:meth:`balance` as a bare Decimal (the engines' read path)."""
        if account not in self._negative_allowed:
            raise InvariantViolation("unknown_account", f"account {account!r} is not open")
        return self._balances.get((account, asset.code), _ZERO)

    def balances(self) -> Mapping[tuple[str, Asset], Decimal]:
        """A copy of every non-default balance, keyed by (account, asset)."""
        assets = self._assets
        return {(account, assets[code]): value for (account, code), value in self._balances.items()}

    @property
    def transactions_posted(self) -> int:
        return self._posted

    # -- writing ------------------------------------------------------------------------------
    def post(self, tx: Transaction) -> None:
        """Apply ``tx`` atomically.

        Raises :class:`InvariantViolation` (and changes nothing) when the postings do not net to
        zero per asset, an account is not open, or a non-negative account would go below zero.
        """
        if not tx.postings:
            raise InvariantViolation("empty_transaction", "a transaction needs postings")
        with decimal.localcontext(MONEY_CONTEXT):
            net: dict[str, Decimal] = {}
            updates: dict[tuple[str, str], Decimal] = {}
            for posting in tx.postings:
                if posting.account not in self._negative_allowed:
                    raise InvariantViolation(
                        "unknown_account", f"account {posting.account!r} is not open"
                    )
                code = posting.amount.asset.code
                key = (posting.account, code)
                amount = posting.amount.amount
                net[code] = net.get(code, _ZERO) + amount
                base = updates.get(key)
                if base is None:
                    base = self._balances.get(key, _ZERO)
                updates[key] = base + amount
            for code, total in net.items():
                if total != 0:
                    raise InvariantViolation(
                        "unbalanced", f"postings in {code} net to {total}, not zero"
                    )
        self._commit(updates, [posting.amount.asset for posting in tx.postings])

    def move(self, legs: Iterable[tuple[str, str, Decimal, Asset]]) -> None:
        """Apply transfers ``(source, destination, amount, asset)`` as ONE transaction.

        The engines' path: balanced by construction (each leg takes from one account what it
        gives another), so no Money objects are built. Every amount must be a Decimal >= 0 with
        no more places than its asset allows; zero legs are skipped; nothing is written unless
        every leg is valid and no non-negative account would go below zero."""
        allowed, balances = self._negative_allowed, self._balances
        updates: dict[tuple[str, str], Decimal] = {}
        assets: list[Asset] = []
        with money_context_once():
            for source, destination, amount, asset in legs:
                if type(amount) is not Decimal:
                    raise TypeError(f"amounts must be Decimal, not {type(amount).__name__}")
                if not amount:
                    continue
                if not amount.same_quantum(QUANTA[asset.decimals]):
                    _check_amount(amount, asset)  # the slow path: raises unless a valid amount
                if amount < 0:
                    raise ValidationError("negative_transfer", "a transfer amount must be >= 0")
                if source not in allowed or destination not in allowed:
                    unknown = destination if source in allowed else source
                    raise InvariantViolation("unknown_account", f"account {unknown!r} is not open")
                code = asset.code
                out, into = (source, code), (destination, code)
                updates[out] = updates.get(out, balances.get(out, _ZERO)) - amount
                updates[into] = updates.get(into, balances.get(into, _ZERO)) + amount
                assets.append(asset)
        if updates:
            self._commit(updates, assets)

    def _commit(self, updates: dict[tuple[str, str], Decimal], assets: list[Asset]) -> None:
        """Check the new balances and the assets' names, then write them (all or nothing)."""
        # fresh: the codes this transaction names for the first time
        known, fresh = self._assets, dict[str, Asset]()
        for asset in assets:
            seen = known.get(asset.code) or fresh.setdefault(asset.code, asset)
            if seen is not asset and seen != asset:
                raise InvariantViolation("asset_clash", f"two assets are named {asset.code!r}")
        for (account, code), value in updates.items():
            if value < 0 and not self._negative_allowed[account]:
                raise InvariantViolation(
                    "negative_balance", f"account {account!r} would hold {value} {code}"
                )
        known.update(fresh)
        self._balances.update(updates)
        self._posted += 1

    def copy(self) -> Ledger:
        other = Ledger()
        other._negative_allowed = dict(self._negative_allowed)
        other._balances = dict(self._balances)
        other._assets = dict(self._assets)
        other._posted = self._posted
        return other


def _check_amount(amount: Decimal, asset: Asset) -> None:
    """Raise unless ``amount`` is finite, >= 0 and has no more places than ``asset`` allows."""
    if not amount.is_finite() or amount < 0:
        raise ValidationError("negative_transfer", "a transfer amount must be >= 0")
    if not fits_decimals(amount, asset.decimals):
        raise ValidationError(
            "too_many_decimals",
            f"{amount} has more than {asset.decimals} decimals for {asset.code}",
        )


def check_balanced(ledger: Ledger) -> None:
    """Invariant: for every asset, the sum over all accounts is exactly zero."""
    with money_context():
        totals: dict[Asset, Decimal] = {}
        for (_, asset), value in ledger.balances().items():
            totals[asset] = totals.get(asset, Decimal(0)) + value
    for asset, total in totals.items():
        if total != 0:
            raise InvariantViolation("unbalanced_ledger", f"{asset.code} sums to {total}")
