"""The market maker's book on every path, and every change to it booked to one attribution
bucket as it happens.

Holdings: stablecoin ``cash``; tokens on each venue (``inventory``, venues x paths) and off
the venues (``wallet``); a perp position and the ``collateral`` at the perp venue (variation
margin and funding settle into it every step; see :mod:`marketcraft.deal.financing`); a
``share`` of the DEX pool whose reserves are ``tokens``/``stable``; the calls (their mark,
``options``); and the loan (its mark, ``liability``). Prices are stablecoin per token.

Every trade the desk makes pays its costs (``costs``) and its market impact's temporary part
(``impact``); the impact's permanent part waits in ``shift`` (log price) until the next price
move takes it (:meth:`Book.take_shift`), so it moves every later mark, the pool's included."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from marketcraft.deal.bounds import MAX_IMPACT_DRIFT
from marketcraft.deal.dex import arbitrage
from marketcraft.deal.financing import affordable, interest, maintenance_fails, top_up
from marketcraft.deal.funding import funding_received
from marketcraft.deal.impact import ImpactModel
from marketcraft.deal.terms import Costs, Pool, Terms

if TYPE_CHECKING:
    from marketcraft.deal.options import OptionBook
    from marketcraft.deal.venues import Fills

__all__ = ["BUCKETS", "Book", "trade_cost"]

#: where every change in NAV is booked
BUCKETS = (
    "spread", "spot", "lp_divergence", "lp_fees", "hedge", "funding", "options", "liability",
    "costs", "impact", "financing",
)  # fmt: skip


def trade_cost(notional: np.ndarray, costs: Costs) -> np.ndarray:
    """Taker fee + half the spread on ``notional`` (the impact is priced apart)."""
    out: np.ndarray = notional * (costs.taker_fee + costs.half_spread)
    return out


class Book:
    def __init__(self, terms: Terms, paths: int, depth: np.ndarray, impact: ImpactModel) -> None:
        p0 = terms.token.listing_price
        self.costs = terms.costs
        self.impact = impact
        self.desk = terms.desk
        self.financing = terms.financing
        self.capital = terms.desk.capital
        self.cash = np.full(paths, self.capital)
        self.collateral = np.zeros(paths)
        self.shift = np.zeros(paths)  # permanent impact not yet in the price (log)
        self.drift = np.zeros(paths)  # all permanent impact so far (log)
        self.depth = depth
        self.inventory = np.zeros((len(depth), paths))
        self.target = np.ones((len(depth), paths))
        self.wallet = np.zeros(paths)
        self.perp = np.zeros(paths)
        self.tokens = np.full(paths, terms.pool.value / 2.0 / p0)
        self.stable = np.full(paths, terms.pool.value / 2.0)
        self.share = 0.0  # until the pool is funded
        self.has_pool = terms.pool.value > 0  # a CEX-only deal has none
        self.options = np.zeros(paths)
        self.liability = np.zeros(paths)
        self.bucket = {name: np.zeros(paths) for name in BUCKETS}
        self.sold = np.zeros(paths)
        self.scale = max(self.capital, terms.loan.tokens * p0, 1.0)
        zeros = {name: np.zeros(paths) for name in (
            "turnover", "hedge_trades", "hedge_cost", "lvr", "project_cash", "peak_perp",
            "peak_margin", "drawdown", "repaid_in_cash", "initial_sold", "pool_volume_arbitrage",
            "pool_volume_organic", "initial_impact", "margin_calls", "liquidations",
            "liquidation_cost", "interest_paid", "interest_earned", "hedge_short",
        )}  # fmt: skip
        self.track = zeros
        self.track["min_cash"] = self.cash.copy()
        self.peak = np.full(paths, self.capital)
        self.uptime = np.zeros_like(self.inventory)
        self.stockouts = np.zeros_like(self.inventory)

    @property
    def k(self) -> np.ndarray:
        out: np.ndarray = self.tokens * self.stable
        return out

    def held(self) -> np.ndarray:
        out: np.ndarray = self.inventory.sum(axis=0) + self.wallet
        return out

    def nav(self, price: np.ndarray) -> np.ndarray:
        """Net asset value, recomputed from the holdings."""
        pool = self.share * (self.tokens * price + self.stable)
        out: np.ndarray = (
            self.cash + self.collateral + self.held() * price + pool + self.options
            - self.liability
        )  # fmt: skip
        return out

    def residual(self, price: np.ndarray) -> float:
        """The largest gap, relative to the book's scale, between NAV less capital and the
        buckets' sum on any path."""
        booked = sum(self.bucket.values())
        nav = self.nav(price)
        gap = np.abs(nav - self.capital - booked)
        return float(np.max(gap / np.maximum(np.abs(nav), self.scale)))

    def _pay_costs(self, cost: np.ndarray) -> None:
        self.cash -= cost
        self.bucket["costs"] -= cost

    def _trade(self, tokens: np.ndarray, price: np.ndarray) -> np.ndarray:
        """Pay the costs and the temporary impact of trading ``tokens`` (positive: buy) at
        mid ``price``; its permanent impact waits in ``shift``. The notional."""
        notional: np.ndarray = np.abs(tokens) * price
        self._pay_costs(trade_cost(notional, self.costs))
        cost, shift = self.impact.trade(tokens, price)
        self.cash -= cost
        self.bucket["impact"] -= cost
        self.shift += shift
        return notional

    def take_shift(self) -> np.ndarray:
        """The permanent impact waiting for the next price move (log price), held so that
        all of it on a path stays within ``MAX_IMPACT_DRIFT``; cleared."""
        total = np.clip(self.drift + self.shift, -MAX_IMPACT_DRIFT, MAX_IMPACT_DRIFT)
        out: np.ndarray = total - self.drift
        self.drift = total
        self.shift = np.zeros_like(self.shift)
        return out

    def place(self, terms: Terms, price: np.ndarray) -> None:
        """The start: the loan's tokens arrive (its mark is already booked); fund the pool's
        share from them and the cash, sell what the preset sells (article: all but
        ``keep_inventory``, which holds the pool's tokens; economic: ``sell_for_quotes``),
        spread the rest over the venues in proportion to their depth."""
        loan, hedge = terms.loan.tokens, terms.hedge
        self.wallet += loan
        self.share = terms.pool.share
        pooled = self.share * self.tokens
        self.wallet -= pooled
        self.cash -= self.share * self.stable
        self._pay_costs(np.full_like(price, terms.costs.gas))
        sold = loan - hedge.keep_inventory if hedge.initial == "article" else hedge.sell_for_quotes
        sell = np.full_like(price, sold)
        before = self.bucket["impact"].copy()
        self._sell(sell, price)
        self.wallet -= sell
        self.track["initial_sold"] = sell
        self.track["initial_impact"] = before - self.bucket["impact"]
        if len(self.depth):
            self.inventory = self.wallet * self.depth / self.depth.sum()
            self.target = np.maximum(self.inventory, self.depth / price)
            self.wallet = np.zeros_like(price)

    def _sell(self, tokens: np.ndarray, price: np.ndarray) -> None:
        """Sell ``tokens`` (negative: buy) at market from the cash's point of view; tokens
        themselves are moved by the caller."""
        self.cash += tokens * price
        self._trade(-tokens, price)
        self.sold += tokens

    def move(self, old: np.ndarray, new: np.ndarray) -> None:
        change = new - old
        self.bucket["spot"] += self.held() * change
        self.bucket["hedge"] += self.perp * change
        self.collateral += self.perp * change
        # the pool's tokens move with the price like any held: the divergence is what the
        # arbitrage takes beyond that (see pool_step)
        self.bucket["spot"] += self.share * self.tokens * change

    def pool_step(self, pool: Pool, price: np.ndarray, dt: float, lvr_scale: float) -> None:
        """After the price has moved (its effect on the pool's tokens, x dP, is in ``spot``):
        arbitrage to ``price``, whose value change net of its fees is the divergence (the
        loss to arbitrage); then the organic volume, ``organic_volume`` x the pool's value at
        listing a day (``dt`` in years), whose ``lp_fee`` stays in the pool pro rata, so the
        pool's price stays. Fees are ``lp_fee`` x volume; the MM books its ``share``."""
        if not self.has_pool:
            return
        before = self.share * (self.tokens * price + self.stable)
        self.tokens, self.stable, fees, volume = arbitrage(
            self.tokens, self.stable, price, pool.fee, pool.lp_fee
        )
        after = self.share * (self.tokens * price + self.stable)
        self.bucket["lp_fees"] += self.share * fees
        self.bucket["lp_divergence"] += after - before - self.share * fees
        self.track["pool_volume_arbitrage"] += volume
        organic = pool.organic_volume * pool.value * dt * 365.0
        value = self.tokens * price + self.stable
        grow = pool.lp_fee * organic / value
        self.tokens *= 1.0 + grow
        self.stable *= 1.0 + grow
        self.bucket["lp_fees"] += self.share * value * grow
        self.track["pool_volume_organic"] += organic
        self.track["lvr"] += lvr_scale * self.share * value

    def fill(self, fills: Fills) -> None:
        self.inventory += fills.bought - fills.sold
        self.cash += fills.cash
        self.bucket["spread"] += fills.edge
        self.sold += (fills.sold - fills.bought).sum(axis=0)
        self.uptime += fills.up
        self.stockouts += fills.stocked_out

    def deltas(self, options: OptionBook, liability_delta: np.ndarray) -> dict[str, np.ndarray]:
        """Token deltas: ``inventory`` (holdings, pool, perps, calls) and ``economic`` (also
        the loan, a short)."""
        held = self.held() + self.share * self.tokens + self.perp + options.delta.sum(axis=0)
        return {"inventory": held, "economic": held - liability_delta}

    def hedge_to(self, delta: np.ndarray, price: np.ndarray, due: np.ndarray) -> None:
        """Trade perps to bring ``delta`` to zero where ``due``, as far as the desk can post
        the initial margin of a larger position (:func:`~marketcraft.deal.financing.affordable`;
        a hedge cut short is counted in ``hedge_short``)."""
        wanted = self.perp + np.where(due, -delta, 0.0)
        f = self.financing
        held = affordable(self.perp, wanted, self.collateral, self.cash, price,
                          self.desk.margin, f.credit_line)  # fmt: skip
        self.track["hedge_short"] += held != wanted
        trade = held - self.perp
        before = self.bucket["costs"] + self.bucket["impact"]
        notional = self._trade(trade, price)
        self.perp += trade
        self.track["turnover"] += notional
        self.track["hedge_trades"] += trade != 0
        self.track["hedge_cost"] += before - self.bucket["costs"] - self.bucket["impact"]

    def fund(self, price: np.ndarray, rate: np.ndarray) -> None:
        received = funding_received(self.perp, price, rate)
        self.collateral += received
        self.bucket["funding"] += received

    def accrue(self, dt: float) -> None:
        """A step's interest on the cash (``dt`` years), to ``financing``."""
        f = self.financing
        paid = interest(self.cash, f.borrow_rate, f.deposit_rate, dt)
        self.cash += paid
        self.bucket["financing"] += paid
        self.track["interest_paid"] -= np.minimum(paid, 0.0)
        self.track["interest_earned"] += np.maximum(paid, 0.0)

    def keep_margin(self, price: np.ndarray) -> None:
        """Keep the initial margin at the perp venue: collateral above it comes back to
        cash, a shortfall is topped up as far as the credit line allows."""
        required = self.desk.margin * np.abs(self.perp) * price
        moved = top_up(self.collateral, self.cash, required, self.financing.credit_line)
        self.cash -= moved
        self.collateral += moved

    def margin_test(self, price: np.ndarray) -> np.ndarray:
        """The maintenance test after a price move: a margin call where it fails, met from
        cash within the credit line, or else the venue liquidates the perps (at market, with
        costs and impact, and ``liquidation_fee`` x notional). Where it liquidated."""
        calls = maintenance_fails(self.collateral, self.perp, price, self.desk.maintenance)
        if not calls.any():
            return calls
        self.track["margin_calls"] += calls
        required = self.desk.margin * np.abs(self.perp) * price
        short = required - self.collateral
        met = calls & (self.cash - short >= -self.financing.credit_line)
        paid = np.where(met, short, 0.0)
        self.cash -= paid
        self.collateral += paid
        lost: np.ndarray = calls & ~met
        if lost.any():
            self.liquidate(price, lost, self.desk.liquidation_fee)
            self.track["liquidations"] += lost
        return lost

    def liquidate(self, price: np.ndarray, where: np.ndarray, fee_rate: float) -> None:
        """Close the perps at market where ``where``, charged ``fee_rate`` x notional on top
        (a liquidation's fee; 0 for a delisting's settlement); the collateral comes back to
        cash."""
        trade = np.where(where, -self.perp, 0.0)
        notional = self._trade(trade, price)
        self.perp += trade
        fee = fee_rate * notional
        self.bucket["costs"] -= fee
        self.collateral -= fee
        self.track["liquidation_cost"] += fee
        self.cash += np.where(where, self.collateral, 0.0)
        self.collateral = np.where(where, 0.0, self.collateral)

    def exercise(
        self, price: np.ndarray, marks: np.ndarray, tokens: np.ndarray, paid: np.ndarray
    ) -> None:
        """Calls exercised: pay the strikes, sell the tokens at market."""
        self.cash -= paid
        self.bucket["options"] += tokens * price - paid - marks
        self.options -= marks
        self._sell(tokens, price)
        self.track["project_cash"] += paid

    def mature(self, price: np.ndarray, cash_strike: float, owed: float) -> None:
        """The loan's end: leave the pool, close the perps, repay (in cash where the deal
        allows it and it is cheaper, else in tokens, buying any shortfall), and sell what
        tokens are left, so the book ends all in stablecoin."""
        self.wallet += self.share * self.tokens + self.inventory.sum(axis=0)
        self.cash += self.share * self.stable
        self.share = 0.0
        self.inventory = np.zeros_like(self.inventory)
        self._pay_costs(np.full_like(price, self.costs.gas))
        self.hedge_to(self.perp, price, np.ones_like(price, dtype=bool))
        self.cash += self.collateral
        self.collateral = np.zeros_like(price)
        in_cash = (price > cash_strike) if cash_strike else np.zeros_like(price, dtype=bool)
        repaid = np.where(in_cash, owed * cash_strike, 0.0)
        self.cash -= repaid
        self.track["project_cash"] += repaid
        self.track["repaid_in_cash"] = in_cash.astype(float)
        self.wallet -= np.where(in_cash, 0.0, owed)  # negative: the shortfall to buy
        self._sell(self.wallet, price)
        self.wallet = np.zeros_like(price)
        self.liability = np.zeros_like(price)

    def drawdown(self, nav: np.ndarray) -> None:
        """Track the largest fall of ``nav`` from its peak (sampled daily)."""
        np.maximum(self.peak, nav, out=self.peak)
        np.maximum(self.track["drawdown"], self.peak - nav, out=self.track["drawdown"])

    def watch(self, price: np.ndarray, margin: float) -> None:
        """Every step: peak perp notional and margin, lowest cash."""
        notional = np.abs(self.perp) * price
        np.maximum(self.track["peak_perp"], notional, out=self.track["peak_perp"])
        np.maximum(self.track["peak_margin"], notional * margin, out=self.track["peak_margin"])
        np.minimum(self.track["min_cash"], self.cash, out=self.track["min_cash"])

    def metrics(self, price: np.ndarray, venues: int, steps: int) -> dict[str, np.ndarray]:
        out = {"pnl": self.nav(price) - self.capital, "final_price": price.copy()}
        out.update({name: value.copy() for name, value in self.bucket.items()})
        out.update({name: value.copy() for name, value in self.track.items()})
        out["tokens_sold"] = self.sold.copy()
        out["tokens_left"] = self.wallet.copy()
        out["impact_drift"] = self.drift.copy()
        for v in range(venues):
            out[f"uptime_{v}"] = self.uptime[v] / steps
            out[f"stockouts_{v}"] = self.stockouts[v].copy()
        return out
