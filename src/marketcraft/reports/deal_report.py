"""The HTML report of a deal analysis: the market maker's view, the project's view, and the
plots (price fan, PnL histogram, attribution over time, deltas and perps, tokens sold, net
gamma, PnL over realised vol and drift, option value against vol, LP fees against LVR)."""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import numpy as np

from marketcraft.deal.analysis import Analysis
from marketcraft.deal.book import BUCKETS
from marketcraft.deal.valuation import mean_se
from marketcraft.reports.figures import fan, page, pictures, png, pyplot

__all__ = [
    "LOSS", "MARKET_MAKER", "MONEY", "PROJECT", "RISK", "RISK_METHOD", "STRESS", "cell", "fmt",
    "write_report",
]  # fmt: skip

MONEY = "{:,.0f}"
SHARE = "{:.1%}"
#: money that is a loss when positive: printed "loss 1,234" or "gain 1,234", never signed
LOSS = "loss"
#: (summary key, label, format): the market maker's view
MARKET_MAKER = [
    ("pnl_mean", "PnL, mean", MONEY),
    ("pnl_median", "PnL, median", MONEY),
    ("pnl_std", "PnL, standard deviation", MONEY),
    ("loss_probability", "probability of a loss", SHARE),
    ("sharpe_median", "Sharpe (daily PnL, annualised), median", "{:.2f}"),
    ("hedge_turnover_mean", "hedge turnover, mean", MONEY),
    ("hedge_trades_mean", "hedge trades, mean", "{:,.0f}"),
    ("hedge_cost_mean", "hedge cost (fees, spread and impact), mean", MONEY),
    ("attr_impact", "market impact of the desk's own trades (temporary), mean", MONEY),
    ("initial_impact_mean", "of which the opening sale's", MONEY),
    ("impact_drift_mean", "the desk's permanent impact on the price (log), mean", "{:+.4f}"),
    ("attr_financing", "financing: interest on cash (paid on negative cash), mean", MONEY),
    ("interest_paid_mean", "interest paid on negative cash, mean", MONEY),
    ("margin_calls_mean", "perp margin calls, mean", "{:,.2f}"),
    ("liquidations_mean", "perp liquidations, mean", "{:,.2f}"),
    ("liquidation_cost_mean", "liquidation fees paid, mean", MONEY),
    ("hedge_short_mean", "hedges cut short for want of margin, mean", "{:,.1f}"),
    ("attr_funding", "funding received, mean", MONEY),
    ("attr_lp_fees", "LP fees (LP fee x volume, the desk's share), mean", MONEY),
    ("pool_volume_arbitrage_mean", "pool volume from arbitrage (whole pool), mean", MONEY),
    ("pool_volume_organic_mean", "pool volume, organic (whole pool)", MONEY),
    ("lvr_mean", "LVR estimate (vol^2/8 x pool value), mean", MONEY),
    ("attr_lp_divergence", "LP divergence: value change - x dP - fees (realised), mean", MONEY),
    ("peak_perp_mean", "peak perp notional, mean", MONEY),
    ("peak_perp_p95", "peak perp notional, p95", MONEY),
    ("peak_margin_p95", "peak perp margin, p95", MONEY),
    ("min_cash_p5", "lowest cash, p5 (negative: financing needed)", MONEY),
    ("delta_inventory_start", "inventory delta after the initial hedge (tokens)", MONEY),
    ("delta_economic_start", "economic delta after the initial hedge (tokens)", MONEY),
    (
        "options_mc_rule",
        "the calls under the desk's exercise rule (first touch), Monte Carlo",
        MONEY,
    ),
    (
        "exercise_rule_cost",
        "what that rule costs the desk: fair value - value under the rule (same paths)",
        MONEY,
    ),
    ("attribution_residual", "attribution residual (largest, share of NAV)", "{:.1e}"),
]
#: the risk the desk reads (see :mod:`marketcraft.deal.risk`): VaR and CVaR as losses, named
#: by the tail (5%: at 95% confidence), over 1 and 10 days and to maturity
RISK = [
    *(
        (f"{kind}_{key}{tail}", f"{name} {label}, {100 - int(tail[:-1])}%", LOSS)
        for key, label in (("1d_", "over 1 day"), ("10d_", "over 10 days"), ("", "to maturity"))
        for tail in ("5%", "1%")
        for kind, name in (("var", "VaR"), ("cvar", "CVaR"))
    ),
    ("drawdown_mean", "max drawdown, mean", MONEY),
    ("drawdown_p95", "max drawdown, p95", MONEY),
    ("margin_call_probability", "probability of at least one perp margin call", SHARE),
    ("liquidation_probability", "probability of at least one perp liquidation", SHARE),
]
#: how the risk figures are measured, as the report says it
RISK_METHOD = (
    "Losses are positive (gain: even that tail makes money). An n-day loss is the fall in the "
    "book's PnL (NAV less capital) over every overlapping window of n days across the deal's "
    "life, end of day to end of day, pooled over all paths; to maturity: one loss per path. "
    "VaR at 95% (99%) is the loss that 95% (99%) of those windows stay at or below (the "
    "empirical quantile); CVaR is the mean loss beyond it (expected shortfall). Standard "
    "errors: a bootstrap over whole paths (200 resamples, a path's windows kept together, "
    "since windows on one path overlap); for a probability the binomial sqrt(p(1-p)/n)."
)
#: the project's view
PROJECT = [
    (
        "given_away",
        "given away at signing: the calls at fair value + the cash-repayment option",
        MONEY,
    ),
    (
        "options_fair",
        "the calls at fair value (held to expiry; Black-Scholes for a fixed strike, "
        "Monte Carlo for a TWAP strike)",
        MONEY,
    ),
    ("cash_option_bs", "the right to repay in cash, Black-Scholes at signing", MONEY),
    ("cash_option_mc", "the right to repay in cash, Monte Carlo (check)", MONEY),
    ("options_bs", "the calls, Black-Scholes at signing (TWAP strikes fixed at listing)", MONEY),
    ("options_mc_expiry", "the calls, Monte Carlo held to expiry (check)", MONEY),
    ("project_cash_mean", "stablecoin received (strikes + cash repayment), mean", MONEY),
    ("repaid_in_cash_share", "paths repaid in cash", SHARE),
    ("initial_sold", "tokens sold at the start", MONEY),
    ("tokens_sold_mean", "tokens sold into the market over the deal, mean", MONEY),
]


