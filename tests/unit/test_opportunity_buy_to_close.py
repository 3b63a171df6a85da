"""Buy-to-close orders: escrowed when placed, fired blind when the price falls to the trigger,
never above it, the rest of the escrow back at the reveal; old sell-only records unchanged."""

from decimal import Decimal as D

import pytest

from marketcraft.kernel import ValidationError
from marketcraft.kernel.messages import decode, encode, from_plain, to_plain
from marketcraft.opportunity import accounts
from marketcraft.opportunity.commands import (
    CancelCloseOrder,
    ListMarket,
    PlaceCloseOrder,
    PlaceOrder,
    RevealMarket,
)
from marketcraft.opportunity.events import CloseOrderPlaced, TriggeredTrade
from marketcraft.opportunity.orders import max_spend_for
from marketcraft.opportunity.state import CloseStatus
from marketcraft.opportunity.terms import Side, Token
from tests.unit.test_opportunity_engine import LATER, Program

SALT = bytes(32)


def program(**overrides):
    p = Program(**overrides)
    p.do("label", ListMarket("m", "Will we sign XYZ?"))
    p.fund("scout", "whale", amount=D(2000))
    return p


def yes_price(p):
    market = p.state.markets["m"]
    return market.curve.price(market.amm_state)


def buy_to_close(p, order_id, token, trigger, shares, scout="scout"):
    command = PlaceCloseOrder(order_id, "m", token, D(trigger), D(shares), SALT, side=Side.BUY)
    return p.do(scout, command)


def test_it_escrows_its_most_possible_cost_and_fires_blind_when_the_price_falls_to_it():
    p = program()
    p.do("whale", PlaceOrder("up", "m", Side.BUY, SALT, max_spend=D(200)))
    assert yes_price(p) > D("0.05")
    (placed,) = buy_to_close(p, "dip", Token.YES, "0.05", "1000")  # above the trigger: waits
    escrow = max_spend_for(D(1000), D("0.05"), D("0.01"), 2)
    assert placed.escrow == escrow == D("50.51")
    assert p.state.available("scout") == D(2000) - escrow  # whatever the price
    sold = p.state.shares_held("whale", "m")
    events = p.do("whale", PlaceOrder("down", "m", Side.SELL, SALT, max_shares=sold))
    (fired,) = [e for e in events if isinstance(e, TriggeredTrade)]
    assert (fired.source_id, fired.side, fired.token) == ("dip", Side.BUY, Token.YES)
    assert 0 < fired.shares <= D(1000)
    assert fired.cash <= fired.shares * D("0.05")  # never above the trigger price
    assert yes_price(p) <= D("0.05") + D("1e-20")
    assert p.state.available("scout") == D(2000) - escrow  # still blind
    record = p.state.close_orders["dip"]
    assert record.status is CloseStatus.FIRED and record.spent == fired.cash + fired.fee
    p.do("anyone", RevealMarket("m"), at=LATER)
    assert p.state.available("scout") == D(2000) - fired.cash - fired.fee
    assert p.state.shares_held("scout", "m") == fired.shares
    assert p.state.ledger.balance(accounts.escrow("dip"), p.state.cash).is_zero()


def test_a_no_buy_fires_when_no_gets_cheap_and_a_yes_buy_at_once_below_its_trigger():
    p = program()
    (placed,) = buy_to_close(p, "no", Token.NO, "0.9", "100")  # NO starts at 0.99
    assert placed.escrow == D("90.91")
    events = p.do("whale", PlaceOrder("up", "m", Side.BUY, SALT, max_spend=D(300)))
    (fired,) = [e for e in events if isinstance(e, TriggeredTrade)]
    assert fired.token is Token.NO and fired.shares == D(100) and not fired.clipped
    assert fired.cash <= D(90)  # 100 NO at 0.9 or less each
    assert 1 - yes_price(p) <= D("0.9") + D("1e-20")
    # a trigger above the price is met already: it fires as it is placed, up to the trigger
    placed, fired = buy_to_close(p, "now", Token.YES, "0.29", "50")
    assert isinstance(fired, TriggeredTrade) and fired.shares == D(50)


def test_a_buy_that_could_only_pay_more_than_its_trigger_stays_pending():
    p = program()
    # the market opens at pa = 0.01: buying any YES at 0.01 or less is impossible
    (placed,) = buy_to_close(p, "floor", Token.YES, "0.01", "10")
    assert p.state.close_orders["floor"].status is CloseStatus.PENDING
    p.do("whale", PlaceOrder("up", "m", Side.BUY, SALT, max_spend=D(5)))
    assert p.state.close_orders["floor"].status is CloseStatus.PENDING
    (cancelled,) = p.do("scout", CancelCloseOrder("floor"))
    assert cancelled.was_pending
    # cancelled, the escrow still waits for the reveal: an early refund would tell the scout
    # that it had not fired
    assert p.state.available("scout") == D(2000) - placed.escrow
    p.do("anyone", RevealMarket("m"), at=LATER)
    assert p.state.available("scout") == D(2000)


@pytest.mark.parametrize(
    ("trigger", "shares", "code"),
    [("0", "1", "bad_price"), ("1", "1", "bad_price"), ("0.5", "0", "bad_amount"),
     ("0.5", "0.0000001", "bad_amount"), ("0.5", "5000", "insufficient_cash")],
)  # fmt: skip
def test_a_bad_or_unaffordable_buy_to_close_is_refused_and_changes_nothing(trigger, shares, code):
    p = program()
    before = (p.state.version, dict(p.state.ledger.balances()))
    with pytest.raises(ValidationError) as refused:
        buy_to_close(p, "x", Token.YES, trigger, shares)
    assert refused.value.code == code
    assert (p.state.version, dict(p.state.ledger.balances())) == before


def test_sell_records_stored_before_the_side_existed_replay_byte_for_byte():
    sell = PlaceCloseOrder("c", "m", Token.YES, D("0.2"), D(5), SALT)
    assert sell.side is Side.SELL
    plain = to_plain(sell)
    assert "side" not in plain  # the default: encoded as before the field existed
    assert from_plain(PlaceCloseOrder, plain) == sell
    assert "side" in to_plain(PlaceCloseOrder("c", "m", Token.YES, D("0.2"), D(5), SALT,
                                              side=Side.BUY))  # fmt: skip
    p = program()
    (placed,) = p.do("scout", sell)
    assert isinstance(placed, CloseOrderPlaced)
    old = {k: v for k, v in to_plain(placed).items() if k not in ("side", "escrow")}
    assert to_plain(placed) == old  # a sell's event carries neither new field
    assert decode(encode(placed)) == placed
    assert (placed.side, placed.escrow) == (Side.SELL, D(0))
