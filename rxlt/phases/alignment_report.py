"""Phase 5's comparison of the two sides of Huang et al.'s (2021) argument: aligning the encoder with parallel data
versus making it robust, per resource tier and along the resource axis.

Every condition's gain is measured against plain fine-tuning (the baseline: `direct` + `erm`), per (language,
seed) on the same test items, English excluded. Per tier, a condition's mean gain has the language × seed interval
of rxlt.stats.intervals.language_seed_interval (counts languages and seeds; one seed: over languages only, and the
method says so). Alignment conditions are read from the evaluation runs' `alignment` record (method, N); robust
conditions are `direct+<objective>`; N = 0 is plain fine-tuning, gain 0 by definition.

"Matches": an alignment method at N *matches* the best robust objective of a tier when its mean gain there is at
least that objective's (the paired difference's point estimate ≥ 0; the difference's interval is reported beside
it). A point-estimate rule, not interval overlap: with few seeds and languages almost any two intervals overlap, so
overlap would declare a match at N = 0 by noise alone; the interval says how sure the ordering is ("clear" when it
excludes 0). The best robust objective is picked per tier on these same test gains — a description of the study,
not a model selection (every model was selected on English dev), and it favours the robust side slightly.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from rxlt.data import parallel
from rxlt.languages.tier_schemes import TIER_ORDER
from rxlt.results import read_results
from rxlt.stats.intervals import language_seed_interval, spearman_with_ci

SOURCE_LANGUAGE = "en"
ALL_LANGUAGES = "all languages"
DIAGNOSTIC_REPRESENTATION = "head input"  # the head's input: what rotation and alignment move


def condition_roles(run_dirs, baseline: str = "direct") -> pd.DataFrame:
    """One row per condition: family (baseline, robust, alignment, other), method, N (alignment) and its order."""
    rows = {}
    for d in run_dirs:
        res = read_results(d)
        cond = res.get("condition") or "direct"
        rec = res.get("alignment")
        if cond == baseline:
            row = {"family": "baseline", "method": "plain fine-tuning", "n": 0}
        elif rec and "on_top_of" not in rec and not cond.startswith("intermediate"):
            row = {"family": "alignment", "method": rec["method"], "n": rec["parallel_sentences"]}
        elif cond.startswith("direct+"):
            row = {"family": "robust", "method": cond.removeprefix("direct+"), "n": None}
        else:
            row = {"family": "other", "method": cond, "n": None}
        rows[cond] = row
    out = pd.DataFrame([{"condition": c, **r} for c, r in rows.items()], columns=["condition", "family", "method", "n"])
    out["n_order"] = [parallel.budget_order(n) if n is not None else np.nan for n in out.n]
    return out.sort_values(["family", "method", "n_order"]).reset_index(drop=True)


def _table(gains: pd.DataFrame, condition: str, languages) -> pd.DataFrame:
    g = gains[(gains.condition == condition) & gains.language.isin(languages)]
    return g.pivot_table(index="language", columns="seed", values="gain", aggfunc="mean").sort_index()


def _interval(table: pd.DataFrame) -> dict:
    r = language_seed_interval(table.to_numpy())
    return {"gain": r["mean"], "ci_low": r["ci_low"], "ci_high": r["ci_high"], "languages": r["languages"],
            "seeds": r["seeds"], "interval": r["method"]}


def _groups(cov: pd.DataFrame, languages) -> list[tuple[str, list[str]]]:
    tiers = cov.set_index("language").tier.reindex(list(languages))
    present = [t for t in TIER_ORDER if (tiers == t).any()] + sorted(set(tiers.dropna()) - set(TIER_ORDER))
    return [(ALL_LANGUAGES, list(languages))] + [(t, tiers.index[tiers == t].tolist()) for t in present]


def tier_gains(gains: pd.DataFrame, cov: pd.DataFrame, roles: pd.DataFrame) -> pd.DataFrame:
    """Per tier (and all languages) × robust / alignment condition: mean gain over plain fine-tuning, 95% interval.
    N = 0 rows of each alignment method are plain fine-tuning (gain 0, no interval needed)."""
    languages = sorted(set(gains.language) - {SOURCE_LANGUAGE})
    rows = []
    for tier, langs in _groups(cov, languages):
        for r in roles[roles.family.isin(("robust", "alignment"))].itertuples():
            rows.append({"tier": tier, "condition": r.condition, "family": r.family, "method": r.method, "n": r.n,
                         **_interval(_table(gains, r.condition, langs))})
        for method in roles[roles.family == "alignment"].method.unique():
            rows.append({"tier": tier, "condition": "direct", "family": "alignment", "method": method, "n": 0,
                         "gain": 0.0, "ci_low": 0.0, "ci_high": 0.0, "languages": len(langs), "seeds": np.nan,
                         "interval": "N = 0 is plain fine-tuning itself: gain 0 by definition"})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["n_order"] = [parallel.budget_order(n) if n is not None and n == n else np.nan for n in out.n]
    return out.sort_values(["tier", "family", "method", "n_order"], key=_tier_key).reset_index(drop=True)


def _tier_key(s: pd.Series):
    if s.name != "tier":
        return s
    order = {t: i for i, t in enumerate([ALL_LANGUAGES, *TIER_ORDER])}
    return s.map(lambda t: order.get(t, len(order)))


def versus_best_robust(gains: pd.DataFrame, cov: pd.DataFrame, roles: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Per tier × alignment method × N: the difference of its gain and the tier's best robust objective's (paired by
    language and seed; interval as tier_gains), whether it matches (difference ≥ 0) and who wins."""
    robust = table[table.family == "robust"]
    if robust.empty:
        return pd.DataFrame()
    languages = sorted(set(gains.language) - {SOURCE_LANGUAGE})
    rows = []
    for tier, langs in _groups(cov, languages):
        mine = robust[robust.tier == tier]
        if mine.empty or not mine.gain.notna().any():
            continue
        best = mine.loc[mine.gain.idxmax()]
        best_table = _table(gains, best.condition, langs)
        for r in table[(table.tier == tier) & (table.family == "alignment")].itertuples():
            other = _table(gains, r.condition, langs) if r.n != 0 else best_table * 0.0
            diff = other.reindex_like(best_table) - best_table
            d = _interval(diff)
            matches = bool(np.isfinite(d["gain"]) and d["gain"] >= 0)
            clear = bool(d["ci_low"] > 0 or d["ci_high"] < 0)
            winner = r.method if d["gain"] > 0 else (best.method if d["gain"] < 0 else "tie")
            rows.append({"tier": tier, "method": r.method, "n": r.n, "n_order": r.n_order,
                         "alignment_gain": r.gain, "best_robust": best.method, "best_robust_gain": best.gain,
                         "difference": d["gain"], "ci_low": d["ci_low"], "ci_high": d["ci_high"], "matches": matches,
                         "winner": winner, "clear": clear})
    return pd.DataFrame(rows)


