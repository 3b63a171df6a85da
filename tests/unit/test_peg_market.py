"""The peg market facade: the spec's opening numbers, trades through the relay, MMS in and out,
and clear refusals that change nothing."""

import copy
import json
from decimal import Decimal as D

import pytest

from marketcraft.kernel.errors import ValidationError
from marketcraft.kernel.messages import canonical_json, decode, encode
from marketcraft.peg.commands import BuyMms, BuyPeg, SellMms, SellPeg
from marketcraft.peg.market import PegMarket, snapshot
from marketcraft.peg.state import PegState, evolve
from marketcraft.peg.terms import PegTerms


def test_opening_splits_the_deposit_by_the_target_ratio():
    # spec: D = 10,000,000 COL, one COL worth 2 PEG (feed 0.5 COL per PEG), r = 4
    snap = PegMarket.open(10_000_000, "0.5", 4).snapshot()
    assert snap["connector_col"] == D(2_500_000)
    assert snap["excess_col"] == D(7_500_000)
    assert snap["connector_peg"] == D(5_000_000)
    assert snap["circulating_peg"] == 0
    assert snap["spot"] == D("0.5")
    assert snap["mode"] == "normal"
    assert snap["mms_supply"] == D(10_000_000)


@pytest.mark.parametrize("fees_to", ["connector", "excess"])
def test_a_relay_trade_is_constant_product_with_the_fee_kept_where_the_terms_say(fees_to):
    m = PegMarket.open(10_000_000, "0.5", terms=PegTerms(fees_to=fees_to))
    m.fund("ann", 1000)
    before = m.snapshot()
    peg = m.buy_peg("ann", 100)
    after = m.snapshot()
    fee = D("0.3")  # 0.3% of 100 COL
    net = D(100) - fee
    exact = before["connector_peg"] * net / (before["connector_col"] + net)
    assert exact - D("0.000001") < peg <= exact
    kept_in_connector = fee if fees_to == "connector" else 0
    assert after["excess_col"] == before["excess_col"] + fee - kept_in_connector
    assert after["connector_col"] == before["connector_col"] + net + kept_in_connector
    assert after["circulating_peg"] == peg
    assert after["connector_peg"] + after["circulating_peg"] == before["connector_peg"]
    assert after["spot"] > before["spot"]  # PEG got dearer


def test_new_markets_keep_fees_in_the_connector_so_spot_rises_with_volume():
    """The spec's reading: a round trip through the relay leaves its fees in the connector,
    so SPOT is higher afterwards and excess is untouched."""
    m = PegMarket.open(10_000_000, "0.5", 4)
    assert m.state.require_terms().fees_to == "connector"
    m.fund("ann", 10_000)
    before = m.snapshot()
    m.sell_peg("ann", m.buy_peg("ann", 10_000))
    after = m.snapshot()
    assert after["excess_col"] == before["excess_col"]
    assert after["connector_peg"] == before["connector_peg"]
    assert after["spot"] > before["spot"]
    # the trader's loss is the connector's gain: the fees, less the part of the buy's fee
    # that the higher SPOT paid back on the sale
    gain = after["connector_col"] - before["connector_col"]
    assert 0 < gain <= after["fees"]
    assert m.balance("ann", "COL") == 10_000 - gain


@pytest.mark.parametrize("fees_to", ["connector", "excess"])
def test_buying_mms_keeps_the_shape_and_mints_the_matching_peg(fees_to):
    m = PegMarket.open(10_000_000, "0.5", terms=PegTerms(fees_to=fees_to))
    m.fund("ann", 10_000)
    m.buy_peg("ann", 5_000)
    m.fund("bob", 100_000)
    before = m.snapshot()
    mms = m.buy_mms("bob", 100_000)
    after = m.snapshot()
    g = mms / before["mms_supply"]
    # the 0.3% fee, kept for the MMS holders, is on top, where the terms keep fees
    after["connector_col" if fees_to == "connector" else "excess_col"] -= D(300)
    for key in ("connector_col", "excess_col", "connector_peg", "circulating_peg"):
        assert abs(after[key] / before[key] - (1 + g)) < D("1e-6"), key
    assert m.balance("bob", "PEG") > 0  # the buyer's share of the circulating PEG


