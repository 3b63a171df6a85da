"""LMSR and the LMSR band against the public numbers in the opportunity-markets spec and an
80-digit mpmath reference."""

from decimal import Decimal as D

import mpmath
import pytest

from marketcraft.amm import lmsr
from marketcraft.amm.band import BandLMSR, liquidity_for_budget
from marketcraft.kernel import ValidationError

mpmath.mp.dps = 80


def close(a: D, b: object, tol: str = "1e-40") -> bool:
    return abs(mpmath.mpf(str(a)) - mpmath.mpf(b)) <= mpmath.mpf(tol) * max(1, abs(mpmath.mpf(b)))


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
    assert close(lmsr.cost(q, b), ref, "1e-50")
    assert sum(lmsr.prices(q, b)) == pytest.approx(D(1), abs=D("1e-55"))
    assert close(lmsr.max_loss(D(100), 4), mpmath.mpf(100) * mpmath.log(4))


def test_band_public_numbers():
    amm = BandLMSR.for_budget(D(25000), D("0.01"), D("0.30"))
    assert round(amm.b, 5) == D("7350.35259")
    assert round(amm.capacity(), 1) == D("27547.8")
    assert round(amm.cash_between(D(0), amm.capacity()), 1) == D("2547.8")
    assert amm.max_loss() == pytest.approx(D(25000), abs=D("1e-50"))
    fill = amm.buy_with_cash(D(0), D(100))
    assert round(fill.shares, 4) == D("6341.8494")
    assert round(amm.price(fill.x_after), 7) == D("0.0233775")
    assert fill.cash <= D(100)
    assert not fill.clipped


@pytest.mark.parametrize(
    ("budget", "pa", "pb"),
    [("25000", "0.01", "0.30"), ("1", "0.4", "0.41"), ("1e9", "0.001", "0.999")],
)
def test_band_matches_mpmath(budget, pa, pb):
    amm = BandLMSR.for_budget(D(budget), D(pa), D(pb))
    B, PA, PB = (mpmath.mpf(v) for v in (budget, pa, pb))
    b = B / mpmath.log(PB / PA)
    assert close(amm.b, b)
    logit = lambda p: mpmath.log(p / (1 - p))  # noqa: E731
    assert close(amm.capacity(), b * (logit(PB) - logit(PA)))
    x = D(str(amm.capacity() / 3)).quantize(D("0.000001"))
    X = mpmath.mpf(str(x))
    p = 1 / (1 + mpmath.exp(-(logit(PA) + X / b)))
    assert close(amm.price(x), p)
    assert close(amm.cash_between(D(0), x), b * mpmath.log((1 - PA) / (1 - p)))
    assert close(amm.loss_if_yes(x), b * mpmath.log(p / PA))
    c = mpmath.mpf(17)
    assert close(amm.shares_for_cash(x, D(17)), b * mpmath.log((mpmath.exp(c / b) - 1 + p) / p))


def test_band_clips_at_both_edges():
    amm = BandLMSR.for_budget(D(1000), D("0.05"), D("0.25"))
    top = amm.buy_with_cash(D(0), D(10**6))
    assert top.clipped
    assert top.x_after <= amm.capacity()
    assert amm.price(top.x_after) <= D("0.25")
    assert amm.loss_if_yes(top.x_after) <= D(1000)
    again = amm.buy_shares(top.x_after, D(5))
    assert again.shares == 0 and again.cash == 0 and again.clipped
    down = amm.sell_shares(D(3), D(10))
    assert down.shares == D(3) and down.x_after == 0 and down.clipped


@pytest.mark.parametrize(
    "make",
    [
        lambda: liquidity_for_budget(D(0), D("0.1"), D("0.2")),
        lambda: liquidity_for_budget(D(1), D("0.3"), D("0.2")),
        lambda: liquidity_for_budget(D(1), D(0), D("0.2")),
        lambda: liquidity_for_budget(D(1), D("0.1"), D(1)),
        lambda: BandLMSR(D(-1), D("0.1"), D("0.2")),
        lambda: BandLMSR(D(1), D("0.1"), D("0.2")).buy_with_cash(D(0), D("0.001")),
        lambda: BandLMSR(D(1), D("0.1"), D("0.2")).buy_with_cash(D("-1"), D(1)),
        lambda: BandLMSR(D(1), D("0.1"), D("0.2")).sell_shares(D(1), D("0.0000001")),
        lambda: lmsr.cost([D(1)], D(1)),
        lambda: lmsr.cost([D(1), D(2)], D(0)),
    ],
)
def test_bad_parameters_raise_clear_errors(make):
    with pytest.raises(ValidationError):
        make()
