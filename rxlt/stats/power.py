"""Power of the resource-slope test: which slope a design detects, and what more seeds or languages buy.

The slope's standard error is sqrt((between + within / seeds) / Sxx + seed slope / seeds): a between-language part,
a within-language (seed-to-seed) part and a seed-specific slope (rxlt.stats.hypotheses.variance_components),
with the test's Satterthwaite df (`slope_df`).
`simulate_gains` draws item-level studies for checking the type-I rate and the claimed power
(tests/test_hypotheses.py, benchmarks/stats_calibration.py).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize
from scipy import stats as sps


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


def design_power(components: dict, sxx: float, n_languages: int, alpha: float = 0.05, power: float = 0.8,
                 seeds=(1, 2, 5, 10), language_factors=(1, 2)) -> pd.DataFrame:
    """Minimum detectable slope for this design and for more seeds / languages (same spread of x)."""
    rows = []
    for f in language_factors:
        # with one seed the seed-to-seed variance is unknown: projecting more seeds would be made up
        for s in sorted(set(seeds) | {components["seeds"]}) if components["seeds"] > 1 else [components["seeds"]]:
            L = int(round(n_languages * f))
            sxx_l = sxx * (L - 1) / (n_languages - 1)
            seed_slope = components.get("seed_slope_var", 0.0)
            se = slope_se(components["between_var"], components["within_var"], s, sxx_l, seed_slope)
            df = slope_df(components["between_var"], components["within_var"], s, sxx_l, L, seed_slope)
            rows.append({"languages": L, "seeds": s, "se": se, "df": df,
                         "mde": minimum_detectable_slope(se, df, alpha, power),
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


def simulated_design_se(n_languages: int, n_seeds: int, n_items: int, tau: float, sigma_seed: float,
                        base_acc: float = 0.5, mean_gain: float = 0.05) -> float:
    """The slope SE simulate_gains' design implies (for checking claimed power by simulation)."""
    x = np.linspace(0, 8, n_languages)
    sxx = float(((x - x.mean()) ** 2).sum())
    p, q = base_acc, base_acc + mean_gain
    item_var = (p * (1 - p) + q * (1 - q)) / n_items  # items are fresh per seed: a within-language term
    return slope_se(tau ** 2, sigma_seed ** 2 + item_var, n_seeds, sxx)
