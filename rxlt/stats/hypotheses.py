"""Hypothesis tests and effect sizes for "does a condition's gain depend on resource size?".

The unit of analysis is (task, language, seed); a condition's *gain* is its score (any headline metric)
minus the baseline's score on the same task, language, seed and test items. Three levels of evidence, one task
at a time (metrics are never pooled):

1. per language: the run-level tests over seeds (rxlt.stats.per_language);
2. across languages: the slope of gain on a resource predictor, from per-language mean gains (OLS),
   with a percentile bootstrap CI over languages and Spearman's rho as a rank check;
3. pooled: a linear mixed model `gain ~ resource (+ covariates) + C(seed) + (1 | language)` (REML)
   on every (language, seed) gain. Because the gain is already condition − baseline, its
   resource slope is the `condition × resource` interaction of the score model — the study's hypothesis
   test (negative slope = more gain where data are scarce). The resource predictor varies between
   languages only, so the t-test uses n_languages − 1 − (language-level terms) degrees of freedom
   (the "between-within" rule), not the number of rows: seeds do not multiply the evidence on a
   language-level effect. A complete language × seed grid (phases 4 and 5 refuse any other) is balanced, and
   REML then has a closed form (`balanced_reml_slope`, equal to statsmodels' MixedLM: tests/test_hypotheses.py):
   the slope is the OLS slope of language means, its variance max(MS_between, pooled MS)/(seeds · Sxx).

Items: the test items of a language are treated as fixed (the intervals generalise to new seeds and languages,
not to a new test set). Parallel test sets (XNLI, SIB-200, Tatoeba: translations of the same items in every
language) are crossed with languages; an item effect shared by all languages adds the same amount to every
language's gain, so it cancels in slopes and low-vs-high contrasts but not in a mean gain over languages.

Power (what slope the design detects, what more seeds or languages would buy) is rxlt.stats.power.
Simulation tests (tests/test_hypotheses.py, benchmarks/stats_calibration.py) check the type-I rate and
the claimed power. With few languages and a small between-language variance the REML estimate of that
variance is often 0; the test is then conservative (type-I ≈ 0.01-0.03 at 12 languages, 2 seeds). It is liberal
where the seed-specific slope has too few degrees of freedom for what it must absorb: with 2 seeds, large seed
shifts and a baseline near the ceiling it rejected ≈ 12 % of the time between identical procedures (the log-odds
reading kept its level there). With 2-3 seeds its power is far below that of a t-test on L − 2 df: the detectable
slope a report states is simulated with this test (rxlt.stats.power.design_power).
benchmarks/results/stats_calibration.md has every rate.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats as sps

from rxlt.stats.intervals import welch_contrast

# ---------------------------------------------------------------- across languages

def ols_slope(x, y) -> dict:
    """OLS slope of y on x with its classical SE, t-test (n − 2 df) and the residual variance."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    n = x.size
    if n < 3 or np.ptp(x) == 0:
        return {"slope": float("nan"), "intercept": float("nan"), "se": float("nan"), "p_value": float("nan"),
                "resid_var": float("nan"), "sxx": float("nan"), "n": int(n)}
    xc = x - x.mean()
    sxx = float((xc ** 2).sum())
    slope = float((xc * (y - y.mean())).sum() / sxx)
    intercept = float(y.mean() - slope * x.mean())
    resid = y - intercept - slope * x
    s2 = float((resid ** 2).sum() / (n - 2))
    se = float(np.sqrt(s2 / sxx))
    t = slope / se if se > 0 else float("nan")  # a perfect fit (or all-zero gains) has no t-test
    return {"slope": slope, "intercept": intercept, "se": se, "p_value": float(2 * sps.t.sf(abs(t), n - 2)),
            "resid_var": s2, "sxx": sxx, "n": int(n)}