def smallest_matching_n(versus: pd.DataFrame) -> pd.DataFrame:
    """Per tier × alignment method: the smallest N at which it matches the best robust objective, or 'not reached'."""
    if versus.empty:
        return versus
    rows = []
    for (tier, method), g in versus.groupby(["tier", "method"], sort=False):
        hit = g[g.matches].sort_values("n_order")
        rows.append({"tier": tier, "method": method, "best_robust": g.best_robust.iloc[0],
                     "smallest_matching_n": parallel.budget_label(hit.n.iloc[0]) if len(hit) else "not reached",
                     "largest_n_tried": parallel.budget_label(g.sort_values("n_order").n.iloc[-1])})
    return pd.DataFrame(rows)


def diagnostics(run_dirs, roles: pd.DataFrame) -> pd.DataFrame:
    """Every evaluation run's alignment_diagnostic.csv (first-seed runs of studies with `alignment_diagnostic`),
    with its condition and seed."""
    parts = []
    for d in run_dirs:
        res = read_results(d)
        name = res.get("artifacts", {}).get("alignment_diagnostic")
        if name:
            parts.append(pd.read_csv(f"{d}/{name}").assign(condition=res.get("condition") or "direct",
                                                           seed=int(res["finetune_seed"])))
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    return out.merge(roles[["condition", "family", "method", "n"]], on="condition", how="left")


def diagnostic_overview(diag: pd.DataFrame) -> pd.DataFrame:
    """Condition × representation: mean over languages of MEXA (x→en and en→x beside it)."""
    if diag.empty:
        return diag
    return (diag.groupby(["condition", "representation"], as_index=False, sort=False)[["mexa", "x_to_en", "en_to_x"]]
            .mean().assign(languages=lambda t: t.condition.map(diag.groupby("condition").language.nunique())))


def head_alignment(diag: pd.DataFrame, cov: pd.DataFrame, baseline: str = "direct") -> pd.DataFrame:
    """Per language: MEXA of the head's input before (plain fine-tuning) and after each method (the rotated input
    for rotation runs), with the language's tier — which languages the encoder already aligns."""
    if diag.empty:
        return diag
    rotated = diag.representation.str.endswith("rotated")
    pick = diag[(diag.representation == DIAGNOSTIC_REPRESENTATION) & ~diag.condition.str.contains("rotation")
                | rotated]
    wide = pick.pivot_table(index="language", columns="condition", values="mexa", aggfunc="mean")
    order = [baseline] + sorted(c for c in wide.columns if c != baseline)
    wide = wide[[c for c in order if c in wide.columns]]
    return wide.reset_index().merge(cov[["language", "tier"]], on="language", how="left")


