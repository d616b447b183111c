"""Phase 4: from evaluation runs to per-language gaps, per-tier summaries and condition comparisons.

The unit is (condition, seed, language) and the value is the runs' headline metric (phase 3's
`metrics.headline`: accuracy, seqeval F1, (EM+F1)/2, a retrieval score); all runs must share one metric and one task.
Accuracy runs carry per-item correctness, so comparisons between conditions are paired by seed and by
test item (bootstrap over items per language). Other metrics have no per-item correctness (seqeval F1 is
corpus-level; QA and retrieval scores are analysed as the per-language numbers XTREME-R reports), so
comparisons are paired by seed only (run level): per-language gains without an item-level test, and
intervals from the bootstrap over languages. Averages say whether English (the source language) is in
them, and a grid with a language missing from some run is refused rather than averaged.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rxlt.data.catalog import SOURCE_LANGUAGE
from rxlt.languages.metadata import language
from rxlt.languages.tier_schemes import TIER_ORDER, assign_tiers
from rxlt.results import read_results
from rxlt.stats.intervals import bootstrap_mean_ci, holm, paired_bootstrap_diff, spearman_with_ci

ITEM_PAIRED = ("accuracy",)  # metrics whose predictions carry per-item 0/1 correctness (column `correct`)


def run_metric(res: dict) -> tuple[str, str]:
    """(metric, per-language key holding it) of a phase-3 results.json; runs before `headline` existed are accuracy."""
    metric = res["metrics"].get("metric", "accuracy")
    return metric, res["metrics"].get("headline", metric)


def metric_info(metric: str) -> dict:
    """Name, direction and pairing of a metric (directions: rxlt.scoring.metrics.METRICS)."""
    from rxlt.scoring.metrics import METRICS

    if metric not in METRICS:
        raise ValueError(f"metric {metric!r} is not in rxlt.scoring.metrics.METRICS ({', '.join(METRICS)}): phase 4 does not "
                         "know whether higher is better")
    return {"metric": metric, "higher_is_better": bool(METRICS[metric]["higher_is_better"]),
            "pairing": "seed and test item" if metric in ITEM_PAIRED else "seed (run level)",
            "item_paired": metric in ITEM_PAIRED}


def check_one(run_values: dict, what: str, why: str) -> str:
    """The one value (metric or task) shared by all runs; else an error listing the runs under each value."""
    by_value: dict[str, list[str]] = {}
    for run, value in run_values.items():
        by_value.setdefault(value, []).append(run)
    if len(by_value) > 1:
        listed = "; ".join(f"{v}: {', '.join(runs)}" for v, runs in sorted(by_value.items()))
        raise ValueError(f"evaluation runs are {what} ({listed}); {why}: give it the runs of one task")
    return next(iter(by_value))


def check_one_metric(run_metrics: dict) -> str:
    """Runs scored by different metrics cannot be compared."""
    return check_one(run_metrics, "scored by different metrics", "phase 4 compares conditions on one metric")


def check_one_task(run_tasks: dict) -> str:
    """Two tasks scored by the same metric (XNLI and PAWS-X, both accuracy) have different languages and items,
    so their gains and tiers would mix."""
    return check_one(run_tasks, "of different tasks", "phase 4 compares conditions within one task")


def load_evaluations(run_dirs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(scores, predictions): one row per (run, language), and one per (run, test item).

    `scores` has a column named after the metric (e.g. `accuracy`, `seqeval_f1`) holding the headline
    value, and a `metric` column. Predictions are read for item-paired metrics only (else an empty frame).
    """
    runs = []
    for run_dir in run_dirs:
        res = read_results(run_dir)
        runs.append((run_dir, res, *run_metric(res)))
    metric = check_one_metric({str(r[0]): r[2] for r in runs})
    check_one_task({str(r[0]): r[1]["task"] for r in runs})
    item_paired = metric_info(metric)["item_paired"]
    score_rows, preds = [], []
    for run_dir, res, _, key in runs:
        cond, seed, task = res.get("condition") or "direct", res["finetune_seed"], res["task"]
        for lang, m in res["metrics"]["per_language"].items():
            if m.get(key) is None:
                raise ValueError(f"{run_dir}: language {lang!r} has no {key!r} value (metric {metric})")
            score_rows.append({"run": Path(run_dir).name, "task": task, "condition": cond, "seed": seed,
                               "language": lang, **m, "metric": metric, metric: m[key]})
        if item_paired:
            p = pd.read_csv(Path(run_dir) / res["artifacts"]["predictions"], keep_default_na=False)
            preds.append(p.assign(run=Path(run_dir).name, condition=cond, seed=seed, task=task))
    scores = pd.DataFrame(score_rows)
    check_complete_grid(scores)
    return scores, pd.concat(preds, ignore_index=True) if preds else pd.DataFrame()