def test_selling_mms_needs_the_matching_circulating_peg():
    m = PegMarket.open(10_000_000, "0.5", 4)
    m.fund("ann", 10_000)
    m.buy_peg("ann", 5_000)
    m.fund("bob", 100_000)
    m.buy_mms("bob", 100_000)
    m.sell_peg("bob", m.balance("bob", "PEG"))  # bob no longer holds the PEG his MMS owes
    with pytest.raises(ValidationError) as refused:
        m.sell_mms("bob", m.balance("bob", "MMS"))
    assert refused.value.code == "insufficient_funds"


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda m: m.buy_peg("ann", 10**9), "insufficient_funds"),
        (lambda m: m.buy_peg("ann", "0.0000001"), "bad_amount"),
        (lambda m: m.sell_peg("ann", 1), "insufficient_funds"),
        (lambda m: m.buy_mms("ann", -5), "bad_amount"),
        (lambda m: m.sell_mms("nobody", 1), "insufficient_funds"),
    ],
)
def test_refusals_say_why_and_change_nothing(call, code):
    m = PegMarket.open(10_000_000, "0.5", 4)
    m.fund("ann", 1000)
    before, events = m.snapshot(), len(m.events)
    with pytest.raises(ValidationError) as refused:
        call(m)
    assert refused.value.code == code
    assert m.snapshot() == before and len(m.events) == events


def test_float_amounts_are_refused():
    m = PegMarket.open(10_000_000, "0.5", 4)
    with pytest.raises(TypeError):
        m.fund("ann", 1.5)


def _as_stored_before_the_new_fields(event):
    """The bytes the engine stored before fees_to, mms_locked, max_trade_fraction and
    swan_exit_after_burn existed."""
    envelope = json.loads(encode(event))
    data = envelope["data"]
    data.pop("mms_locked", None)
    if "terms" in data:
        for name in ("fees_to", "max_trade_fraction", "swan_exit_after_burn"):
            data["terms"].pop(name, None)
    return canonical_json(envelope)


def test_markets_stored_before_fees_to_replay_with_fees_in_excess_and_no_locked_mms():
    old_rules = PegTerms(fees_to="excess", max_trade_fraction=None, swan_exit_after_burn=False)
    m = PegMarket.open(10_000_000, "0.5", terms=old_rules)
    m.sell_mms("founder", 1000)
    m.fund("ann", 1000)
    excess = m.snapshot()["excess_col"]
    m.buy_peg("ann", 100)
    assert m.snapshot()["excess_col"] == excess + D("0.3")  # the fee, to excess
    opened = m.events[0]
    assert opened.terms.fees_to == "excess"
    # "excess" is what a market without the field means: it is left out of the encoding
    assert "fees_to" not in json.loads(encode(opened))["data"]["terms"]
    # a MarketOpened without the new fields reads as the old rules
    old = decode(_as_stored_before_the_new_fields(opened))
    assert old.terms.fees_to == "excess" and old.mms_locked == 0
    assert old.terms.max_trade_fraction is None and old.terms.swan_exit_after_burn is False
    # and re-encodes to the very bytes stored (hashes and signatures still hold)
    assert encode(old) == _as_stored_before_the_new_fields(opened)
    replayed = PegState()
    for event in [old, *m.events[1:]]:
        evolve(replayed, event)
    snap, live = snapshot(replayed), m.snapshot()
    # the same market, fees in excess, but for the MMS the old opening did not lock
    assert {k: v for k, v in snap.items() if k != "mms_supply"} == {
        k: v for k, v in live.items() if k != "mms_supply"
    }
    assert snap["mms_supply"] == live["mms_supply"] - D("0.001")


def test_new_markets_write_where_fees_go_and_the_locked_mms():
    m = PegMarket.open(10_000_000, "0.5")
    data = json.loads(encode(m.events[0]))["data"]
    assert data["terms"]["fees_to"] == "connector"
    assert D(data["mms_locked"]) == D("0.001")
    assert m.balance("founder", "MMS") == D(10_000_000) - D("0.001")
    # and the new rules: a per-trade size limit and leaving recovery after the buy-back
    assert D(data["terms"]["max_trade_fraction"]) == D("0.25")
    assert data["terms"]["swan_exit_after_burn"] is True
    assert decode(encode(m.events[0])) == m.events[0]


# -- hostile sizes and slippage -------------------------------------------------------------------


def test_the_issues_huge_buy_is_refused_as_too_large_and_changes_nothing():
    """1e12 COL into a 250-COL connector used to be accepted (SPOT about 1e18)."""
    m = PegMarket.open(1000, "0.5")
    m.fund("ann", 10**12)
    before = m.snapshot()
    with pytest.raises(ValidationError) as refused:
        m.buy_peg("ann", 10**12)
    assert refused.value.code == "too_large"
    assert "col_in" in refused.value.reason and "0.25" in refused.value.reason
    assert m.snapshot() == before
    assert m.buy_peg("ann", "62.5") > 0  # a quarter of the connector's COL is still one trade


