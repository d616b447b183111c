"""Per-language tests at the run level: is one language's gain of a condition over the baseline different from 0?

The unit is a seed's gain (condition run − baseline run of that seed), so a shift common to one seed's runs counts
once, not once per test item. `seed_level_tests`: the t-test of the per-seed gains (df = seeds − 1; assumes they are
independent and normal around the language's gain) with the exact sign-flip test over seeds next to it (assumes only
that each seed's gain is symmetric about 0 under the null). When the seeds' gains are equal up to floating-point
rounding (a standard error ≤ `TIED_SE_TOLERANCE` × the gains' scale, e.g. 0.7 − 0.6 and 0.4 − 0.3) the t statistic
is rounding noise divided by rounding noise: the t-test is undefined there, and the reported p-value is the exact
sign-flip test's (2/2^seeds at best), never the t-test's meaningless 1e-16.

Reported only with at least `min_seeds_for_sign_flip(alpha)` seeds (6 at α = 0.05: the sign-flip test's smallest
p-value is 2/2^seeds): no per-language claim from 2-5 seeds. Corrections across languages: Holm (family-wise error,
any dependence — the common seed shift makes the languages' tests dependent) and Benjamini–Hochberg. Pooling
(item, seed) pairs as independent, as rxlt did before, rejects 9-57 % of the time between identical training
procedures at 200-5,000 items (benchmarks/results/stats_calibration.md).
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy import stats as sps

from rxlt.stats.intervals import holm

# A standard error at most this many times max(1, |largest gain|) is floating-point rounding of equal gains, not
# spread: gains of accuracies are in [-1, 1] (or points in [-100, 100]) and carry ~1e-16 relative rounding each.
TIED_SE_TOLERANCE = 1e-12
T_TEST = "t-test over seeds (df = seeds - 1); exact sign-flip over seeds as a check"
TIED = ("exact sign-flip over seeds: the seeds' gains are equal (up to rounding), so the t-test is undefined "
        "(no spread over seeds)")


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


def min_seeds_for_sign_flip(alpha: float = 0.05, tests: int = 1) -> int:
    """Fewest seeds at which the exact two-sided sign-flip test over seeds can reach p < alpha / tests.

    Its smallest p-value is 2 / 2^seeds (every seed's gain of the same sign): 6 seeds for α = 0.05 (p ≥ 0.031;
    5 seeds: p ≥ 0.0625), and Holm over m languages needs p < α/m for the first rejection, e.g. 11 seeds for 40.
    """
    if not 0 < alpha < 1 or tests < 1:
        raise ValueError(f"alpha must be in (0, 1) and tests >= 1 (got alpha={alpha}, tests={tests})")
    seeds = 1
    while 2.0 ** (1 - seeds) >= alpha / tests:
        seeds += 1
    return seeds


def _sign_flip_p(g: np.ndarray, mean: np.ndarray, scale: np.ndarray, max_exact: int, n_flips: int,
                 seed: int) -> np.ndarray:
    """Two-sided sign-flip p of each row's mean: all 2^S patterns up to max_exact seeds, else n_flips random ones."""
    S = g.shape[1]
    tol = TIED_SE_TOLERANCE * scale
    if S <= max_exact:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=S)))
        flipped = np.abs(signs @ g.T) / S
        return (flipped >= np.abs(mean) - tol).mean(axis=0)
    signs = np.random.default_rng(seed).choice((-1.0, 1.0), size=(n_flips, S))
    flipped = np.abs(signs @ g.T) / S
    return (1 + (flipped >= np.abs(mean) - tol).sum(axis=0)) / (1 + n_flips)