def study_design(run_dirs) -> dict:
    """What produced the evaluations: model, layers, epochs, objectives, seeds (from the phase-2 configs) and
    the English dev metric model selection used (runs written before `dev_metric` existed selected on accuracy)."""
    finetunes = [read_results(read_results(r)["finetune_run"]) for r in run_dirs]
    configs = [f["config"] for f in finetunes]
    layers = sorted({c["encoder_layers"] for c in configs})
    return {"models": sorted({c["model"] for c in configs}), "encoder_layers": layers,
            "epochs": sorted({c["epochs"] for c in configs}), "objectives": sorted({c["objective"] for c in configs}),
            "seeds": sorted({c["seed"] for c in configs}), "tasks": sorted({c["task"] for c in configs}),
            "dev_metrics": sorted({f.get("metrics", {}).get("dev_metric", "accuracy") for f in finetunes})}


def model_selection(design: dict) -> str:
    return f"English dev {'/'.join(design.get('dev_metrics', ['accuracy']))} only (zero-shot)"


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


def score_column(scores: pd.DataFrame) -> str:
    """The column holding the metric: named by `metric` (tidy tables of phase 4 before it existed: accuracy)."""
    return str(scores.metric.iloc[0]) if "metric" in scores and len(scores) else "accuracy"


def add_gaps(scores: pd.DataFrame) -> pd.DataFrame:
    """Transfer gap = score(language) − score(English) of the same run, in the runs' metric.

    Tasks without English test data (XCOPA; Tatoeba, which retrieves English translations) have no gap: NaN."""
    value = score_column(scores)
    en = scores[scores.language == SOURCE_LANGUAGE].set_index("run")[value]
    if en.empty:
        return scores.assign(gap=np.nan)
    return scores.assign(gap=scores[value] - scores.run.map(en))