def bootstrap_slope_ci(x, y, n_boot: int = 2000, level: float = 0.95, seed: int = 0,
                       min_units: int = 8) -> tuple[float, float]:
    """Percentile bootstrap CI of the OLS slope, resampling (x, y) pairs — here: languages.

    Below `min_units` pairs resamples with two or three distinct x give arbitrary slopes: no interval (NaN).
    A description, not a test: it counts no seed part, and between identical procedures its interval left out the
    true 0 far more often than 5 % in every simulated design (benchmarks/results/stats_calibration.md).
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.size < max(3, min_units):
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, x.size, size=(n_boot, x.size))
    xs, ys = x[idx], y[idx]
    xc = xs - xs.mean(1, keepdims=True)
    sxx = (xc ** 2).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        slopes = (xc * (ys - ys.mean(1, keepdims=True))).sum(1) / sxx
    slopes = slopes[np.isfinite(slopes)]  # a resample of one distinct x has no slope
    alpha = (1 - level) / 2
    lo, hi = np.quantile(slopes, [alpha, 1 - alpha])
    return float(lo), float(hi)


def gain_regression(gains: pd.DataFrame, x: pd.Series, n_boot: int = 2000, seed: int = 0) -> dict:
    """Slope of per-language mean gain on x (indexed by language), bootstrap CI over languages, Spearman.

    `gains` has columns language, gain (any number of rows per language: seeds, tasks); languages with
    no x are not silently lost — the caller passes the excluded list on (rxlt.languages.covariates.predictor_values).
    """
    means = gains.groupby("language").gain.mean()
    common = means.index.intersection(x.index)
    xv, yv = x.loc[common].to_numpy(float), means.loc[common].to_numpy(float)
    fit = ols_slope(xv, yv)
    lo, hi = bootstrap_slope_ci(xv, yv, n_boot, seed=seed)
    rho = sps.spearmanr(xv, yv) if len(common) >= 3 and np.ptp(xv) > 0 and np.ptp(yv) > 0 else None
    return {**fit, "boot_ci_low": lo, "boot_ci_high": hi,
            "spearman_rho": float(rho.statistic) if rho is not None else float("nan"),
            "spearman_p": float(rho.pvalue) if rho is not None else float("nan")}


# ---------------------------------------------------------------- pooled mixed model

def balanced_reml_slope(gains, design) -> dict:
    """REML fit of `g_ls = X_l β + seed_s + u_l + e_ls` on a complete language × seed table, in closed form.

    gains: (languages, seeds); design: (languages, k) language-level columns, the first the intercept. Balanced
    data split into a between-language stratum (language means regressed on X: SSB = seeds · RSS, L − k df) and
    a within stratum (two-way residuals: SSW, (L − 1)(seeds − 1) df). REML maximises the two χ² likelihoods:
    σ² = MSW and σ² + seeds·τ² = MSB when MSB ≥ MSW, else τ² = 0 and σ² = (SSB + SSW)/(df_B + df_W). Var(β) =
    (σ² + seeds·τ²)/seeds · (X'X)⁻¹: the OLS fit of language means when τ² > 0, conservative at the boundary.
    With one seed it is OLS of the values on X. statsmodels' MixedLM (REML) gives the same numbers (tests).
    """
    g = np.asarray(gains, dtype=np.float64)
    X = np.asarray(design, dtype=np.float64)
    L, S = g.shape
    k = X.shape[1]
    xtx_inv = np.linalg.inv(X.T @ X)
    means = g.mean(axis=1)
    beta = xtx_inv @ X.T @ means
    rss = float(((means - X @ beta) ** 2).sum())
    df_b = L - k
    if S == 1:
        var_mean = rss / df_b
        return {"beta": beta, "cov": var_mean * xtx_inv, "tau2": float("nan"), "sigma2": var_mean, "boundary": False}
    ssb = S * rss
    resid = g - g.mean(axis=1, keepdims=True) - g.mean(axis=0, keepdims=True) + g.mean()
    ssw = float((resid ** 2).sum())
    df_w = (L - 1) * (S - 1)
    msb, msw = ssb / df_b, ssw / df_w
    if msb >= msw:
        sigma2, tau2, var_mean = msw, (msb - msw) / S, msb / S
    else:
        sigma2, tau2 = (ssb + ssw) / (df_b + df_w), 0.0
        var_mean = sigma2 / S
    return {"beta": beta, "cov": var_mean * xtx_inv, "tau2": float(tau2), "sigma2": float(sigma2), "boundary": msb < msw}


def seed_robust_variance(gains, weights, var_language: float, df_language: float) -> dict:
    """Add what a seed-specific deviation adds to a language-level estimate b = Σ_l p_l · mean_s g_ls (Σ p_l = 0).

    A shift common to every language of one training run is removed by any contrast on the probability scale only
    if it is additive; near the ceiling it is not (a log-odds shift moves a 95 % language less than a 60 % one), so
    each seed carries its own slope / low-vs-high difference b_s = Σ_l p_l g_ls. With S seeds, Var(b) = (language
    part) + σ²_seed-slope / S, estimated as var_language + max(0, var_s(b_s)/S − (Σ p²)·MSE/S), where MSE is the
    residual mean square of the language × seed table after language means, seed means and the per-seed
    component along p ((L − 2)(S − 1) df); Satterthwaite's df combine the three mean squares. For OLS weights this
    is REML of `g ~ x + C(seed) + (1 | language) + (0 + x | seed)` on balanced data, its variance floored at the
    model without the seed slope. With one seed nothing is added (df_language).
    """
    g = np.asarray(gains, dtype=np.float64)
    p = np.asarray(weights, dtype=np.float64)
    L, S = g.shape
    per_seed = p @ g
    out = {"var": float(var_language), "df": float(df_language), "seed_var": 0.0, "per_seed": per_seed, "mse": float("nan")}
    if S < 2 or L < 3:
        return out
    b_var = float(per_seed.var(ddof=1) / S)
    r = g - g.mean(axis=1, keepdims=True) - g.mean(axis=0, keepdims=True) + g.mean()
    r = r - np.outer(p, p @ r) / float(p @ p)
    df_e = (L - 2) * (S - 1)
    mse = float((r ** 2).sum() / df_e)
    c_var = float(p @ p) * mse / S
    out["mse"] = mse
    if b_var <= c_var:
        return out
    total = var_language + b_var - c_var
    denom = (var_language ** 2 / df_language if df_language > 0 else 0.0) + b_var ** 2 / (S - 1) + c_var ** 2 / df_e
    # Satterthwaite's df, never below 1 (that of the seed-slope mean square with two seeds; a negative term can push
    # the approximation lower)
    return {**out, "var": float(total), "df": float(max(1.0, total ** 2 / denom)), "seed_var": float(b_var - c_var)}


def seed_robust_contrast(a, b, level: float = 0.95) -> dict:
    """Mean gain of group a's languages minus group b's (e.g. unseen + low minus high), counting languages and seeds.

    a, b: language × seed tables (the same seeds). The language part is welch_contrast of the language means
    (Welch SE, df = min(n_a, n_b) − 1: holds its level with 2-3 languages in a group); the seed part is a seed-specific
    difference (seed_robust_variance): a seed's shift that is additive in log-odds moves near-ceiling
    (high-resource) languages less than the others, so the contrast changes from seed to seed. With 2 seeds that part
    has one degree of freedom: with large seed shifts near the ceiling the interval left out a true 0 in ≈ 12 % of
    simulated studies (benchmarks/results/stats_calibration.md); it kept its level in the other designs.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    a, b = (a[:, None] if a.ndim == 1 else a), (b[:, None] if b.ndim == 1 else b)
    w = welch_contrast(a.mean(axis=1), b.mean(axis=1), level)
    out = {**w, "seeds": int(a.shape[1]), "seed_part_var": float("nan")}
    if not np.isfinite(w["se"]) or not w["se"] > 0:
        return out
    p = np.r_[np.full(len(a), 1.0 / len(a)), np.full(len(b), -1.0 / len(b))]
    r = seed_robust_variance(np.vstack([a, b]), p, w["se"] ** 2, w["df"])
    se, df = float(np.sqrt(r["var"])), r["df"]
    t = w["difference"] / se
    q = sps.t.ppf(0.5 + level / 2, df)
    return {**out, "se": se, "df": df, "t": t, "ci_low": w["difference"] - q * se, "ci_high": w["difference"] + q * se,
            "p_value": float(2 * sps.t.sf(abs(t), df)), "seed_part_var": r["seed_var"],
            "method": w["method"] + ("; + seed-specific difference, Satterthwaite df" if r["seed_var"] > 0 else "")}


def balanced_slope_test(gains, design, seed_slope: bool = True) -> dict:
    """The slope (design column 1) of a complete language × seed table: balanced_reml_slope, plus the seed-specific
    slope's variance (seed_robust_variance) with seed_slope. The array core of mixed_slope_test's balanced path;
    the calibration benchmark calls it directly. Returns estimate, se, df (Satterthwaite; L − k without a seed
    part), p_value, tau2, sigma2, seed_part_var, method."""
    g = np.asarray(gains, dtype=np.float64)
    design = np.asarray(design, dtype=np.float64)
    L, S = g.shape
    df_lang = L - design.shape[1]
    fit = balanced_reml_slope(g, design)
    est = float(fit["beta"][1])
    weights = (np.linalg.inv(design.T @ design) @ design.T)[1]
    robust = seed_robust_variance(g, weights, float(fit["cov"][1, 1]), df_lang) if seed_slope else \
        {"var": float(fit["cov"][1, 1]), "df": float(df_lang), "seed_var": 0.0}
    se, df = float(np.sqrt(robust["var"])), robust["df"]
    tau2, sigma2, seed_var = fit["tau2"], fit["sigma2"], robust["seed_var"]
    if seed_var > 0:  # REML of the model with the seed slope: σ² is the residual MS once that slope is out
        sigma2 = robust["mse"]
        msb = S * float(((g.mean(axis=1) - design @ fit["beta"]) ** 2).sum()) / df_lang
        tau2 = max(0.0, (msb - sigma2) / S)
    seed_text = ("" if not seed_slope or S < 2 else
                 f"; seed-specific slope adds {seed_var:.3g} to Var(slope), Satterthwaite df" if seed_var > 0 else
                 "; seed-specific slope: none beyond residual noise (its mean square <= the residual's)")
    t = est / se if se > 0 else float("nan")
    return {"estimate": est, "se": se, "df": float(df), "t": t, "p_value": float(2 * sps.t.sf(abs(t), df)),
            "tau2": float(tau2), "sigma2": float(sigma2), "seed_part_var": float(seed_var),
            "method": "REML (balanced closed form)" + (" at the boundary tau2 = 0" if tau2 == 0 else "") + seed_text}


def _balanced_table(data: pd.DataFrame, y: str, group: str, within: tuple):
    """(language × seed table of y, language order) when every group has each within level exactly once, else None."""
    if len(within) != 1:
        return None
    w = within[0]
    counts = data.groupby([group, w]).size()
    levels = data[w].nunique()
    if counts.max() != 1 or (data.groupby(group)[w].nunique() != levels).any():
        return None
    table = data.pivot(index=group, columns=w, values=y)
    return table if table.notna().all().all() else None


def mixed_slope_test(df: pd.DataFrame, y: str, x: str, group: str = "language", covariates=(), within=(),
                     level: float = 0.95, seed_slope: bool = True) -> dict:
    """Fit `y ~ x + covariates + C(within…) + (1 | group)` (REML); test the x slope.

    covariates: numeric columns that vary between groups (they cost degrees of freedom);
    within: categorical columns that vary inside groups (seed). The t-test on x uses
    df = n_groups − 1 − (1 + len(covariates)). With one row per group the random intercept is not
    identifiable and the model is plain OLS (same df). A complete group × seed table is fitted in closed form
    (balanced_reml_slope: the same numbers as statsmodels' MixedLM, without its optimiser) and, with seed_slope,
    gets the variance of a seed-specific slope `(0 + x | seed)` (seed_robust_variance; Satterthwaite df): without
    it the test rejects far more than 5 % of the time between identical procedures when a seed's shift is not
    additive on the metric's scale, most near the ceiling; with it, it keeps its level except with 2 seeds, large
    seed shifts and a baseline near the ceiling (benchmarks/results/stats_calibration.md: every rate). Anything
    else: statsmodels' MixedLM.
    """
    import statsmodels.formula.api as smf

    cols = [y, x, group, *covariates, *within]
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"columns {missing} not in the data (have {list(df.columns)})")
    data = df[cols].dropna()
    n_groups = data[group].nunique()
    df_t = n_groups - 2 - len(covariates)
    rhs = " + ".join([x, *covariates, *[f"C({w})" for w in within if data[w].nunique() > 1]])
    formula = f"{y} ~ {rhs}"
    seeded = [w for w in within if data[w].nunique() > 1]
    slope_term = f" + (0 + {x} | {seeded[0]})" if seed_slope and seeded else ""
    out = {"formula": formula + f" + (1 | {group})" + slope_term, "n_obs": int(len(data)), "n_groups": int(n_groups),
           "df": float(df_t), "df_languages": int(df_t)}
    empty = {**out, "estimate": float("nan"), "se": float("nan"), "t": float("nan"), "p_value": float("nan"),
             "ci_low": float("nan"), "ci_high": float("nan"), "tau2": float("nan"), "sigma2": float("nan"),
             "seed_part_var": float("nan")}
    if df_t < 1:
        return {**empty, "method": "too few groups"}
    if data[y].nunique() == 1 or data[x].nunique() == 1:
        return {**empty, "method": f"no variation in {y if data[y].nunique() == 1 else x}"}
    table = _balanced_table(data, y, group, tuple(w for w in within if data[w].nunique() > 1))
    if table is not None and data.groupby(group)[[x, *covariates]].nunique().max().max() > 1:
        table = None  # a predictor that varies inside a group is not a language-level term: no closed form
    if table is not None:
        first = data.groupby(group)[[x, *covariates]].first().loc[table.index]
        design = np.column_stack([np.ones(len(first)), first.to_numpy(dtype=np.float64)])
        r = balanced_slope_test(table.to_numpy(), design, seed_slope)
        est, se, df_t, tau2, sigma2, seed_var, method = (r[k] for k in ("estimate", "se", "df", "tau2", "sigma2",
                                                                        "seed_part_var", "method"))
    elif data.groupby(group).size().max() == 1:
        fit = smf.ols(formula, data).fit()
        est, se = float(fit.params[x]), float(fit.bse[x])
        tau2, sigma2, seed_var, method = float("nan"), float(fit.scale), 0.0, "OLS (one row per group)"
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # boundary (tau2 = 0) and convergence chatter; checked below
                fit = smf.mixedlm(formula, data, groups=data[group]).fit(reml=True, method=["bfgs", "lbfgs"])
        except (np.linalg.LinAlgError, ValueError) as exc:  # e.g. a singular design: say so in the table
            return {**empty, "method": f"MixedLM failed: {type(exc).__name__}: {exc}"}
        est, se = float(fit.fe_params[x]), float(fit.bse_fe[x])
        tau2, sigma2, seed_var = float(fit.cov_re.iloc[0, 0]), float(fit.scale), float("nan")
        method = "MixedLM REML, unbalanced: no seed-specific slope" + ("" if fit.converged else " (did not converge)")
        out["formula"] = formula + f" + (1 | {group})"
    t = est / se if se > 0 else float("nan")
    q = sps.t.ppf(0.5 + level / 2, df_t)
    return {**out, "df": float(df_t), "estimate": est, "se": se, "t": t, "p_value": float(2 * sps.t.sf(abs(t), df_t)),
            "ci_low": est - q * se, "ci_high": est + q * se, "tau2": tau2, "sigma2": sigma2, "seed_part_var": seed_var,
            "method": method}


