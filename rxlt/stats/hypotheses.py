"""Hypothesis tests and effect sizes for "does a condition's gain depend on resource size?".

The unit of analysis is (task, language, seed); a condition's *gain* is its score (any headline metric)
minus the baseline's score on the same language, seed and test items. Three levels of evidence:

1. per language (accuracy runs, whose items carry 0/1 correctness; other metrics skip this level): a paired
   permutation test over test items (sign flips of per-item differences), corrected across languages (Holm for family-wise error, Benjamini–Hochberg for the false-discovery rate);
2. across languages: the slope of gain on a resource predictor, from per-language mean gains (OLS),
   with a percentile bootstrap CI over languages and Spearman's rho as a rank check;
3. pooled: a linear mixed model `gain ~ resource (+ covariates) + (1 | language)` fitted with statsmodels
   on every (language, seed[, task]) gain. Because the gain is already condition − baseline, its
   resource slope is the `condition × resource` interaction of the score model — the study's hypothesis
   test (negative slope = more gain where data are scarce). The resource predictor varies between
   languages only, so the t-test uses n_languages − 1 − (language-level terms) degrees of freedom
   (the "between-within" rule), not the number of rows: seeds do not multiply the evidence on a
   language-level effect.

Power (what slope the design detects, what more seeds or languages would buy) is rxlt.stats.power.
Simulation tests (tests/test_hypotheses.py, benchmarks/stats_calibration.py) check the type-I rate and
the claimed power. With few languages and a small between-language variance the REML estimate of that
variance is often 0; the test is then conservative (type-I ≈ 0.01–0.03 at 12 languages, 2 seeds),
never liberal — the tests check the upper bound and the claimed power.
"""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
from scipy import stats as sps

from rxlt.stats.intervals import holm

# ---------------------------------------------------------------- per-language paired tests

def paired_permutation_test(a, b, n_perm: int = 10000, seed: int = 0, exact_max: int = 16) -> dict:
    """Two-sided paired permutation test of mean(a − b) = 0 by random sign flips of the differences.

    Exact when the differences are all in {−1, 0, +1} (0/1 correctness: the sign-flip distribution is then
    the symmetric binomial of the non-zero differences — the exact two-sided sign test, at any n, so p-values
    are not floored at 1/n_perm and survive a Holm correction over hundreds of languages), or when n ≤
    exact_max (all 2^n flips); otherwise Monte Carlo with p = (1 + #{|T*| ≥ |T|}) / (1 + n_perm), which is
    never 0 and keeps the test valid (Phipson & Smyth 2010).
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired samples differ in shape: {a.shape} vs {b.shape}")
    d = a - b
    n = d.size
    if n == 0:
        return {"diff": float("nan"), "p_value": float("nan"), "n": 0, "method": "none"}
    observed = abs(d.mean())
    tol = 1e-12 * max(1.0, np.abs(d).max())
    if np.isin(d, (-1.0, 0.0, 1.0)).all():
        m = int((d != 0).sum())
        k = int((d > 0).sum())
        if m == 0:
            return {"diff": 0.0, "p_value": 1.0, "n": int(n), "method": "exact (sign test)"}
        # P(|2K − m| ≥ |2k − m|), K ~ Binomial(m, 1/2)
        lo, hi = min(k, m - k), max(k, m - k)
        p = float(sps.binom.cdf(lo, m, 0.5) + sps.binom.sf(hi - 1, m, 0.5)) if lo != hi else 1.0
        return {"diff": float(d.mean()), "p_value": min(1.0, p), "n": int(n), "method": "exact (sign test)"}
    if n <= exact_max:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=n)))
        stats = np.abs(signs @ d) / n
        p = float((stats >= observed - tol).mean())
        method = "exact"
    else:
        rng = np.random.default_rng(seed)
        stats = np.empty(n_perm)
        for start in range(0, n_perm, 2000):  # chunks bound the memory of the sign matrix
            m = min(2000, n_perm - start)
            signs = rng.choice((-1.0, 1.0), size=(m, n))
            stats[start:start + m] = np.abs(signs @ d) / n
        p = float((1 + (stats >= observed - tol).sum()) / (1 + n_perm))
        method = f"monte-carlo ({n_perm})"
    return {"diff": float(d.mean()), "p_value": min(1.0, p), "n": int(n), "method": method}


def benjamini_hochberg(p_values) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values), same order as given (NaN stays NaN)."""
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = q.size
    if m == 0:
        return out
    order = np.argsort(q)
    ranked = q[order] * m / np.arange(1, m + 1)
    adj = np.minimum.accumulate(ranked[::-1])[::-1]
    res = np.empty(m)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out