def per_language_means(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean score (column named by the metric) and gap over seeds, per (condition, language, tier)."""
    value = score_column(scores)
    out = (scores.groupby(["condition", "language", "tier"], observed=True)
           .agg(**{value: (value, "mean")}, gap=("gap", "mean"), seeds=("seed", "nunique"), n=("n", "first"))
           .reset_index())
    return out.assign(metric=value) if "metric" in scores else out


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


def paired_with_baseline(frame: pd.DataFrame, baseline: str, key: list[str]):
    """(condition, shared seeds, rows of the condition merged with the baseline's on key + seed; baseline
    columns suffixed `_base`) for every condition other than `baseline`."""
    base = frame[frame.condition == baseline]
    for cond in sorted(set(frame.condition) - {baseline}):
        other = frame[frame.condition == cond]
        seeds = sorted(set(base.seed) & set(other.seed))
        if not seeds:
            raise ValueError(f"conditions {cond!r} and {baseline!r} share no seed: nothing to pair")
        yield cond, seeds, other[other.seed.isin(seeds)].merge(base[base.seed.isin(seeds)], on=key + ["seed"],
                                                                suffixes=("", "_base"))


def condition_gains(preds: pd.DataFrame, baseline: str, n_boot: int, seed: int) -> pd.DataFrame:
    """Per language and condition: accuracy gain over `baseline`, paired by seed and test item.

    Items are pooled over the seeds both conditions share; the p-value is a paired bootstrap over
    items, Holm-corrected across languages within each condition.
    """
    rows = []
    for cond, seeds, merged in paired_with_baseline(preds, baseline, ["language", "key"]):
        for lang, g in merged.groupby("language"):
            r = paired_bootstrap_diff(g.correct.to_numpy(), g.correct_base.to_numpy(), n_boot, seed=seed)
            rows.append({"condition": cond, "baseline": baseline, "language": lang, "gain": r["diff"],
                         "ci_low": r["ci_low"], "ci_high": r["ci_high"], "p_value": r["p_value"], "n_items": r["n"],
                         "seeds": len(seeds)})
    out = pd.DataFrame(rows)
    if not out.empty:
        out["p_holm"] = out.groupby("condition").p_value.transform(lambda p: holm(p.to_numpy()))
    return out


def run_level_gains(scores: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Per language and condition: score gain over `baseline`, paired by seed only (metrics without per-item
    correctness). gain = mean over the shared seeds of score(condition, seed) − score(baseline, seed).

    No per-language interval or test: with a corpus-level score the only paired units are seeds (a sign-flip
    test over 2 seeds cannot go below p = 0.5); evidence comes from the bootstrap over languages instead.
    """
    value = score_column(scores)
    rows = []
    for cond, seeds, merged in paired_with_baseline(scores, baseline, ["language"]):
        for lang, g in merged.groupby("language"):
            rows.append({"condition": cond, "baseline": baseline, "language": lang,
                         "gain": float((g[value] - g[f"{value}_base"]).mean()), "ci_low": np.nan, "ci_high": np.nan,
                         "p_value": np.nan, "n_items": np.nan, "seeds": len(seeds), "p_holm": np.nan})
    return pd.DataFrame(rows)


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


METRIC_NAMES = {"accuracy": "accuracy", "seqeval_f1": "seqeval F1", "squad_em_f1_mean": "(EM+F1)/2",
                "squad": "(EM+F1)/2", "mlqa": "(EM+F1)/2 (MLQA normalisation)", "retrieval_accuracy": "retrieval accuracy",
                "map_at_20": "mAP@20", "mrr_at_20": "MRR@20"}


def metric_note(info: dict) -> str:
    """Which metric, its direction, and how conditions were paired (one sentence for the report)."""
    name = METRIC_NAMES.get(info["metric"], info["metric"])
    direction = "higher is better" if info["higher_is_better"] else "lower is better: a negative gain is an improvement"
    pairing = ("gains are paired by seed and test item" if info["item_paired"] else
               "gains are paired by seed only (run level): item pairing was not possible because the metric has no "
               "per-item correctness, so there is no per-language test; intervals are bootstraps over languages")
    return f"Metric: {name} (`{info['metric']}`, {direction}); {pairing}."


def answer(contrast: pd.DataFrame, correlation: pd.DataFrame, smoke: bool, metric: str = "accuracy",
           english: bool = True) -> str:
    """The one-paragraph answer the report leads with, phrased from the numbers alone."""
    no_gap = "" if english else ("English is not among the evaluated languages (the task has no English test data): "
                                 "no transfer gap to English.")
    if contrast.empty:
        return "Only one condition was run: there is no intermediate-vs-direct comparison to report." + \
            (f" {no_gap}" if no_gap else "")
    name = METRIC_NAMES.get(metric, metric)
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
        text = (f"**{r.condition} vs direct**: the {name} gain is {direction} for low-resource languages "
                f"({r.n_low} unseen/low; mean gain {r.gain_low:+.3f}) than for high-resource ones ({r.n_high}; "
                f"{r.gain_high:+.3f}) by {r.difference:+.3f} [{r.ci_low:+.3f}, {r.ci_high:+.3f}]; {sure}.")
        if rho is not None and np.isfinite(rho.rho):
            text += (f" Spearman rho of gain vs log CC-100 size: {rho.rho:+.2f} [{rho.ci_low:+.2f}, {rho.ci_high:+.2f}] "
                     f"over {int(rho.n)} seen languages (negative = more gain where data is scarcer).")
        parts.append(text)
    if metric not in ITEM_PAIRED or not metric_info(metric)["higher_is_better"]:
        parts.append(metric_note(metric_info(metric)))
    if no_gap:
        parts.append(no_gap)
    if smoke:
        parts.append("SMOKE RUN: tiny data and few steps — these numbers test the pipeline, not the hypothesis.")
    return "\n".join(f"- {p}" for p in parts)


TIDY = "tidy_results.csv"


def run_tiers(run) -> dict[str, pd.DataFrame]:
    """Compute every table of the tiers phase, write them and results.json; return them for display."""
    cfg = run.config
    scores, preds = load_evaluations(cfg.evaluation_runs)
    metric = score_column(scores)
    info = metric_info(metric)
    langs = language_table(sorted(scores.language.unique()), cfg.tier_scheme)
    scores = add_gaps(scores).merge(langs[["language", "tier", "cc100_gib", "joshi"]], on="language")
    per_lang = per_language_means(scores)
    tiers_score = tier_summary(per_lang, metric, cfg.include_english, cfg.bootstrap_samples, cfg.seed)
    english = SOURCE_LANGUAGE in set(scores.language)
    tiers_gap = tier_summary(per_lang, "gap", False, cfg.bootstrap_samples, cfg.seed) if english else pd.DataFrame()
    if len(set(scores.condition)) < 2:
        gains = pd.DataFrame()
    elif info["item_paired"]:
        gains = condition_gains(preds, cfg.baseline_condition, cfg.bootstrap_samples, cfg.seed)
    else:
        gains = run_level_gains(scores, cfg.baseline_condition)
    if not gains.empty:
        gains = gains.merge(langs[["language", "tier"]], on="language")
        gain_tiers = tier_summary(gains, "gain", cfg.include_english, cfg.bootstrap_samples, cfg.seed)
        correlation = gain_vs_resource(gains, langs, cfg.bootstrap_samples, cfg.seed)
        contrast = low_minus_high(gains, cfg.bootstrap_samples, cfg.seed)
    else:
        gain_tiers = correlation = contrast = pd.DataFrame()
    scores.to_csv(run.dir / TIDY, index=False)
    design = study_design(cfg.evaluation_runs)
    # test items per run: prediction rows where items pair, else the runs' per-language counts
    n_items = int(preds.groupby("run").size().iloc[0]) if info["item_paired"] else int(scores.groupby("run").n.sum().iloc[0])
    text = answer(contrast, correlation, cfg.smoke, metric, english)
    records = lambda df: df.astype(object).where(df.notna(), None).to_dict("records")  # noqa: E731
    significant = records(gains[gains.p_holm < 0.05][["condition", "language", "gain", "p_holm"]]) \
        if not gains.empty and info["item_paired"] else []
    tables = {"tier_score": records(tiers_score)}
    if metric == "accuracy":  # the key phase 4 wrote before it took other metrics
        tables["tier_accuracy"] = tables["tier_score"]
    run.finish(
        metrics={"answer": text, **info, "note": metric_note(info), **tables, "tier_gap": records(tiers_gap),
                 "tier_gain": records(gain_tiers), "gain_vs_log_cc100": records(correlation),
                 "low_minus_high_gain": records(contrast),
                 "languages_significant_after_holm": significant},
        samples={"runs": len(cfg.evaluation_runs), "languages": int(langs.shape[0]), "test_items": n_items,
                 "seeds": sorted(int(s) for s in scores.seed.unique()),
                 "conditions": sorted(scores.condition.unique())},
        artifacts={"tidy": TIDY},
        design=design, tier_scheme=cfg.tier_scheme, english_in_tier_averages=cfg.include_english and english,
        english_evaluated=english,
        model_selection=model_selection(design),
    )
    return {"answer": text, "design": describe_design(design, int(langs.shape[0]), n_items), "metric": metric,
            "metric_info": info, "note": metric_note(info), "model_selection": model_selection(design),
            "models": design["models"], "tasks": design["tasks"],
            "scores": scores, "languages": langs, "membership": tier_membership(langs), "per_language": per_lang,
            "tier_score": tiers_score, "tier_gap": tiers_gap, "gains": gains, "tier_gain": gain_tiers,
            "correlation": correlation, "contrast": contrast}
