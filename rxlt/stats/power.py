"""Power of the resource-slope test: which slope a design detects, and what more seeds or languages buy.

The slope's standard error is sqrt((between + within / seeds) / Sxx + seed slope / seeds): a between-language part,
a within-language (seed-to-seed) part and a seed-specific slope (rxlt.stats.hypotheses.variance_components),
with the test's Satterthwaite df at the expected mean squares (`slope_df`).

The minimum detectable slope a report states is that of the test it runs, found by simulation
(`simulated_mde`): the main test (hypotheses.balanced_slope_test) adds the seed-specific slope's mean square, with
seeds − 1 degrees of freedom, whenever it exceeds the residual's — in about half of all studies even when no seed
slope exists — so with 2-3 seeds its power at the normal-theory slope (t with the df above) was 0.52-0.57, not the
0.80 claimed; at the simulated slope it is 0.80-0.83 (benchmarks/results/stats_calibration.md, power designs). The simulation draws Gaussian language
× seed tables with the design's variance components and runs that test on them; a slope added along x moves the
estimate and leaves every mean square unchanged, so one set of draws gives the power at every slope.
`simulate_gains` draws item-level studies for checking the type-I rate and the claimed power
(tests/test_hypotheses.py, benchmarks/stats_calibration.py).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize
from scipy import stats as sps

from rxlt.stats.hypotheses import balanced_slope_test

POWER_DRAWS = 1000  # simulated studies per design row: Monte-Carlo SE of a power of 0.8 is 0.013


def slope_power(slope: float, se: float, df: float, alpha: float = 0.05) -> float:
    """Power of the two-sided t-test of a slope: P(|T| > t_crit) with T ~ noncentral t(df, slope/se)."""
    if not (se > 0) or not df > 0:
        return float("nan")
    crit = sps.t.ppf(1 - alpha / 2, df)
    ncp = abs(slope / se)  # symmetric in the sign of the slope
    # the far tail against the effect is ~0; scipy's nct.cdf returns NaN there for small df and a large ncp
    return float(sps.nct.sf(crit, df, ncp) + np.nan_to_num(sps.nct.cdf(-crit, df, ncp), nan=0.0))


def minimum_detectable_slope(se: float, df: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest |slope| the two-sided t-test detects with the given power (exact noncentral t)."""
    if not (se > 0) or not df > 0:
        return float("nan")
    hi = (sps.t.ppf(1 - alpha / 2, df) + 4.0) * se
    while slope_power(hi, se, df, alpha) < power:  # widen the bracket until it holds the target power
        hi *= 2
    return float(optimize.brentq(lambda s: slope_power(s, se, df, alpha) - power, 0.0, hi))


def slope_se(between_var: float, within_var: float, n_seeds: int, sxx: float, seed_slope_var: float = 0.0) -> float:
    """Design SE of the language-level slope: sqrt((between + within / seeds) / Sxx + seed slope / seeds)."""
    within = 0.0 if np.isnan(within_var) else within_var
    seed = 0.0 if np.isnan(seed_slope_var) else seed_slope_var
    return float(np.sqrt((between_var + within / n_seeds) / sxx + seed / n_seeds))


def slope_df(between_var: float, within_var: float, n_seeds: int, sxx: float, n_languages: int,
             seed_slope_var: float = 0.0) -> float:
    """Satterthwaite df of the seed-robust slope test at the design's expected mean squares (L − 2 without a seed slope)."""
    if n_seeds < 2 or not seed_slope_var > 0 or np.isnan(within_var):
        return float(n_languages - 2)
    e_b = within_var + n_seeds * between_var
    e_sx = within_var + sxx * seed_slope_var
    e_e = within_var
    total = e_b + e_sx - e_e
    return float(max(1.0, total ** 2 / (e_b ** 2 / (n_languages - 2) + e_sx ** 2 / (n_seeds - 1)
                                        + e_e ** 2 / ((n_languages - 2) * (n_seeds - 1)))))


def slope_test_draws(between_var: float, within_var: float, seed_slope_var: float, sxx: float, n_languages: int,
                     n_seeds: int, draws: int = POWER_DRAWS, seed: int = 0) -> pd.DataFrame:
    """(estimate, se, df) of the main slope test (balanced_slope_test, seed-specific slope included) on `draws`
    Gaussian language × seed tables with no slope: g_ls = u_l + c_s·x_l + e_ls, u ~ N(0, between), c ~ N(0, seed
    slope), e ~ N(0, within), x evenly spaced with the design's Sxx (the test depends on x only through Sxx)."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-1.0, 1.0, n_languages)
    x *= np.sqrt(sxx / float(((x - x.mean()) ** 2).sum()))
    design = np.column_stack([np.ones(n_languages), x])
    within = 0.0 if np.isnan(within_var) else within_var
    seed_slope = 0.0 if np.isnan(seed_slope_var) else seed_slope_var
    rows = []
    for _ in range(draws):
        g = (rng.normal(0.0, np.sqrt(between_var), (n_languages, 1))
             + np.outer(x, rng.normal(0.0, np.sqrt(seed_slope), n_seeds))
             + rng.normal(0.0, np.sqrt(within), (n_languages, n_seeds)))
        r = balanced_slope_test(g, design, seed_slope=n_seeds > 1)
        rows.append((r["estimate"], r["se"], r["df"]))
    return pd.DataFrame(rows, columns=["estimate", "se", "df"])


def _critical_distance(draws: pd.DataFrame, alpha: float) -> np.ndarray:
    """Each drawn study's |estimate| at which its test rejects: t_crit(df) × se."""
    return sps.t.ppf(1 - alpha / 2, draws.df.to_numpy()) * draws.se.to_numpy()


