"""What a dealer is told of a settlement: its own two legs (volume, rate, what it pays and
receives) and its profit, which net as the legs say; the other side's rate at the selected
point follows only as the README states (r_other = 2 r_bd - r_own), and nothing of the other
report's other points, hurdle or salt is in the view. Negative rates go through the reports'
offset: the contract selects on offset rates and every output shows the clients' own."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketcraft.kernel.errors import ValidationError
from marketcraft.repo.legs import VIEW_FIELDS, dealer_view
from marketcraft.repo.reports import report_from_plain
from marketcraft.repo.schedule import Side
from marketcraft.repo.sealing import Opening
from marketcraft.repo.selection import select
from marketcraft.repo.settlement import outcome_plain
from tests.property.test_repo_selection import pairs

GRID = list(range(0, 41, 5))


def test_each_dealer_gets_its_own_legs_netting_to_half_the_joint_profit():
    mm = report_from_plain({"volumes": GRID, "rates": [500 + q for q in GRID]}, Side.MM, "mm")
    rm = report_from_plain({"volumes": GRID, "rates": [540 - q for q in GRID]}, Side.RM, "rm")
    shown = outcome_plain(select(mm, rm))
    args = (shown["trade"], shown["volume"], Decimal(shown["rate_mm"]), Decimal(shown["rate_rm"]))
    assert dealer_view(Side.MM, *args) == {
        "trade": True, "side": "mm", "volume": 10,
        "client_leg": {"counterparty": "your client (MM)", "you": "borrow", "volume": 10,
                       "rate": "510", "you_pay": "5100"},
        "dealer_leg": {"counterparty": "the RM side's dealer", "you": "lend", "volume": 10,
                       "rate": "520", "you_receive": "5200"},
        "profit": "100",
    }  # fmt: skip
    rex = dealer_view(Side.RM, *args)
    assert rex["client_leg"] == {"counterparty": "your client (RM)", "you": "lend",
                                 "volume": 10, "rate": "530", "you_receive": "5300"}  # fmt: skip
    assert rex["dealer_leg"]["you_pay"] == "5200" and rex["profit"] == shown["profit_each"]
    assert dealer_view(Side.MM, False, 0, Decimal(0), Decimal(0)) == {
        "trade": False, "side": "mm", "volume": 0,
    }  # fmt: skip


def numbers(value):
    if isinstance(value, dict):
        return set().union(*(numbers(v) for v in value.values()), set())
    if isinstance(value, str):
        try:
            return {Decimal(value)}
        except ArithmeticError:
            return set()
    return {Decimal(value)} if isinstance(value, int) and not isinstance(value, bool) else set()


@given(pairs())
def test_a_view_holds_only_its_own_legs_and_what_its_share_reveals(pair):
    mm, rm = pair
    outcome = select(mm, rm)
    shown = outcome_plain(outcome)
    r_mm, r_rm = Decimal(shown["rate_mm"]), Decimal(shown["rate_rm"])
    for side in (Side.MM, Side.RM):
        view = dealer_view(side, outcome.trade, outcome.volume, r_mm, r_rm)
        assert set(view) <= VIEW_FIELDS
        if not outcome.trade:
            assert numbers(view) == {Decimal(0)}
            continue
        q, r_bd = outcome.volume, (r_mm + r_rm) / 2
        mine = r_mm if side is Side.MM else r_rm
        # every figure is the volume, its own client's rate, the inter-dealer rate, the
        # interest on each leg or its profit: nothing else of the other report
        allowed = {Decimal(q), mine, r_bd, mine * q, r_bd * q, abs(r_bd - mine) * q}
        assert numbers(view) <= allowed
        # the legs net to half the joint profit (the one fact that gives away the other
        # side's rate at this point, as the README states)
        pay = view["client_leg"].get("you_pay") or view["dealer_leg"]["you_pay"]
        get = view["client_leg"].get("you_receive") or view["dealer_leg"]["you_receive"]
        assert (
            Decimal(get) - Decimal(pay) == Decimal(view["profit"]) == Decimal(shown["profit_each"])
        )
        assert "hurdle" not in str(view) and "rate_rm" not in view and "rate_mm" not in view


@given(pairs(), st.integers(1, 1000))
def test_negative_rates_through_an_offset_select_the_same_trade(pair, offset):
    """Rates lowered by ``offset`` bp (many below zero), with ``offset`` stated: the same trade
    at rates lowered by the same amount, the same profits."""
    mm, rm = pair

    def lowered(report, side):
        plain = {"volumes": list(report.volumes), "hurdle": Decimal(report.hurdle) / 10_000,
                 "rates": [Decimal(r) / 10_000 - offset for r in report.rates],
                 "offset": offset}  # fmt: skip
        return report_from_plain(plain, side, side.value)

    plain = outcome_plain(select(mm, rm))
    low = outcome_plain(select(lowered(mm, Side.MM), lowered(rm, Side.RM)))
    assert (low["trade"], low["volume"], low["joint_profit"], low["profit_each"]) == (
        plain["trade"], plain["volume"], plain["joint_profit"], plain["profit_each"],
    )  # fmt: skip
    if plain["trade"]:
        for name in ("rate_mm", "rate_rm", "rate_bd"):
            assert Decimal(low[name]) == Decimal(plain[name]) - offset


def test_a_negative_rate_needs_its_offset_and_both_sides_the_same_one():
    rates = [-50, -45, -40]
    with pytest.raises(ValidationError, match="a negative rate needs an offset"):
        report_from_plain({"volumes": [0, 5, 10], "rates": rates}, Side.MM, "mm")
    mm = report_from_plain({"volumes": [0, 5, 10], "rates": rates, "offset": 100}, Side.MM, "mm")
    assert mm.rates == (500_000, 550_000, 600_000) and mm.offset == 1_000_000
    # the opening says what the dealer sent: its own rates and the offset
    plain = Opening(mm, 7).to_plain()
    assert plain["rates"] == rates and plain["offset"] == 100
    assert Opening.from_plain(plain, "o").report == mm
    with pytest.raises(ValidationError, match="needs an offset at least its size"):
        report_from_plain({"volumes": [0, 5, 10], "rates": [-150, -45, -40], "offset": 100},
                          Side.MM, "mm")  # fmt: skip
    for bad in (-1, 1.5, 100_001, "5"):
        with pytest.raises(ValidationError, match="offset"):
            report_from_plain({"volumes": [0, 5], "rates": [1, 2], "offset": bad}, Side.MM, "mm")
    rm = report_from_plain({"volumes": [0, 5, 10], "rates": [-10, -20, -30], "offset": 50},
                           Side.RM, "rm")  # fmt: skip
    with pytest.raises(ValidationError, match="same rate offset"):
        select(mm, rm)
