"""Phase 5: the study report — the answer first (effect size, interval, test, power), then the evidence.

Reads every evaluation run of a study, writes the tidy long table (CSV + Parquet), the item-level
predictions (Parquet) and the language covariates, runs the statistics of rxlt.stats.hypotheses for every
condition against the baseline, and phrases the conclusion from the numbers alone.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rxlt.data.catalog import SOURCE_LANGUAGE
from rxlt.languages.covariates import PREDICTORS, covariate_table, predictor_values
from rxlt.languages.tier_schemes import assign_tiers
from rxlt.phases.tiers import check_complete_grid, model_selection
from rxlt.reporting.tidy import export_table, item_results, tidy_results
from rxlt.results import is_complete, read_results
from rxlt.stats.hypotheses import (gain_regression, holm, interaction_model, mixed_slope_test, per_language_tests,
                                   seed_spread, variance_components)
from rxlt.stats.power import design_power

LOW_TIERS = ("unseen", "low")


def _gains(scores: pd.DataFrame, items: pd.DataFrame, condition: str, baseline: str) -> pd.DataFrame:
    """Per (task, language, seed): value(condition) − value(baseline), and its item sampling variance."""
    keys = ["task", "language", "seed"]
    a = scores[scores.condition == condition].set_index(keys).value
    b = scores[scores.condition == baseline].set_index(keys).value
    common = a.index.intersection(b.index)
    if common.empty:
        raise ValueError(f"{condition!r} and {baseline!r} share no (task, language, seed): nothing to pair")
    ia = items[items.condition == condition]
    ib = items[items.condition == baseline]
    d = ia.merge(ib, on=["task", "language", "seed", "key"], suffixes=("", "_b"))
    d["diff"] = d.correct.astype(float) - d.correct_b.astype(float)
    item_var = d.groupby(keys)["diff"].agg(lambda v: v.var(ddof=1) / len(v) if len(v) > 1 else np.nan) \
        if len(d) else pd.Series(dtype=float)
    out = pd.DataFrame({"gain": a.loc[common] - b.loc[common]}).reset_index()
    out["item_var"] = out.set_index(keys).index.map(item_var).to_numpy(dtype=float)
    return out.assign(condition=condition)


def _condition_analysis(cond: str, gains: pd.DataFrame, cov: pd.DataFrame, cfg) -> dict:
    """Every statistic for one condition's gains (English, the source language, excluded)."""
    g = gains[gains.language != SOURCE_LANGUAGE].merge(cov, on="language")
    x, excluded = predictor_values(cov[cov.language != SOURCE_LANGUAGE], cfg.resource_predictor)
    within = tuple(w for w in ("seed", "task") if g[w].nunique() > 1)
    main = mixed_slope_test(g, "gain", cfg.resource_predictor, within=within)
    reg = gain_regression(g, x, cfg.bootstrap_samples, seed=cfg.seed)
    robustness = []

    def add(check, res, note=""):
        robustness.append({"condition": cond, "check": check, "estimate": res.get("estimate", res.get("slope")),
                           "ci_low": res.get("ci_low", res.get("boot_ci_low")),
                           "ci_high": res.get("ci_high", res.get("boot_ci_high")), "p_value": res["p_value"],
                           "languages": res.get("n_groups", res.get("n")), "note": note})

    add(f"main: mixed model, slope per unit {cfg.resource_predictor}", main, main["method"])
    add("OLS on language means, bootstrap CI over languages", reg, f"Spearman rho {reg['spearman_rho']:+.2f}")
    for other in PREDICTORS:
        if other != cfg.resource_predictor:
            add(f"other predictor: {other}", mixed_slope_test(g, "gain", other, within=within),
                f"{int(g[other].isna().groupby(g.language).first().sum())} languages without a value excluded")
    if g.distance_from_english.notna().any():
        add("controlling distance from English + Latin script", mixed_slope_test(
            g.assign(latin=g.latin_script.astype(float)), "gain", cfg.resource_predictor,
            covariates=("distance_from_english", "latin"), within=within),
            "languages with unknown family excluded")
    tiered = g[g.tier.isin(LOW_TIERS + ("high",))].assign(low=lambda d: d.tier.isin(LOW_TIERS).astype(float))
    if tiered.low.nunique() == 2:
        add("categorical: low (unseen + low tier) minus high tier", mixed_slope_test(tiered, "gain", "low", within=within),
            "positive = more gain for low-resource; unseen languages included here")
    if g.seen.nunique() == 2:
        add("unseen minus seen languages", mixed_slope_test(g.assign(unseen=(~g.seen).astype(float)), "gain", "unseen",
                                                            within=within), "positive = more gain for unseen")
    for s in sorted(g.seed.unique()) if g.seed.nunique() > 1 else []:
        add(f"seed {s} alone", mixed_slope_test(g[g.seed == s], "gain", cfg.resource_predictor,
                                                within=tuple(w for w in within if w != "seed")))
    comps = variance_components(g.dropna(subset=[cfg.resource_predictor]), reg["resid_var"]) \
        if np.isfinite(reg["resid_var"]) else None
    power = design_power(comps, reg["sxx"], reg["n"], cfg.alpha, cfg.target_power) if comps else pd.DataFrame()
    xs = g.dropna(subset=[cfg.resource_predictor])[cfg.resource_predictor]
    return {"main": main, "regression": reg, "robustness": pd.DataFrame(robustness), "excluded": excluded,
            "x_range": (float(xs.min()), float(xs.max())) if len(xs) else (np.nan, np.nan),
            "mean_gain": float((gains if cfg.include_english else gains[gains.language != SOURCE_LANGUAGE])
                               .groupby("language").gain.mean().mean()),
            "components": comps, "power": power}


