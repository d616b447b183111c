"""Phase 5's conclusion: the study report's first paragraphs, phrased from the numbers alone.

Every sentence says what its test assumes: the main slope counts languages and seeds (a mixed model with a
language intercept and a seed-specific slope), the readings on the log-odds scale and weighted by each language's
sampling variance are shown next to it, and per-language claims are made only with enough seeds for a run-level test.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from rxlt.languages.covariates import CORPORA
from rxlt.phases.tiers import model_selection, per_language_note
from rxlt.stats.per_language import min_seeds_for_sign_flip


def verdict(m: dict, cfg, primary: bool) -> str:
    """Primary condition: its own 95% interval decides; the others must also survive Holm over conditions."""
    if not (np.isfinite(m["estimate"]) and np.isfinite(m["ci_low"])):
        return "**not testable** (too few languages with a resource value, or no variation in the gains)"
    if m["ci_low"] <= 0 <= m["ci_high"]:
        return "**not detected** — the 95% interval includes 0"
    word = "**yes** — the gain shrinks as resources grow" if m["ci_high"] < 0 else \
        "**no, the opposite** — the gain grows with resources"
    if not primary and not m["p_holm"] < cfg.alpha:
        return word.replace("**yes**", "**nominally yes**").replace("**no, the opposite**", "**nominally the opposite**") \
            + " (interval excludes 0, but not significant after Holm over conditions)"
    return word + " (the 95% interval excludes 0)"


def unit(predictor: str) -> str:
    return {"log2_cc100_gib": "doubling of CC-100 data", "log2_wiki_tokens_m": "doubling of Wikipedia tokens",
            "joshi": "Joshi class"}.get(predictor, f"unit of {predictor}")


def _ci(lo, hi, scale=100.0) -> str:
    return f"[{lo * scale:+.2f}, {hi * scale:+.2f}]"


def _check(r: dict, word: str):
    rob = r["robustness"]
    hit = rob[rob.check.str.startswith(word)]
    return hit.iloc[0] if len(hit) else None


def _readings(r: dict, k: float) -> str:
    """The ceiling-aware and the precision-weighted readings of the same slope, one sentence."""
    parts = []
    logit, weighted = _check(r, "ceiling-aware"), _check(r, "weighted")
    if logit is not None and np.isfinite(logit.estimate):
        parts.append(f"on the log-odds scale (ceiling-aware: a gain constant in log-odds shrinks in points near 100 %) "
                     f"the slope is {logit.estimate:+.3f} log-odds [{logit.ci_low:+.3f}, {logit.ci_high:+.3f}] "
                     f"(p = {logit.p_value:.3g})")
    if weighted is not None and np.isfinite(weighted.estimate):
        parts.append(f"weighted by each language's sampling variance (meta-regression) it is {weighted.estimate * k:+.2f} "
                     f"{_ci(weighted.ci_low, weighted.ci_high, k)} (p = {weighted.p_value:.3g})")
    elif weighted is not None:
        parts.append(f"no precision-weighted reading ({weighted.note})")
    return ("- **Readings:** " + "; ".join(parts) + ". A probability-scale slope with a flat log-odds slope is a ceiling "
            "effect, not a difference in transfer.") if parts else ""


def _coverage(r: dict, m: dict, predictor: str, corpus: str, k: float) -> str:
    reasons = r["exclusions"]
    n_out = len(reasons["unseen"]) + len(reasons["no value"])
    parts = []
    if reasons["unseen"]:
        parts.append(f"{len(reasons['unseen'])} unseen in {CORPORA[corpus]['name']}")
    if reasons["no value"]:
        parts.append(f"{len(reasons['no value'])} without a value in the cited source")
    cover = (f"- **Coverage:** the slope uses the {m['n_groups']} languages with a `{predictor}` value; {n_out} languages "
             f"have none{' (' + ', '.join(parts) + ')' if parts else ''} and are not imputed")
    unseen, tiers = _check(r, "unseen minus seen"), _check(r, "categorical")
    if unseen is not None and np.isfinite(unseen.estimate):
        cover += (f" — the extra gain of languages unseen in pretraining over seen ones is {unseen.estimate * k:+.2f} points "
                  f"{_ci(unseen.ci_low, unseen.ci_high, k)} (p = {unseen.p_value:.3g})")
    if tiers is not None and np.isfinite(tiers.estimate):
        cover += (f"; low-resource tiers (unseen + low) minus high tier: {tiers.estimate * k:+.2f} points "
                  f"{_ci(tiers.ci_low, tiers.ci_high, k)} (p = {tiers.p_value:.3g})")
    return cover + "."


def _power_line(r: dict, m: dict, design: dict, cfg, k: float, unit_name: str) -> str:
    p = r["power"]
    mde = p[p.this_design].mde.iloc[0] if len(p) else float("nan")
    line = (f"- **Power:** with {m['n_groups']} languages, {design['seeds']} seed(s) and a median of "
            f"{design['items_per_language_median']:.0f} test items per language, the design detects a slope of "
            f"±{mde * k:.2f} points per {unit_name} with {cfg.target_power:.0%} power (α = {cfg.alpha}; simulated with "
            f"the test above and the fitted variance components)"
            if np.isfinite(mde) else "- **Power:** could not be estimated")
    if design["seeds"] < 2:
        line += " — optimistic: seed-to-seed variance is not estimable from one seed"
    elif np.isfinite(mde) and len(p):
        more = p[(p.languages == m["n_groups"]) & (p.seeds == p.seeds.max())].mde.min()
        twice = p[(p.languages > m["n_groups"]) & (p.seeds == design["seeds"])].mde.min()
        line += f"; {int(p.seeds.max())} seeds: ±{more * k:.2f}; twice the languages: ±{twice * k:.2f}"
    if np.isfinite(mde) and m["ci_low"] <= 0 <= m["ci_high"]:
        line += (". The interval includes 0: effects smaller than the detectable size are not ruled out"
                 if abs(m["estimate"]) < mde else ". The interval includes 0")
    return line + "."


def _per_language(tests: pd.DataFrame | None, cond: str, design: dict, cfg) -> str:
    t = tests[tests.condition == cond] if tests is not None and len(tests) else pd.DataFrame()
    need = min_seeds_for_sign_flip(cfg.alpha)
    if design["seeds"] < need or t.empty:
        return "- **Per language:** " + per_language_note(design["seeds"], len(t) or design["languages"], cfg.alpha)
    return (f"- **Per language:** {int(t.significant_holm.sum())} of {len(t)} languages differ from `{cfg.baseline_condition}` "
            f"after Holm (t-test over the {design['seeds']} seeds' gains, df {design['seeds'] - 1}, assumes normal "
            f"run-level gains; {int((t.p_sign_flip_holm < cfg.alpha).sum())} by the exact sign-flip test over seeds; "
            f"{int((t.q_bh < cfg.alpha).sum())} at a 5% false-discovery rate).")


def conclusion(analyses: dict, headline: str, cfg, n_languages: int, design: dict, smoke: bool,
               tests: pd.DataFrame | None = None, seeds: pd.DataFrame | None = None, task: str = "") -> str:
    """The report's first paragraphs for one task, phrased from the numbers (effects in points = ×100)."""
    predictor, corpus = design["resource_predictor"], design["pretraining_corpus"]
    unit_name = unit(predictor)
    k = 100.0 if design.get("value_max", 1.0) <= 1.0 else 1.0  # scores in [0, 1] are reported as points (× 100)
    lines = []
    if smoke:
        lines.append("> **SMOKE STUDY — tiny data, few steps: these numbers check the pipeline, they are not evidence.**\n")
    order = [headline] + sorted(c for c in analyses if c != headline) if headline in analyses else sorted(analyses)
    on_task = f", task `{task}`" if task else ""
    for i, cond in enumerate(order):
        r = analyses[cond]
        m, reg, p = r["main"], r["regression"], r["power"]
        mde = p[p.this_design].mde.iloc[0] if len(p) else float("nan")
        if i > 0:
            if i == 1:
                lines.append("\n**Robust and combined conditions** (same model; Holm over all conditions; points per "
                             f"{unit_name}):\n")
            lines.append(f"- **`{cond}` vs `{cfg.baseline_condition}`** (mean gain {r['mean_gain'] * k:+.2f} points): "
                         f"{verdict(m, cfg, False)}; slope "
                         f"**{m['estimate'] * k:+.2f}** {_ci(m['ci_low'], m['ci_high'], k)}, p = {m['p_value']:.3g} "
                         f"(Holm {m['p_holm']:.3g}); OLS bootstrap over languages (no seed part: a description) "
                         f"{_ci(reg['boot_ci_low'], reg['boot_ci_high'], k)}, "
                         f"Spearman ρ {reg['spearman_rho']:+.2f}; detectable with {cfg.target_power:.0%} power: ±{mde * k:.2f}.")
            continue
        span = float(r["x_range"][1] - r["x_range"][0])
        lines.append(f"### Does `{cond}` keep better zero-shot transfer for low- than for high-resource languages "
                     f"(vs `{cfg.baseline_condition}`{on_task})?\n")
        lines.append(f"- **Answer:** {verdict(m, cfg, True)}. (Mean gain over `{cfg.baseline_condition}` across "
                     f"languages, English {'included' if cfg.include_english else 'excluded'}: {r['mean_gain'] * k:+.2f} points.)")
        lines.append(
            f"- **Effect size:** the gain changes by **{m['estimate'] * k:+.2f} points of {design.get('metric', 'score')} per "
            f"{unit_name}** (95% CI {_ci(m['ci_low'], m['ci_high'], k)}; t({m['df']:.1f}) = {m['t']:+.2f}, p = {m['p_value']:.3g}; "
            f"Holm over the {design['tests_in_holm']} conditions p = {m['p_holm']:.3g}); negative = more gain where data are scarce. "
            f"Across the observed range ({span:.1f} units) that is {m['estimate'] * span * k:+.1f} points "
            f"{_ci(m['ci_low'] * span, m['ci_high'] * span, k)} between the least- and the best-resourced language in the slope. "
            f"Test: mixed model `{m['formula']}` on {m['n_obs']} (language, seed) gains in {m['n_groups']} languages "
            f"(English excluded; REML); the slope is the condition × resource interaction. It counts languages "
            f"(df from {m['n_groups']} languages, not from rows) and seeds (a seed's own slope: a shift common to one "
            f"seed's runs is not additive near the ceiling); it assumes normal language and seed effects."
            + (" With 2 seeds the seed-specific slope has one degree of freedom: in simulated studies with large seed "
               "shifts near the ceiling this test was liberal (the log-odds reading was not; "
               "benchmarks/results/stats_calibration.md)." if design["seeds"] == 2 else ""))
        lines.append(_coverage(r, m, predictor, corpus, k))
        readings = _readings(r, k)
        if readings:
            lines.append(readings)
        rob = r["robustness"].iloc[1:]
        rob = rob[np.isfinite(rob.estimate.astype(float))]
        same = int((np.sign(rob.estimate.astype(float)) == np.sign(m["estimate"])).sum())
        excl = [c for c, lo, hi in zip(rob.check, rob.ci_low, rob.ci_high) if lo > 0 or hi < 0]
        boot = any(c.startswith("OLS on language means") for c in excl)
        lines.append(f"- **Robustness:** {same} of {len(rob)} checks have the same sign; checks whose 95% interval "
                     f"excludes 0: {'; '.join(excl) if excl else 'none'} (table below; slopes and contrasts have different units)"
                     + (". The OLS bootstrap over languages counts no seed part and is liberal in every simulated design "
                        "(benchmarks/results/stats_calibration.md): a description, not evidence" if boot else "") + ".")
        lines.append(_power_line(r, m, design, cfg, k, unit_name))
        lines.append(_per_language(tests, cond, design, cfg))
        if seeds is not None and len(seeds) and seeds.seeds.min() > 1:
            sd = seeds.set_index("condition").macro_sd_over_seeds
            lines.append(f"- **Seeds:** SD of the macro-average over seeds: {cfg.baseline_condition} "
                         f"{sd.get(cfg.baseline_condition, np.nan) * k:.2f} points, {cond} {sd.get(cond, np.nan) * k:.2f} points.")
    items = design.get("items_note", "")
    lines.append(f"\n*Conventions:* averages over languages (mean gains, tier plots) "
                 f"{'include' if cfg.include_english else 'exclude'} English (the source language); slopes and tier "
                 "contrasts never include it. "
                 f"Resource predictor: `{predictor}` ({design['predictor_choice']}). "
                 f"Model selection: {model_selection(design)}. "
                 f"Tasks: {', '.join(design['tasks'])}; {n_languages} evaluated languages. {items}")
    return "\n".join(lines)
