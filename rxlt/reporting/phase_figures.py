"""Figures for the reports (seaborn); each returns its matplotlib Figure."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from rxlt.languages.tier_schemes import TIER_ORDER


def _order(tiers) -> list[str]:
    return [t for t in TIER_ORDER if t in set(tiers)]


def score_by_language(per_lang: pd.DataFrame, title: str = "", metric: str = ""):
    """Score of every language (mean over seeds) in the runs' metric (the `metric` column, else accuracy),
    languages sorted by tier then score."""
    metric = metric or (str(per_lang.metric.iloc[0]) if "metric" in per_lang and len(per_lang) else "accuracy")
    df = per_lang.copy()
    df["tier"] = pd.Categorical(df.tier, _order(df.tier), ordered=True)
    order = (df.groupby("language", observed=True).agg(tier=("tier", "first"), acc=(metric, "mean"))
             .sort_values(["tier", "acc"]).index.tolist())
    fig, ax = plt.subplots(figsize=(max(8, len(order) * 0.09), 4))
    sns.stripplot(data=df, x="language", y=metric, hue="condition", order=order, ax=ax, size=3, jitter=False)
    ax.set_xticks(range(len(order)))
    ax.set_xticklabels(order, rotation=90, fontsize=5)
    ax.set_ylabel(metric)
    ax.set_title((title or f"Zero-shot {metric} per language") + f" (x: languages ordered by tier, then {metric})")
    _tier_bands(ax, df.drop_duplicates("language").set_index("language").tier.reindex(order))
    fig.tight_layout()
    return fig


accuracy_by_language = score_by_language  # the name before phase 4 took any metric


def _tier_bands(ax, tiers: pd.Series) -> None:
    start = 0
    for tier, n in tiers.astype(str).groupby((tiers.astype(str) != tiers.astype(str).shift()).cumsum()).agg(["first", "size"]).values:
        ax.axvspan(start - 0.5, start + n - 0.5, alpha=0.06 if len(ax.patches) % 2 else 0.12, color="grey")
        ax.text(start + n / 2 - 0.5, ax.get_ylim()[1], tier, ha="center", va="bottom", fontsize=7)
        start += n


def by_tier(per_lang: pd.DataFrame, value: str, title: str):
    """Box + strip plot of `value` per tier and condition (one point per language)."""
    fig, ax = plt.subplots(figsize=(7, 4))
    order = _order(per_lang.tier)
    sns.boxplot(data=per_lang, x="tier", y=value, hue="condition", order=order, ax=ax, showfliers=False)
    sns.stripplot(data=per_lang, x="tier", y=value, hue="condition", order=order, ax=ax, dodge=True, size=2,
                  palette="dark:black", legend=False)
    ax.axhline(0, color="grey", lw=0.8) if value in ("gap", "gain") else None  # differences: 0 = no change
    ax.set_title(title)
    fig.tight_layout()
    return fig


def gain_vs_size(gains: pd.DataFrame, langs: pd.DataFrame):
    """Gain over the baseline vs log2 CC-100 GiB (seen languages), with a fitted line per condition."""
    df = gains.merge(langs[["language", "cc100_gib"]], on="language").dropna(subset=["cc100_gib"])
    df = df.assign(log2_cc100_gib=np.log2(df.cc100_gib))
    grid = sns.lmplot(data=df, x="log2_cc100_gib", y="gain", hue="condition", height=4, aspect=1.6,
                      scatter_kws={"s": 12}, ci=95, n_boot=500, seed=0)
    grid.ax.axhline(0, color="grey", lw=0.8)
    grid.ax.set_title("Gain over direct fine-tuning vs pretraining data (CC-100, log2 GiB)")
    return grid.figure


def training_curves(history: pd.DataFrame):
    fig, axes = plt.subplots(1, 2, figsize=(9, 3))
    sns.lineplot(data=history, x="epoch", y="train_loss", hue="task", ax=axes[0], marker="o")
    if "alignment_loss" in history:  # alignment runs (rxlt.phases.alignment): no dev score, the loss's two terms
        terms = history.melt(id_vars="epoch", value_vars=["alignment_loss", "english_regulariser"], var_name="term")
        sns.lineplot(data=terms, x="epoch", y="value", hue="term", ax=axes[1], marker="o")
        axes[1].set_title("alignment term and English regulariser (no model selection: the last epoch is kept)")
        axes[0].set_title("training loss")
        fig.tight_layout()
        return fig
    col = "dev_score" if "dev_score" in history else "dev_accuracy"  # a frame built before the rename
    sns.lineplot(data=history, x="epoch", y=col, hue="task", ax=axes[1], marker="o", legend=False)
    sel = history[history.selected]
    axes[1].scatter(sel.epoch, sel[col], s=80, facecolors="none", edgecolors="red", label="selected")
    metric = "/".join(sorted(set(history.dev_metric))) if "dev_metric" in history else "score"
    axes[1].set_ylabel(f"dev {metric}")
    axes[1].set_title(f"English dev {metric} (model selection)")
    axes[0].set_title("training loss")
    fig.tight_layout()
    return fig


def generalized_heatmap(table: pd.DataFrame):
    """Accuracy for every (first-sentence language, second-sentence language) pair."""
    grid = table.pivot(index="first", columns="second", values="accuracy")
    size = max(4, 0.45 * len(grid))
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    sns.heatmap(grid, annot=len(grid) <= 15, fmt=".2f", cmap="viridis", ax=ax, cbar_kws={"label": "accuracy"})
    ax.set_xlabel("language of sentence 2")
    ax.set_ylabel("language of sentence 1")
    ax.set_title("Generalized cross-lingual transfer (diagonal = same language)")
    fig.tight_layout()
    return fig
