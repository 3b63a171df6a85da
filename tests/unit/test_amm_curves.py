"""The band AMMs against the spec's public numbers and 80-digit mpmath references."""

from decimal import Decimal as D

import mpmath
import pytest

from marketcraft.amm import lmsr
from marketcraft.amm.band import BandLMSR, liquidity_for_budget
from marketcraft.amm.pmamm import DynamicPmAmm, PmAmm
from marketcraft.amm.v3range import RangePosition
from marketcraft.kernel import ValidationError
from tests.support.amm_reference import LmsrRef, PmRef, RangeRef

CURVES = [(BandLMSR, LmsrRef), (RangePosition, RangeRef), (PmAmm, PmRef)]
BANDS = [("25000", "0.01", "0.30"), ("1", "0.4", "0.41"), ("1000000", "0.05", "0.95")]


def close(a: D, b, tol: str = "1e-30") -> bool:
    return abs(mpmath.mpf(str(a)) - b) <= mpmath.mpf(tol) * max(1, abs(b))


def test_lmsr_public_numbers():
    q, b = [D(0), D(0)], D(100)
    assert round(lmsr.cost(q, b), 7) == D("69.3147181")
    assert round(lmsr.cost([D(10), D(0)], b) - lmsr.cost(q, b), 7) == D("5.1249480")
    assert round(lmsr.prices([D(10), D(0)], b)[0], 7) == D("0.5249792")
    assert lmsr.cost_to_trade_up(q, [D(10), D(0)], b, 2) == D("5.13")
    assert lmsr.proceeds_of_trade_down([D(10), D(0)], [D(-10), D(0)], b, 2) == D("5.12")


def test_lmsr_matches_mpmath_and_survives_huge_quantities():
    q, b = [D("123.4"), D("-50"), D("1e6")], D("77.7")
    ref = mpmath.mpf("77.7") * mpmath.log(
        sum(mpmath.exp(mpmath.mpf(str(x)) / mpmath.mpf("77.7")) for x in q)
    )
    assert close(lmsr.cost(q, b), ref, "1e-33")
    assert sum(lmsr.prices(q, b)) == pytest.approx(D(1), abs=D("1e-35"))
    assert close(lmsr.max_loss(D(100), 4), mpmath.mpf(100) * mpmath.log(4))


def test_lmsr_budget_and_cash_to_shares_match_mpmath_and_never_overspend():
    b = lmsr.liquidity_for_budget(D(1000), 3)
    assert close(b, mpmath.mpf(1000) / mpmath.log(3))
    assert close(lmsr.max_loss(b, 3), mpmath.mpf(1000))
    q = [D(0), D(50), D(-20)]
    shares = lmsr.shares_for_cash_down(q, 0, D(25), b, 6)
    p = mpmath.mpf(str(lmsr.prices(q, b)[0]))
    bb = mpmath.mpf(str(b))
    ref = bb * mpmath.log((mpmath.exp(25 / bb) - 1 + p) / p)
    assert abs(mpmath.mpf(str(shares)) - ref) < mpmath.mpf("1e-6")
    paid = lmsr.cost_to_trade_up(q, [shares, D(0), D(0)], b, 2)
    assert paid <= D(25)


def test_band_public_numbers():
    amm = BandLMSR.for_budget(D(25000), D("0.01"), D("0.30"))
    assert round(amm.b, 5) == D("7350.35259")
    assert round(amm.capacity(), 1) == D("27547.8")
    assert round(amm.traverse_cash(), 1) == D("2547.8")
    assert amm.max_loss() == pytest.approx(D(25000), abs=D("1e-33"))
    fill = amm.buy_with_cash(amm.open_state, D(100))
    assert round(fill.shares, 4) == D("6341.8494")
    assert round(amm.price(fill.state_after), 7) == D("0.0233775")
    assert fill.cash <= D(100)
    assert not fill.clipped