def alignment_predicts_score(diag: pd.DataFrame, scores: pd.DataFrame, baseline: str = "direct",
                             n_boot: int = 1000, seed: int = 0) -> dict:
    """Spearman's rho, over languages, between the plain model's head-input MEXA and its test score (MEXA's
    premise: alignment with English predicts transfer), with a bootstrap interval."""
    d = diag[(diag.condition == baseline) & (diag.representation == DIAGNOSTIC_REPRESENTATION)]
    if d.empty:
        return {}
    s = scores[(scores.condition == baseline) & (scores.language != SOURCE_LANGUAGE)].groupby("language").value.mean()
    m = d.groupby("language").mexa.mean()
    common = m.index.intersection(s.index)
    return {"representation": DIAGNOSTIC_REPRESENTATION, "condition": baseline,
            **spearman_with_ci(m.loc[common].to_numpy(), s.loc[common].to_numpy(), n_boot=n_boot, seed=seed)}


def compare(run_dirs, gains: pd.DataFrame, cov: pd.DataFrame, scores: pd.DataFrame, interaction: pd.DataFrame,
            baseline: str = "direct", n_boot: int = 1000, seed: int = 0) -> dict | None:
    """Every table of the comparison, or None when the study has no alignment condition."""
    roles = condition_roles(run_dirs, baseline)
    if not (roles.family == "alignment").any():
        return None
    g = gains[gains.language != SOURCE_LANGUAGE]
    table = tier_gains(g, cov, roles)
    versus = versus_best_robust(g, cov, roles, table)
    diag = diagnostics(run_dirs, roles)
    slopes = interaction.merge(roles, on="condition") if len(interaction) else pd.DataFrame()
    return {"roles": roles, "tier_gains": table, "versus_best_robust": versus,
            "smallest_matching_n": smallest_matching_n(versus), "resource_slopes": slopes,
            "diagnostic": diag, "diagnostic_overview": diagnostic_overview(diag),
            "head_alignment": head_alignment(diag, cov, baseline),
            "alignment_predicts_score": alignment_predicts_score(diag, scores, baseline, n_boot, seed),
            "answer": answer(versus, smallest_matching_n(versus))}


def _difference_text(r) -> str:
    if not np.isfinite(r.ci_low):
        return f"{r.difference:+.3f}, no interval: one language or seed"
    return f"{r.difference:+.3f} [{r.ci_low:+.3f}, {r.ci_high:+.3f}]{', clear' if r.clear else ''}"


def answer(versus: pd.DataFrame, smallest: pd.DataFrame) -> str:
    """Per tier, which side wins at each N > 0 (the difference and its interval), and the smallest N that matches."""
    if versus.empty:
        return "No robust objective was run: there is nothing to compare the alignment methods with."
    lines = []
    for tier, g in versus.groupby("tier", sort=False):
        parts = [f"{r.method} N={parallel.budget_label(r.n)}: {'tie' if r.winner == 'tie' else r.winner + ' wins'} "
                 f"({_difference_text(r)})"
                 for r in g[g.n != 0].sort_values(["method", "n_order"]).itertuples()]
        reach = []
        for s in smallest[smallest.tier == tier].itertuples():
            if s.smallest_matching_n == "0":
                reach.append(f"{s.method}: N=0 already matches (no robust objective gains over plain fine-tuning here)")
            elif s.smallest_matching_n == "not reached":
                reach.append(f"{s.method}: not reached up to N={s.largest_n_tried}")
            else:
                reach.append(f"{s.method} matches from N={s.smallest_matching_n}")
        lines.append(f"- **{tier}** (best robust objective: {g.best_robust.iloc[0]}, gain "
                     f"{g.best_robust_gain.iloc[0]:+.3f}): " + "; ".join(parts) + ". Smallest N that matches: "
                     + "; ".join(reach) + ".")
    return ("Per tier, each alignment method at N parallel sentences per language against the tier's best robust "
            "objective: the difference of their gains over plain fine-tuning (95% interval over languages and seeds; "
            "'clear' = it excludes 0):\n" + "\n".join(lines))


def to_record(comparison: dict, records) -> dict:
    """The comparison as results.json stores it (`records` turns a frame into JSON-ready rows)."""
    keep = ("tier_gains", "versus_best_robust", "smallest_matching_n", "diagnostic_overview", "head_alignment")
    return {"answer": comparison["answer"], "matches": "an alignment method at N matches the best robust objective of "
            "a tier when its mean gain over plain fine-tuning is at least that objective's (point estimate of the "
            "paired difference >= 0; its 95% interval beside it, 'clear' when the interval excludes 0)",
            **{k: records(comparison[k]) if len(comparison[k]) else [] for k in keep},
            "alignment_predicts_score": comparison["alignment_predicts_score"]}
