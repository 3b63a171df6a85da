"""The repo contract's selection on random monotone schedules: the spec's numbers, hurdles only
ever shrink the trade, a rate shift moves the offers by the same shift, the selected point is an
equilibrium, and no dealer gains by misreporting its hurdle or its client's schedule."""

from itertools import accumulate

from hypothesis import given
from hypothesis import strategies as st

from marketcraft.repo.equilibrium import is_equilibrium, profits
from marketcraft.repo.schedule import RATE_UNIT, Report, Side, linear
from marketcraft.repo.selection import select


@st.composite
def grids(draw, size=None):
    n = size or draw(st.integers(2, 8))
    steps = draw(st.lists(st.integers(1, 20), min_size=n - 1, max_size=n - 1))
    return (0, *accumulate(steps))


@st.composite
def reports(draw, side, grid, strict=True):
    """Monotone schedules; strictly monotone unless ``strict`` is off (the guarantees below
    are the paper's, for strictly monotone demand and supply: see test_flat_schedules...)."""
    least = 1 if strict else 0
    start = draw(st.integers(0, 1000) if side is Side.MM else st.integers(500, 3000))
    moves = draw(st.lists(st.integers(least, 60), min_size=len(grid) - 1, max_size=len(grid) - 1))
    if side is Side.MM:
        rates = tuple(accumulate(moves, initial=start))
    else:
        rates = tuple(accumulate((-m for m in moves), initial=start))  # stays above 0
    return Report(side, grid, rates, draw(st.integers(0, 300)))


@st.composite
def pairs(draw):
    grid = draw(grids())
    return draw(reports(Side.MM, grid)), draw(reports(Side.RM, grid))


def with_hurdle(report, hurdle):
    return Report(report.side, report.volumes, report.rates, hurdle)


def test_the_spec_linear_example():
    grid = tuple(range(41))
    mm = linear(Side.MM, grid, 500, 1)
    rm = linear(Side.RM, grid, 540, 1)
    out = select(mm, rm)
    assert out.trade and out.volume == 10
    assert (out.rate_mm, out.rate_rm) == (510 * RATE_UNIT, 530 * RATE_UNIT)
    assert out.rate_bd == 520 * RATE_UNIT
    assert out.joint_profit == 200 * RATE_UNIT and out.profit_each == 100 * RATE_UNIT
    # BDmm's hurdle of 20 bp: a margin of s/2 >= 20 bp needs s >= 40 bp, only at Q = 0
    assert not select(linear(Side.MM, grid, 500, 1, hurdle_bp=20), rm).trade


def test_a_tie_goes_to_the_larger_volume():
    grid = (0, 1, 2)
    mm = Report(Side.MM, grid, (0, 100, 110), 0)
    rm = Report(Side.RM, grid, (200, 120, 120), 0)  # J = 20 x 1 = 10 x 2
    out = select(mm, rm)
    assert (out.volume, out.joint_profit) == (2, 20)


@given(pairs(), st.integers(0, 400), st.booleans())
def test_raising_a_hurdle_never_raises_the_volume(pair, extra, on_mm):
    mm, rm = pair
    before = select(mm, rm)
    if on_mm:
        after = select(with_hurdle(mm, mm.hurdle + extra), rm)
    else:
        after = select(mm, with_hurdle(rm, rm.hurdle + extra))
    assert after.volume <= before.volume


@given(pairs(), st.integers(0, 10_000))
def test_shifting_every_rate_shifts_the_offers(pair, c):
    mm, rm = pair
    shifted = select(
        Report(Side.MM, mm.volumes, tuple(r + c for r in mm.rates), mm.hurdle),
        Report(Side.RM, rm.volumes, tuple(r + c for r in rm.rates), rm.hurdle),
    )
    out = select(mm, rm)
    assert (shifted.trade, shifted.volume, shifted.joint_profit) == (
        out.trade, out.volume, out.joint_profit,
    )  # fmt: skip
    if out.trade:
        assert (shifted.rate_mm, shifted.rate_rm) == (out.rate_mm + c, out.rate_rm + c)


@given(pairs())
def test_the_selected_point_is_an_equilibrium(pair):
    mm, rm = pair
    out = select(mm, rm)
    assert is_equilibrium(mm, rm, out)
    if out.trade:  # matched: nobody carries inventory, each earns half the joint profit
        assert profits(mm, rm, out.rate_mm, out.rate_rm) == (out.profit_each, out.profit_each)


def worth(true_mm, true_rm, said_mm, said_rm):
    """What each dealer really gets when the contract selects on what was said: its profit
    at the offered rates with the true schedules, but a trade whose margin is under the
    dealer's true hurdle is worse to it than no trade (-1)."""
    outcome = select(said_mm, said_rm)
    if not outcome.trade:
        return 0, 0
    mm_profit, rm_profit = profits(true_mm, true_rm, outcome.rate_mm, outcome.rate_rm)
    margin = (outcome.rate_rm - outcome.rate_mm) / 2
    return (
        mm_profit if margin >= true_mm.hurdle else -1,
        rm_profit if margin >= true_rm.hurdle else -1,
    )


@given(pairs(), st.data())
def test_no_dealer_gains_by_misreporting(pair, data):
    """Any misreport: another schedule for its client and another hurdle at once."""
    mm, rm = pair
    honest = worth(mm, rm, mm, rm)
    if data.draw(st.booleans(), "mm lies"):
        lie = data.draw(reports(Side.MM, mm.volumes), "mm's report")
        assert worth(mm, rm, lie, rm)[0] <= honest[0]
    else:
        lie = data.draw(reports(Side.RM, rm.volumes), "rm's report")
        assert worth(mm, rm, mm, lie)[1] <= honest[1]


@given(pairs(), st.integers(0, 400), st.booleans())
def test_no_dealer_gains_by_misreporting_its_hurdle(pair, said, on_mm):
    mm, rm = pair
    honest = worth(mm, rm, mm, rm)
    if on_mm:
        assert worth(mm, rm, with_hurdle(mm, said), rm)[0] <= honest[0]
    else:
        assert worth(mm, rm, mm, with_hurdle(rm, said))[1] <= honest[1]


def test_flat_schedules_can_reward_a_misreport():
    """Why the guarantees need strictly monotone schedules (found by Hypothesis): RM pays 199
    for 3 and for 4, so at the selected point (Q = 3, r_rm = 199) RM would borrow 4 and BDrm
    carries the extra unit; reporting a flat 200 moves the offer to where RM takes exactly 3."""
    grid = (0, 1, 2, 3, 4)
    mm = Report(Side.MM, grid, (0, 0, 0, 0, 51), 0)
    rm = Report(Side.RM, grid, (200, 200, 200, 199, 199), 0)
    lie = Report(Side.RM, grid, (200, 200, 200, 200, 200), 0)
    assert worth(mm, rm, mm, lie)[1] > worth(mm, rm, mm, rm)[1]