def _verdict(r: dict, cfg, primary: bool) -> str:
    """Primary condition: its own 95% interval decides; the others must also survive Holm over conditions."""
    m = r["main"]
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


def _unit(predictor: str) -> str:
    return {"log2_cc100_gib": "doubling of CC-100 data", "log2_wiki_tokens_m": "doubling of Wikipedia tokens",
            "joshi": "Joshi class"}.get(predictor, f"unit of {predictor}")


def _ci(lo, hi, scale=100.0) -> str:
    return f"[{lo * scale:+.2f}, {hi * scale:+.2f}]"


def _check(r: dict, word: str):
    rob = r["robustness"]
    hit = rob[rob.check.str.startswith(word)]
    return hit.iloc[0] if len(hit) else None


def conclusion(analyses: dict, headline: str, cfg, n_languages: int, design: dict, smoke: bool,
               tests: pd.DataFrame | None = None, seeds: pd.DataFrame | None = None) -> str:
    """The report's first paragraphs, phrased from the numbers (effects in points of the metric = ×100)."""
    unit = _unit(cfg.resource_predictor)
    k = 100.0 if design.get("value_max", 1.0) <= 1.0 else 1.0  # scores in [0, 1] are reported as points (× 100)
    lines = []
    if smoke:
        lines.append("> **SMOKE STUDY — tiny data, few steps: these numbers check the pipeline, they are not evidence.**\n")
    order = [headline] + sorted(c for c in analyses if c != headline) if headline in analyses else sorted(analyses)
    for i, cond in enumerate(order):
        r = analyses[cond]
        m, reg, p = r["main"], r["regression"], r["power"]
        mde = p[p.this_design].mde.iloc[0] if len(p) else float("nan")
        if i > 0:
            if i == 1:
                lines.append("\n**Robust and combined conditions** (same model; Holm over all conditions; points per "
                             f"{unit}):\n")
            lines.append(f"- **`{cond}` vs `{cfg.baseline_condition}`** (mean gain {r['mean_gain'] * k:+.2f} points): "
                         f"{_verdict(r, cfg, False)}; slope "
                         f"**{m['estimate'] * k:+.2f}** {_ci(m['ci_low'], m['ci_high'], k)}, p = {m['p_value']:.3g} "
                         f"(Holm {m['p_holm']:.3g}); bootstrap over languages {_ci(reg['boot_ci_low'], reg['boot_ci_high'], k)}, "
                         f"Spearman ρ {reg['spearman_rho']:+.2f}; detectable with {cfg.target_power:.0%} power: ±{mde * k:.2f}.")
            continue
        span = float(r["x_range"][1] - r["x_range"][0])
        lines.append(f"### Does `{cond}` keep better zero-shot transfer for low- than for high-resource languages "
                     f"(vs `{cfg.baseline_condition}`)?\n")
        lines.append(f"- **Answer:** {_verdict(r, cfg, True)}. (Mean gain over `{cfg.baseline_condition}` across "
                     f"languages, English {'included' if cfg.include_english else 'excluded'}: {r['mean_gain'] * k:+.2f} points.)")
        lines.append(
            f"- **Effect size:** the gain changes by **{m['estimate'] * k:+.2f} points of {design.get('metric', 'score')} per {unit}** "
            f"(95% CI {_ci(m['ci_low'], m['ci_high'], k)}; t({m['df']}) = {m['t']:+.2f}, p = {m['p_value']:.3g}; "
            f"Holm over the {len(analyses)} conditions p = {m['p_holm']:.3g}); negative = more gain where data are scarce. "
            f"Across the observed range ({span:.1f} units) that is {m['estimate'] * span * k:+.1f} points "
            f"{_ci(m['ci_low'] * span, m['ci_high'] * span, k)} between the least- and the best-resourced language in the slope. "
            f"Test: mixed model `{m['formula']}` on {m['n_obs']} (language, seed) gains in {m['n_groups']} languages "
            f"(English excluded); the slope is the condition × resource interaction.")
        unseen, tiers = _check(r, "unseen minus seen"), _check(r, "categorical")
        cover = (f"- **Coverage:** the slope uses the {m['n_groups']} languages with a `{cfg.resource_predictor}` value; "
                 f"{len(r['excluded'])} languages have none "
                 f"({'unseen in XLM-R pretraining' if cfg.resource_predictor == 'log2_cc100_gib' else 'no value in the cited source'})"
                 " and are not imputed")
        if unseen is not None and np.isfinite(unseen.estimate):
            cover += (f" — the extra gain of languages unseen in pretraining over seen ones is {unseen.estimate * k:+.2f} points "
                      f"{_ci(unseen.ci_low, unseen.ci_high, k)} (p = {unseen.p_value:.3g})")
        if tiers is not None and np.isfinite(tiers.estimate):
            cover += (f"; low-resource tiers (unseen + low) minus high tier: {tiers.estimate * k:+.2f} points "
                      f"{_ci(tiers.ci_low, tiers.ci_high, k)} (p = {tiers.p_value:.3g})")
        lines.append(cover + ".")
        rob = r["robustness"].iloc[1:]
        rob = rob[np.isfinite(rob.estimate.astype(float))]
        same = int((np.sign(rob.estimate.astype(float)) == np.sign(m["estimate"])).sum())
        excl = [c for c, lo, hi in zip(rob.check, rob.ci_low, rob.ci_high) if lo > 0 or hi < 0]
        lines.append(f"- **Robustness:** {same} of {len(rob)} checks have the same sign; checks whose 95% interval "
                     f"excludes 0: {'; '.join(excl) if excl else 'none'} (table below; slopes and contrasts have different units).")
        power_line = (f"- **Power:** with {m['n_groups']} languages, {design['seeds']} seed(s) and a median of "
                      f"{design['items_per_language_median']:.0f} test items per language, the design detects a slope of "
                      f"±{mde * k:.2f} points per {unit} with {cfg.target_power:.0%} power (α = {cfg.alpha})"
                      if np.isfinite(mde) else "- **Power:** could not be estimated")
        if design["seeds"] < 2:
            power_line += " — optimistic: seed-to-seed variance is not estimable from one seed"
        elif np.isfinite(mde) and len(p):
            more = p[(p.languages == m["n_groups"]) & (p.seeds == p.seeds.max())].mde.min()
            twice = p[(p.languages > m["n_groups"]) & (p.seeds == design["seeds"])].mde.min()
            power_line += (f"; {int(p.seeds.max())} seeds: ±{more * k:.2f}; twice the languages: ±{twice * k:.2f}")
        if np.isfinite(mde) and m["ci_low"] <= 0 <= m["ci_high"]:
            power_line += (". The interval includes 0: effects smaller than the detectable size are not ruled out"
                           if abs(m["estimate"]) < mde else ". The interval includes 0")
        lines.append(power_line + ".")
        if tests is None or not len(tests):
            lines.append(f"- **Per language:** no per-language test: {design.get('metric', 'the metric')} has no per-item "
                         "correctness, so gains are paired by seed only (run level); the evidence is across languages.")
        else:
            t = tests[tests.condition == cond]
            lines.append(f"- **Per language:** {int(t.significant_holm.sum())} of {len(t)} languages differ from "
                         f"`{cfg.baseline_condition}` after Holm (paired sign-flip test over items × seeds; "
                         f"{int((t.q_bh < cfg.alpha).sum())} at a 5% false-discovery rate).")
        if seeds is not None and len(seeds) and seeds.seeds.min() > 1:
            sd = seeds.set_index("condition").macro_sd_over_seeds
            lines.append(f"- **Seeds:** SD of the macro-average over seeds: {cfg.baseline_condition} "
                         f"{sd.get(cfg.baseline_condition, np.nan) * k:.2f} points, {cond} {sd.get(cond, np.nan) * k:.2f} points.")
    lines.append(f"\n*Conventions:* averages over languages (mean gains, tier plots) "
                 f"{'include' if cfg.include_english else 'exclude'} English (the source language); slopes and tier "
                 "contrasts never include it. "
                 f"Model selection: {model_selection(design)}. "
                 f"Tasks: {', '.join(design['tasks'])}; {n_languages} evaluated languages.")
    return "\n".join(lines)


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