def _rejection_rate(slope: float, estimate: np.ndarray, crit: np.ndarray) -> float:
    shifted = estimate + slope
    return float(np.mean((shifted > crit) | (shifted < -crit)))


def simulated_power(slope: float, draws: pd.DataFrame, alpha: float = 0.05) -> float:
    """Share of the drawn studies in which the test rejects once `slope` is added along x."""
    return _rejection_rate(slope, draws.estimate.to_numpy(), _critical_distance(draws, alpha))


def simulated_mde(draws: pd.DataFrame, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest slope > 0 at which the test rejects in a share `power` of the drawn studies (bisection)."""
    crit, estimate = _critical_distance(draws, alpha), draws.estimate.to_numpy()
    if not len(draws) or not np.isfinite(crit).all():
        return float("nan")
    lo, hi = 0.0, float(np.max(crit - estimate)) + 1e-12  # every draw rejects at hi
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if _rejection_rate(mid, estimate, crit) >= power else (mid, hi)
    return hi


def design_power(components: dict, sxx: float, n_languages: int, alpha: float = 0.05, power: float = 0.8,
                 seeds=(1, 2, 5, 10), language_factors=(1, 2), draws: int = POWER_DRAWS) -> pd.DataFrame:
    """Minimum detectable slope for this design and for more seeds / languages (same spread of x).

    `mde`: the slope the main test detects with `power`, simulated (slope_test_draws, seeded: the same
    components give the same table); `mde_normal_theory`: the noncentral-t value at the expected SE and df (what
    was stated before, optimistic with few seeds); `se`, `df`: the expected SE and Satterthwaite df."""
    rows = []
    for f in language_factors:
        # with one seed the seed-to-seed variance is unknown: projecting more seeds would be made up
        for s in sorted(set(seeds) | {components["seeds"]}) if components["seeds"] > 1 else [components["seeds"]]:
            L = int(round(n_languages * f))
            sxx_l = sxx * (L - 1) / (n_languages - 1)
            seed_slope = components.get("seed_slope_var", 0.0)
            se = slope_se(components["between_var"], components["within_var"], s, sxx_l, seed_slope)
            df = slope_df(components["between_var"], components["within_var"], s, sxx_l, L, seed_slope)
            sim = slope_test_draws(components["between_var"], components["within_var"], seed_slope, sxx_l, L, s,
                                   draws, seed=1000 * f + s)
            rows.append({"languages": L, "seeds": s, "se": se, "df": df, "mde": simulated_mde(sim, alpha, power),
                         "mde_normal_theory": minimum_detectable_slope(se, df, alpha, power), "draws": draws,
                         "this_design": f == 1 and s == components["seeds"]})
    return pd.DataFrame(rows)


def simulate_gains(rng: np.random.Generator, n_languages: int, n_seeds: int, n_items: int, slope: float,
                   tau: float, sigma_seed: float, base_acc: float = 0.5, intercept: float = 0.05) -> pd.DataFrame:
    """Synthetic item-level study: per (language, seed) gains from Bernoulli test items.

    x_l evenly spaced on [0, 8] (a log2-size range like CC-100's); true gain g_ls = intercept + slope·(x_l − 4)
    + u_l + e_ls with u_l ~ N(0, tau²), e_ls ~ N(0, sigma_seed²); baseline and condition items are
    Bernoulli(base_acc) and Bernoulli(base_acc + g_ls), drawn afresh per seed.
    """
    x = np.linspace(0, 8, n_languages)
    u = rng.normal(0, tau, n_languages)
    rows = []
    for li in range(n_languages):
        for s in range(n_seeds):
            g = intercept + slope * (x[li] - 4) + u[li] + rng.normal(0, sigma_seed)
            p_c = float(np.clip(base_acc + g, 0, 1))
            base = rng.random(n_items) < base_acc
            cond = rng.random(n_items) < p_c
            d = cond.astype(float) - base
            rows.append({"language": f"L{li:03d}", "x": x[li], "seed": s, "gain": d.mean(),
                         "item_var": d.var(ddof=1) / n_items})
    return pd.DataFrame(rows)


def simulated_design_components(n_languages: int, n_seeds: int, n_items: int, tau: float, sigma_seed: float,
                                base_acc: float = 0.5, mean_gain: float = 0.05) -> dict:
    """The variance components simulate_gains' design implies (no seed-specific slope), as variance_components
    names them, for stating its power the way a report does (design_power)."""
    x = np.linspace(0, 8, n_languages)
    p, q = base_acc, base_acc + mean_gain
    item_var = (p * (1 - p) + q * (1 - q)) / n_items  # items are fresh per seed: a within-language term
    return {"between_var": tau ** 2, "within_var": sigma_seed ** 2 + item_var, "seed_slope_var": 0.0,
            "seeds": n_seeds, "languages": n_languages, "sxx": float(((x - x.mean()) ** 2).sum())}

