"""Statistics for zero-shot results: intervals for means and contrasts, paired differences, rank correlation.

Resampling is over test items (per language) or over languages (across languages); every function
takes an explicit seed so reports are reproducible. Intervals over languages that must hold their level with
few languages per group are t-based, with a conservative df (`welch_contrast`, `language_seed_interval`):
the percentile bootstraps over language means rxlt used before left out a true 0 in 8-74 % of simulated studies
(benchmarks/results/stats_calibration.md).
"""
from __future__ import annotations

import numpy as np
from scipy import stats as scipy_stats


def bootstrap_mean_ci(values, n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean of `values` (e.g. 0/1 correctness of test items)."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(n_boot, x.size))].mean(axis=1)
    alpha = (1 - level) / 2
    lo, hi = np.quantile(means, [alpha, 1 - alpha])
    return float(lo), float(hi)


def paired_bootstrap_diff(a, b, n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> dict:
    """Mean of a − b over paired items, its percentile CI, and a two-sided bootstrap p-value.

    The p-value is 2·min(P*(d ≤ 0), P*(d ≥ 0)) over resampled mean differences (clipped to 1),
    the usual paired-bootstrap test for accuracy-type metrics (Koehn 2004, Berg-Kirkpatrick et al. 2012).
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired samples differ in shape: {a.shape} vs {b.shape}")
    d = a - b
    if d.size == 0:
        return {"diff": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "p_value": float("nan"), "n": 0}
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, d.size, size=(n_boot, d.size))].mean(axis=1)
    alpha = (1 - level) / 2
    lo, hi = np.quantile(means, [alpha, 1 - alpha])
    p = min(1.0, 2 * min((means <= 0).mean(), (means >= 0).mean()))
    return {"diff": float(d.mean()), "ci_low": float(lo), "ci_high": float(hi), "p_value": float(p), "n": int(d.size),
            "resamples": int(n_boot), "p_text": format_p(p, n_boot)}


def format_p(p, resamples: int | None = None) -> str:
    """A p-value as text: 'p < 1/B' when a resampling p-value (B resamples) is below its resolution, never 'p = 0.000'."""
    if p is None or not np.isfinite(p):
        return "p = n/a"
    if resamples and p < 1.0 / resamples:
        return f"p < {1.0 / resamples:.2g}"
    return f"p = {p:.3g}"


def welch_contrast(a, b, level: float = 0.95) -> dict:
    """Difference of means a − b between two groups of units (here: languages), with a t interval that holds its level.

    SE = sqrt(s_a²/n_a + s_b²/n_b) (Welch); df = min(n_a, n_b) − 1, the conservative choice (Hsu 1938; Scheffé
    1970): for normal group values the interval covers at ≥ the nominal level for every pair of group sizes, where
    Welch–Satterthwaite df undercover with 2-3 units in one group (≈ 0.87-0.92 at 2-3 vs 10-40; simulation in
    benchmarks/stats_calibration.py). `df_welch` and the Welch p-value are returned too. Needs ≥ 2 units per group.
    Assumes independent units whose values are normal within each group (variances may differ).
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    out = {"difference": float("nan"), "se": float("nan"), "df": float("nan"), "df_welch": float("nan"),
           "t": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "p_value": float("nan"),
           "p_welch": float("nan"), "n_a": int(a.size), "n_b": int(b.size),
           "mean_a": float(a.mean()) if a.size else float("nan"), "mean_b": float(b.mean()) if b.size else float("nan")}
    if a.size < 2 or b.size < 2:
        return {**out, "method": "too few units (needs >= 2 per group)"}
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    diff, se = float(a.mean() - b.mean()), float(np.sqrt(va + vb))
    df = float(min(a.size, b.size) - 1)
    df_w = float((va + vb) ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))) if se > 0 else float("nan")
    if not se > 0:
        return {**out, "difference": diff, "se": se, "df": df, "method": "no variation within the groups"}
    t = diff / se
    q = scipy_stats.t.ppf(0.5 + level / 2, df)
    return {**out, "difference": diff, "se": se, "df": df, "df_welch": df_w, "t": float(t),
            "ci_low": diff - q * se, "ci_high": diff + q * se, "p_value": float(2 * scipy_stats.t.sf(abs(t), df)),
            "p_welch": float(2 * scipy_stats.t.sf(abs(t), df_w)), "method": "Welch SE, df = min(n_a, n_b) - 1"}


