"""Quoting on centralised exchanges, vectorised over venues x paths.

Each venue quotes a bid and an ask at the obligation's full spread around mid, leaning both
quotes against inventory (``skew``); market orders arrive as Poisson processes with intensity
``A exp(-k x distance in bp)`` per hour (Avellaneda-Stoikov) and each takes ``clip`` of the
quoted depth. An ask needs tokens on that venue; a bid needs stablecoin (the desk's cash is
shared among the venues in proportion to their depth). A venue is *up* in a step when it can
show its full depth on both sides within its band."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from marketcraft.deal.sampling import poisson
from marketcraft.deal.terms import Venue

__all__ = ["Fills", "Venues"]


@dataclass
class Fills:
    bought: np.ndarray  # tokens bought on each venue (bid fills), (venues, paths)
    sold: np.ndarray  # tokens sold (ask fills)
    cash: np.ndarray  # stablecoin in (out if negative), per path
    edge: np.ndarray  # what the fills earned against mid, per path
    up: np.ndarray  # venue could quote its obligation, (venues, paths) bool
    stocked_out: np.ndarray  # venue could not show its ask depth, (venues, paths) bool
    taker_flow: np.ndarray | float  # sum over fills of +1 (buyer) / -1 (seller) x adverse x spread


class Venues:
    def __init__(self, venues: tuple[Venue, ...], step_hours: float) -> None:
        def column(name: str) -> np.ndarray:
            return np.array([float(getattr(v, name)) for v in venues]).reshape(-1, 1)

        self.count = len(venues)
        self.depth = column("depth")
        self.half = column("spread") / 2.0
        self.skew = column("skew")
        # intensity at the half-spread; leaning by l multiplies the ask's by exp(lean_rate l)
        # and divides the bid's by it
        lean_rate = column("decay") * 1e4 * self.half
        self.lean_rate = lean_rate
        self.rate = column("intensity") * step_hours * np.exp(-lean_rate)
        self.clip_value = column("clip") * self.depth  # stablecoin per fill
        self.adverse_move = column("adverse") * column("spread")
        self.adverse = bool(np.any(self.adverse_move > 0))
        self.total_depth = float(self.depth.sum())
        self.budget_per_fill = self.depth / max(self.total_depth, 1e-300) / self.clip_value

    def trade(
        self,
        rng: np.random.Generator,
        inventory: np.ndarray,
        target: np.ndarray,
        cash: np.ndarray,
        price: np.ndarray,
        *,
        closed: np.ndarray | None = None,
    ) -> Fills:
        """One step of quoting at mid ``price``; ``inventory`` and ``target`` are tokens per
        venue (venues, paths). A venue ``closed`` (venues,) this step takes no fills and is
        not up."""
        lean = self.skew * (inventory / target - 1.0)
        np.clip(lean, -0.9, 0.9, out=lean)
        tilt = np.exp(self.lean_rate * lean)
        counts = poisson(rng, np.concatenate([self.rate * tilt, self.rate / tilt]))
        asks, bids = counts[: self.count], counts[self.count :]
        value = inventory * price  # what the venue's tokens are worth
        np.minimum(asks, np.floor(value / self.clip_value), out=asks)
        # a bid fill costs less than a clip at mid: capping at the clip is on the safe side
        np.minimum(bids, np.floor(np.maximum(cash, 0.0) * self.budget_per_fill), out=bids)
        if closed is not None and closed.any():
            asks[closed] = 0
            bids[closed] = 0
        size = self.clip_value / price  # tokens per fill
        sold = asks * size
        bought = bids * size
        # the ask sits half * (1 - lean) above mid, the bid half * (1 + lean) below
        edge_rows = (sold * (1.0 - lean) + bought * (1.0 + lean)) * (self.half * price)
        edge = edge_rows.sum(axis=0)
        cash_in = ((sold - bought) * price).sum(axis=0) + edge
        ask_ok = value >= self.depth
        up = ask_ok & (cash >= self.total_depth)
        if closed is not None:
            up &= ~closed.reshape(-1, 1)
        flow = ((asks - bids) * self.adverse_move).sum(axis=0) if self.adverse else 0.0
        return Fills(bought, sold, cash_in, edge, up, ~ask_ok, flow)
