"""A stress scenario (``[[stress]]`` in the terms) as the step loop sees it.

The scenario's time is the step that ends at day ``day`` (the first step for day 0); an
outage lasts ``hours`` (at least one step) from that step on. Every scenario draws the same
random numbers as the base case, so the two differ by the stress alone."""

from __future__ import annotations

import math

import numpy as np

from marketcraft.deal.terms import Stress, Venue
from marketcraft.deal.time_grid import TimeGrid

__all__ = ["Stressed"]


class Stressed:
    """What ``stress`` (None: the base case) does at each step."""

    def __init__(self, stress: Stress | None, venues: tuple[Venue, ...], clock: TimeGrid) -> None:
        self.stress = stress
        self.count = len(venues)
        self.at = 0
        self.end = 0
        self.venue = -1  # an outage's CEX venue; -1 for none or the perp venue
        if stress is None:
            return
        self.at = max(1, round(stress.day * clock.per_day))
        self.end = self.at + max(1, round(stress.hours / clock.step_hours)) - 1
        names = [v.name for v in venues]
        if stress.kind == "outage" and stress.venue in names:
            self.venue = names.index(stress.venue)
        self.gap = math.log1p(stress.move)

    def _kind(self, kind: str) -> bool:
        return self.stress is not None and self.stress.kind == kind

    def jump(self, step: int) -> float:
        """The log price move the scenario adds at ``step``."""
        if step == self.at and (self._kind("jump") or self._kind("delisting")):
            return self.gap
        return 0.0

    def delists_at(self, step: int) -> bool:
        return self._kind("delisting") and step == self.at

    def delisted(self, step: int) -> bool:
        """The token's centralised venues and perps are gone at ``step``."""
        return self._kind("delisting") and step >= self.at

    def _out(self, step: int) -> bool:
        return self._kind("outage") and self.at <= step <= self.end

    def perp_down(self, step: int) -> bool:
        """The perp venue takes no hedges at ``step``."""
        return self._out(step) and self.venue < 0

    def closed(self, step: int) -> np.ndarray | None:
        """The venues (venues,) that take no fills at ``step``; None when all are open."""
        if self.delisted(step):
            return np.ones(self.count, dtype=bool)
        if self._out(step) and self.venue >= 0:
            closed = np.zeros(self.count, dtype=bool)
            closed[self.venue] = True
            return closed
        return None
