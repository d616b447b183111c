"""Phase 4: from evaluation runs to per-language gaps, per-tier summaries and condition comparisons.

The unit is (condition, seed, language) and the value is the runs' headline metric (phase 3's
`metrics.headline`: accuracy, seqeval F1, (EM+F1)/2, a retrieval score); all runs must share one metric and one task.
Comparisons between conditions are paired by seed (a condition's run minus the baseline's run of the same seed, on
the same test items) for every metric, and tested at the run level: a seed is the unit, so a shift common to one
seed's runs counts once (per-language t-test over seeds, reported from min_seeds_for_sign_flip(α) = 6 seeds).
Intervals count languages and seeds: tier means use the language × seed random-effects interval
(rxlt.stats.intervals.language_seed_interval), the low-minus-high contrast a Welch SE with conservative df plus the
seed-specific part (rxlt.stats.hypotheses.seed_robust_contrast). The question "more gain where resources are
scarce?" is tested by the study report (phase 5); this phase describes, and its answer points there.
Averages say whether English (the source language) is in them, and a grid with a language missing from some run
is refused rather than averaged.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rxlt.data.catalog import SOURCE_LANGUAGE
from rxlt.data.metric_directions import METRICS
from rxlt.languages.covariates import CORPORA, pretraining_corpus
from rxlt.languages.metadata import language
from rxlt.languages.tier_schemes import TIER_ORDER, assign_tiers
from rxlt.reporting.tidy import ITEM_COLUMNS
from rxlt.results import read_results
from rxlt.stats.hypotheses import seed_robust_contrast
from rxlt.stats.intervals import language_seed_interval, spearman_with_ci
from rxlt.stats.per_language import min_seeds_for_sign_flip, per_language_tests

ITEM_PAIRED = tuple(ITEM_COLUMNS)  # metrics whose predictions carry per-item scores (rxlt.reporting.tidy)


def run_metric(res: dict) -> tuple[str, str]:
    """(metric, per-language key holding it) of a phase-3 results.json; runs before `headline` existed are accuracy."""
    metric = res["metrics"].get("metric", "accuracy")
    return metric, res["metrics"].get("headline", metric)


def metric_info(metric: str) -> dict:
    """Name, direction and pairing of a metric (directions: rxlt.data.metric_directions.METRICS)."""
    if metric not in METRICS:
        raise ValueError(f"metric {metric!r} is not in rxlt.data.metric_directions.METRICS ({', '.join(METRICS)}): phase 4 does not "
                         "know whether higher is better")
    return {"metric": metric, "higher_is_better": bool(METRICS[metric]["higher_is_better"]),
            "pairing": "seed (run level)", "item_paired": metric in ITEM_PAIRED}


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
    value, and a `metric` column. Predictions are read for accuracy runs only (else an empty frame); the
    comparisons here use the runs' scores, paired by seed.
    """
    runs = []
    for run_dir in run_dirs:
        res = read_results(run_dir)
        runs.append((run_dir, res, *run_metric(res)))
    metric = check_one_metric({str(r[0]): r[2] for r in runs})
    check_one_task({str(r[0]): r[1]["task"] for r in runs})
    metric_info(metric)  # an unknown metric (no direction) is refused before anything is read
    item_paired = metric == "accuracy"
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


def language_table(codes, tier_scheme: str, corpus: str = "cc100") -> pd.DataFrame:
    """Per language: metadata, whether the model saw it in pretraining (`seen`, by `corpus`), its tier."""
    from rxlt.languages.covariates import covariate_table

    tiers = assign_tiers(codes, tier_scheme, corpus)
    cov = covariate_table(codes, corpus).set_index("language")
    rows = []
    for c in codes:
        r = language(c)
        rows.append({"language": c, "name": r["name"], "family": r["family"], "script": r["script"],
                     "joshi": r["joshi"], "cc100_gib": r["cc100_gib"], "in_cc100": r["in_cc100"], "in_mbert": r["in_mbert"],
                     "seen": bool(cov.loc[c, "seen"]), "resource": float(cov.loc[c, CORPORA[corpus]["predictor"]]),
                     "tier": tiers[c]})
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