@pytest.mark.parametrize(("curve", "ref_cls"), CURVES)
@pytest.mark.parametrize(("budget", "pa", "pb"), BANDS)
def test_curves_match_mpmath(curve, ref_cls, budget, pa, pb):
    amm = curve.for_budget(D(budget), D(pa), D(pb))
    ref = ref_cls(budget, pa, pb)
    assert close(amm.scale, ref.scale)
    sa, sb = ref.state(pa), ref.state(pb)
    assert close(amm.open_state, sa)
    assert close(amm.max_loss(), mpmath.mpf(budget), "1e-30")
    assert close(amm.traverse_cash(), ref.cash(sa, sb))
    mid = amm.state_of_price((D(pa) + D(pb)) / 2)
    s = mpmath.mpf(str(mid))
    assert close(amm.price(mid), ref.price(s))
    assert close(amm.cash_between(amm.open_state, mid), ref.cash(sa, s))
    spend = D(budget) / 50
    assert close(amm.shares_for_cash(mid, spend), ref.shares_for_cash(s, str(spend)), "1e-28")


def test_every_design_gives_the_same_loss_identity():
    """Scouts' shares minus cash paid equals the sponsor's loss if YES wins, in every design."""
    for curve, _ in CURVES:
        amm = curve.for_budget(D(5000), D("0.02"), D("0.2"))
        s = amm.open_state
        shares = cash = D(0)
        for spend in (D(10), D(250), D("33.33")):
            fill = amm.buy_with_cash(s, spend)
            shares, cash, s = shares + fill.shares, cash + fill.cash, fill.state_after
        assert shares - cash <= amm.loss_if_yes(s)
        assert amm.loss_if_yes(s) - (shares - cash) < D("0.05")


@pytest.mark.parametrize(("curve", "_ref"), CURVES)
def test_clipping_at_both_edges(curve, _ref):
    amm = curve.for_budget(D(1000), D("0.05"), D("0.25"))
    top = amm.buy_with_cash(amm.open_state, D(10**6))
    assert top.clipped
    assert top.shares <= amm.capacity()
    assert amm.price(top.state_after) <= D("0.25")
    assert amm.loss_if_yes(top.state_after) <= D(1000)
    again = amm.buy_shares(top.state_after, D(5))
    assert again.shares == 0 and again.cash == 0 and again.clipped
    small = amm.buy_shares(amm.open_state, D(3))
    down = amm.sell_shares(small.state_after, D(10))
    assert down.shares == D(3) and down.clipped
    assert down.state_after == amm.open_state
    assert down.cash <= small.cash


def test_dynamic_pmamm_liquidity_decays_and_closes_with_the_window():
    dyn = DynamicPmAmm.for_budget(D(25000), D("0.01"), D("0.30"), D(100))
    assert close(dyn.max_loss(), mpmath.mpf(25000), "1e-30")
    early, late = dyn.at(D(0)), dyn.at(D(75))
    assert close(late.scale, mpmath.mpf(str(early.scale)) / 2)
    s = early.open_state
    assert late.buy_with_cash(s, D(100)).shares < early.buy_with_cash(s, D(100)).shares
    with pytest.raises(ValidationError, match="window"):
        dyn.at(D(100))


@pytest.mark.parametrize(
    "make",
    [
        lambda: liquidity_for_budget(D(0), D("0.1"), D("0.2")),
        lambda: liquidity_for_budget(D(1), D("0.3"), D("0.2")),
        lambda: RangePosition.for_budget(D(1), D(0), D("0.2")),
        lambda: PmAmm.for_budget(D(1), D("0.1"), D(1)),
        lambda: BandLMSR(D(-1), D("0.1"), D("0.2")),
        lambda: BandLMSR(D(1), D("0.1"), D("0.2")).buy_with_cash(D("-2.1"), D("0.001")),
        lambda: BandLMSR(D(1), D("0.1"), D("0.2")).buy_with_cash(D(-5), D(1)),
        lambda: BandLMSR(D(1), D("0.1"), D("0.2")).sell_shares(D("-2.1"), D("0.0000001")),
        lambda: DynamicPmAmm.for_budget(D(1), D("0.1"), D("0.2"), D(0)),
        lambda: lmsr.cost([D(1)], D(1)),
        lambda: lmsr.cost([D(1), D(2)], D(0)),
    ],
)
def test_bad_parameters_raise_clear_errors(make):
    with pytest.raises(ValidationError):
        make()