# ---------------------------------------------------------------- seeds, variance, power

def seed_spread(scores: pd.DataFrame, value: str = "value") -> pd.DataFrame:
    """Per condition (and task): SD over seeds of the macro-average, and the median per-language SD."""
    rows = []
    for (task, cond), g in scores.groupby(["task", "condition"]):
        seeds = g.seed.nunique()
        macro = g.groupby("seed")[value].mean()
        per_lang = g.groupby("language")[value].std(ddof=1) if seeds > 1 else pd.Series(dtype=float)
        rows.append({"task": task, "condition": cond, "seeds": seeds, "macro_mean": float(macro.mean()),
                     "macro_sd_over_seeds": float(macro.std(ddof=1)) if seeds > 1 else float("nan"),
                     "median_language_sd": float(per_lang.median()) if seeds > 1 else float("nan")})
    return pd.DataFrame(rows)


def variance_components(gains: pd.DataFrame, x: str) -> dict:
    """Split the variance of the resource slope's data into language, seed-slope and residual parts.

    gains: rows (language, seed, gain[, item_var]) with the predictor column `x`, a complete language × seed
    table; item_var is the sampling variance of each gain from its finite test items (var of per-item
    differences / n). From the balanced strata (balanced_reml_slope, seed_robust_variance): within_var σ² (residual
    MS: run × language noise incl. items), between_var τ² = (MS_between − σ²)/seeds (languages off the line),
    seed_slope_var σ²_c = (MS_seed×x − σ²)/Sxx (each seed's own slope), each ≥ 0. With one seed only the total
    variance of language values around the line is known (within_var NaN, between_var = that total).
    """
    table = gains.pivot_table(index="language", columns="seed", values="gain", aggfunc="mean")
    xs = gains.groupby("language")[x].first().loc[table.index].to_numpy(dtype=np.float64)
    g = table.to_numpy()
    L, S = g.shape
    xt = xs - xs.mean()
    sxx = float((xt ** 2).sum())
    means = g.mean(axis=1)
    slope = float(xt @ means / sxx)
    rss = float(((means - means.mean() - slope * xt) ** 2).sum())
    item = float(gains.item_var.mean()) if "item_var" in gains else float("nan")
    base = {"seeds": int(S), "languages": int(L), "sxx": sxx, "item_var": item, "resid_var_means": rss / (L - 2)}
    if S < 2:
        return {**base, "within_var": float("nan"), "between_var": rss / (L - 2), "seed_slope_var": float("nan")}
    msb = S * rss / (L - 2)
    robust = seed_robust_variance(g, xt / sxx, msb / (S * sxx), L - 2)
    mse = robust["mse"]
    ms_sx = sxx * float(robust["per_seed"].var(ddof=1))
    return {**base, "within_var": mse, "between_var": max(0.0, (msb - mse) / S),
            "seed_slope_var": max(0.0, (ms_sx - mse) / sxx)}


