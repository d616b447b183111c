"""Figures and tables of phase 5's alignment-vs-robust comparison (rxlt.phases.alignment_report); each figure
function returns its matplotlib Figure, or None when the study has nothing to draw."""
from __future__ import annotations

import re

import matplotlib.pyplot as plt
import seaborn as sns
from IPython.display import Markdown, display

from rxlt.data import parallel
from rxlt.reporting.display import show_table


def show_alignment_comparison(out: dict) -> None:
    """The per-tier answer, the smallest N that matches, the gains table and the resource slopes."""
    c = out.get("alignment")
    if not c:
        display(Markdown("*This study has no alignment condition (`alignment_methods` in the study file).*"))
        return
    display(Markdown(c["answer"]))
    display(Markdown("**Smallest N at which each alignment method matches the tier's best robust objective** "
                     "(mean gain over plain fine-tuning at least as large):"))
    show_table(c["smallest_matching_n"])
    display(Markdown("**Gain over plain fine-tuning per tier** (mean over languages and seeds; 95% interval over "
                     "languages and seeds; N = 0 is plain fine-tuning itself):"))
    show_table(c["tier_gains"].drop(columns=["n_order"]), max_rows=400)
    if len(c["resource_slopes"]):
        display(Markdown("**Along the resource axis**: each condition's gain slope per unit of the resource predictor "
                         "(the mixed model of the hypothesis test above; negative = more gain where resources are "
                         "scarce):"))
        cols = ["condition", "family", "method", "n", "estimate", "ci_low", "ci_high", "p_value", "p_holm"]
        show_table(c["resource_slopes"][[k for k in cols if k in c["resource_slopes"]]])


def show_alignment_diagnostic(out: dict) -> None:
    """Condition × representation MEXA table, the per-language head-input table, and MEXA vs score."""
    c = out.get("alignment")
    if not c or c["diagnostic"].empty:
        display(Markdown("*No alignment diagnostic in this study (`alignment_diagnostic: true` computes it on the "
                         "first seed's evaluations).*"))
        return
    show_table(c["diagnostic_overview"], max_rows=200)
    display(Markdown("Per language, MEXA of the head's input before (plain fine-tuning, `direct`) and after each "
                     "method (rotation: the rotated input), sorted by the plain model's alignment:"))
    head = c["head_alignment"]
    show_table(head.sort_values(head.columns[1], ascending=False) if len(head.columns) > 1 else head, max_rows=400)
    r = c["alignment_predicts_score"]
    if r and r.get("n", 0) >= 3:
        display(Markdown(f"Plain model: Spearman ρ between a language's head-input MEXA and its test score = "
                         f"{r['rho']:+.2f} (95% bootstrap interval [{r['ci_low']:+.2f}, {r['ci_high']:+.2f}], "
                         f"{r['n']} languages)."))


def gain_by_budget(out: dict):
    """Per tier: each alignment method's gain over plain fine-tuning against N (95% intervals), with each robust
    objective's gain as a horizontal band."""
    c = out.get("alignment")
    if not c or c["tier_gains"].empty:
        return None
    t = c["tier_gains"]
    tiers = list(dict.fromkeys(t.tier))
    budgets = sorted({n for n in t[t.family == "alignment"].n}, key=parallel.budget_order)
    pos = {n: i for i, n in enumerate(budgets)}
    fig, axes = plt.subplots(1, len(tiers), figsize=(3.2 * len(tiers), 3.4), sharey=True, squeeze=False)
    methods = sorted(set(t[t.family == "alignment"].method))
    robust = sorted(set(t[t.family == "robust"].method))
    colors = dict(zip(methods + robust, sns.color_palette(n_colors=len(methods) + len(robust))))
    for ax, tier in zip(axes[0], tiers):
        g = t[t.tier == tier]
        for m in robust:
            r = g[(g.family == "robust") & (g.method == m)].iloc[0]
            ax.axhspan(r.ci_low, r.ci_high, color=colors[m], alpha=0.12)
            ax.axhline(r.gain, color=colors[m], lw=1, ls="--", label=f"{m} (robust)")
        for m in methods:
            a = g[(g.family == "alignment") & (g.method == m)].sort_values("n_order")
            x = a.n.map(pos)
            ax.errorbar(x, a.gain, yerr=[a.gain - a.ci_low, a.ci_high - a.gain], marker="o", ms=4, lw=1.2,
                        color=colors[m], label=m, capsize=2)
        ax.axhline(0, color="grey", lw=0.6)
        ax.set_xticks(range(len(budgets)))
        ax.set_xticklabels([parallel.budget_label(n) for n in budgets])
        ax.set_xlabel("parallel sentences per language (N)")
        ax.set_title(f"{tier} ({int(g.languages.max())} languages)", fontsize=9)
    axes[0][0].set_ylabel("gain over plain fine-tuning")
    axes[0][-1].legend(fontsize=7, loc="best")
    fig.suptitle("Alignment with N parallel sentences vs robust training (95% intervals over languages and seeds)",
                 fontsize=10)
    fig.tight_layout()
    return fig


def _layer_order(name: str) -> float:
    m = re.fullmatch(r"layer (\d+)", name)
    return float(m.group(1)) if m else (1e3 if name.endswith("rotated") else 999.0)


def diagnostic_by_layer(out: dict):
    """MEXA (mean over languages) per representation — layers, the head's input, its rotation — per condition."""
    c = out.get("alignment")
    if not c or c["diagnostic"].empty:
        return None
    d = c["diagnostic_overview"]
    names = sorted(set(d.representation), key=_layer_order)
    pos = {n: i for i, n in enumerate(names)}
    fig, ax = plt.subplots(figsize=(max(6, 0.7 * len(names)), 3.6))
    for cond, g in d.groupby("condition", sort=True):
        g = g.assign(x=g.representation.map(pos)).sort_values("x")
        plain = cond == "direct"  # the plain model: drawn on top (rotation runs share its layers)
        ax.plot(g.x, g.mexa, marker="o", ms=3, lw=2 if plain else 1, color="black" if plain else None,
                zorder=5 if plain else 2, label=cond)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("MEXA (mutual nearest neighbour)", fontsize=8)
    ax.set_title("How aligned each language is with English, by layer (test items; mean over languages)", fontsize=9)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig

