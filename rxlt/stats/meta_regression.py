"""Weighted readings of the resource slope: random-effects meta-regression, and the logit (ceiling-aware) scale.

Languages differ in how precisely their gain is measured: 15 test items give a sampling SD of a gain ~20 times
that of 5,000 items. `meta_regression` weights each language by 1 / (v_l + τ²), v_l its own sampling variance and
τ² the between-language variance left around the line (method of moments, DerSimonian–Laird for meta-regression),
and tests the slope with the Knapp–Hartung t (L − k df), designed to keep its level when τ² and the v_l are estimated
(the weighted fit with statsmodels' WLS scale; tests/test_meta_regression.py checks both against statsmodels). In
rxlt's simulated studies it did not keep it everywhere: with 15-5,000 items per language rising with resource, and
with 2 seeds, large seed shifts and a baseline near the ceiling, it rejected more than 5 % of the time between
identical procedures (benchmarks/results/stats_calibration.md) — a reading next to the main test, not a replacement.

`empirical_logit` reads a score in [0, 1] on the logit scale: a gain of 2 points near 98 % is a larger change than
near 50 %, so a gain that is constant in log-odds shrinks on the probability scale as the baseline approaches the
ceiling — and high-resource languages sit nearer it. A negative probability-scale slope with a flat logit slope is
a ceiling effect, not a transfer effect.
"""
from __future__ import annotations

import numpy as np
from scipy import stats as sps

from rxlt.stats.hypotheses import seed_robust_variance


def empirical_logit(score, n) -> np.ndarray:
    """log((n·s + ½) / (n·(1 − s) + ½)) of a mean score s over n items (finite at 0 and 1; Cox 1970, Haldane)."""
    s, n = np.asarray(score, dtype=np.float64), np.asarray(n, dtype=np.float64)
    return np.log((n * s + 0.5) / (n * (1 - s) + 0.5))


def meta_regression(y, v, design, level: float = 0.95, knapp_hartung: bool = True) -> dict:
    """Random-effects meta-regression of y (per-language mean gains) on `design` (first column the intercept).

    v: each y's sampling variance (known; > 0). τ² = max(0, (Q_E − (L − k)) / (tr W − tr[W X (X'WX)⁻¹ X' W])) with
    W = diag(1/v) and Q_E the weighted residual sum of squares of the fixed-effect fit (DerSimonian & Laird 1986;
    Raudenbush 2009). The estimate is WLS with weights 1/(v + τ²); its variance is q · (X'W*X)⁻¹ with
    q = Σ w* r² / (L − k) (Knapp & Hartung 2003), tested with t(L − k); without knapp_hartung: (X'W*X)⁻¹ and z.
    Returns beta, se, t, p, ci per column, tau2, Q_E, df.
    """
    y, v = np.asarray(y, dtype=np.float64), np.asarray(v, dtype=np.float64)
    X = np.asarray(design, dtype=np.float64)
    L, k = X.shape
    if L - k < 1:
        raise ValueError(f"meta-regression needs more units than columns: {L} units, {k} columns")
    if not (np.isfinite(v).all() and (v > 0).all()):
        raise ValueError("meta-regression needs a finite, positive sampling variance for every unit")
    w = 1.0 / v
    xtwx_inv = np.linalg.inv(X.T @ (w[:, None] * X))
    beta_fe = xtwx_inv @ X.T @ (w * y)
    q_e = float((w * (y - X @ beta_fe) ** 2).sum())
    trace_p = float(w.sum() - np.trace(xtwx_inv @ (X.T @ ((w ** 2)[:, None] * X))))
    tau2 = max(0.0, (q_e - (L - k)) / trace_p)
    ws = 1.0 / (v + tau2)
    cov = np.linalg.inv(X.T @ (ws[:, None] * X))
    beta = cov @ X.T @ (ws * y)
    if knapp_hartung:
        q = float((ws * (y - X @ beta) ** 2).sum() / (L - k))
        cov = q * cov
        ref = sps.t(L - k)
    else:
        ref = sps.norm()
    se = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        t = beta / se
    crit = ref.ppf(0.5 + level / 2)
    projection = np.linalg.inv(X.T @ (ws[:, None] * X)) @ (X.T * ws)  # beta = projection @ y
    return {"beta": beta, "se": se, "t": t, "p_value": 2 * ref.sf(np.abs(t)), "ci_low": beta - crit * se,
            "ci_high": beta + crit * se, "tau2": float(tau2), "q_e": q_e, "df": int(L - k), "projection": projection,
            "method": "random-effects meta-regression (DL tau2" + (", Knapp-Hartung t)" if knapp_hartung else ", z)")}


def language_sampling_variance(item_var, seed_resid_var: float, seeds: int) -> np.ndarray:
    """Sampling variance of a language's mean gain over `seeds` runs: (item part + run part) / seeds.

    item_var: per language, the mean over seeds of var(per-item differences) / items (what finite test items add);
    seed_resid_var: the pooled variance of (language, seed) gains around language and seed means beyond the item
    part (what a new training run adds, a seed shift common to all languages removed), ≥ 0. Treated as known by
    meta_regression; τ² absorbs what they miss, and the Knapp–Hartung t its estimation.
    """
    return (np.asarray(item_var, dtype=np.float64) + max(0.0, seed_resid_var)) / seeds


def weighted_slope_test(gains, item_var, x, level: float = 0.95) -> dict:
    """The resource slope weighted by each language's sampling variance, with the seed-specific slope added.

    gains, item_var: language × seed tables (complete); x: the language-level predictor. The language mean gains
    are meta-regressed on x (meta_regression, DL τ², Knapp–Hartung) with v_l = language_sampling_variance (item part
    from the per-item differences, run part from the pooled language × seed residual beyond it); the per-seed slopes
    with the same weights add their variance (rxlt.stats.hypotheses.seed_robust_variance; Satterthwaite df).
    """
    g, iv = np.asarray(gains, dtype=np.float64), np.asarray(item_var, dtype=np.float64)
    xs = np.asarray(x, dtype=np.float64)
    L, S = g.shape
    if S > 1:
        r = g - g.mean(axis=1, keepdims=True) - g.mean(axis=0, keepdims=True) + g.mean()
        run_part = float((r ** 2).sum() / ((L - 1) * (S - 1))) - float(iv.mean())
    else:
        run_part = 0.0
    v = language_sampling_variance(iv.mean(axis=1), run_part, S)
    design = np.column_stack([np.ones(L), xs])
    fit = meta_regression(g.mean(axis=1), v, design, level)
    robust = seed_robust_variance(g, fit["projection"][1], float(fit["se"][1] ** 2), fit["df"])
    est, se, df = float(fit["beta"][1]), float(np.sqrt(robust["var"])), robust["df"]
    t = est / se if se > 0 else float("nan")
    q = sps.t.ppf(0.5 + level / 2, df)
    return {"estimate": est, "se": se, "t": t, "df": df, "p_value": float(2 * sps.t.sf(abs(t), df)),
            "ci_low": est - q * se, "ci_high": est + q * se, "tau2": fit["tau2"], "n_groups": int(L),
            "seed_part_var": robust["seed_var"],
            "method": fit["method"] + ("; + seed-specific slope, Satterthwaite df" if robust["seed_var"] > 0 else "")}
