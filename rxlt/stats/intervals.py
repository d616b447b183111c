"""Statistics for zero-shot results: bootstrap intervals, paired differences, rank correlation.

Resampling is over test items (per language) or over languages (across languages); every function
takes an explicit seed so reports are reproducible.
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
    return {"diff": float(d.mean()), "ci_low": float(lo), "ci_high": float(hi), "p_value": float(p), "n": int(d.size)}


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
