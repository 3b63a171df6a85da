"""A peg market's state, folded from its events; every amount lives in the ledger.

Accounts: ``world`` (COL entering from outside), ``mint`` (PEG and MMS issued; negative),
``connector`` (C COL and U PEG), ``excess`` (X COL), ``locked`` (the opening MMS no one can
redeem) and ``wallet:<user>`` (COL, PEG, MMS). Fees go to the connector or to excess, as the
terms' ``fees_to`` says.
Circulating PEG is what wallets hold, so Dc = minted PEG - U."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from marketcraft.kernel.errors import InvariantViolation, ValidationError
from marketcraft.kernel.handlers import HandlerTable
from marketcraft.kernel.ledger import Ledger
from marketcraft.kernel.messages import Event
from marketcraft.kernel.money import Asset, money_context_once
from marketcraft.peg.correction import BUY_BURN, MINT_PEG, TO_EXCESS
from marketcraft.peg.events import (
    ColFunded,
    CorrectionMade,
    MarketOpened,
    MmsBought,
    MmsSold,
    ModeChanged,
    PegBought,
    PegSold,
    PriceReported,
    Ticked,
)
from marketcraft.peg.feed import Report, recent
from marketcraft.peg.modes import NORMAL
from marketcraft.peg.terms import PegTerms

__all__ = [
    "CONNECTOR",
    "EXCESS",
    "LOCKED",
    "MINT",
    "WORLD",
    "PegState",
    "evolve",
    "mms_sale_fee_split",
    "wallet",
]

WORLD, MINT, CONNECTOR, EXCESS, LOCKED = "world", "mint", "connector", "excess", "locked"


def wallet(user: str) -> str:
    return f"wallet:{user}"


@dataclass
class PegState:
    terms: PegTerms | None = None
    feed: Decimal = Decimal(0)
    ledger: Ledger = field(default_factory=Ledger)
    # replaced by the terms' decimals when the market opens
    col: Asset = field(default_factory=lambda: Asset("COL", 6))
    peg: Asset = field(default_factory=lambda: Asset("PEG", 6))
    mms: Asset = field(default_factory=lambda: Asset("MMS", 6))
    version: int = 0
    mode: str = NORMAL
    #: the reports inside the feed window as of the last report or tick, oldest first
    reports: list[Report] = field(default_factory=list)
    feed_stale: bool = False
    outside_since: datetime | None = None
    last_tick: datetime | None = None
    #: the least connector PEG since the last tick (caps a minting correction)
    u_min: Decimal = Decimal(0)
    #: COL collected in fees since the market opened
    fees: Decimal = Decimal(0)

    @property
    def opened(self) -> bool:
        return self.terms is not None

    def require_terms(self) -> PegTerms:
        if self.terms is None:
            raise InvariantViolation("not_open", "the market has not been opened")
        return self.terms

    def asset(self, name: str) -> Asset:
        """The asset called ``name`` (COL, PEG or MMS)."""
        assets = {"COL": self.col, "PEG": self.peg, "MMS": self.mms}
        if name not in assets:
            raise ValidationError("bad_asset", "the assets are COL, PEG and MMS")
        return assets[name]

    def held(self, account: str, asset: Asset) -> Decimal:
        return self.ledger.holding(account, asset) if self.ledger.is_open(account) else Decimal(0)

    @property
    def connector_col(self) -> Decimal:
        return self.held(CONNECTOR, self.col)

    @property
    def fee_account(self) -> str:
        """Where fees go: the connector or excess (the terms' ``fees_to``)."""
        return CONNECTOR if self.require_terms().fees_to == "connector" else EXCESS

    @property
    def connector_peg(self) -> Decimal:
        return self.held(CONNECTOR, self.peg)

    @property
    def excess_col(self) -> Decimal:
        return self.held(EXCESS, self.col)

    @property
    def spot(self) -> Decimal:
        """C / U in COL per PEG (call it in the money context)."""
        return self.connector_col / self.connector_peg

    @property
    def minted_peg(self) -> Decimal:
        return -self.held(MINT, self.peg)

    @property
    def circulating_peg(self) -> Decimal:
        return self.minted_peg - self.connector_peg

    @property
    def mms_supply(self) -> Decimal:
        return -self.held(MINT, self.mms)


def evolve(state: PegState, event: Event) -> PegState:
    """Fold one event into ``state`` (in place) and return it."""
    handler = _HANDLERS.get(type(event))
    if handler is None:
        raise InvariantViolation("unknown_event", f"no handler for {type(event).__name__}")
    with money_context_once():
        handler(state, event)
        if state.opened:
            state.u_min = min(state.u_min, state.connector_peg)
    state.version += 1
    return state


def _market_opened(state: PegState, e: MarketOpened) -> None:
    t = e.terms
    state.terms, state.feed = t, e.feed
    state.reports = [(e.at, e.feed)]
    state.u_min = e.connector_peg
    state.col = Asset("COL", t.col_decimals)
    state.peg = Asset("PEG", t.peg_decimals)
    state.mms = Asset("MMS", t.mms_decimals)
    state.ledger.open(WORLD, allow_negative=True)
    state.ledger.open(MINT, allow_negative=True)
    for account in (CONNECTOR, EXCESS, wallet(e.opener)):
        state.ledger.open(account)
    col, peg, mms = state.col, state.peg, state.mms
    state.ledger.move([
        (WORLD, CONNECTOR, e.connector_col, col),
        (WORLD, EXCESS, e.excess_col, col),
        (MINT, CONNECTOR, e.connector_peg, peg),
        (MINT, wallet(e.opener), e.mms, mms),
    ])  # fmt: skip
    if e.mms_locked > 0:
        state.ledger.open(LOCKED)
        state.ledger.move([(MINT, LOCKED, e.mms_locked, mms)])


def _col_funded(state: PegState, e: ColFunded) -> None:
    state.ledger.open(wallet(e.holder))  # a no-op when it is open
    state.ledger.move([(WORLD, wallet(e.holder), e.amount, state.col)])


def _peg_bought(state: PegState, e: PegBought) -> None:
    state.fees += e.fee
    w, col = wallet(e.buyer), state.col
    state.ledger.move([
        (w, state.fee_account, e.fee, col),
        (w, CONNECTOR, e.col_in - e.fee, col),
        (CONNECTOR, w, e.peg_out, state.peg),
    ])  # fmt: skip


def _peg_sold(state: PegState, e: PegSold) -> None:
    state.fees += e.fee
    w, col = wallet(e.seller), state.col
    # the fee is held back from the COL out: it stays in the connector or moves to excess
    state.ledger.move([
        (w, CONNECTOR, e.peg_in, state.peg),
        (CONNECTOR, state.fee_account, e.fee, col),
        (CONNECTOR, w, e.col_out - e.fee, col),
    ])  # fmt: skip


def _mms_bought(state: PegState, e: MmsBought) -> None:
    state.fees += e.fee
    state.ledger.open(wallet(e.buyer))
    w, col, peg = wallet(e.buyer), state.col, state.peg
    state.ledger.move([
        (w, state.fee_account, e.fee, col),
        (w, EXCESS, e.to_excess, col),
        (w, CONNECTOR, e.to_connector, col),
        (MINT, CONNECTOR, e.peg_minted_connector, peg),
        (MINT, w, e.peg_minted_buyer, peg),
        (MINT, w, e.mms, state.mms),
    ])  # fmt: skip


def _mms_sold(state: PegState, e: MmsSold) -> None:
    state.fees += e.fee
    w, col, peg = wallet(e.seller), state.col, state.peg
    fee_connector, fee_excess = mms_sale_fee_split(state, e.fee, e.from_connector, e.from_excess)
    state.ledger.move([
        (w, MINT, e.mms, state.mms),
        (w, MINT, e.peg_in, peg),
        (CONNECTOR, MINT, e.peg_burnt_connector, peg),
        (CONNECTOR, w, e.from_connector - fee_connector, col),
        (EXCESS, w, e.from_excess - fee_excess, col),
    ])  # fmt: skip


def mms_sale_fee_split(
    state: PegState, fee: Decimal, from_connector: Decimal, from_excess: Decimal
) -> tuple[Decimal, Decimal]:
    """(held back in the connector, held back in excess) of an MMS sale's fee: it is held back
    from the part of the payout its ``fees_to`` account pays, and from the other part for what
    that cannot cover."""
    if state.require_terms().fees_to == "connector":
        in_connector = min(fee, from_connector)
        return in_connector, fee - in_connector
    in_excess = min(fee, from_excess)
    return fee - in_excess, in_excess


def _price_reported(state: PegState, e: PriceReported) -> None:
    window = state.require_terms().feed_window_seconds
    state.reports = list(recent([*state.reports, (e.at, e.price)], e.at, window))
    state.feed, state.feed_stale = e.feed, False


def _ticked(state: PegState, e: Ticked) -> None:
    state.reports = list(recent(state.reports, e.at, state.require_terms().feed_window_seconds))
    state.feed, state.feed_stale = e.feed, e.stale
    state.outside_since, state.last_tick = e.outside_since, e.at
    state.u_min = state.connector_peg


def _correction_made(state: PegState, e: CorrectionMade) -> None:
    col, peg = state.col, state.peg
    if e.kind == TO_EXCESS:
        state.ledger.move([(CONNECTOR, EXCESS, e.col, col)])
    elif e.kind == MINT_PEG:
        state.ledger.move([(MINT, CONNECTOR, e.peg, peg)])
    elif e.kind == BUY_BURN:
        state.ledger.move([(EXCESS, CONNECTOR, e.col, col), (CONNECTOR, MINT, e.peg, peg)])
    else:
        raise InvariantViolation("unknown_correction", f"no such correction: {e.kind}")


def _mode_changed(state: PegState, e: ModeChanged) -> None:
    state.mode = e.mode


#: each event type's fold (the table checks that each takes its event)
_HANDLERS: HandlerTable[PegState, Event, [], None] = HandlerTable()
_HANDLERS.add(MarketOpened, _market_opened)
_HANDLERS.add(ColFunded, _col_funded)
_HANDLERS.add(PegBought, _peg_bought)
_HANDLERS.add(PegSold, _peg_sold)
_HANDLERS.add(MmsBought, _mms_bought)
_HANDLERS.add(MmsSold, _mms_sold)
_HANDLERS.add(PriceReported, _price_reported)
_HANDLERS.add(Ticked, _ticked)
_HANDLERS.add(CorrectionMade, _correction_made)
_HANDLERS.add(ModeChanged, _mode_changed)