def language_seed_interval(values, level: float = 0.95) -> dict:
    """Mean of a language × seed table (rows: languages, columns: seeds, complete) with a t interval that counts
    seeds: a shift common to every language of one seed (a lucky initialisation) does not average out over languages.

    Two-way random effects (language, seed, residual): Var(mean) is estimated by (MS_language + MS_seed)/(L·S),
    which exceeds its expectation σ²_language/L + σ²_seed/S + σ²_residual/(LS) by σ²_residual/(LS) (conservative),
    with df = min(L − 1, S − 1). Satterthwaite's df for the unbiased combination (MS_L + MS_S − MS_E) undercover at
    2 seeds (≈ 0.87-0.91 for 12-200 languages: benchmarks/stats_calibration.py); this choice covers at ≥ 0.95 for
    every L ≥ 2, S ≥ 2 there. With one seed the seed variance is not estimable: the t interval over languages
    (df L − 1) is returned and `method` says that it does not cover a new seed's shift.
    Assumes normal language, seed and residual effects; items are fixed (a new test set is not covered).
    """
    y = np.asarray(values, dtype=np.float64)
    if y.ndim == 1:
        y = y[:, None]
    L, S = y.shape
    out = {"mean": float(y.mean()) if y.size else float("nan"), "languages": int(L), "seeds": int(S),
           "se": float("nan"), "df": float("nan"), "ci_low": float("nan"), "ci_high": float("nan")}
    if L < 2 or not np.isfinite(y).all():
        return {**out, "method": "too few languages (needs >= 2) or an incomplete language x seed table"}
    ms_lang = S * y.mean(axis=1).var(ddof=1)
    if S == 1:
        se, df = float(np.sqrt(ms_lang / L)), float(L - 1)
        method = "t over languages (one seed: the shift common to all languages is not estimable, not covered)"
    else:
        ms_seed = L * y.mean(axis=0).var(ddof=1)
        se, df = float(np.sqrt((ms_lang + ms_seed) / (L * S))), float(min(L - 1, S - 1))
        method = "language x seed random effects, (MS_language + MS_seed)/(L S), df = min(L - 1, S - 1)"
    q = scipy_stats.t.ppf(0.5 + level / 2, df)
    return {**out, "se": se, "df": df, "ci_low": out["mean"] - q * se, "ci_high": out["mean"] + q * se, "method": method}


def spearman_with_ci(x, y, n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> dict:
    """Spearman's rho of x vs y (scipy), with a percentile bootstrap CI over the paired units."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    if x.size < 3:
        return {"rho": float("nan"), "p_value": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "n": int(x.size)}
    if np.ptp(x) == 0 or np.ptp(y) == 0:  # a constant input has no rank correlation
        return {"rho": float("nan"), "p_value": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "n": int(x.size)}
    res = scipy_stats.spearmanr(x, y)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, x.size, size=(n_boot, x.size))
    rx = scipy_stats.rankdata(x[idx], axis=1)
    ry = scipy_stats.rankdata(y[idx], axis=1)
    rx -= rx.mean(axis=1, keepdims=True)
    ry -= ry.mean(axis=1, keepdims=True)
    denom = np.sqrt((rx**2).sum(1) * (ry**2).sum(1))
    with np.errstate(invalid="ignore", divide="ignore"):
        rhos = (rx * ry).sum(1) / denom
    rhos = rhos[np.isfinite(rhos)]
    alpha = (1 - level) / 2
    lo, hi = np.quantile(rhos, [alpha, 1 - alpha]) if rhos.size else (float("nan"), float("nan"))
    return {"rho": float(res.statistic), "p_value": float(res.pvalue), "ci_low": float(lo), "ci_high": float(hi), "n": int(x.size)}


def holm(p_values) -> np.ndarray:
    """Holm–Bonferroni adjusted p-values, same order as given (NaN stays NaN and does not count)."""
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    adjusted = np.empty(q.size)
    running = 0.0
    for rank, i in enumerate(np.argsort(q)):
        running = max(running, (q.size - rank) * q[i])
        adjusted[i] = min(1.0, running)
    out[ok] = adjusted
    return out
