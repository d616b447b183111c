"""Phase 5: the study report — the answer first (effect size, interval, test, power), then the evidence.

Reads every evaluation run of a study, writes the tidy long table (CSV + Parquet), the item-level
predictions (Parquet) and the language covariates, runs the statistics of rxlt.inference for every
condition against the baseline, and phrases the conclusion from the numbers alone.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .analysis import check_complete_grid
from .covariates import PREDICTORS, covariate_table, predictor_values
from .inference import (design_power, gain_regression, holm, mixed_slope_test, per_language_tests, seed_spread,
                        variance_components)
from .results import read_results
from .taskdata import SOURCE_LANGUAGE
from .tidy import export_table, item_results, tidy_results
from .tiers import assign_tiers

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
    d["diff"] = d.correct - d.correct_b
    item_var = d.groupby(keys)["diff"].agg(lambda v: v.var(ddof=1) / len(v) if len(v) > 1 else np.nan)
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
        add(f"controlling distance from English + Latin script", mixed_slope_test(
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
        add(f"seed {s} alone", mixed_slope_test(g[g.seed == s], "gain", cfg.resource_predictor))
    comps = variance_components(g.dropna(subset=[cfg.resource_predictor]), reg["resid_var"]) \
        if np.isfinite(reg["resid_var"]) else None
    power = design_power(comps, reg["sxx"], reg["n"], cfg.alpha, cfg.target_power) if comps else pd.DataFrame()
    return {"main": main, "regression": reg, "robustness": pd.DataFrame(robustness), "excluded": excluded,
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


def conclusion(analyses: dict, headline: str, cfg, n_languages: int, design: dict, smoke: bool) -> str:
    """The report's first paragraph(s), phrased from the numbers."""
    unit = cfg.resource_predictor
    lines = []
    if smoke:
        lines.append("> **SMOKE STUDY — tiny data, few steps: these numbers check the pipeline, they are not evidence.**\n")
    order = [headline] + sorted(c for c in analyses if c != headline) if headline in analyses else sorted(analyses)
    if len(order) > 1:
        order = order[:1] + ["__others__"] + order[1:]
    for i, cond in enumerate(order):
        if cond == "__others__":
            lines.append("\n**Robust and combined conditions** (same model; Holm over all conditions):\n")
            continue
        r = analyses[cond]
        m, reg, p = r["main"], r["regression"], r["power"]
        mde = p[p.this_design].mde.iloc[0] if len(p) else float("nan")
        power_line = (f"With {m['n_groups']} languages and {design['seeds']} seed(s) this design detects a slope of "
                      f"±{mde:.4f} per unit with {cfg.target_power:.0%} power (α = {cfg.alpha})"
                      if np.isfinite(mde) else "Power could not be estimated")
        best = p[(p.languages == m["n_groups"]) & (p.seeds == p.seeds.max())].mde.min() if len(p) else float("nan")
        if design["seeds"] < 2:
            power_line += " — an optimistic figure: seed-to-seed variance is not estimable from one seed"
        elif np.isfinite(best) and np.isfinite(mde):
            power_line += f"; {int(p.seeds.max())} seeds would bring that to ±{best:.4f}"
        if np.isfinite(mde) and abs(m["estimate"]) < mde and m["ci_low"] <= 0 <= m["ci_high"]:
            power_line += "; the observed effect is below that, so a null result here does not rule out a real but smaller effect"
        head = "Research question" if i == 0 else "Also"
        if i > 0:
            lines.append(f"- **`{cond}` vs `{cfg.baseline_condition}`:** {_verdict(r, cfg, False)}; slope "
                         f"**{m['estimate']:+.4f}** [{m['ci_low']:+.4f}, {m['ci_high']:+.4f}], p = {m['p_value']:.3g} "
                         f"(Holm {m['p_holm']:.3g}); OLS/bootstrap [{reg['boot_ci_low']:+.4f}, {reg['boot_ci_high']:+.4f}], "
                         f"Spearman ρ {reg['spearman_rho']:+.2f}; MDE ±{mde:.4f}.")
            continue
        lines.append(
            f"- **{head} — does `{cond}` keep better zero-shot transfer for low- than for high-resource languages "
            f"(vs `{cfg.baseline_condition}`)?** {_verdict(r, cfg, i == 0)}. Effect: the gain changes by "
            f"**{m['estimate']:+.4f}** per unit of {unit} (95% CI [{m['ci_low']:+.4f}, {m['ci_high']:+.4f}], "
            f"t({m['df']}) = {m['t']:+.2f}, p = {m['p_value']:.3g}, p_Holm over conditions = {m['p_holm']:.3g}); "
            f"negative = more gain where data are scarce. Mixed model `{m['formula']}` over {m['n_obs']} gains in "
            f"{m['n_groups']} languages; {len(r['excluded'])} languages without a {unit} value (unseen in pretraining) "
            f"are excluded from this slope and analysed as a tier in the robustness checks. "
            f"OLS on language means: {reg['slope']:+.4f}, bootstrap CI over languages "
            f"[{reg['boot_ci_low']:+.4f}, {reg['boot_ci_high']:+.4f}], Spearman ρ {reg['spearman_rho']:+.2f}. "
            f"{power_line}.")
    lines.append(f"- Averages over languages exclude English (the source language){'' if not cfg.include_english else ' except the score plots, which include it'}; "
                 "model selection: English dev accuracy only (zero-shot); tasks: "
                 f"{', '.join(design['tasks'])}; {n_languages} evaluated languages.")
    return "\n".join(lines)


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
    order = {"intermediate training": 0, "fine-tuning": 1, "evaluation": 2}
    return pd.DataFrame(rows).sort_values(["role", "run"], key=lambda s: s.map(order) if s.name == "role" else s).reset_index(drop=True)