def run_report(run) -> dict:
    """Compute every table of the study report, write the tidy exports and results.json; return them."""
    cfg = run.config
    tidy = tidy_results(cfg.evaluation_runs)
    check_complete_grid(tidy.rename(columns={"value": "accuracy"}))
    items = item_results(cfg.evaluation_runs)
    # one primary metric per run (accuracy, F1, …); gains are always within a task, so mixed metrics are fine
    metric = "/".join(sorted(tidy.metric.unique()))
    scores = tidy
    conditions = sorted(scores.condition.unique())
    if cfg.baseline_condition not in conditions:
        raise ValueError(f"baseline_condition {cfg.baseline_condition!r} was not run; conditions: {conditions}")
    langs = sorted(scores.language.unique())
    tiers = assign_tiers(langs, cfg.tier_scheme)
    cov = covariate_table(langs).assign(tier=lambda d: d.language.map(tiers))
    artifacts = {"tidy": export_table(tidy, run.dir, "tidy_results"), "covariates": export_table(cov, run.dir, "covariates")}
    items.to_parquet(run.dir / "items.parquet", index=False)
    artifacts["items"] = "items.parquet"

    analyses, tests, all_gains = {}, [], []
    for cond in [c for c in conditions if c != cfg.baseline_condition]:
        gains = _gains(scores, items, cond, cfg.baseline_condition)
        all_gains.append(gains)
        analyses[cond] = _condition_analysis(cond, gains, cov, cfg)
        if {cond, cfg.baseline_condition} <= set(items.condition):
            tests.append(per_language_tests(items, cond, cfg.baseline_condition, cfg.permutation_samples, cfg.seed, cfg.alpha))
    if analyses:  # the pooled score model over all conditions: one more robustness row per condition
        pooled_scores = scores[scores.language != SOURCE_LANGUAGE].merge(cov[["language", cfg.resource_predictor]], on="language")
        try:
            pooled = interaction_model(pooled_scores, cfg.baseline_condition, cfg.resource_predictor,
                                       within=tuple(w for w in ("seed", "task") if scores[w].nunique() > 1))
        except (np.linalg.LinAlgError, ValueError) as exc:  # a robustness check must not sink the report
            pooled = pd.DataFrame([{"condition": c, "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                                    "p_value": np.nan, "n_groups": 0, "method": f"failed: {exc}"} for c in analyses])
        for r in pooled.itertuples():
            rob = analyses[r.condition]["robustness"]
            analyses[r.condition]["robustness"] = pd.concat([rob, pd.DataFrame([{
                "condition": r.condition, "check": "pooled score model: value ~ condition × resource + (1|language) + (1|language:condition)",
                "estimate": r.estimate, "ci_low": r.ci_low, "ci_high": r.ci_high, "p_value": r.p_value,
                "languages": r.n_groups, "note": r.method + "; does not use the seed pairing of the gains"}])], ignore_index=True)
    ps = holm([a["main"]["p_value"] for a in analyses.values()]) if analyses else []
    for a, p in zip(analyses.values(), ps):
        a["main"]["p_holm"] = float(p)

    per_lang = (scores.groupby(["task", "condition", "language"], as_index=False)
                .agg(value=("value", "mean"), ci_low=("ci_low", "mean"), ci_high=("ci_high", "mean"), n=("n", "first"))
                .merge(cov[["language", cfg.resource_predictor, "tier"]], on="language"))
    gains = pd.concat(all_gains, ignore_index=True) if all_gains else pd.DataFrame(columns=["task", "language", "seed", "gain", "condition"])
    lang_gains = (gains.groupby(["task", "condition", "language"], as_index=False).gain.mean()
                  .merge(cov, on="language")) if len(gains) else gains
    if len(lang_gains) and not cfg.include_english:
        lang_gains = lang_gains[lang_gains.language != SOURCE_LANGUAGE]
    tests = pd.concat(tests, ignore_index=True) if tests else pd.DataFrame()
    design = {"tasks": sorted(scores.task.unique()), "seeds": int(scores.groupby("condition").seed.nunique().min()),
              "conditions": conditions, "languages": len(langs),
              "items_per_language_median": float(scores.groupby("language").n.first().median()),
              "metric": metric, "value_max": float(scores.value.max()), "dev_metrics": _dev_metrics(cfg.evaluation_runs),
              "item_paired": bool(len(items))}
    headline = cfg.headline_condition if cfg.headline_condition in analyses else next(iter(analyses), "")
    seeds = seed_spread(scores)
    text = conclusion(analyses, headline, cfg, len(langs), design, cfg.smoke, tests, seeds) if analyses else \
        "Only one condition was run: there is no comparison to report."
    main_table = pd.DataFrame([{"condition": c, **{k: a["main"][k] for k in ("estimate", "ci_low", "ci_high", "t", "df", "p_value",
                                                                        "p_holm", "n_groups", "n_obs", "tau2", "sigma2", "method")},
                                "excluded_languages": len(a["excluded"])} for c, a in analyses.items()])
    ordered = [headline] + [c for c in analyses if c != headline]  # the question's condition first
    robustness = pd.concat([analyses[c]["robustness"] for c in ordered], ignore_index=True) if analyses else pd.DataFrame()
    power = pd.concat([a["power"].assign(condition=c) for c, a in analyses.items()], ignore_index=True) if analyses else pd.DataFrame()
    links = _links(cfg.evaluation_runs)
    records = lambda df: df.astype(object).where(df.notna(), None).to_dict("records")  # noqa: E731
    run.finish(
        metrics={"answer": text, "headline_condition": headline, "resource_predictor": cfg.resource_predictor,
                 "interaction_tests": records(main_table), "robustness": records(robustness), "power": records(power),
                 "variance_components": {c: a["components"] for c, a in analyses.items()},
                 "languages_significant_after_holm": records(tests[tests.significant_holm][["condition", "task", "language", "gain", "p_holm"]])
                 if len(tests) else [],
                 "seed_spread": records(seeds),
                 "excluded_from_slope": {c: a["excluded"] for c, a in analyses.items()}},
        samples={"runs": len(cfg.evaluation_runs), "languages": len(langs), "conditions": conditions,
                 "seeds": design["seeds"],
                 "test_items": int(items.groupby("run").size().iloc[0]) if len(items) else int(tidy.groupby("run").n.sum().iloc[0])},
        artifacts=artifacts, design=design, english_in_averages=cfg.include_english,
        model_selection=model_selection(design), smoke=cfg.smoke,
    )
    return {"answer": text, "design": design, "metric": metric, "scores": scores, "per_language": per_lang,
            "covariates": cov, "gains": gains, "language_gains": lang_gains, "tests": tests, "interaction": main_table,
            "robustness": robustness, "power": power, "seed_spread": seeds, "links": links, "headline": headline,
            "analyses": analyses}


def robustness_overview(robustness: pd.DataFrame) -> pd.DataFrame:
    """Condition × check grid of estimates, '*' where the 95% interval excludes 0 (the full table has the CIs)."""
    if robustness.empty:
        return robustness
    r = robustness.assign(cell=[f"{e:+.4f}{'*' if (lo > 0 or hi < 0) else ''}" if np.isfinite(e) else "—"
                                for e, lo, hi in zip(robustness.estimate.astype(float), robustness.ci_low.astype(float),
                                                     robustness.ci_high.astype(float))])
    order = list(dict.fromkeys(robustness.check))
    return r.pivot(index="check", columns="condition", values="cell").reindex(order)
