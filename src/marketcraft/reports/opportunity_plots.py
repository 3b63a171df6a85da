"""The picture of an opportunity simulation: where YES and NO markets ended, and the ROC."""

from __future__ import annotations

from pathlib import Path

from marketcraft.reports.figures import pyplot
from marketcraft.sim.opportunity import SimulationResult

__all__ = ["plot_simulation"]


def plot_simulation(result: SimulationResult, path: Path) -> Path:
    plt = pyplot()
    yes = sorted(float(p) for m, p in result.prices.items() if result.outcomes[m])
    no = sorted(float(p) for m, p in result.prices.items() if not result.outcomes[m])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    ax1.hist([no, yes], bins=20, label=["NO markets", "YES markets"], color=["#9aa5b1", "#d9534f"])
    ax1.set_xlabel("YES price at the end of the window")
    ax1.set_ylabel("markets")
    ax1.set_title("Where markets ended")
    ax1.legend()

    thresholds = sorted({*yes, *no}, reverse=True)
    tpr = [0.0] + [sum(p >= t for p in yes) / max(len(yes), 1) for t in thresholds]
    fpr = [0.0] + [sum(p >= t for p in no) / max(len(no), 1) for t in thresholds]
    ax2.plot(fpr, tpr, color="#d9534f", label=f"price ranking (AUC {result.auc:.2f})")
    ax2.plot([0, 1], [0, 1], color="#9aa5b1", linestyle="--", label="no signal")
    ax2.set_xlabel("NO markets flagged")
    ax2.set_ylabel("YES markets flagged")
    ax2.set_title("Sponsor ranks markets by price")
    ax2.legend(loc="lower right")
    cost = float(result.sponsor_cost)
    budget = float(result.total_budget)
    fig.suptitle(
        f"{len(result.outcomes)} markets, {result.config.scouts} scouts: sponsor cost "
        f"{cost:,.0f} of {budget:,.0f} budget ({cost / budget:.1%})"
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
