"""Phase 5: the study report — the answer first (effect size, interval, test, power), then the evidence.

Reads every evaluation run of a study, writes the tidy long table (CSV + Parquet), the item-level scores
(Parquet) and the language covariates, runs the statistics of rxlt.stats for every condition against the
baseline — one task at a time (metrics are never pooled) — and phrases the conclusion from the numbers alone
(rxlt.phases.conclusion). The resource predictor and the seen/unseen list follow the model family's pretraining
data unless set (rxlt.languages.covariates.resolve_predictor).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rxlt.data.catalog import SOURCE_LANGUAGE
from rxlt.languages.covariates import PREDICTORS, covariate_table, exclusion_reasons, predictor_values, resolve_predictor
from rxlt.languages.tier_schemes import assign_tiers
from rxlt.phases.alignment_report import compare as compare_alignment
from rxlt.phases.alignment_report import to_record as alignment_record
from rxlt.phases.conclusion import conclusion
from rxlt.phases.study_setup import study_setup
from rxlt.phases.tiers import check_complete_grid, model_selection  # noqa: F401  (model_selection: re-exported)
from rxlt.reporting.tidy import export_table, item_results, tidy_results
from rxlt.results import is_complete, read_results
from rxlt.stats.hypotheses import gain_regression, mixed_slope_test, seed_robust_contrast, seed_spread, variance_components
from rxlt.stats.intervals import holm
from rxlt.stats.meta_regression import empirical_logit, weighted_slope_test
from rxlt.stats.per_language import per_language_tests
from rxlt.stats.power import design_power

LOW_TIERS = ("unseen", "low")
# what benchmarks/results/stats_calibration.md found for the OLS bootstrap: the report says it next to every use
OLS_BOOTSTRAP_CAVEAT = ("resamples languages only (no seed part): a description, not a test — between identical "
                        "procedures its interval left out 0 far more than 5 % of the time in every simulated design")


def _gains(scores: pd.DataFrame, items: pd.DataFrame, task: str, condition: str, baseline: str) -> pd.DataFrame:
    """Per (task, language, seed): value(condition) − value(baseline), its log-odds version, and its item sampling
    variance var(per-item differences)/n where the runs carry per-item scores (NaN otherwise)."""
    keys = ["task", "language", "seed"]
    sc = scores[scores.task == task]
    a = sc[sc.condition == condition].set_index(keys)
    b = sc[sc.condition == baseline].set_index(keys)
    common = a.index.intersection(b.index)
    if common.empty:
        raise ValueError(f"{condition!r} and {baseline!r} share no (task, language, seed): nothing to pair")
    a, b = a.loc[common], b.loc[common]
    out = pd.DataFrame({"gain": a.value - b.value, "value": a.value, "value_base": b.value, "n": a.n}).reset_index()
    bounded = bool(((sc.value >= 0) & (sc.value <= 1)).all())
    out["logit_gain"] = (empirical_logit(out.value, out.n) - empirical_logit(out.value_base, out.n)) if bounded else np.nan
    ia = items[(items.task == task) & (items.condition == condition)]
    ib = items[(items.task == task) & (items.condition == baseline)]
    d = ia.merge(ib, on=["task", "language", "seed", "key"], suffixes=("", "_b"))
    d["diff"] = d.score.astype(float) - d.score_b.astype(float)
    item_var = d.groupby(keys)["diff"].agg(lambda v: v.var(ddof=1) / len(v) if len(v) > 1 else np.nan) \
        if len(d) else pd.Series(dtype=float)
    out["item_var"] = out.set_index(keys).index.map(item_var).to_numpy(dtype=float)
    return out.assign(condition=condition)


def _contrast_row(g: pd.DataFrame, in_a: pd.Series, in_b: pd.Series) -> dict:
    """seed_robust_contrast of the languages in `in_a` minus those in `in_b` (language × seed tables of gains)."""
    table = g.pivot_table(index="language", columns="seed", values="gain", aggfunc="mean")
    a = table[in_a.reindex(table.index).fillna(False).to_numpy(dtype=bool)]
    b = table[in_b.reindex(table.index).fillna(False).to_numpy(dtype=bool)]
    r = seed_robust_contrast(a.to_numpy(), b.to_numpy())
    return {"estimate": r["difference"], "ci_low": r["ci_low"], "ci_high": r["ci_high"], "p_value": r["p_value"],
            "n_groups": r["n_a"] + r["n_b"], "method": r["method"]}


def _weighted(g: pd.DataFrame, predictor: str) -> dict:
    """weighted_slope_test on the languages with a predictor value, or why there is none."""
    d = g.dropna(subset=[predictor])
    if d.item_var.isna().any():
        return {"estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan, "n_groups": d.language.nunique(),
                "method": "needs per-item scores (the metric is corpus-level): only the unweighted fit"}
    table = d.pivot_table(index="language", columns="seed", values="gain", aggfunc="mean")
    var = d.pivot_table(index="language", columns="seed", values="item_var", aggfunc="mean").loc[table.index]
    if table.isna().any().any() or len(table) < 4 or not (var.to_numpy() > 0).any():
        return {"estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan, "n_groups": len(table),
                "method": "too few languages or no item variance"}
    x = d.groupby("language")[predictor].first().loc[table.index]
    v = np.maximum(var.to_numpy(), 1e-12)  # a language whose items all agree has no sampling variance of its own
    return weighted_slope_test(table.to_numpy(), v, x.to_numpy())


def _condition_analysis(task: str, cond: str, gains: pd.DataFrame, cov: pd.DataFrame, cfg, predictor: str) -> dict:
    """Every statistic for one condition's gains on one task (English, the source language, excluded)."""
    g = gains[gains.language != SOURCE_LANGUAGE].merge(cov, on="language")
    non_en = cov[cov.language != SOURCE_LANGUAGE]
    x, excluded = predictor_values(non_en, predictor)
    within = ("seed",) if g.seed.nunique() > 1 else ()
    main = mixed_slope_test(g, "gain", predictor, within=within)
    reg = gain_regression(g, x, cfg.bootstrap_samples, seed=cfg.seed)
    robustness = []

    def add(check, res, note=""):
        robustness.append({"task": task, "condition": cond, "check": check,
                           "estimate": res.get("estimate", res.get("slope")),
                           "ci_low": res.get("ci_low", res.get("boot_ci_low")),
                           "ci_high": res.get("ci_high", res.get("boot_ci_high")), "p_value": res["p_value"],
                           "languages": res.get("n_groups", res.get("n")), "note": note})

    add(f"main: mixed model, slope per unit {predictor}", main, main["method"])
    if g.logit_gain.notna().all():
        logit = mixed_slope_test(g, "logit_gain", predictor, within=within)
        add("ceiling-aware: the same model on log-odds gains (empirical logit)", logit,
            logit["method"] + "; slope in log-odds per unit")
    add("weighted by each language's sampling variance (meta-regression)", w := _weighted(g, predictor),
        w["method"] + "; liberal in some simulated designs (benchmarks/results/stats_calibration.md): a reading")
    add("OLS on language means, bootstrap CI over languages", reg,
        f"Spearman rho {reg['spearman_rho']:+.2f}; {OLS_BOOTSTRAP_CAVEAT}")
    for other in PREDICTORS:
        if other != predictor:
            add(f"other predictor: {other}", mixed_slope_test(g, "gain", other, within=within),
                f"{int(g[other].isna().groupby(g.language).first().sum())} languages without a value excluded")
    if g.distance_from_english.notna().any():
        add("controlling distance from English + Latin script", mixed_slope_test(
            g.assign(latin=g.latin_script.astype(float)), "gain", predictor,
            covariates=("distance_from_english", "latin"), within=within),
            "languages with unknown family excluded")
    lang_tier = g.groupby("language").tier.first()
    if lang_tier.isin(LOW_TIERS).any() and (lang_tier == "high").any():
        add("categorical: low (unseen + low tier) minus high tier",
            c := _contrast_row(g, lang_tier.isin(LOW_TIERS), lang_tier == "high"),
            c["method"] + "; positive = more gain for low-resource; unseen languages included here")
    lang_seen = g.groupby("language").seen.first()
    if lang_seen.nunique() == 2:
        add("unseen minus seen languages", c := _contrast_row(g, ~lang_seen, lang_seen),
            c["method"] + "; positive = more gain for unseen")
    for s in sorted(g.seed.unique()) if g.seed.nunique() > 1 else []:
        add(f"seed {s} alone", mixed_slope_test(g[g.seed == s], "gain", predictor))
    sloped = g.dropna(subset=[predictor])
    comps = variance_components(sloped, predictor) if sloped.language.nunique() >= 4 else None
    power = design_power(comps, comps["sxx"], comps["languages"], cfg.alpha, cfg.target_power) if comps else pd.DataFrame()
    xs = sloped[predictor]
    return {"main": main, "regression": reg, "robustness": pd.DataFrame(robustness), "excluded": excluded,
            "exclusions": exclusion_reasons(non_en, predictor),
            "x_range": (float(xs.min()), float(xs.max())) if len(xs) else (np.nan, np.nan),
            "mean_gain": float((gains if cfg.include_english else gains[gains.language != SOURCE_LANGUAGE])
                               .groupby("language").gain.mean().mean()),
            "components": comps, "power": power}


