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
