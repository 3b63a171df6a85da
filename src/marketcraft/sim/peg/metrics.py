"""What a peg simulation reports: the kernel gathers the metrics as it steps, and these
functions turn its state rows and hourly samples into named arrays. Deviation percentiles
come from a pooled histogram over log10 |SPOT / feed - 1| with 0.01-decade bins (2.3%
resolution), from 1e-8 up."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from marketcraft.sim.peg import kernel as k

if TYPE_CHECKING:
    from marketcraft.sim.peg.scenario import Scenario

__all__ = [
    "BINS",
    "RAW",
    "REFALL_HOURS",
    "finish",
    "hourly_series",
    "percentile_from_histogram",
    "summarize",
]

#: histogram edges over log10 deviation: the first bin holds everything under 1e-8
BINS = np.concatenate([[-np.inf], np.arange(-8.0, 1.0001, 0.01)])
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


def finish(s: Scenario, floats: np.ndarray, ints: np.ndarray) -> dict[str, Any]:
    """Per-run metrics (arrays of one value per run) from the kernel's final state rows."""
    m = s.market
    hours = s.step_seconds / 3_600
    c, u, x, dc, mms = (floats[:, j] for j in (k.S_C, k.S_U, k.S_X, k.S_DC, k.S_MMS))
    # the last outside price, as the kernel computed it (libm's exp, not NumPy's)
    price = np.array([1.0 / math.exp(v) for v in floats[:, k.S_LOG_PRICE]])
    nav0 = m.deposit  # nothing circulates at the opening
    nav = c + x - dc * price
    price0 = 1.0 / s.price.start
    per_mms0 = nav0 / m.deposit
    recoveries, recovered = ints[:, k.I_RECOVERIES], ints[:, k.I_RECOVERED_STEPS]
    with np.errstate(divide="ignore", invalid="ignore"):
        time_to_recover = np.where(recoveries > 0, recovered / np.maximum(recoveries, 1), np.nan)
    entries = ints[:, k.I_ENTRIES]
    return {
        "max_deviation": floats[:, k.S_MAX_DEV].copy(),
        "outside_band_share": ints[:, k.I_OUTSIDE] / s.steps,
        "min_reserve_ratio": floats[:, k.S_MIN_RESERVE].copy(),
        "min_sold_peg_ratio": floats[:, k.S_MIN_SOLD].copy(),
        "black_swan": entries > 0,
        "black_swans": entries.copy(),
        "recovery_hours": ints[:, k.I_RECOVERY_STEPS] * hours,
        "time_to_recover_hours": time_to_recover * hours,
        "longest_recovery_hours": ints[:, k.I_LONGEST] * hours,
        "still_recovering": ints[:, k.I_RECOVERY] != 0,
        # into recovery and back out both count
        "mode_flips": entries + recoveries,
        "refalls_48h": ints[:, k.I_REFALLS].copy(),
        "max_shortfall_col": np.maximum(floats[:, k.S_SHORTFALL], 0.0),
        "final_shortfall_col": np.maximum(-nav, 0.0),
        "mms_nav_col": nav,
        # MMS against just holding COL, both valued in PEG at the outside price
        "mms_return_peg": (nav / mms / price) / (per_mms0 / price0) - 1.0,
        "col_return_peg": price0 / price - 1.0,
        "fees_col": floats[:, k.S_FEES].copy(),
        "corrected_to_excess": floats[:, k.S_TO_EXCESS].copy(),
        "corrected_minted": floats[:, k.S_MINTED].copy(),
        "corrected_bought_back": floats[:, k.S_BOUGHT_BACK].copy(),
        "corrected_burnt": floats[:, k.S_BURNT].copy(),
        "final_connector_col": c.copy(),
        "final_connector_peg": u.copy(),
        "final_excess_col": x.copy(),
        "final_circulating_peg": dc.copy(),
        "final_mms_supply": mms.copy(),
        "final_speculator_mms": floats[:, k.S_SPEC_MMS].copy(),
    }


#: the raw hourly fields kept per run (the long-format table's columns)
RAW = {
    "price": k.F_PRICE, "feed": k.F_FEED, "c": k.F_C, "u": k.F_U, "x": k.F_X, "dc": k.F_DC,
    "mms": k.F_MMS, "fees": k.F_FEES,
}  # fmt: skip


def hourly_series(s: Scenario, samples: np.ndarray, every: int) -> dict[str, np.ndarray]:
    """Sampled series, shape (samples, runs) (``day``: (samples,)): the ratios the report
    plots and the raw state (``RAW``)."""
    count = len(samples)
    out: dict[str, np.ndarray] = {"day": np.arange(1, count + 1) * every * s.step_seconds / 86_400}
    raw = {name: np.ascontiguousarray(samples[:, :, j]) for name, j in RAW.items()}
    c, u, x, dc, price, feed = (raw[n] for n in ("c", "u", "x", "dc", "price", "feed"))
    spot = c / u
    out["spot_vs_price"] = spot / price
    out["spot_vs_feed"] = spot / feed
    out["reserve"] = (c + x) / ((u + dc) * feed)
    target = (s.market.ratio - 1) * c
    with np.errstate(divide="ignore", invalid="ignore"):
        out["excess"] = np.where(target > 0, x / target, np.nan)
    out["recovery"] = samples[:, :, k.F_RECOVERY] != 0
    out.update(raw)
    return out


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