def _models(run_dirs) -> list[str]:
    """The models of the evaluation runs (from their fine-tuning configs; '?' where a config does not say)."""
    return sorted({str(read_results(read_results(d)["finetune_run"]).get("config", {}).get("model", "?")) for d in run_dirs})


def parallel_items(items: pd.DataFrame) -> str:
    """Whether the test items are the same in every language (parallel test sets), from the item keys."""
    if items.empty:
        return "No per-item scores: item effects are not modelled."
    one = items[(items.run == items.run.iloc[0])]
    per_lang = one.groupby("language").key.apply(frozenset)
    shared = frozenset.intersection(*per_lang) if len(per_lang) else frozenset()
    share = len(shared) / max(1, per_lang.map(len).median())
    if share >= 0.5:
        return (f"Test items are parallel: {len(shared)} item keys appear in all {len(per_lang)} languages (items are "
                "crossed with languages). A shared item effect adds the same amount to every language's gain: it cancels "
                "in slopes and low-vs-high contrasts and is not modelled; intervals treat the test items as fixed.")
    return ("Test items differ between languages (at most a few keys shared); intervals treat each language's test "
            "items as fixed (they generalise to new seeds and languages, not to a new test set).")


def _dev_metrics(run_dirs) -> list[str]:
    """English dev metrics model selection used (fine-tuning runs written before `dev_metric` existed: accuracy)."""
    return sorted({read_results(read_results(d)["finetune_run"]).get("metrics", {}).get("dev_metric", "accuracy")
                   for d in run_dirs})


