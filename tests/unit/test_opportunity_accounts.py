"""The ledger's account names are part of what a stored journal replays into: pinned here."""

from marketcraft.opportunity import accounts


def test_account_names_are_the_stored_ones():
    assert (accounts.WORLD, accounts.SPONSOR, accounts.SHARED, accounts.FEES) == (
        "world",
        "sponsor",
        "collateral:shared",
        "fees",
    )
    assert accounts.cash("fan") == "cash:fan"
    assert accounts.shares("fan") == "shares:fan"
    assert accounts.escrow("o-1") == "escrow:o-1"
    assert accounts.pool("m-1") == "pool:m-1"
    assert accounts.bond("m-1") == "bond:m-1"
    assert accounts.mint("m-1") == "mint:m-1"
    assert (accounts.yes_asset("m-1"), accounts.no_asset("m-1")) == ("YES:m-1", "NO:m-1")


def test_only_a_markets_mint_is_a_mint():
    assert accounts.is_mint(accounts.mint("m-1"))
    assert not accounts.is_mint(accounts.cash("mint:x"))
    assert not accounts.is_mint(accounts.WORLD)


def test_each_market_and_scout_has_its_own_order_escrow():
    assert accounts.order_escrow("m-1", "fan") == "orders:3:m-1:fan"
    # ids may hold the separator: the market id's length keeps every pair apart
    assert accounts.order_escrow("a:b", "c") != accounts.order_escrow("a", "b:c")
    assert not accounts.order_escrow("m", "s").startswith("escrow:")