#: the figures compared across stress scenarios, side by side
STRESS = [
    ("pnl_mean", "PnL, mean", MONEY),
    ("cvar_5%", "CVaR 95%, to maturity", LOSS),
    ("var_1d_1%", "VaR 99%, 1 day", LOSS),
    ("cvar_10d_1%", "CVaR 99%, 10 days", LOSS),
    ("drawdown_p95", "max drawdown, p95", MONEY),
    ("attr_impact", "market impact, mean", MONEY),
    ("attr_financing", "financing, mean", MONEY),
    ("min_cash_p5", "lowest cash, p5", MONEY),
    ("margin_call_probability", "probability of a margin call", SHARE),
    ("liquidation_probability", "probability of a liquidation", SHARE),
    ("liquidation_cost_mean", "liquidation fees, mean", MONEY),
    ("hedge_short_mean", "hedges cut short for want of margin, mean", "{:,.1f}"),
    ("attribution_residual", "attribution residual", "{:.1e}"),
]


def fmt(spec: str, value: float) -> str:
    """``value`` in the format ``spec`` (or :data:`LOSS`); "n/a" if it is not finite; a value
    that rounds to zero is printed without a sign."""
    if not math.isfinite(value):
        return "n/a"
    if spec == LOSS:
        amount = fmt(MONEY, abs(value))
        return "0" if amount == "0" else f"{'loss' if value > 0 else 'gain'} {amount}"
    text = spec.format(value)
    if text.startswith("-") and not any(c in "123456789" for c in text.split("e")[0]):
        text = text[1:]  # -0, -0.0%: nothing is negative at this precision
    return text


def cell(summary: dict[str, float], key: str, spec: str) -> str:
    """A headline as printed: ``mean ± standard error`` where it has one (``key_se``)."""
    text = fmt(spec, summary.get(key, math.nan))
    se = summary.get(f"{key}_se", 0.0)
    return f"{text} ± {fmt(MONEY if spec == LOSS else spec, se)}" if se > 0 else text


def _rows(a: Analysis, headlines: list[tuple[str, str, str]]) -> str:
    return "".join(
        f"<tr><td>{html.escape(text)}</td><td>{cell(a.summary, key, spec)}</td></tr>"
        for key, text, spec in headlines
        if key in a.summary
    )