def _links(run_dirs) -> pd.DataFrame:
    """Every run behind the report and the relative link to its HTML report (reports/<study>/<phase>/<id>.html)."""
    seen, rows = set(), []

    def add(run_dir, role):
        run_dir = Path(run_dir)
        if str(run_dir) in seen or not run_dir.name:
            return
        seen.add(str(run_dir))
        res = read_results(run_dir)
        rows.append({"role": role, "phase": res["phase"], "run": run_dir.name,
                     "report": f"../{res['phase']}/{run_dir.name}.html", "results": str(run_dir / "results.json")})
        return res

    for d in run_dirs:
        ev = add(d, "evaluation")
        ft = add(ev["finetune_run"], "fine-tuning") if ev else None
        if ft and ft["config"].get("init_from"):
            add(ft["config"]["init_from"], "intermediate training")
    # the tiers run(s) of the same study over exactly these evaluations (runs/<study>/04_tiers/*)
    tiers_dir = Path(run_dirs[0]).parents[1] / "04_tiers" if run_dirs else None
    for t in sorted(tiers_dir.iterdir()) if tiers_dir and tiers_dir.is_dir() else []:
        if is_complete(t) and set(read_results(t)["config"].get("evaluation_runs", [])) == {str(d) for d in run_dirs}:
            add(t, "resource tiers")
    order = {"intermediate training": 0, "fine-tuning": 1, "evaluation": 2, "resource tiers": 3}
    return pd.DataFrame(rows).sort_values(["role", "run"], key=lambda s: s.map(order) if s.name == "role" else s).reset_index(drop=True)


def _key(task: str, cond: str, tasks: list[str]) -> str:
    return cond if len(tasks) == 1 else f"{task}: {cond}"