def tier_summary(values: pd.DataFrame, value: str, include_english: bool, level: float = 0.95) -> pd.DataFrame:
    """Mean of `value` per (condition, tier) over languages, with an interval that counts languages and seeds.

    `values`: rows (condition, language, tier, seed, value), one per run and language (no `seed`: one seed). The
    interval is language_seed_interval of the tier's language × seed table: a shift common to every language of one
    seed does not average out over languages (a percentile bootstrap over the tier's language means ignores seeds and
    left out the true mean in 23-74 % of simulated studies; benchmarks/results/stats_calibration.md)."""
    df = values if include_english else values[values.language != SOURCE_LANGUAGE]
    df = df.assign(seed=0) if "seed" not in df else df
    rows = []
    for (cond, tier), g in df.groupby(["condition", "tier"], observed=True):
        table = g.pivot_table(index="language", columns="seed", values=value, aggfunc="mean")
        r = language_seed_interval(table.to_numpy(), level)
        rows.append({"condition": cond, "tier": tier, "languages": int(table.shape[0]), "seeds": int(table.shape[1]),
                     f"mean_{value}": r["mean"], "ci_low": r["ci_low"], "ci_high": r["ci_high"], "df": r["df"],
                     "interval": r["method"]})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
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


def seed_gains(scores: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """One row per (condition, language, seed): score(condition, seed) − score(baseline, seed), any metric."""
    value = score_column(scores)
    parts = []
    for cond, _, merged in paired_with_baseline(scores, baseline, ["language"]):
        parts.append(pd.DataFrame({"task": merged.task, "condition": cond, "baseline": baseline, "language": merged.language,
                                   "seed": merged.seed, "gain": merged[value] - merged[f"{value}_base"]}))
    return pd.concat(parts, ignore_index=True)


def run_level_gains(scores: pd.DataFrame, baseline: str, alpha: float = 0.05) -> pd.DataFrame:
    """Per language and condition: mean over the shared seeds of the seed-paired gain, and the run-level test.

    The test (rxlt.stats.per_language.per_language_tests) is the t-test over seeds with an exact sign-flip check,
    reported only from min_seeds_for_sign_flip(alpha) seeds; Holm across languages within each condition."""
    per_seed = seed_gains(scores, baseline)
    parts = [per_language_tests(g, cond, baseline, alpha) for cond, g in per_seed.groupby("condition")]
    out = pd.concat(parts, ignore_index=True).drop(columns=["task"])
    return out


def gain_vs_resource(gains: pd.DataFrame, langs: pd.DataFrame, n_boot: int, seed: int) -> pd.DataFrame:
    """Spearman rho of gain vs the model family's resource size over seen languages (English excluded), per
    condition (a description: the test is phase 5's slope). A negative rho means larger gains for lower-resource languages."""
    df = gains.merge(langs[["language", "resource"]], on="language")
    df = df[(df.language != SOURCE_LANGUAGE) & df.resource.notna()]
    rows = []
    for cond, g in df.groupby("condition"):
        r = spearman_with_ci(g.resource.to_numpy(), g.gain.to_numpy(), n_boot, seed=seed)
        rows.append({"condition": cond, **r})
    return pd.DataFrame(rows)


def low_minus_high(gains: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Mean gain of low-resource (unseen + low tier) minus high-tier languages, English excluded.

    `gains`: rows (condition, language, tier, gain[, seed]). Interval: seed_robust_contrast — Welch SE of the
    language means with df = min(n_low, n_high) − 1, plus a seed-specific part (2+ seeds); needs ≥ 2 languages a side."""
    df = gains[gains.language != SOURCE_LANGUAGE]
    df = df.assign(seed=0) if "seed" not in df else df
    rows = []
    for cond, g in df.groupby("condition"):
        table = g.pivot_table(index="language", columns="seed", values="gain", aggfunc="mean")
        tiers = g.groupby("language").tier.first().loc[table.index]
        low, high = table[tiers.isin(["unseen", "low"]).to_numpy()], table[(tiers == "high").to_numpy()]
        r = seed_robust_contrast(low.to_numpy(), high.to_numpy(), level)
        rows.append({"condition": cond, "difference": r["difference"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                     "se": r["se"], "df": r["df"], "p_value": r["p_value"], "n_low": len(low), "n_high": len(high),
                     "gain_low": r["mean_a"], "gain_high": r["mean_b"], "seeds": r["seeds"], "interval": r["method"]})
    return pd.DataFrame(rows)


METRIC_NAMES = {"accuracy": "accuracy", "seqeval_f1": "seqeval F1", "squad_em_f1_mean": "(EM+F1)/2",
                "squad": "(EM+F1)/2", "mlqa": "(EM+F1)/2 (MLQA normalisation)", "retrieval_accuracy": "retrieval accuracy",
                "map_at_20": "mAP@20", "mrr_at_20": "MRR@20"}


def metric_note(info: dict) -> str:
    """Which metric, its direction, and how conditions were paired (one sentence for the report)."""
    name = METRIC_NAMES.get(info["metric"], info["metric"])
    direction = "higher is better" if info["higher_is_better"] else "lower is better: a negative gain is an improvement"
    items = ("the runs also carry per-item scores (used by the study report for each language's sampling variance)"
             if info["item_paired"] else "the metric is corpus-level (no per-item scores)")
    return (f"Metric: {name} (`{info['metric']}`, {direction}); gains are paired by seed (a condition's run minus the "
            f"baseline's run of the same seed, same test items) and tested at the run level; {items}.")


def per_language_note(seeds: int, languages: int, alpha: float = 0.05) -> str:
    """What the per-language test can say with this many seeds (it needs enough for an exact test to have a level)."""
    need = min_seeds_for_sign_flip(alpha)
    holm_need = min_seeds_for_sign_flip(alpha, max(1, languages))
    if seeds < need:
        return (f"No per-language claim: {seeds} seed(s). A language's gain is tested over seeds (the unit is a run), and "
                f"the exact sign-flip test over seeds cannot reach p < {alpha:g} below {need} seeds (its smallest p is "
                f"2/2^seeds); Holm over {languages} languages would need {holm_need} for that test.")
    return (f"Per-language test: t-test over the {seeds} seeds' gains (df {seeds - 1}; assumes normal run-level gains), "
            f"with the exact sign-flip test over seeds as a check (smallest p 2/2^{seeds}; Holm over {languages} languages "
            f"can reject with it from {holm_need} seeds); Holm across languages.")


def answer(contrast: pd.DataFrame, correlation: pd.DataFrame, smoke: bool, metric: str = "accuracy",
           english: bool = True, per_language: str = "", predictor: str = "log CC-100 size") -> str:
    """The one-paragraph answer the report leads with, phrased from the numbers alone.

    It describes (effect sizes and intervals) and leaves the verdict to the study report's test (phase 5), which
    answers the same question with the resource slope and this same low-minus-high contrast."""
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
            parts.append(f"{r.condition}: too few low- or high-resource languages to compare (needs >= 2 a side).")
            continue
        direction = "larger" if r.difference > 0 else "smaller" if r.difference < 0 else "no different"
        interval = (f"95% interval [{r.ci_low:+.3f}, {r.ci_high:+.3f}] (languages and seeds)" if np.isfinite(r.ci_low)
                    else "no interval")
        text = (f"**{r.condition} vs direct**: the {name} gain is {direction} for low-resource languages "
                f"({r.n_low} unseen/low; mean gain {r.gain_low:+.3f}) than for high-resource ones ({r.n_high}; "
                f"{r.gain_high:+.3f}) by {r.difference:+.3f}, {interval}.")
        if rho is not None and np.isfinite(rho.rho):
            text += (f" Spearman rho of gain vs {predictor}: {rho.rho:+.2f} [{rho.ci_low:+.2f}, {rho.ci_high:+.2f}] "
                     f"over {int(rho.n)} seen languages (negative = more gain where data is scarcer).")
        parts.append(text)
    parts.append("These are descriptions; the test of whether the gain shrinks as resources grow is the study report's "
                 "(phase 5): its resource slope with seed and language variance, and the same low-minus-high contrast.")
    if per_language:
        parts.append(per_language)
    if metric != "accuracy" or not metric_info(metric)["higher_is_better"]:
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
    design = study_design(cfg.evaluation_runs)
    corpus = pretraining_corpus(design["models"])
    corpus_note = "" if corpus else (f"model family of {', '.join(design['models'])} not recognised: seen/unseen and "
                                     "resource sizes follow XLM-R's CC-100")
    corpus = corpus or "cc100"
    langs = language_table(sorted(scores.language.unique()), cfg.tier_scheme, corpus)
    scores = add_gaps(scores).merge(langs[["language", "tier", "cc100_gib", "joshi"]], on="language")
    per_lang = per_language_means(scores)
    tiers_score = tier_summary(scores, metric, cfg.include_english)
    english = SOURCE_LANGUAGE in set(scores.language)
    tiers_gap = tier_summary(scores, "gap", False) if english else pd.DataFrame()
    seeds = int(scores.groupby("condition").seed.nunique().min())
    n_compared = int(langs.shape[0])  # the per-language table (and its Holm family) has every evaluated language
    if len(set(scores.condition)) < 2:
        gains = per_seed = pd.DataFrame()
    else:
        per_seed = seed_gains(scores, cfg.baseline_condition).merge(langs[["language", "tier"]], on="language")
        gains = run_level_gains(scores, cfg.baseline_condition).merge(langs[["language", "tier"]], on="language")
    if not gains.empty:
        gain_tiers = tier_summary(per_seed, "gain", cfg.include_english)
        correlation = gain_vs_resource(gains, langs, cfg.bootstrap_samples, cfg.seed)
        contrast = low_minus_high(per_seed)
    else:
        gain_tiers = correlation = contrast = pd.DataFrame()
    scores.to_csv(run.dir / TIDY, index=False)
    n_items = int(preds.groupby("run").size().iloc[0]) if len(preds) else int(scores.groupby("run").n.sum().iloc[0])
    predictor = CORPORA[corpus]["predictor"]
    per_language = per_language_note(seeds, n_compared) if not gains.empty else ""
    text = answer(contrast, correlation, cfg.smoke, metric, english, per_language,
                  {"log2_cc100_gib": "log CC-100 size", "log2_wiki_tokens_m": "log Wikipedia size"}[predictor])
    records = lambda df: df.astype(object).where(df.notna(), None).to_dict("records")  # noqa: E731
    significant = records(gains[gains.significant_holm][["condition", "language", "gain", "p_holm"]]) \
        if not gains.empty else []
    tables = {"tier_score": records(tiers_score)}
    if metric == "accuracy":  # the key phase 4 wrote before it took other metrics
        tables["tier_accuracy"] = tables["tier_score"]
    correlation_key = {"gain_vs_resource": records(correlation)}
    if predictor == "log2_cc100_gib":  # the key phase 4 wrote before it followed the model family
        correlation_key["gain_vs_log_cc100"] = correlation_key["gain_vs_resource"]
    run.finish(
        metrics={"answer": text, **info, "note": metric_note(info), **tables, "tier_gap": records(tiers_gap),
                 "tier_gain": records(gain_tiers), **correlation_key, "resource_predictor": predictor,
                 "low_minus_high_gain": records(contrast), "per_language_test": per_language,
                 "per_language_gains": records(gains) if not gains.empty else [],
                 "languages_significant_after_holm": significant},
        samples={"runs": len(cfg.evaluation_runs), "languages": int(langs.shape[0]), "test_items": n_items,
                 "seeds": sorted(int(s) for s in scores.seed.unique()),
                 "conditions": sorted(scores.condition.unique())},
        artifacts={"tidy": TIDY},
        design=design, tier_scheme=cfg.tier_scheme, english_in_tier_averages=cfg.include_english and english,
        english_evaluated=english, pretraining_corpus=corpus, pretraining_corpus_note=corpus_note,
        model_selection=model_selection(design),
    )
    return {"answer": text, "design": describe_design(design, int(langs.shape[0]), n_items), "metric": metric,
            "metric_info": info, "note": metric_note(info), "model_selection": model_selection(design),
            "models": design["models"], "tasks": design["tasks"],
            "scores": scores, "languages": langs, "membership": tier_membership(langs), "per_language": per_lang,
            "tier_score": tiers_score, "tier_gap": tiers_gap, "gains": gains, "tier_gain": gain_tiers,
            "correlation": correlation, "contrast": contrast}