def _stress_table(a: Analysis, beside: list[Analysis]) -> str:
    """The stress scenarios run on the same paths, a column each, the base case first."""
    if len(beside) < 2:
        return ""
    t = a.terms
    heads = "".join(f"<th>{html.escape(b.scenario or 'base')}</th>" for b in beside)
    says = {s.name: _stress_words(s) for s in t.stress}
    rows = "".join(
        f"<tr><td>{html.escape(text)}</td>"
        + "".join(f"<td>{cell(b.summary, key, spec)}</td>" for b in beside)
        + "</tr>"
        for key, text, spec in STRESS
    )
    told = "".join(
        f"<li><b>{html.escape(name)}</b>: {html.escape(words)}</li>"
        for name, words in says.items()
        if any(b.scenario == name for b in beside)
    )
    return (f"<h2>Stress scenarios, on the same paths as the base case</h2><ul>{told}</ul>"
            f"<table><tr><th>figure</th>{heads}</tr>{rows}</table>")  # fmt: skip


def _stress_words(s: Any) -> str:
    if s.kind == "jump":
        return f"the price moves {s.move:+.0%} at day {s.day:g}"
    if s.kind == "delisting":
        return (f"at day {s.day:g} the price gaps {s.move:+.0%}, the venues stop quoting and "
                "the perps are closed; no hedging after")  # fmt: skip
    if s.venue == "perp":
        return f"the perp venue takes no hedges for {s.hours:g} hours from day {s.day:g}"
    return f"venue {s.venue} takes no fills for {s.hours:g} hours from day {s.day:g}"