def run_report(run) -> dict:
    """Compute every table of the study report, write the tidy exports and results.json; return them."""
    cfg = run.config
    tidy = tidy_results(cfg.evaluation_runs)
    check_complete_grid(tidy.rename(columns={"value": "accuracy"}))
    models = _models(cfg.evaluation_runs)
    predictor, corpus, choice = resolve_predictor(cfg.resource_predictor, models)  # before any compute
    items = item_results(cfg.evaluation_runs)
    metric = "/".join(sorted(tidy.metric.unique()))
    scores = tidy
    conditions = sorted(scores.condition.unique())
    if cfg.baseline_condition not in conditions:
        raise ValueError(f"baseline_condition {cfg.baseline_condition!r} was not run; conditions: {conditions}")
    langs = sorted(scores.language.unique())
    tiers = assign_tiers(langs, cfg.tier_scheme, corpus)
    cov = covariate_table(langs, corpus).assign(tier=lambda d: d.language.map(tiers))
    artifacts = {"tidy": export_table(tidy, run.dir, "tidy_results"), "covariates": export_table(cov, run.dir, "covariates")}
    items.to_parquet(run.dir / "items.parquet", index=False)
    artifacts["items"] = "items.parquet"

    tasks = sorted(scores.task.unique())
    analyses, tests, all_gains = {}, [], []
    for task in tasks:  # one slope per task: tasks (and their metrics) are never pooled
        for cond in [c for c in sorted(scores[scores.task == task].condition.unique()) if c != cfg.baseline_condition]:
            gains = _gains(scores, items, task, cond, cfg.baseline_condition)
            all_gains.append(gains)
            analyses[_key(task, cond, tasks)] = _condition_analysis(task, cond, gains, cov, cfg, predictor)
            tests.append(per_language_tests(gains, cond, cfg.baseline_condition, cfg.alpha))
    ps = holm([a["main"]["p_value"] for a in analyses.values()]) if analyses else []
    for a, p in zip(analyses.values(), ps):
        a["main"]["p_holm"] = float(p)

    per_lang = (scores.groupby(["task", "condition", "language"], as_index=False)
                .agg(value=("value", "mean"), ci_low=("ci_low", "mean"), ci_high=("ci_high", "mean"), n=("n", "first"))
                .merge(cov[["language", predictor, "tier"]], on="language"))
    gains = pd.concat(all_gains, ignore_index=True) if all_gains else pd.DataFrame(columns=["task", "language", "seed", "gain", "condition"])
    lang_gains = (gains.groupby(["task", "condition", "language"], as_index=False).gain.mean()
                  .merge(cov, on="language")) if len(gains) else gains
    if len(lang_gains) and not cfg.include_english:
        lang_gains = lang_gains[lang_gains.language != SOURCE_LANGUAGE]
    tests = pd.concat(tests, ignore_index=True) if tests else pd.DataFrame()
    sources = items.attrs.get("sources", {})
    design = {"tasks": tasks, "seeds": int(scores.groupby("condition").seed.nunique().min()),
              "conditions": conditions, "languages": len(langs), "models": models,
              "items_per_language_median": float(scores.groupby("language").n.first().median()),
              "metric": metric, "value_max": float(scores.value.max()), "dev_metrics": _dev_metrics(cfg.evaluation_runs),
              "item_paired": bool(len(items)), "item_scores": sorted(set(sources.values())),
              "resource_predictor": predictor, "pretraining_corpus": corpus, "predictor_choice": choice,
              "tests_in_holm": len(analyses), "items_note": parallel_items(items)}
    seeds = seed_spread(scores)
    if analyses:
        parts = []
        for task in tasks:
            mine = {c: analyses[_key(task, c, tasks)] for c in conditions if _key(task, c, tasks) in analyses}
            head = cfg.headline_condition if cfg.headline_condition in mine else next(iter(mine), "")
            parts.append(conclusion(mine, head, cfg, len(langs), design, cfg.smoke and not parts,
                                    tests[tests.task == task] if len(tests) else tests,
                                    seeds[seeds.task == task], task if len(tasks) > 1 else ""))
        text = "\n\n".join(parts)
    else:
        text = "Only one condition was run: there is no comparison to report."
    headline = next((k for k in analyses if k.endswith(cfg.headline_condition)), next(iter(analyses), ""))
    main_table = pd.DataFrame([{"task": a["robustness"].task.iloc[0], "condition": a["robustness"].condition.iloc[0],
                                **{k: a["main"][k] for k in ("estimate", "ci_low", "ci_high", "t", "df", "df_languages",
                                                              "p_value", "p_holm", "n_groups", "n_obs", "tau2", "sigma2",
                                                              "seed_part_var", "method")},
                                "excluded_languages": len(a["excluded"])} for a in analyses.values()])
    ordered = [headline] + [c for c in analyses if c != headline]  # the question's condition first
    robustness = pd.concat([analyses[c]["robustness"] for c in ordered], ignore_index=True) if analyses else pd.DataFrame()
    power = pd.concat([a["power"].assign(condition=c) for c, a in analyses.items()], ignore_index=True) if analyses else pd.DataFrame()
    links = _links(cfg.evaluation_runs)
    setup = study_setup(cfg.evaluation_runs)
    records = lambda df: df.astype(object).where(df.notna(), None).to_dict("records")  # noqa: E731
    # alignment with parallel data vs robust training, per tier (studies with alignment_methods; else None)
    alignment = compare_alignment(cfg.evaluation_runs, gains, cov, scores, main_table, cfg.baseline_condition,
                                  cfg.bootstrap_samples, cfg.seed)
    if alignment:
        text += "\n\n**Alignment with parallel data vs robust training, per tier.** " + alignment["answer"]
    run.finish(
        metrics={"answer": text, "headline_condition": headline, "resource_predictor": predictor,
                 "resource_predictor_choice": choice, "pretraining_corpus": corpus,
                 "interaction_tests": records(main_table), "robustness": records(robustness), "power": records(power),
                 "variance_components": {c: a["components"] for c, a in analyses.items()},
                 "per_language_tests": records(tests) if len(tests) else [],
                 "languages_significant_after_holm": records(tests[tests.significant_holm][["condition", "task", "language", "gain", "p_holm"]])
                 if len(tests) else [],
                 "seed_spread": records(seeds), "item_scores": sources,
                 "excluded_from_slope": {c: a["excluded"] for c, a in analyses.items()},
                 "excluded_from_slope_by_reason": {c: a["exclusions"] for c, a in analyses.items()},
                 **({"alignment_vs_robust": alignment_record(alignment, records)} if alignment else {})},
        samples={"runs": len(cfg.evaluation_runs), "languages": len(langs), "conditions": conditions,
                 "seeds": design["seeds"],
                 "test_items": int(items.groupby("run").size().iloc[0]) if len(items) else int(tidy.groupby("run").n.sum().iloc[0])},
        artifacts=artifacts, design={**design, "setup": records(setup)}, english_in_averages=cfg.include_english,
        model_selection=model_selection(design), smoke=cfg.smoke,
    )
    return {"answer": text, "design": design, "metric": metric, "scores": scores, "per_language": per_lang,
            "covariates": cov, "gains": gains, "language_gains": lang_gains, "tests": tests, "interaction": main_table,
            "robustness": robustness, "power": power, "seed_spread": seeds, "links": links, "headline": headline,
            "analyses": analyses, "resource_predictor": predictor, "setup": setup, "alignment": alignment}


def robustness_overview(robustness: pd.DataFrame) -> pd.DataFrame:
    """Condition × check grid of estimates, '*' where the 95% interval excludes 0 (the full table has the CIs)."""
    if robustness.empty:
        return robustness
    r = robustness.assign(cell=[f"{e:+.4f}{'*' if (lo > 0 or hi < 0) else ''}" if np.isfinite(e) else "—"
                                for e, lo, hi in zip(robustness.estimate.astype(float), robustness.ci_low.astype(float),
                                                     robustness.ci_high.astype(float))])
    order = list(dict.fromkeys(robustness.check))
    if "task" in r and r.task.nunique() > 1:  # one column per (task, condition): tasks are never pooled
        r = r.assign(condition=r.task + ": " + r.condition)
    return r.pivot(index="check", columns="condition", values="cell").reindex(order)
