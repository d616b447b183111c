"""Golden numbers for every statistic, against hand computation or scipy as the reference."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from rxlt.phases.evaluate import averages
from rxlt.phases.tiers import answer, check_complete_grid, low_minus_high
from rxlt.stats import intervals
from rxlt.train.loop import accuracy


def test_accuracy_golden():
    logits = np.array([[2.0, 1.0], [0.1, 0.9], [3.0, -1.0], [0.0, 1.0]])
    assert accuracy(logits, np.array([0, 1, 1, 1])) == 0.75


def test_bootstrap_ci_agrees_with_scipy_percentile_bootstrap():
    rng = np.random.default_rng(1)
    x = (rng.random(300) < 0.7).astype(float)
    lo, hi = intervals.bootstrap_mean_ci(x, n_boot=20000, seed=3)
    ref = sps.bootstrap((x,), np.mean, n_resamples=20000, method="percentile", random_state=4).confidence_interval
    assert lo == pytest.approx(ref.low, abs=0.006) and hi == pytest.approx(ref.high, abs=0.006)
    # and with the normal approximation of a binomial proportion
    se = np.sqrt(x.mean() * (1 - x.mean()) / x.size)
    assert lo == pytest.approx(x.mean() - 1.96 * se, abs=0.01)


def test_bootstrap_is_seeded_and_degenerate_cases():
    x = [1, 0, 1, 1]
    assert intervals.bootstrap_mean_ci(x, seed=5) == intervals.bootstrap_mean_ci(x, seed=5)
    assert intervals.bootstrap_mean_ci([1, 1, 1]) == (1.0, 1.0)
    assert all(np.isnan(intervals.bootstrap_mean_ci([])))


def test_paired_bootstrap_difference():
    a = np.array([1, 1, 1, 0, 1, 1, 1, 1, 0, 1] * 20)
    b = np.array([0, 1, 0, 0, 1, 0, 1, 1, 0, 0] * 20)
    r = intervals.paired_bootstrap_diff(a, b, n_boot=5000, seed=0)
    assert r["diff"] == pytest.approx(0.4)
    assert r["ci_low"] > 0.3 and r["ci_high"] < 0.5 and r["p_value"] < 0.001 and r["n"] == 200
    same = intervals.paired_bootstrap_diff(a, a, n_boot=500)
    assert same["diff"] == 0 and same["p_value"] == 1.0
    with pytest.raises(ValueError, match="differ in shape"):
        intervals.paired_bootstrap_diff([1, 0], [1])


def test_paired_bootstrap_rejects_at_about_the_nominal_rate_under_the_null():
    rng = np.random.default_rng(7)
    rejections = 0
    for i in range(200):
        a = (rng.random(150) < 0.6).astype(float)
        b = (rng.random(150) < 0.6).astype(float)
        rejections += intervals.paired_bootstrap_diff(a, b, n_boot=400, seed=i)["p_value"] < 0.05
    assert 0.01 <= rejections / 200 <= 0.10


def test_spearman_matches_scipy_and_ci_covers_it():
    rng = np.random.default_rng(2)
    x = rng.normal(size=40)
    y = 0.6 * x + rng.normal(size=40)
    r = intervals.spearman_with_ci(x, y, n_boot=2000, seed=1)
    ref = sps.spearmanr(x, y)
    assert r["rho"] == pytest.approx(ref.statistic) and r["p_value"] == pytest.approx(ref.pvalue)
    assert r["ci_low"] < r["rho"] < r["ci_high"] and r["n"] == 40
    assert np.isnan(intervals.spearman_with_ci([1, 2, 3, 4], [5, 5, 5, 5])["rho"])


def test_holm_golden():
    adjusted = intervals.holm([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02])


def test_averages_say_whether_english_is_in_them():
    table = pd.DataFrame({"language": ["en", "de", "sw"], "accuracy": [0.9, 0.6, 0.3]})
    avg = averages(table)
    assert avg["macro_accuracy_including_english"] == pytest.approx(0.6)
    assert avg["macro_accuracy_excluding_english"] == pytest.approx(0.45)
    assert avg["english_in_grid"] is True and avg["languages"] == 3


def test_incomplete_language_grid_is_refused():
    scores = pd.DataFrame({"run": ["a", "a", "b"], "language": ["en", "de", "en"]})
    with pytest.raises(ValueError, match="incomplete language grid: run b lacks 1 languages \\(de\\)"):
        check_complete_grid(scores)


def test_low_minus_high_contrast_and_answer_text():
    gains = pd.DataFrame({
        "condition": "intermediate", "language": ["yo", "zu", "sw", "de", "fr", "ja", "en"],
        "tier": ["unseen", "unseen", "low", "high", "high", "high", "high"],
        "gain": [0.10, 0.20, 0.30, 0.0, -0.05, 0.05, 0.9],
    })
    c = low_minus_high(gains)
    assert c.difference.iloc[0] == pytest.approx(0.2 - 0.0)  # English is excluded
    assert (c.n_low.iloc[0], c.n_high.iloc[0]) == (3, 3)
    # one seed: the Welch SE (scipy) with the conservative df min(3, 3) − 1
    ref = sps.ttest_ind([0.1, 0.2, 0.3], [0.0, -0.05, 0.05], equal_var=False)
    assert c.se.iloc[0] == pytest.approx(0.2 / ref.statistic) and c.df.iloc[0] == 2
    assert c.p_value.iloc[0] == pytest.approx(2 * sps.t.sf(ref.statistic, 2))
    text = answer(c, pd.DataFrame(columns=["condition"]), smoke=True)
    assert "larger for low-resource" in text and "SMOKE" in text and "mean gain +0.200" in text
    assert "phase 5" in text and "excludes 0" not in text
    two = low_minus_high(gains[gains.language.isin(["yo", "de", "fr", "ja"])])  # one low-resource language
    assert np.isnan(two.ci_low.iloc[0]) and "too few" in answer(two.assign(difference=np.nan), pd.DataFrame(columns=["condition"]), False)


def test_welch_contrast_matches_scipy_and_uses_the_conservative_df():
    rng = np.random.default_rng(11)
    a, b = rng.normal(0.1, 0.05, 4), rng.normal(0.0, 0.02, 9)
    r = intervals.welch_contrast(a, b)
    ref = sps.ttest_ind(a, b, equal_var=False)
    assert r["difference"] == pytest.approx(a.mean() - b.mean()) and r["t"] == pytest.approx(ref.statistic)
    assert r["df_welch"] == pytest.approx(ref.df) and r["p_welch"] == pytest.approx(ref.pvalue)
    assert r["df"] == 3  # min(4, 9) − 1
    half = sps.t.ppf(0.975, 3) * r["se"]
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((r["difference"] - half, r["difference"] + half))
    ci = ref.confidence_interval()  # the Welch interval is narrower
    assert r["ci_low"] < ci.low and r["ci_high"] > ci.high
    assert np.isnan(intervals.welch_contrast([0.1], b)["ci_low"])


def test_language_seed_interval_counts_the_seed_shift():
    """Var(mean) = (MS_language + MS_seed)/(L·S), df = min(L, S) − 1; minus MS_E/(L·S) it is the REML variance of the
    intercept of the crossed random-effects model (statsmodels), so the interval is conservative by that term."""
    import warnings

    import statsmodels.formula.api as smf

    rng = np.random.default_rng(12)
    L, S = 8, 4
    y = rng.normal(0, 0.03, (L, 1)) + rng.normal(0, 0.02, (1, S)) + rng.normal(0, 0.01, (L, S)) + 0.1
    r = intervals.language_seed_interval(y)
    ms_l, ms_s = S * y.mean(1).var(ddof=1), L * y.mean(0).var(ddof=1)
    resid = y - y.mean(1, keepdims=True) - y.mean(0, keepdims=True) + y.mean()
    ms_e = (resid ** 2).sum() / ((L - 1) * (S - 1))
    assert r["se"] == pytest.approx(np.sqrt((ms_l + ms_s) / (L * S))) and r["df"] == 3
    d = pd.DataFrame({"y": y.ravel(), "language": np.repeat(np.arange(L), S), "seed": np.tile(np.arange(S), L), "g": 1})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = smf.mixedlm("y ~ 1", d, groups="g", vc_formula={"l": "0 + C(language)", "s": "0 + C(seed)"}).fit(reml=True)
    assert r["se"] ** 2 - ms_e / (L * S) == pytest.approx(ref.bse_fe["Intercept"] ** 2, rel=1e-4)
    one = intervals.language_seed_interval(y[:, :1])
    assert one["df"] == L - 1 and "not estimable" in one["method"]
    assert np.isnan(intervals.language_seed_interval(y[:1])["ci_low"])


def test_language_seed_interval_and_welch_hold_their_level_where_the_bootstrap_does_not():
    """2 + 2 languages (the reviewer's case): the percentile bootstrap leaves out a true 0 in about a third of draws."""
    rng = np.random.default_rng(13)
    reps, miss_boot, miss_welch, miss_tier = 400, 0, 0, 0
    for _ in range(reps):
        shift = rng.normal(0, 0.02, (1, 2))  # a seed shift common to every language
        low, high = rng.normal(0, 0.02, (2, 1)) + shift + rng.normal(0, 0.01, (2, 2)), \
            rng.normal(0, 0.02, (2, 1)) + shift + rng.normal(0, 0.01, (2, 2))
        boots = rng.choice(low.mean(1), (500, 2)).mean(1) - rng.choice(high.mean(1), (500, 2)).mean(1)
        lo, hi = np.quantile(boots, [0.025, 0.975])
        miss_boot += not lo <= 0 <= hi
        w = intervals.welch_contrast(low.mean(1), high.mean(1))
        miss_welch += not w["ci_low"] <= 0 <= w["ci_high"]
        t = intervals.language_seed_interval(np.vstack([low, high]))
        miss_tier += not t["ci_low"] <= 0 <= t["ci_high"]
    assert miss_boot / reps > 0.2 and miss_welch / reps <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / reps)
    assert miss_tier / reps <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / reps)


def test_resampling_p_values_are_written_as_bounds():
    assert intervals.format_p(0.0, 1000) == "p < 0.001" and intervals.format_p(0.0004, 1000) == "p < 0.001"
    assert intervals.format_p(0.0123, 1000) == "p = 0.0123" and intervals.format_p(float("nan")) == "p = n/a"
    r = intervals.paired_bootstrap_diff(np.ones(50), np.zeros(50), n_boot=200, seed=0)
    assert r["p_value"] == 0 and r["p_text"] == "p < 0.005"
