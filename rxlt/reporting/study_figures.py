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
