"""What a peg simulation reports, gathered one block of steps at a time.

Per step the model only copies its arrays into a block buffer; each full block is reduced at
once. Deviation percentiles come from a pooled histogram over log10 |SPOT / feed - 1| with
0.01-decade bins (2.3% resolution), from 1e-8 up."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from marketcraft.sim.peg.model import Pool
    from marketcraft.sim.peg.scenario import Scenario

__all__ = ["BINS", "REFALL_HOURS", "Collector", "percentile_from_histogram", "summarize"]

#: histogram edges over log10 deviation: the first bin holds everything under 1e-8
BINS = np.concatenate([[-np.inf], np.arange(-8.0, 1.0001, 0.01)])
_FIELDS = ("c", "u", "x", "dc", "price", "feed", "outside", "recovery")
#: a return to recovery this soon after leaving it counts as falling straight back
REFALL_HOURS = 48


def percentile_from_histogram(counts: np.ndarray, q: float) -> float:
    """The ``q``-th percentile (0..100) of |deviation| from the pooled histogram (upper edge
    of the bin it falls in, so never an understatement)."""
    total = counts.sum()
    if total == 0:
        return float("nan")
    index = int(np.searchsorted(np.cumsum(counts), q / 100 * total))
    return float(10 ** BINS[min(index + 1, len(BINS) - 1)])


class Collector:
    def __init__(self, s: Scenario, runs: int, sample_every: int) -> None:
        self.s, self.runs, self.sample_every = s, runs, sample_every
        self.block = max(1, round(86_400 / s.step_seconds))
        self.buffers = {
            name: np.zeros(
                (self.block, runs), dtype=bool if name in ("outside", "recovery") else float
            )
            for name in _FIELDS
        }
        self.fill = 0
        self.first_step = 1
        self.hist = np.zeros(len(BINS) - 1, dtype=np.int64)
        self.max_dev = np.zeros(runs)
        self.outside_steps = np.zeros(runs, dtype=np.int64)
        self.min_reserve = np.full(runs, np.inf)
        self.min_sold_ratio = np.full(runs, np.inf)
        self.shortfall = np.zeros(runs)
        self.recovery_steps = np.zeros(runs, dtype=np.int64)
        self.entries = np.zeros(runs, dtype=np.int64)
        self.recovered_steps = np.zeros(runs, dtype=np.int64)  # summed over finished episodes
        self.recoveries = np.zeros(runs, dtype=np.int64)
        self.longest = np.zeros(runs, dtype=np.int64)
        self.episode_start = np.full(runs, -1, dtype=np.int64)
        self.in_recovery = np.zeros(runs, dtype=bool)
        #: every mode flip: (run, step, 1 into recovery / 0 back to normal), in time order
        self.flips: list[tuple[int, int, int]] = []
        #: returns to recovery within REFALL_HOURS of leaving it
        self.refalls = np.zeros(runs, dtype=np.int64)
        self.last_exit = np.full(runs, -1, dtype=np.int64)
        self.samples: dict[str, list[np.ndarray]] = {
            k: [] for k in ("day", "spot_vs_price", "spot_vs_feed", "reserve", "excess", "recovery")
        }

    def record(
        self, t: int, pool: Pool, price: np.ndarray, feed: np.ndarray, outside: np.ndarray
    ) -> None:
        b, j = self.buffers, self.fill
        b["c"][j] = pool.c
        b["u"][j] = pool.u
        b["x"][j] = pool.x
        b["dc"][j] = pool.dc
        b["price"][j] = price
        b["feed"][j] = feed
        b["outside"][j] = outside
        b["recovery"][j] = pool.recovery
        self.fill += 1
        if self.fill == self.block or t == self.s.steps:
            self._reduce()

    def _reduce(self) -> None:
        n, first = self.fill, self.first_step
        b = {k: v[:n] for k, v in self.buffers.items()}
        c, u, x, dc, price, feed = (b[k] for k in ("c", "u", "x", "dc", "price", "feed"))
        spot = c / u
        dev = np.abs(spot / feed - 1.0)
        with np.errstate(divide="ignore"):
            self.hist += np.histogram(np.log10(dev), bins=BINS)[0]
        np.maximum(self.max_dev, dev.max(axis=0), out=self.max_dev)
        self.outside_steps += b["outside"].sum(axis=0)
        held = c + x
        np.minimum(self.min_reserve, (held / ((u + dc) * feed)).min(axis=0), out=self.min_reserve)
        with np.errstate(divide="ignore"):
            sold = np.where(dc > 0, held / (dc * feed), np.inf)
        np.minimum(self.min_sold_ratio, sold.min(axis=0), out=self.min_sold_ratio)
        np.maximum(self.shortfall, (dc * price - held).max(axis=0), out=self.shortfall)
        self._episodes(b["recovery"], first)
        steps = np.arange(first, first + n)
        rows = np.nonzero(steps % self.sample_every == 0)[0]
        if len(rows):
            ratio = self.s.market.ratio
            self.samples["day"].append(steps[rows] * self.s.step_seconds / 86_400)
            self.samples["spot_vs_price"].append(spot[rows] / price[rows])
            self.samples["spot_vs_feed"].append(spot[rows] / feed[rows])
            self.samples["reserve"].append(held[rows] / ((u[rows] + dc[rows]) * feed[rows]))
            target = (ratio - 1) * c[rows]
            with np.errstate(divide="ignore", invalid="ignore"):
                self.samples["excess"].append(np.where(target > 0, x[rows] / target, np.nan))
            self.samples["recovery"].append(b["recovery"][rows])
        self.first_step += n
        self.fill = 0

    def _episodes(self, recovery: np.ndarray, first: int) -> None:
        self.recovery_steps += recovery.sum(axis=0)
        flags = np.vstack([self.in_recovery[None, :], recovery])
        changes = np.nonzero(flags[1:] != flags[:-1])
        refall_steps = round(REFALL_HOURS * 3_600 / self.s.step_seconds)
        for row, run in zip(*changes, strict=True):
            step = first + int(row)
            self.flips.append((int(run), step, int(flags[row + 1, run])))
            if flags[row + 1, run]:
                self.entries[run] += 1
                self.episode_start[run] = step
                last_exit = self.last_exit[run]
                if last_exit >= 0 and step - last_exit <= refall_steps:
                    self.refalls[run] += 1
            else:
                self.last_exit[run] = step
                length = step - self.episode_start[run]
                self.recovered_steps[run] += length
                self.recoveries[run] += 1
                self.longest[run] = max(self.longest[run], length)
        self.in_recovery = recovery[-1].copy()

    def finish(self, pool: Pool, price: np.ndarray) -> dict[str, Any]:
        """Per-run metrics (arrays of one value per run)."""
        s, m = self.s, self.s.market
        hours = s.step_seconds / 3_600
        nav0 = m.deposit  # nothing circulates at the opening
        nav = pool.c + pool.x - pool.dc * price
        price0 = 1.0 / s.price.start
        per_mms0 = nav0 / m.deposit
        with np.errstate(divide="ignore", invalid="ignore"):
            time_to_recover = np.where(
                self.recoveries > 0, self.recovered_steps / np.maximum(self.recoveries, 1), np.nan
            )
        return {
            "max_deviation": self.max_dev,
            "outside_band_share": self.outside_steps / s.steps,
            "min_reserve_ratio": self.min_reserve,
            "min_sold_peg_ratio": self.min_sold_ratio,
            "black_swan": self.entries > 0,
            "black_swans": self.entries,
            "recovery_hours": self.recovery_steps * hours,
            "time_to_recover_hours": time_to_recover * hours,
            "longest_recovery_hours": self.longest * hours,
            "still_recovering": self.in_recovery,
            # into recovery and back out both count
            "mode_flips": self.entries + self.recoveries,
            "refalls_48h": self.refalls,
            "max_shortfall_col": np.maximum(self.shortfall, 0.0),
            "final_shortfall_col": np.maximum(-nav, 0.0),
            "mms_nav_col": nav,
            # MMS against just holding COL, both valued in PEG at the outside price
            "mms_return_peg": (nav / pool.mms / price) / (per_mms0 / price0) - 1.0,
            "col_return_peg": price0 / price - 1.0,
            "fees_col": pool.fees,
            **{f"corrected_{k}": v for k, v in pool.volumes.items()},
            "final_connector_col": pool.c,
            "final_connector_peg": pool.u,
            "final_excess_col": pool.x,
            "final_circulating_peg": pool.dc,
            "final_mms_supply": pool.mms,
        }

    def series(self) -> dict[str, np.ndarray]:
        """Sampled series, shape (samples, runs) (``day``: (samples,)), plus the histogram."""
        out = {
            k: np.concatenate(v) if v else np.zeros((0, self.runs)) for k, v in self.samples.items()
        }
        out["deviation_histogram"] = self.hist
        out["mode_flips"] = self.flip_table()
        return out

    def flip_table(self) -> np.ndarray:
        """The mode flips as rows of (run, day, 1 into recovery / 0 back to normal)."""
        days = self.s.step_seconds / 86_400
        rows = [(run, step * days, entered) for run, step, entered in self.flips]
        return np.array(rows, dtype=float).reshape(-1, 3)


def summarize(
    metrics: dict[str, np.ndarray], histogram: np.ndarray, years: float
) -> dict[str, float]:
    """The spec's headline numbers over all runs of one parameter set."""

    def mean(key: str) -> float:
        return float(np.mean(metrics[key]))

    def pct(key: str, q: float) -> float:
        values = metrics[key][np.isfinite(metrics[key])]
        return float(np.percentile(values, q)) if len(values) else float("nan")

    return {
        "runs": float(len(metrics["black_swan"])),
        "deviation_p50": percentile_from_histogram(histogram, 50),
        "deviation_p95": percentile_from_histogram(histogram, 95),
        "deviation_p99": percentile_from_histogram(histogram, 99),
        "outside_band_share": mean("outside_band_share"),
        "min_reserve_ratio_p5": pct("min_reserve_ratio", 5),
        "min_reserve_ratio_median": pct("min_reserve_ratio", 50),
        "black_swan_probability": mean("black_swan"),
        "black_swans_per_year": mean("black_swans") / years,
        "recovery_hours_mean": mean("recovery_hours"),
        "time_to_recover_hours_mean": pct("time_to_recover_hours", 50),
        "still_recovering_share": mean("still_recovering"),
        "mode_flips_mean": mean("mode_flips"),
        "mode_flips_max": float(np.max(metrics["mode_flips"])),
        "refall_48h_share": float(np.mean(metrics["refalls_48h"] > 0)),
        "max_shortfall_col_mean": mean("max_shortfall_col"),
        "max_shortfall_col_p95": pct("max_shortfall_col", 95),
        "final_shortfall_share": float(np.mean(metrics["final_shortfall_col"] > 0)),
        "mms_return_peg_median": pct("mms_return_peg", 50),
        "col_return_peg_median": pct("col_return_peg", 50),
        "mms_minus_col_median": float(
            np.median(metrics["mms_return_peg"] - metrics["col_return_peg"])
        ),
        "fees_col_mean": mean("fees_col"),
        "corrected_to_excess_mean": mean("corrected_to_excess"),
        "corrected_minted_mean": mean("corrected_minted"),
        "corrected_bought_back_mean": mean("corrected_bought_back"),
    }