def write_report(a: Analysis, path: Path, beside: list[Analysis] | None = None) -> Path:
    """Write the report to ``path`` (HTML) and return it; ``beside``: the stress scenarios
    run with it (the base case among them), compared in a table."""
    plt = pyplot()
    t = a.terms
    figures = [
        ("Token price", fan(plt, a.days, a.series["price"], "price (stablecoin)", "paths")),
        ("PnL at maturity", _histogram(plt, a)),
        ("Where the PnL comes from (mean over paths, cumulative)", _attribution(plt, a)),
        ("Deltas and perps over time", _deltas(plt, a)),
        ("Tokens sold into the market, net", fan(plt, a.days, a.series["sold"], "tokens", "paths")),
        ("Net gamma (calls + pool share + cash-repayment option)", _gamma(plt, a)),
        _heatmap(plt, a),
        ("What the project gives away, against volatility", _vol_curve(plt, a)),
        ("LP fees against the pool's loss to arbitrage", _lp(plt, a)),
    ]
    attribution = "".join(
        f"<tr><td>{name}</td><td>{cell(a.summary, f'attr_{name}', MONEY)}</td></tr>"
        for name in BUCKETS
    )
    v = a.values
    fair, fair_se = v.fair()
    expiry, expiry_se = (x[v.base] for x in v.by_vol(rule=False))
    rule, rule_se = (x[v.base] for x in v.by_vol(rule=True))
    tranches = "".join(
        f"<tr><td>{j + 1}: {c.tokens:,.0f} at "
        f"{f'{c.strike:g}' if c.strike else f'{c.strike_multiple:g} x {c.average_days}-day TWAP'}"
        f" ({c.style})</td><td>{fmt(MONEY, v.black_scholes[j])}</td>"
        f"<td>{_pm(fair[j], fair_se[j])}</td><td>{_pm(expiry[j], expiry_se[j])}</td>"
        f"<td>{_pm(rule[j], rule_se[j])}</td>"
        f"<td>{cell(a.summary, f'exercise_probability_{j}', SHARE)}</td>"
        f"<td>{np.nanmean(a.metrics[f'strike_{j}']):.4g}</td></tr>"
        for j, c in enumerate(t.calls)
    )
    if t.repayment.mode == "cash":
        s = a.summary
        tranches += (
            f"<tr><td>repay {v.owed:,.0f} tokens at {t.repayment.cash_strike:g} in cash</td>"
            f"<td>{fmt(MONEY, s['cash_option_bs'])}</td><td>{fmt(MONEY, s['cash_option_bs'])}</td>"
            f"<td>{cell(s, 'cash_option_mc', MONEY)}</td><td>at maturity</td>"
            f"<td>{cell(s, 'repaid_in_cash_share', SHARE)}</td>"
            f"<td>{t.repayment.cash_strike:g}</td></tr>"
        )
    uptime = "".join(
        f"<tr><td>{html.escape(venue.name)}</td>"
        f"<td>{cell(a.summary, f'uptime_{venue.name}', SHARE)}</td>"
        f"<td>{fmt(MONEY, a.metrics[f'stockouts_{i}'].mean())}</td></tr>"
        for i, venue in enumerate(t.venues)
    )
    body = f"""<p>{a.paths:,} paths at {a.step_hours:g}-hour steps over {t.loan.tenor_days:g}
days, seed {a.seed}. Loan {t.loan.tokens:,.0f} {html.escape(t.token.symbol)} at a listing
price of {t.token.listing_price:g}, repaid in {t.repayment.mode}; initial hedge
<b>{t.hedge.initial}</b>, policy <b>{t.hedge.policy}</b>, neutralising the
<b>{t.hedge.delta_mode}</b> delta. Market: {_market(a)}. Money in stablecoin; PnL is the change
in net asset value from the desk's capital of {t.desk.capital:,.0f}. {_impact_line(a)}
Cash is borrowed at {t.financing.borrow_rate:.1%} a year (credit line
{t.financing.credit_line:,.0f}) and earns {t.financing.deposit_rate:.1%}; perp margin
{t.desk.margin:.0%} initial, {t.desk.maintenance:.0%} maintenance.</p>
{_scenario_line(a)}<h2>The market maker's view</h2><table>{_rows(a, MARKET_MAKER)}</table>
<h2>Risk</h2>{_risk_table(a)}<p>{html.escape(RISK_METHOD)}</p>
{_stress_table(a, beside or [])}
<h2>Attribution (mean over paths)</h2><table><tr><th>bucket</th><th>PnL</th></tr>
{attribution}<tr><td><b>total</b></td><td><b>{cell(a.summary, "pnl_mean", MONEY)}</b></td></tr>
</table>
<h2>Obligations</h2><table><tr><th>venue</th><th>uptime</th><th>steps stocked out,
mean</th></tr>{uptime}</table>
<h2>The project's view</h2><table>{_rows(a, PROJECT)}</table>
<p>What the project gives away is valued at fair value: the tokens pay nothing and r = b = 0,
so a call is worth most held to expiry (an American call is worth the European one). The desk
exercises an American tranche at the first touch of strike x {1 + t.desk.exercise_buffer:g},
which is worth less to it; the difference is in the market maker's view.</p>
<table><tr><th>option</th><th>Black-Scholes at signing</th><th>fair value</th><th>Monte Carlo,
held to expiry</th><th>Monte Carlo, desk's rule</th><th>exercised (desk's rule)</th>
<th>strike, mean</th></tr>{tranches}</table>
{pictures(figures)}"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page(f"Deal analysis: {t.name}", body))
    return path


#: the risk table's rows: (key infix, label)
HORIZONS = (("1d_", "1 day"), ("10d_", "10 days"), ("", "to maturity"))


def _risk_table(a: Analysis) -> str:
    """VaR and CVaR as a grid (a row per horizon, a column per figure and level), then the
    drawdown and the probabilities; each ``value ± standard error``. A horizon longer than
    the deal has no row."""
    levels = (("5%", "95%"), ("1%", "99%"))
    heads = "".join(f"<th>{kind} {level}</th>" for _, level in levels for kind in ("VaR", "CVaR"))
    grid = "".join(
        f"<tr><td>{label}</td>"
        + "".join(
            f"<td>{cell(a.summary, f'{kind}_{key}{tail}', LOSS)}</td>"
            for tail, _ in levels
            for kind in ("var", "cvar")
        )
        + "</tr>"
        for key, label in HORIZONS
        if f"var_{key}5%" in a.summary
    )
    rest = "".join(
        f'<tr><td>{html.escape(text)}</td><td colspan="4">{cell(a.summary, key, spec)}</td></tr>'
        for key, text, spec in RISK
        if not key.startswith(("var_", "cvar_")) and key in a.summary
    )
    return f'<table id="risk"><tr><th>horizon</th>{heads}</tr>{grid}{rest}</table>'


def _scenario_line(a: Analysis) -> str:
    if not a.scenario:
        return ""
    said = _stress_words(a.terms.scenario(a.scenario))
    return f"<p><b>Stress scenario {html.escape(a.scenario)}</b>: {html.escape(said)}.</p>"


def _impact_line(a: Analysis) -> str:
    law = a.terms.impact
    if law.coefficient == 0 and law.permanent == 0:
        return "Market impact of the desk's own trades: off."
    return (
        f"Market impact of the desk's own trades: temporary by the square-root law, Y = "
        f"{law.coefficient:g}; permanent linear, gamma = {law.permanent:g}; daily volume "
        f"{a.summary.get('daily_volume', math.nan):,.0f}"
        f"{'' if law.daily_volume else ' (from the venues and the pool)'}."
    )


def _market(a: Analysis) -> str:
    """The price model as the book was marked: a bootstrap's vol is its data's."""
    m, vol = a.terms.market, a.values.vols[a.values.base]
    if m.model == "bootstrap":
        return (
            f"a block bootstrap of {html.escape(m.csv)} at the {a.step_hours:g}-hour step, "
            f"blocks of {m.block_hours:g} hours; vol {vol:.0%} a year, from the data"
        )
    jumps = f", {m.jumps_per_year:g} jumps a year" if m.jumps_per_year else ""
    return f"GBM, vol {vol:.0%}, drift {m.drift:+.0%}{jumps}"


def _pm(mean: float, se: float) -> str:
    return cell({"v": mean, "v_se": se}, "v", MONEY)


def _histogram(plt: Any, a: Analysis) -> str:
    fig, ax = plt.subplots(figsize=(10, 3.6))
    pnl = a.metrics["pnl"]
    low, high = float(pnl.min()), float(pnl.max())
    pad = 1e-6 * max(1.0, abs(low), abs(high))
    if high - low < pad:  # paths that end (nearly) level: 60 bins need a range of their own
        low, high = low - pad, high + pad
    ax.hist(pnl, bins=60, range=(low, high), color="#6baed6")
    for key, colour in (("var_5%", "#f0ad4e"), ("var_1%", "#d9534f")):
        ax.axvline(-a.summary[key], color=colour, linestyle="--", label=key.replace("_", " "))
        # VaR is a loss: the line sits at minus it on the PnL axis
    ax.axvline(a.summary["pnl_mean"], color="#08306b", label="mean")
    ax.set_xlabel("PnL (stablecoin)")
    ax.set_ylabel("paths")
    ax.legend(loc="best")
    return png(plt, fig)


def _attribution(plt: Any, a: Analysis) -> str:
    """Cumulative mean attribution about once a month, gains stacked up, losses down."""
    fig, ax = plt.subplots(figsize=(10, 4.2))
    colours = plt.get_cmap("tab20").colors
    rows = np.unique(np.linspace(0, len(a.days) - 1, min(len(a.days), 13)).round().astype(int))
    days, values = a.days[rows], a.attribution[rows]
    width = 0.8 * (days[1] - days[0]) if len(days) > 1 else 1.0
    up = np.zeros(len(days))
    down = np.zeros(len(days))
    for j, name in enumerate(BUCKETS):
        gain = np.maximum(values[:, j], 0.0)
        loss = np.minimum(values[:, j], 0.0)
        ax.bar(days, gain, width, bottom=up, color=colours[j], label=name)
        ax.bar(days, loss, width, bottom=down, color=colours[j])
        up += gain
        down += loss
    ax.plot(days, values.sum(axis=1), color="black", marker="o", linewidth=1.5, label="total")
    ax.axhline(0, color="#999", linewidth=0.8)
    ax.set_xlabel("day")
    ax.set_ylabel("stablecoin, cumulative")
    ax.legend(loc="upper left", fontsize=8, ncol=2)
    return png(plt, fig)


def _deltas(plt: Any, a: Analysis) -> str:
    fig, ax = plt.subplots(figsize=(10, 3.8))
    for key, colour in (("delta_economic", "#d9534f"), ("delta_inventory", "#08306b")):
        low, mid, high = np.percentile(a.series[key], [5, 50, 95], axis=1)
        ax.fill_between(a.days, low, high, color=colour, alpha=0.2)
        ax.plot(a.days, mid, color=colour, label=f"{key.replace('_', ' ')} (median, p5-p95)")
    ax.plot(a.days, np.median(a.series["perp"], axis=1), color="#5cb85c", label="perps, median")
    ax.axhline(0, color="#999", linewidth=0.8)
    ax.set_xlabel("day")
    ax.set_ylabel("tokens")
    ax.legend(loc="best", fontsize=8)
    return png(plt, fig)


def _gamma(plt: Any, a: Analysis) -> str:
    fig, ax = plt.subplots(figsize=(10, 3.4))
    low, mid, high = np.percentile(a.series["gamma"], [5, 50, 95], axis=1)
    ax.fill_between(a.days, low, high, color="#6baed6", alpha=0.5, label="p5-p95")
    ax.plot(a.days, mid, color="#08306b", label="median")
    ax.axhline(0, color="#999", linewidth=0.8)
    ax.set_xlabel("day")
    ax.set_ylabel("tokens per unit of price")
    ax.legend(loc="best")
    return png(plt, fig)


#: below this spread of realised vol across paths (p95 / p5), a vol axis shows only noise
NARROW_VOL = 1.1


def _heatmap(plt: Any, a: Analysis) -> tuple[str, str]:
    """(title, picture): mean PnL over realised vol and drift; or, when every path's realised
    vol is within :data:`NARROW_VOL` of the others (GBM without jumps: its sampling error over
    a tenor of hourly steps is a percent or two), mean PnL over realised drift alone, saying
    why."""
    vol, drift, pnl = a.metrics["realised_vol"], a.metrics["realised_drift"], a.metrics["pnl"]
    low, high = (float(q) for q in np.quantile(vol, [0.05, 0.95]))
    bins = 8
    y_edges = np.unique(np.quantile(drift, np.linspace(0, 1, bins + 1)))
    if y_edges.size < 2:  # every path drifted alike (no vol): one band around it
        y_edges = np.array([y_edges[0] - 0.5, y_edges[0] + 0.5])
    if not high > low * NARROW_VOL:
        fig, ax = plt.subplots(figsize=(8, 4))
        where = np.clip(np.searchsorted(y_edges, drift, side="right") - 1, 0, len(y_edges) - 2)
        centres, means, errors = [], [], []
        for i in range(max(len(y_edges) - 1, 0)):
            inside = pnl[where == i]
            if inside.size:
                mean, se = mean_se(inside)
                centres.append(float(np.median(drift[where == i])))
                means.append(float(mean))
                errors.append(2 * float(se))
        ax.errorbar(centres, means, yerr=errors, marker="o", capsize=3, label="mean ± 2 s.e.")
        ax.axhline(0, color="#999", linewidth=0.8)
        ax.set_xlabel("realised drift (log return per year)")
        ax.set_ylabel("mean PnL (stablecoin)")
        ax.legend(loc="best")
        title = (
            f"PnL over realised drift (every path's realised vol is within {low:.0%}-{high:.0%}: "
            "too narrow to show PnL against vol; compare vols with --sweep vol=...)"
        )
        return title, png(plt, fig)
    x_edges = np.quantile(vol, np.linspace(0, 1, bins + 1))
    total, _, _ = np.histogram2d(vol, drift, [x_edges, y_edges], weights=pnl)
    count, _, _ = np.histogram2d(vol, drift, [x_edges, y_edges])
    mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    fig, ax = plt.subplots(figsize=(8, 5.5))
    finite = np.abs(mean[np.isfinite(mean)])
    limit = float(np.quantile(finite, 0.9)) if finite.size else 1.0  # one outlier cell
    limit = limit or 1.0
    mesh = ax.pcolormesh(x_edges, y_edges, mean.T, cmap="RdBu", vmin=-limit, vmax=limit)
    fig.colorbar(mesh, ax=ax, label="mean PnL (stablecoin)")
    ax.set_xlabel("realised volatility (per year)")
    ax.set_ylabel("realised drift (log return per year)")
    return "PnL over realised volatility and drift", png(plt, fig)


def _vol_curve(plt: Any, a: Analysis) -> str:
    v = a.values
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(v.vols, v.by_vol_bs.sum(axis=1), marker="o", label="Black-Scholes")
    for values, name in ((v.payoffs.expiry, "held to expiry"), (v.payoffs.rule, "desk's rule")):
        mean, se = mean_se(values.sum(axis=0))
        ax.errorbar(v.vols, mean, yerr=3 * se, marker="s", capsize=3,
                    label=f"Monte Carlo, {name} (±3 s.e.)")  # fmt: skip
    if a.terms.repayment.mode == "cash":
        ax.plot(v.vols, v.cash_bs, marker="^", label="the right to repay in cash, Black-Scholes")
    ax.set_xlabel("volatility (per year)")
    ax.set_ylabel("value at signing (stablecoin)")
    ax.legend(loc="best")
    return png(plt, fig)


def _lp(plt: Any, a: Analysis) -> str:
    s = a.summary
    names = ["LP fees", "LP divergence", "LVR estimate"]
    values = [s["attr_lp_fees"], s["attr_lp_divergence"], -s["lvr_mean"]]
    fig, ax = plt.subplots(figsize=(7, 3.4))
    ax.bar(names, values, color=["#5cb85c", "#d9534f", "#f0ad4e"])
    ax.axhline(0, color="#999", linewidth=0.8)
    ax.set_ylabel("stablecoin, mean over paths")
    return png(plt, fig)
