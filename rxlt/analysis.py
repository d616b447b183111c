"""Phase 4: from evaluation runs to per-language gaps, per-tier summaries and condition comparisons.

The unit is (condition, seed, language). Comparisons between conditions are paired by seed and by
test item; averages say whether English (the source language) is in them, and a grid with a
language missing from some run is refused rather than averaged.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .languages import language
from .results import read_results
from .stats import bootstrap_mean_ci, holm, paired_bootstrap_diff, spearman_with_ci
from .taskdata import SOURCE_LANGUAGE
from .tiers import TIER_ORDER, assign_tiers


def load_evaluations(run_dirs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(scores, predictions): one row per (run, language), and one per (run, test item)."""
    score_rows, preds = [], []
    for run_dir in run_dirs:
        res = read_results(run_dir)
        metric = res["metrics"].get("metric", "accuracy")
        if metric != "accuracy":  # tiers and item-paired gains are built on per-item correctness
            raise ValueError(f"{run_dir}: task {res['task']!r} is scored by {metric}; phase 4 analyses accuracy tasks "
                             "(classification, multiple choice) only — 05_report's tidy tables and slopes take any metric")
        cond, seed, task = res.get("condition") or "direct", res["finetune_seed"], res["task"]
        for lang, m in res["metrics"]["per_language"].items():
            score_rows.append({"run": Path(run_dir).name, "task": task, "condition": cond, "seed": seed,
                               "language": lang, **m})
        p = pd.read_csv(Path(run_dir) / res["artifacts"]["predictions"], keep_default_na=False)
        preds.append(p.assign(run=Path(run_dir).name, condition=cond, seed=seed, task=task))
    scores = pd.DataFrame(score_rows)
    check_complete_grid(scores)
    return scores, pd.concat(preds, ignore_index=True)


def study_design(run_dirs) -> dict:
    """What produced the evaluations: model, layers, epochs, objectives, seeds (from the phase-2 configs)."""
    configs = [read_results(read_results(r)["finetune_run"])["config"] for r in run_dirs]
    layers = sorted({c["encoder_layers"] for c in configs})
    return {"models": sorted({c["model"] for c in configs}), "encoder_layers": layers,
            "epochs": sorted({c["epochs"] for c in configs}), "objectives": sorted({c["objective"] for c in configs}),
            "seeds": sorted({c["seed"] for c in configs}), "tasks": sorted({c["task"] for c in configs})}


def describe_design(design: dict, languages: int, items: int) -> str:
    layers = ", ".join("all" if n == 0 else str(n) for n in design["encoder_layers"])
    return (f"{'/'.join(design['models'])} (layers used: {layers}), task {'/'.join(design['tasks'])}, "
            f"objectives {', '.join(design['objectives'])}, epochs {'/'.join(map(str, design['epochs']))}, "
            f"seeds {', '.join(map(str, design['seeds']))}; {languages} languages, {items} test items per run")


def check_complete_grid(scores: pd.DataFrame) -> None:
    """Every run must cover the same languages; otherwise averages would compare different grids."""
    grid = scores.groupby("run").language.apply(frozenset)
    union = frozenset().union(*grid)
    for run, langs in grid.items():
        if langs != union:
            missing = sorted(union - langs)
            raise ValueError(f"incomplete language grid: run {run} lacks {len(missing)} languages "
                             f"({', '.join(missing[:10])}{' …' if len(missing) > 10 else ''}); refusing to average")


def language_table(codes, tier_scheme: str) -> pd.DataFrame:
    tiers = assign_tiers(codes, tier_scheme)
    rows = []
    for c in codes:
        r = language(c)
        rows.append({"language": c, "name": r["name"], "family": r["family"], "script": r["script"],
                     "joshi": r["joshi"], "cc100_gib": r["cc100_gib"], "in_cc100": r["in_cc100"], "tier": tiers[c]})
    return pd.DataFrame(rows)


def tier_membership(langs: pd.DataFrame) -> pd.DataFrame:
    """Which languages are in each tier (the audit trail of every per-tier number)."""
    rows = [{"tier": t, "languages": len(g), "codes": ", ".join(sorted(g.language))}
            for t, g in langs.groupby("tier")]
    order = {t: i for i, t in enumerate(TIER_ORDER)}
    return pd.DataFrame(rows).sort_values("tier", key=lambda s: s.map(order)).reset_index(drop=True)


def add_gaps(scores: pd.DataFrame) -> pd.DataFrame:
    """Transfer gap = accuracy(language) − accuracy(English) of the same run."""
    en = scores[scores.language == SOURCE_LANGUAGE].set_index("run").accuracy
    if en.empty:
        raise ValueError("English is not in the evaluated languages: the transfer gap needs it")
    return scores.assign(gap=scores.accuracy - scores.run.map(en))