def seed_level_tests(gains, level: float = 0.95, max_exact: int = 16, n_flips: int = 20000, seed: int = 0) -> dict:
    """Run-level tests of mean gain = 0, one per row of `gains` (rows: languages, columns: seeds; complete).

    Returns arrays: gain (mean over seeds), sd (over seeds; 0 when the gains are tied up to rounding), t, df
    (= seeds − 1), p_t (two-sided t-test of the per-seed gains; NaN where the gains are tied: no spread, no t),
    ci_low / ci_high (t interval; NaN where tied), p_sign_flip (exact: all 2^seeds sign patterns up to `max_exact`
    seeds, else `n_flips` random ones, p = (1 + #)/(1 + n_flips)), p_value (the reported one: p_t, or p_sign_flip
    where the t-test is undefined) and method (which of the two, and why). Vectorised over rows; the calibration
    benchmark calls this same function.
    """
    g = np.atleast_2d(np.asarray(gains, dtype=np.float64))
    L, S = g.shape
    mean = g.mean(axis=1)
    nan = np.full(L, np.nan)
    if S < 2:
        return {"gain": mean, "sd": nan, "t": nan, "df": np.zeros(L), "p_t": nan, "ci_low": nan, "ci_high": nan,
                "p_sign_flip": np.ones(L), "p_value": nan, "method": np.full(L, "one seed: no run-level test")}
    scale = np.maximum(1.0, np.abs(g).max(axis=1))
    se = g.std(axis=1, ddof=1) / np.sqrt(S)
    spread = se > TIED_SE_TOLERANCE * scale
    se = np.where(spread, se, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(spread, mean / se, np.nan)
    p_t = np.where(spread, 2 * sps.t.sf(np.abs(t), S - 1), np.nan)
    q = sps.t.ppf(0.5 + level / 2, S - 1)
    p_sf = _sign_flip_p(g, mean, scale, max_exact, n_flips, seed)
    return {"gain": mean, "sd": se * np.sqrt(S), "t": t, "df": np.full(L, S - 1.0), "p_t": p_t,
            "ci_low": np.where(spread, mean - q * se, np.nan), "ci_high": np.where(spread, mean + q * se, np.nan),
            "p_sign_flip": p_sf, "p_value": np.where(spread, p_t, p_sf), "method": np.where(spread, T_TEST, TIED)}


def per_language_tests(gains: pd.DataFrame, condition: str, baseline: str, alpha: float = 0.05) -> pd.DataFrame:
    """Per (task, language): is `condition`'s gain over `baseline` different from 0? Tested at the run level.

    `gains` has one row per (task, language, seed) with the seed-paired gain (rxlt.phases.report / tiers build it
    from the runs' headline scores). The t-test over seeds (`p_value`, df = seeds − 1) is the test; `p_sign_flip` the
    exact, distribution-free check, and the test where the seeds' gains are tied (the `test` column says which).
    Both are reported only with >= min_seeds_for_sign_flip(alpha) seeds (the `test` column says why not otherwise);
    Holm and BH run across every tested (task, language) of this condition.
    """
    need = {"task", "language", "seed", "gain"}
    if not need <= set(gains.columns):
        raise ValueError(f"gains need columns {sorted(need)}; have {sorted(gains.columns)}")
    if gains.empty:
        raise ValueError(f"no gains of {condition!r} over {baseline!r}: nothing to test")
    minimum = min_seeds_for_sign_flip(alpha)
    rows = []
    for (task, lang), g in gains.groupby(["task", "language"], sort=True):
        per_seed = g.groupby("seed").gain.mean()
        S = len(per_seed)
        r = {k: v[0] for k, v in seed_level_tests(per_seed.to_numpy()[None, :]).items()}
        tested = S >= minimum
        rows.append({"task": task, "language": lang, "condition": condition, "baseline": baseline,
                     "gain": float(r["gain"]), "seeds": S, "sd_over_seeds": float(r["sd"]),
                     **{k: float(r[k]) if tested else np.nan for k in ("ci_low", "ci_high", "t", "df")},
                     "p_value": float(r["p_value"]) if tested else np.nan,
                     "p_sign_flip": float(r["p_sign_flip"]) if tested else np.nan,
                     "test": str(r["method"]) if tested else
                     f"not tested: {S} seed(s); a run-level test needs >= {minimum} (the exact sign-flip test over "
                     f"seeds reaches p < {alpha:g} only from {minimum})"})
    out = pd.DataFrame(rows)
    out["p_holm"] = holm(out.p_value)
    out["q_bh"] = benjamini_hochberg(out.p_value)
    out["p_sign_flip_holm"] = holm(out.p_sign_flip)
    out["significant_holm"] = out.p_holm < alpha
    return out
