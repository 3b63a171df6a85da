"""The names of a program's ledger accounts and share assets, built in this one place.

Keep every name byte-identical to what it has always been: a stored journal replays into a
ledger under these names, and balances are read back by them.

* ``world`` — outside the program (deposits in, withdrawals and rolled fees out); may go negative
* ``sponsor`` — the sponsor's free collateral; ``collateral:shared`` — FIRST_N's shared pool
* ``fees`` — fees collected, owed back per the fee policy
* ``cash:<holder>`` — a participant's available cash; ``shares:<holder>`` — its shares
* ``escrow:<id>`` — one close order's or agent's escrow
* ``orders:<n>:<market>:<scout>`` — a scout's blind orders' escrow in one market (``n``: the
  market id's length, so no two (market, scout) pairs share a name); released at the reveal
* ``pool:<market>`` — a market's reserved budget plus the cash its trades took in
* ``bond:<market>`` — a market's creation bond
* ``mint:<market>`` — where a market's YES and NO shares are minted from (goes negative)
* share assets ``YES:<market>`` and ``NO:<market>``
"""

from __future__ import annotations

__all__ = [
    "FEES",
    "SHARED",
    "SPONSOR",
    "WORLD",
    "bond",
    "cash",
    "escrow",
    "is_mint",
    "mint",
    "no_asset",
    "order_escrow",
    "pool",
    "shares",
    "yes_asset",
]

WORLD = "world"
SPONSOR = "sponsor"
SHARED = "collateral:shared"
FEES = "fees"

_MINT = "mint:"


def cash(holder: str) -> str:
    """A participant's available cash."""
    return f"cash:{holder}"


def shares(holder: str) -> str:
    """A participant's shares, of every market and token."""
    return f"shares:{holder}"


def escrow(item_id: str) -> str:
    """The escrow of one close order or agent (and, in the folds of earlier releases, of one
    order)."""
    return f"escrow:{item_id}"


def order_escrow(market_id: str, scout: str) -> str:
    """The escrow of every blind order ``scout`` placed in ``market_id``: one account per
    (market, scout), whatever the number of orders, all released at the reveal."""
    return f"orders:{len(market_id)}:{market_id}:{scout}"


def pool(market_id: str) -> str:
    """A market's pool: its reserved budget plus the cash its trades took in."""
    return f"pool:{market_id}"


def bond(market_id: str) -> str:
    """A market's creation bond."""
    return f"bond:{market_id}"


def mint(market_id: str) -> str:
    """Where a market's shares come from (negative: minus the shares outstanding)."""
    return f"{_MINT}{market_id}"


def is_mint(account: str) -> bool:
    """True for a market's mint (an account that may go negative)."""
    return account.startswith(_MINT)


def yes_asset(market_id: str) -> str:
    """The code of a market's YES shares."""
    return f"YES:{market_id}"


def no_asset(market_id: str) -> str:
    """The code of a market's NO shares."""
    return f"NO:{market_id}"