def interaction_model(scores: pd.DataFrame, baseline: str, x: str, group: str = "language", within=(),
                      level: float = 0.95) -> pd.DataFrame:
    """The pooled score model `value ~ condition * x + C(within…) + (1 | language) + (1 | language:condition)`.

    Fitted on every condition's scores at once (baseline = reference level); one row per non-baseline
    condition with its `condition × x` interaction (= the slope of that condition's gain on x). The
    language:condition variance component keeps seeds from counting as independent evidence.
    Rows without x are dropped (the caller reports them). t-tests use n_languages − 2 df as in mixed_slope_test.
    """
    import statsmodels.formula.api as smf

    data = scores.dropna(subset=[x]).copy()
    others = [c for c in sorted(data.condition.unique()) if c != baseline]
    if baseline not in set(data.condition) or not others:
        raise ValueError(f"need the baseline {baseline!r} and at least one other condition; have {sorted(data.condition.unique())}")
    terms = [x]
    for i, c in enumerate(others):  # explicit dummies: condition names contain '+', awkward in formulas
        data[f"c{i}"] = (data.condition == c).astype(float)
        data[f"c{i}_x"] = data[f"c{i}"] * data[x]
        terms += [f"c{i}", f"c{i}_x"]
    terms += [f"C({w})" for w in within if data[w].nunique() > 1]
    n_groups = data[group].nunique()
    df_t = n_groups - 2
    repeated = data.groupby([group, "condition"]).size().max() > 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = smf.mixedlm(f"value ~ {' + '.join(terms)}", data, groups=data[group],
                            vc_formula={"condition": "0 + C(condition)"} if repeated else None)
        fit = model.fit(reml=True, method=["bfgs", "lbfgs"])
    q = sps.t.ppf(0.5 + level / 2, df_t)
    rows = []
    for i, c in enumerate(others):
        est, se = float(fit.fe_params[f"c{i}_x"]), float(fit.bse_fe[f"c{i}_x"])
        t = est / se if se > 0 else float("nan")
        rows.append({"condition": c, "baseline": baseline, "term": f"{c} × {x}", "estimate": est, "se": se, "t": t,
                     "df": df_t, "p_value": float(2 * sps.t.sf(abs(t), df_t)), "ci_low": est - q * se,
                     "ci_high": est + q * se, "n_groups": int(n_groups), "n_obs": int(len(data)),
                     "method": "MixedLM REML" + (" + language:condition variance" if repeated else "")
                     + ("" if fit.converged else " (did not converge)")})
    return pd.DataFrame(rows)