def run_report(run) -> dict:
    """Compute every table of the study report, write the tidy exports and results.json; return them."""
    cfg = run.config
    tidy = tidy_results(cfg.evaluation_runs)
    check_complete_grid(tidy.rename(columns={"value": "accuracy"}))
    items = item_results(cfg.evaluation_runs)
    metric = tidy.metric.iloc[0]
    scores = tidy[tidy.metric == metric]
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
        tests.append(per_language_tests(items, cond, cfg.baseline_condition, cfg.permutation_samples, cfg.seed, cfg.alpha))
    ps = holm([a["main"]["p_value"] for a in analyses.values()]) if analyses else []
    for a, p in zip(analyses.values(), ps):
        a["main"]["p_holm"] = float(p)

    per_lang = (scores.groupby(["task", "condition", "language"], as_index=False)
                .agg(value=("value", "mean"), ci_low=("ci_low", "mean"), ci_high=("ci_high", "mean"), n=("n", "first"))
                .merge(cov[["language", cfg.resource_predictor, "tier"]], on="language"))
    gains = pd.concat(all_gains, ignore_index=True) if all_gains else pd.DataFrame(columns=["task", "language", "seed", "gain", "condition"])
    lang_gains = (gains.groupby(["task", "condition", "language"], as_index=False).gain.mean()
                  .merge(cov, on="language")) if len(gains) else gains
    lang_gains = lang_gains[lang_gains.language != SOURCE_LANGUAGE] if len(lang_gains) else lang_gains
    tests = pd.concat(tests, ignore_index=True) if tests else pd.DataFrame()
    design = {"tasks": sorted(scores.task.unique()), "seeds": int(scores.groupby("condition").seed.nunique().min()),
              "conditions": conditions, "languages": len(langs),
              "items_per_language_median": float(scores.groupby("language").n.first().median())}
    headline = cfg.headline_condition if cfg.headline_condition in analyses else next(iter(analyses), "")
    text = conclusion(analyses, headline, cfg, len(langs), design, cfg.smoke) if analyses else \
        "Only one condition was run: there is no comparison to report."
    main_table = pd.DataFrame([{"condition": c, **{k: a["main"][k] for k in ("estimate", "ci_low", "ci_high", "t", "df", "p_value",
                                                                        "p_holm", "n_groups", "n_obs", "tau2", "sigma2", "method")},
                                "excluded_languages": len(a["excluded"])} for c, a in analyses.items()])
    robustness = pd.concat([a["robustness"] for a in analyses.values()], ignore_index=True) if analyses else pd.DataFrame()
    power = pd.concat([a["power"].assign(condition=c) for c, a in analyses.items()], ignore_index=True) if analyses else pd.DataFrame()
    seeds = seed_spread(scores)
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
                 "seeds": design["seeds"], "test_items": int(items.groupby("run").size().iloc[0])},
        artifacts=artifacts, design=design, english_in_averages=cfg.include_english,
        model_selection="English dev accuracy only (zero-shot)", smoke=cfg.smoke,
    )
    return {"answer": text, "design": design, "metric": metric, "scores": scores, "per_language": per_lang,
            "covariates": cov, "gains": gains, "language_gains": lang_gains, "tests": tests, "interaction": main_table,
            "robustness": robustness, "power": power, "seed_spread": seeds, "links": links, "headline": headline,
            "analyses": analyses}