def per_language_means(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean accuracy and gap over seeds, per (condition, language, tier)."""
    return (scores.groupby(["condition", "language", "tier"], observed=True)
            .agg(accuracy=("accuracy", "mean"), gap=("gap", "mean"), seeds=("seed", "nunique"), n=("n", "first"))
            .reset_index())


def tier_summary(per_lang: pd.DataFrame, value: str, include_english: bool, n_boot: int, seed: int) -> pd.DataFrame:
    """Mean of `value` per (condition, tier) over languages, with a bootstrap CI over languages."""
    df = per_lang if include_english else per_lang[per_lang.language != SOURCE_LANGUAGE]
    rows = []
    for (cond, tier), g in df.groupby(["condition", "tier"]):
        lo, hi = bootstrap_mean_ci(g[value].to_numpy(), n_boot, seed=seed)
        rows.append({"condition": cond, "tier": tier, "languages": len(g), f"mean_{value}": g[value].mean(),
                     "ci_low": lo, "ci_high": hi})
    out = pd.DataFrame(rows)
    out["tier"] = pd.Categorical(out.tier, [t for t in TIER_ORDER if t in set(out.tier)], ordered=True)
    return out.sort_values(["condition", "tier"]).reset_index(drop=True).assign(english_included=include_english)


def condition_gains(preds: pd.DataFrame, baseline: str, n_boot: int, seed: int) -> pd.DataFrame:
    """Per language and condition: accuracy gain over `baseline`, paired by seed and test item.

    Items are pooled over the seeds both conditions share; the p-value is a paired bootstrap over
    items, Holm-corrected across languages within each condition.
    """
    key = ["language", "key"]
    base = preds[preds.condition == baseline]
    rows = []
    for cond in sorted(set(preds.condition) - {baseline}):
        other = preds[preds.condition == cond]
        seeds = sorted(set(base.seed) & set(other.seed))
        if not seeds:
            raise ValueError(f"conditions {cond!r} and {baseline!r} share no seed: nothing to pair")
        merged = other[other.seed.isin(seeds)].merge(base[base.seed.isin(seeds)], on=key + ["seed"], suffixes=("", "_base"))
        for lang, g in merged.groupby("language"):
            r = paired_bootstrap_diff(g.correct.to_numpy(), g.correct_base.to_numpy(), n_boot, seed=seed)
            rows.append({"condition": cond, "baseline": baseline, "language": lang, "gain": r["diff"],
                         "ci_low": r["ci_low"], "ci_high": r["ci_high"], "p_value": r["p_value"], "n_items": r["n"],
                         "seeds": len(seeds)})
    out = pd.DataFrame(rows)
    if not out.empty:
        out["p_holm"] = out.groupby("condition").p_value.transform(lambda p: holm(p.to_numpy()))
    return out


def gain_vs_resource(gains: pd.DataFrame, langs: pd.DataFrame, n_boot: int, seed: int) -> pd.DataFrame:
    """Spearman rho of gain vs log2 CC-100 GiB over seen languages (English excluded), per condition.

    A negative rho means larger gains for lower-resource languages.
    """
    df = gains.merge(langs[["language", "cc100_gib"]], on="language")
    df = df[(df.language != SOURCE_LANGUAGE) & df.cc100_gib.notna()]
    rows = []
    for cond, g in df.groupby("condition"):
        r = spearman_with_ci(np.log2(g.cc100_gib.to_numpy()), g.gain.to_numpy(), n_boot, seed=seed)
        rows.append({"condition": cond, **r})
    return pd.DataFrame(rows)


def low_minus_high(gains: pd.DataFrame, n_boot: int, seed: int) -> pd.DataFrame:
    """Mean gain of low-resource (unseen + low) minus high-resource languages, bootstrap over languages.

    `gains` carries a `tier` column (see run_tiers)."""
    df = gains[gains.language != SOURCE_LANGUAGE]
    rows = []
    rng = np.random.default_rng(seed)
    for cond, g in df.groupby("condition"):
        low = g[g.tier.isin(["unseen", "low"])].gain.to_numpy()
        high = g[g.tier == "high"].gain.to_numpy()
        if len(low) < 2 or len(high) < 2:
            rows.append({"condition": cond, "difference": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                         "n_low": len(low), "n_high": len(high)})
            continue
        boots = rng.choice(low, (n_boot, len(low))).mean(1) - rng.choice(high, (n_boot, len(high))).mean(1)
        lo, hi = np.quantile(boots, [0.025, 0.975])
        rows.append({"condition": cond, "difference": low.mean() - high.mean(), "ci_low": lo, "ci_high": hi,
                     "n_low": len(low), "n_high": len(high), "gain_low": low.mean(), "gain_high": high.mean()})
    return pd.DataFrame(rows)


def answer(contrast: pd.DataFrame, correlation: pd.DataFrame, smoke: bool) -> str:
    """The one-paragraph answer the report leads with, phrased from the numbers alone."""
    if contrast.empty:
        return "Only one condition was run: there is no intermediate-vs-direct comparison to report."
    parts = []
    # the study's question first: intermediate training alone, then the robust objectives
    order = sorted(contrast.itertuples(), key=lambda r: (r.condition != "intermediate", r.condition))
    for r in order:
        rho = correlation.set_index("condition").loc[r.condition] if r.condition in set(correlation.condition) else None
        if np.isnan(r.difference):
            parts.append(f"{r.condition}: too few low- or high-resource languages to compare.")
            continue
        direction = "larger" if r.difference > 0 else "smaller" if r.difference < 0 else "no different"
        sure = "the 95% interval excludes 0" if (r.ci_low > 0 or r.ci_high < 0) else "the 95% interval includes 0, so the data do not settle it"
        text = (f"**{r.condition} vs direct**: the accuracy gain is {direction} for low-resource languages "
                f"({r.n_low} unseen/low; mean gain {r.gain_low:+.3f}) than for high-resource ones ({r.n_high}; "
                f"{r.gain_high:+.3f}) by {r.difference:+.3f} [{r.ci_low:+.3f}, {r.ci_high:+.3f}]; {sure}.")
        if rho is not None and np.isfinite(rho.rho):
            text += (f" Spearman rho of gain vs log CC-100 size: {rho.rho:+.2f} [{rho.ci_low:+.2f}, {rho.ci_high:+.2f}] "
                     f"over {int(rho.n)} seen languages (negative = more gain where data is scarcer).")
        parts.append(text)
    if smoke:
        parts.append("SMOKE RUN: tiny data and few steps — these numbers test the pipeline, not the hypothesis.")
    return "\n".join(f"- {p}" for p in parts)


TIDY = "tidy_results.csv"


def run_tiers(run) -> dict[str, pd.DataFrame]:
    """Compute every table of the tiers phase, write them and results.json; return them for display."""
    cfg = run.config
    scores, preds = load_evaluations(cfg.evaluation_runs)
    langs = language_table(sorted(scores.language.unique()), cfg.tier_scheme)
    scores = add_gaps(scores).merge(langs[["language", "tier", "cc100_gib", "joshi"]], on="language")
    per_lang = per_language_means(scores)
    tiers_acc = tier_summary(per_lang, "accuracy", cfg.include_english, cfg.bootstrap_samples, cfg.seed)
    tiers_gap = tier_summary(per_lang, "gap", False, cfg.bootstrap_samples, cfg.seed)
    gains = condition_gains(preds, cfg.baseline_condition, cfg.bootstrap_samples, cfg.seed) \
        if len(set(preds.condition)) > 1 else pd.DataFrame()
    if not gains.empty:
        gains = gains.merge(langs[["language", "tier"]], on="language")
        gain_tiers = tier_summary(gains, "gain", cfg.include_english, cfg.bootstrap_samples, cfg.seed)
        correlation = gain_vs_resource(gains, langs, cfg.bootstrap_samples, cfg.seed)
        contrast = low_minus_high(gains, cfg.bootstrap_samples, cfg.seed)
    else:
        gain_tiers = correlation = contrast = pd.DataFrame()
    scores.to_csv(run.dir / TIDY, index=False)
    design = study_design(cfg.evaluation_runs)
    n_items = int(preds.groupby("run").size().iloc[0])
    text = answer(contrast, correlation, cfg.smoke)
    records = lambda df: df.astype(object).where(df.notna(), None).to_dict("records")  # noqa: E731
    run.finish(
        metrics={"answer": text, "tier_accuracy": records(tiers_acc), "tier_gap": records(tiers_gap),
                 "tier_gain": records(gain_tiers), "gain_vs_log_cc100": records(correlation),
                 "low_minus_high_gain": records(contrast),
                 "languages_significant_after_holm": records(
                     gains[gains.p_holm < 0.05][["condition", "language", "gain", "p_holm"]]) if not gains.empty else []},
        samples={"runs": len(cfg.evaluation_runs), "languages": int(langs.shape[0]), "test_items": n_items,
                 "seeds": sorted(int(s) for s in scores.seed.unique()),
                 "conditions": sorted(scores.condition.unique())},
        artifacts={"tidy": TIDY},
        design=design, tier_scheme=cfg.tier_scheme, english_in_tier_averages=cfg.include_english,
        model_selection="English dev accuracy only (zero-shot)",
    )
    return {"answer": text, "design": describe_design(design, int(langs.shape[0]), n_items), "scores": scores, "languages": langs, "membership": tier_membership(langs), "per_language": per_lang,
            "tier_accuracy": tiers_acc, "tier_gap": tiers_gap, "gains": gains, "tier_gain": gain_tiers,
            "correlation": correlation, "contrast": contrast}