def per_language_tests(items: pd.DataFrame, condition: str, baseline: str, n_perm: int = 10000,
                       seed: int = 0, alpha: float = 0.05) -> pd.DataFrame:
    """Per (task, language): gain of `condition` over `baseline`, paired by seed and test item.

    `items` has columns task, language, key, seed, condition, correct (rxlt.reporting.tidy.item_results).
    Corrections run across every (task, language) of this condition.
    """
    keys = ["task", "language", "key", "seed"]
    a = items[items.condition == condition]
    b = items[items.condition == baseline]
    if a.empty or b.empty:
        raise ValueError(f"no items for condition {condition!r} or baseline {baseline!r}; "
                         f"conditions present: {sorted(items.condition.unique())}")
    merged = a[keys + ["correct"]].merge(b[keys + ["correct"]], on=keys, suffixes=("", "_base"))
    if merged.empty:
        raise ValueError(f"{condition!r} and {baseline!r} share no (seed, item): nothing to pair")
    rows = []
    for (task, lang), g in merged.groupby(["task", "language"]):
        r = paired_permutation_test(g.correct.to_numpy(), g.correct_base.to_numpy(), n_perm, seed=seed)
        rows.append({"task": task, "language": lang, "condition": condition, "baseline": baseline, "gain": r["diff"],
                     "p_value": r["p_value"], "pairs": r["n"], "seeds": g.seed.nunique(), "test": r["method"]})
    out = pd.DataFrame(rows)
    out["p_holm"] = holm(out.p_value)
    out["q_bh"] = benjamini_hochberg(out.p_value)
    out["significant_holm"] = out.p_holm < alpha
    return out


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

def mixed_slope_test(df: pd.DataFrame, y: str, x: str, group: str = "language", covariates=(), within=(),
                     level: float = 0.95) -> dict:
    """Fit `y ~ x + covariates + C(within…) + (1 | group)` (statsmodels MixedLM, REML); test the x slope.

    covariates: numeric columns that vary between groups (they cost degrees of freedom);
    within: categorical columns that vary inside groups (seed, task). The t-test on x uses
    df = n_groups − 1 − (1 + len(covariates)). With one row per group the random intercept is not
    identifiable and the model is plain OLS (same df).
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
    out = {"formula": formula + f" + (1 | {group})", "n_obs": int(len(data)), "n_groups": int(n_groups), "df": int(df_t)}
    empty = {**out, "estimate": float("nan"), "se": float("nan"), "t": float("nan"), "p_value": float("nan"),
             "ci_low": float("nan"), "ci_high": float("nan"), "tau2": float("nan"), "sigma2": float("nan")}
    if df_t < 1:
        return {**empty, "method": "too few groups"}
    if data[y].nunique() == 1 or data[x].nunique() == 1:
        return {**empty, "method": f"no variation in {y if data[y].nunique() == 1 else x}"}
    if data.groupby(group).size().max() == 1:
        fit = smf.ols(formula, data).fit()
        est, se = float(fit.params[x]), float(fit.bse[x])
        tau2, sigma2, method = float("nan"), float(fit.scale), "OLS (one row per group)"
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # boundary (tau2 = 0) and convergence chatter; checked below
                fit = smf.mixedlm(formula, data, groups=data[group]).fit(reml=True, method=["bfgs", "lbfgs"])
        except (np.linalg.LinAlgError, ValueError) as exc:  # e.g. a singular design: say so in the table
            return {**empty, "method": f"MixedLM failed: {type(exc).__name__}: {exc}"}
        est, se = float(fit.fe_params[x]), float(fit.bse_fe[x])
        tau2, sigma2 = float(fit.cov_re.iloc[0, 0]), float(fit.scale)
        method = "MixedLM REML" + ("" if fit.converged else " (did not converge)")
    t = est / se if se > 0 else float("nan")
    q = sps.t.ppf(0.5 + level / 2, df_t)
    return {**out, "estimate": est, "se": se, "t": t, "p_value": float(2 * sps.t.sf(abs(t), df_t)),
            "ci_low": est - q * se, "ci_high": est + q * se, "tau2": tau2, "sigma2": sigma2, "method": method}


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


def variance_components(gains: pd.DataFrame, resid_var_means: float) -> dict:
    """Split the residual variance of language-mean gains into between-language and seed parts.

    gains: rows (language, seed, gain[, item_var]) where item_var is the sampling variance of that
    gain from its finite test items (var of per-item differences / n). The seed-to-seed (within)
    variance is the pooled within-language variance; with one seed it is not estimable (NaN).
    """
    seeds = int(gains.groupby("language").seed.nunique().min())
    within = float(gains.groupby("language").gain.var(ddof=1).mean()) if seeds > 1 else float("nan")
    item = float(gains.item_var.mean()) if "item_var" in gains else float("nan")
    between = resid_var_means - (within / seeds if seeds > 1 else 0.0)
    return {"seeds": seeds, "within_var": within, "between_var": max(0.0, between), "item_var": item,
            "resid_var_means": resid_var_means}


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
