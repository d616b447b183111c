"""Figures of the study report (seaborn); each returns its matplotlib Figure."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from rxlt.languages.tier_schemes import TIER_ORDER


def _resource_order(cov: pd.DataFrame, predictor: str, langs) -> list[str]:
    """Languages ordered by the predictor; those without a value (unseen) first, by name."""
    c = cov[cov.language.isin(set(langs))]
    unknown = sorted(c[c[predictor].isna()].language)
    known = c.dropna(subset=[predictor]).sort_values(predictor).language.tolist()
    return unknown + known


def scores_by_resource(per_lang: pd.DataFrame, cov: pd.DataFrame, predictor: str, conditions, metric: str):
    """Per-language score (mean over seeds) with its 95% CI, languages ordered by resource size."""
    df = per_lang[per_lang.condition.isin(conditions)]
    order = _resource_order(cov, predictor, df.language)
    pos = {l: i for i, l in enumerate(order)}
    fig, ax = plt.subplots(figsize=(max(8, len(order) * 0.1), 4))
    palette = sns.color_palette(n_colors=len(conditions))
    for k, (cond, color) in enumerate(zip(conditions, palette)):
        g = df[df.condition == cond]
        x = g.language.map(pos).to_numpy() + (k - (len(conditions) - 1) / 2) * 0.25
        ax.errorbar(x, g.value, yerr=[g.value - g.ci_low, g.ci_high - g.value], fmt="o", ms=2.5, lw=0.6,
                    color=color, label=cond)
    n_unknown = int(cov[cov.language.isin(pos)][predictor].isna().sum())
    if n_unknown:
        ax.axvspan(-0.5, n_unknown - 0.5, color="grey", alpha=0.12)
        ax.text((n_unknown - 1) / 2, ax.get_ylim()[1], f"no {predictor} (unseen)", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(order)))
    ax.set_xticklabels(order, rotation=90, fontsize=5 if len(order) > 60 else 8)
    ax.set_ylabel(metric)
    ax.set_title(f"Zero-shot {metric} per language (mean over seeds, 95% CI), ordered by {predictor}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def gain_vs_resource(gains: pd.DataFrame, predictor: str):
    """Per-language mean gain vs the resource predictor, one fitted OLS line (95% band) per condition."""
    if gains.empty:  # a single-condition study has no gains to draw
        return None
    df = gains.dropna(subset=[predictor])
    fig, ax = plt.subplots(figsize=(9, 4.2))
    for cond, g in df.groupby("condition"):
        sns.regplot(data=g, x=predictor, y="gain", ax=ax, label=cond, scatter_kws={"s": 10, "alpha": 0.6},
                    ci=95, n_boot=500, seed=0, truncate=True)
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_title(f"Gain over the baseline vs {predictor} (per language, mean over seeds)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7)
    fig.tight_layout()
    return fig


def gain_by_tier(gains: pd.DataFrame):
    """Box + strip plot of per-language gain per tier and condition (unseen languages are a tier)."""
    if gains.empty:  # a single-condition study has no gains to draw
        return None
    order = [t for t in TIER_ORDER if t in set(gains.tier)]
    fig, ax = plt.subplots(figsize=(9, 4))
    sns.boxplot(data=gains, x="tier", y="gain", hue="condition", order=order, ax=ax, showfliers=False)
    sns.stripplot(data=gains, x="tier", y="gain", hue="condition", order=order, ax=ax, dodge=True, size=2,
                  palette="dark:black", legend=False)
    ax.axhline(0, color="grey", lw=0.8)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7, title="condition")
    ax.set_title("Gain over the baseline per resource tier (one point per language)")
    fig.tight_layout()
    return fig


def gain_heatmap(gains: pd.DataFrame, cov: pd.DataFrame, predictor: str):
    """(task, condition) × language heat map of mean gain, languages ordered by resource size."""
    if gains.empty:  # a single-condition study has no gains to draw
        return None
    order = _resource_order(cov, predictor, gains.language)
    grid = gains.pivot_table(index=["task", "condition"], columns="language", values="gain").reindex(columns=order)
    fig, ax = plt.subplots(figsize=(max(8, len(order) * 0.1), 1.2 + 0.45 * len(grid)))
    lim = float(np.nanmax(np.abs(grid.to_numpy()))) if grid.size else 1.0
    sns.heatmap(grid, cmap="RdBu", center=0, vmin=-lim, vmax=lim, ax=ax, cbar_kws={"label": "gain"},
                xticklabels=True, yticklabels=True)
    ax.tick_params(axis="x", labelsize=5 if len(order) > 60 else 8)
    ax.set_title(f"Gain per task × condition × language (languages ordered by {predictor}; unseen first)")
    fig.tight_layout()
    return fig


def seed_spread(scores: pd.DataFrame, metric: str):
    """Macro-average score of each run (one point per seed) per condition."""
    macro = scores.groupby(["task", "condition", "seed"], as_index=False).value.mean()
    fig, ax = plt.subplots(figsize=(7.5, 3.5))
    sns.stripplot(data=macro, x="condition", y="value", hue="seed", ax=ax, size=7, jitter=False)
    ax.set_ylabel(f"macro {metric} (all evaluated languages)")
    ax.set_title("Seed spread: macro-average per run")
    ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    return fig


_TIER_COLORS = {"unseen": "#7b3294", "low": "#d6604d", "mid": "#f4a582", "high": "#4393c3", "unclassified": "#999999",
                "all": "#000000"}


def _unit_label(predictor: str) -> str:
    return f"per doubling ({predictor})" if predictor.startswith("log2_") else f"per unit of {predictor}"


def study_overview(out: dict, cfg, n_boot: int = 1000):
    """The whole study in one forest plot: per condition (the question's condition on top), the gain over the
    baseline per resource tier and over all languages (mean over languages, 95% percentile bootstrap over
    languages, rxlt.stats.intervals), and the resource slope of the gain with the report's 95% CI (mixed model).
    Points of the metric (× 100) for scores in [0, 1], as the answer states them. None for a single condition."""
    from rxlt.stats.intervals import bootstrap_mean_ci

    gains, tests = out["language_gains"], out["interaction"]
    if gains.empty:
        return None
    scale = 100.0 if out["design"].get("value_max", 1.0) <= 1.0 else 1.0
    unit = "points" if scale == 100.0 else out["metric"]
    head = out["headline"]
    conditions = [head] + sorted(c for c in gains.condition.unique() if c != head)
    tiers = [t for t in TIER_ORDER if t in set(gains.tier)] + ["all"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.6, 1.5 + 0.42 * len(conditions)), sharey=True,
                                      gridspec_kw={"width_ratios": [1.5, 1]})
    offsets = np.linspace(-0.3, 0.3, len(tiers))
    for i, cond in enumerate(conditions):
        g = gains[gains.condition == cond].groupby("language", as_index=False).agg(gain=("gain", "mean"), tier=("tier", "first"))
        for tier, dy in zip(tiers, offsets):
            values = (g.gain if tier == "all" else g[g.tier == tier].gain).to_numpy(dtype=float) * scale
            if not len(values):
                continue
            lo, hi = bootstrap_mean_ci(values, n_boot, seed=0) if len(values) > 1 else (np.nan, np.nan)
            y = i + dy
            if np.isfinite(lo):
                left.plot([lo, hi], [y, y], color=_TIER_COLORS[tier], lw=1.4)
            left.plot(values.mean(), y, "D" if tier == "all" else "o", color=_TIER_COLORS[tier], ms=5,
                      label=f"{tier} ({len(values)})" if i == 0 else None)
        row = tests[tests.condition == cond]
        if len(row) and np.isfinite(float(row.estimate.iloc[0])):
            est, lo, hi = (float(row[c].iloc[0]) * scale for c in ("estimate", "ci_low", "ci_high"))
            right.plot([lo, hi], [i, i], color="black", lw=1.4)
            right.plot(est, i, "s", color="black", ms=5)
        else:
            right.text(0, i, "not testable", ha="center", va="center", fontsize=8, color="#777")
    for ax in (left, right):
        ax.axvline(0, color="grey", lw=0.8)
        ax.axhspan(-0.45, 0.45, color="#fff3b0", zorder=0)  # the question's condition
        ax.grid(axis="x", color="#eee")
    left.set_yticks(range(len(conditions)))
    left.set_yticklabels(conditions)
    left.get_yticklabels()[0].set_fontweight("bold")
    left.invert_yaxis()
    left.set_xlabel(f"gain over {cfg.baseline_condition}, {unit} (English {'in' if cfg.include_english else 'out'})",
                    fontsize=9)
    left.set_title("Gain per resource tier (95% CI)", fontsize=10, loc="left")
    right.set_xlabel(f"{unit} of gain {_unit_label(out['resource_predictor'])}\n< 0: more gain where data are scarce",
                     fontsize=9)
    right.set_title("Resource slope of the gain (95% CI)", fontsize=10, loc="left")
    left.tick_params(axis="y", labelsize=9)
    handles, labels = left.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower left", ncol=len(labels), frameon=False, fontsize=8, title="tier (languages):",
               title_fontsize=8, alignment="left", bbox_to_anchor=(0.01, 0))
    fig.tight_layout(rect=(0, 0.5 / (1.5 + 0.42 * len(conditions)), 1, 1))
    return fig