@pytest.mark.parametrize(
    ("trade", "reserve"),
    [
        (lambda m, amount: m.buy_peg("ann", amount), lambda s: s["connector_col"]),
        (
            lambda m, amount: m.buy_mms("ann", amount),
            lambda s: s["connector_col"] + s["excess_col"],
        ),
    ],
)
def test_a_trade_may_bring_at_most_the_fraction_of_its_reserve(trade, reserve):
    m = PegMarket.open(10_000_000, "0.5", terms=PegTerms(max_trade_fraction=D("0.1")))
    m.fund("ann", 10**9)
    most = D("0.1") * reserve(m.snapshot())
    with pytest.raises(ValidationError, match="too_large"):
        trade(m, most + D("0.000001"))
    trade(m, most)


def test_markets_without_the_limit_take_any_size_as_before():
    m = PegMarket.open(1000, "0.5", terms=PegTerms(max_trade_fraction=None))
    m.fund("ann", 10**6)
    assert m.buy_peg("ann", 10**6) > 0
    assert m.snapshot()["spot"] > 1000


def quote(m, call):
    """What ``call`` would give, without keeping it."""
    trial = PegMarket()
    trial.state, trial.now = copy.deepcopy(m.state), m.now
    return call(trial)


@pytest.mark.parametrize(
    "kind",
    ["buy_peg", "sell_peg", "buy_mms", "sell_mms"],
)
def test_min_return_refuses_a_trade_that_gives_less_and_only_then(kind):
    m = PegMarket.open(10_000_000, "0.5")
    m.fund("ann", 100_000)
    m.buy_peg("ann", 10_000)
    m.buy_mms("ann", 10_000)
    amount = {"buy_peg": D(1000), "sell_peg": D(500), "buy_mms": D(1000), "sell_mms": D(100)}
    command = {"buy_peg": BuyPeg, "sell_peg": SellPeg, "buy_mms": BuyMms, "sell_mms": SellMms}
    received = {"buy_peg": "peg_out", "buy_mms": "mms"}

    def give(market, limit=None):
        (event,) = market.handle(command[kind](amount[kind], limit), "ann")
        if kind in received:
            return getattr(event, received[kind])
        return (
            event.col_out if kind == "sell_peg" else event.from_connector + event.from_excess
        ) - event.fee

    exact = quote(m, give)
    before, events = m.snapshot(), len(m.events)
    with pytest.raises(ValidationError) as refused:
        give(m, exact + D("0.000001"))
    assert refused.value.code == "slippage"
    # the reason names the limit; it says nothing of what the trade would have given
    assert (
        "min_return" in refused.value.reason and str(exact + D("0.000001")) in refused.value.reason
    )
    assert str(exact) not in refused.value.reason.replace(str(exact + D("0.000001")), "")
    assert m.snapshot() == before and len(m.events) == events
    assert give(m, exact) == exact  # at the limit: traded


def test_max_cost_caps_the_peg_an_mms_sale_hands_in():
    m = PegMarket.open(10_000_000, "0.5")
    m.fund("ann", 100_000)
    m.buy_peg("ann", 10_000)
    m.buy_mms("ann", 10_000)
    mms = m.balance("ann", "MMS")
    due = quote(m, lambda t: t.handle(SellMms(mms), "ann")[0].peg_in)
    with pytest.raises(ValidationError) as refused:
        m.handle(SellMms(mms, max_cost=due - D("0.000001")), "ann")
    assert refused.value.code == "slippage" and "max_cost" in refused.value.reason
    (sold,) = m.handle(SellMms(mms, max_cost=due), "ann")
    assert sold.peg_in == due


def test_trades_without_limits_encode_as_before():
    """The limits are left out of a command's bytes when not set (as before they existed)."""
    for command in (BuyPeg(D(1)), SellPeg(D(1)), BuyMms(D(1)), SellMms(D(1))):
        assert set(json.loads(encode(command))["data"]) <= {"col_in", "peg_in", "mms_in"}
    assert json.loads(encode(BuyPeg(D(1), D(2))))["data"]["min_return"] == "2"


@pytest.mark.parametrize("bad", [D(-1), D("NaN"), D("sNaN"), D("1e16"), D("Infinity")])
def test_a_bad_limit_is_refused_by_name(bad):
    m = PegMarket.open(10_000_000, "0.5")
    m.fund("ann", 1000)
    with pytest.raises(ValidationError) as refused:
        m.handle(BuyPeg(D(100), bad), "ann")
    assert refused.value.code == "bad_limit" and "min_return" in refused.value.reason
    with pytest.raises(ValidationError, match="max_cost"):
        m.handle(SellMms(D(1), max_cost=bad), "founder")


def test_an_open_the_peg_places_cannot_count_is_refused():
    terms = PegTerms(peg_decimals=18)
    with pytest.raises(ValidationError) as refused:
        PegMarket.open(10**15, "0.000001", terms=terms)  # 2.5 * 10^20 PEG at 18 places
    assert refused.value.code == "too_large" and "PEG" in refused.value.reason
    assert PegMarket.open(10**15, "0.5", terms=terms).snapshot()["connector_peg"] == D(5 * 10**14)
