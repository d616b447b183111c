"""rxlt.stats.per_language: the run-level per-language tests — golden numbers against scipy/statsmodels, tied gains
(rounding noise is not spread), and a small calibration by simulation (benchmarks/stats_calibration.py runs thousands).
"""
import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from rxlt.stats import per_language as pl
from rxlt.stats.intervals import holm


def test_corrections_match_statsmodels():
    p = np.array([0.01, 0.04, 0.03, 0.2, 0.001, np.nan, 0.5])
    ok = ~np.isnan(p)
    by_holm = holm(p)
    bh = pl.benjamini_hochberg(p)
    assert np.isnan(by_holm[5]) and np.isnan(bh[5])
    np.testing.assert_allclose(by_holm[ok], multipletests(p[ok], method="holm")[1])
    np.testing.assert_allclose(bh[ok], multipletests(p[ok], method="fdr_bh")[1])


def test_min_seeds_for_the_sign_flip_test():
    # smallest two-sided p of the exact sign-flip test over S seeds is 2/2^S
    assert pl.min_seeds_for_sign_flip(0.05) == 6 and 2 / 2 ** 5 > 0.05 > 2 / 2 ** 6
    assert pl.min_seeds_for_sign_flip(0.05, tests=40) == 11 and 2 / 2 ** 10 >= 0.05 / 40 > 2 / 2 ** 11
    with pytest.raises(ValueError):
        pl.min_seeds_for_sign_flip(0.0)


def test_seed_level_tests_match_scipy():
    rng = np.random.default_rng(8)
    g = rng.normal(0.01, 0.02, (5, 7))
    r = pl.seed_level_tests(g)
    for i in range(5):
        t = sps.ttest_1samp(g[i], 0.0)
        assert r["t"][i] == pytest.approx(t.statistic) and r["p_t"][i] == pytest.approx(t.pvalue)
        ci = t.confidence_interval()
        assert (r["ci_low"][i], r["ci_high"][i]) == pytest.approx((ci.low, ci.high))
        sf = sps.permutation_test((g[i],), np.mean, permutation_type="samples", n_resamples=np.inf).pvalue
        assert r["p_sign_flip"][i] == pytest.approx(sf, abs=1e-12)  # all 2^7 sign patterns


def test_per_language_tests_are_at_the_run_level():
    """The unit is a seed: 6 seeds are tested (t over seeds, exact sign flips), 2 seeds are not."""
    rng = np.random.default_rng(9)
    rows = [{"task": "t", "language": lang, "seed": s, "gain": gain + rng.normal(0, 0.01)}
            for lang, gain in (("xx", 0.05), ("yy", 0.0), ("zz", 0.002)) for s in range(6)]
    gains = pd.DataFrame(rows)
    out = pl.per_language_tests(gains, "new", "base").set_index("language")
    xx = gains[gains.language == "xx"].gain.to_numpy()
    assert out.loc["xx", "gain"] == pytest.approx(xx.mean()) and out.loc["xx", "seeds"] == 6
    assert out.loc["xx", "p_value"] == pytest.approx(sps.ttest_1samp(xx, 0).pvalue)
    assert out.loc["xx", "p_sign_flip"] == pytest.approx(2 / 2 ** 6)  # every seed's gain positive
    np.testing.assert_allclose(out.p_holm, multipletests(out.p_value, method="holm")[1])
    assert out.loc["xx", "significant_holm"] and not out.loc["yy", "significant_holm"]
    two = pl.per_language_tests(gains[gains.seed < 2], "new", "base")
    assert two.p_value.isna().all() and not two.significant_holm.any()
    assert two.test.iloc[0].startswith("not tested: 2 seed(s); a run-level test needs >= 6")
    with pytest.raises(ValueError, match="columns"):
        pl.per_language_tests(gains.drop(columns="seed"), "new", "base")


def test_realistic_null_pooled_item_test_is_liberal_run_level_test_is_not():
    """Identical training procedures, 1,000 paired items, seed shifts common to all languages (rxlt.stats.simulation):
    pooling (item, seed) pairs as independent rejects far above 5 %; the t-test over seeds does not. Small: 40 studies
    × 12 languages; the benchmark runs thousands."""
    from rxlt.stats.simulation import StudyDesign, draw_study

    design = StudyDesign(languages=12, seeds=6, items=(1000, 1000), unseen_fraction=0.0)
    rng = np.random.default_rng(10)
    pooled, run_level = [], []
    for _ in range(40):
        st = draw_study(design, rng)
        plus, minus = st.plus_minus[:, 0], st.plus_minus[:, 1]
        pooled += [sps.binomtest(int(k), int(k + m)).pvalue < 0.05 for k, m in zip(plus, minus)]
        run_level += list(pl.seed_level_tests(st.gains)["p_value"] < 0.05)
    # seed shifts make the 12 languages of a study dependent: allow for that in the tolerance
    assert np.mean(pooled) > 0.15 and np.mean(run_level) < 0.09, (np.mean(pooled), np.mean(run_level))


# Gains computed as differences of scores: equal in exact arithmetic, not in floating point (sd ~ 1e-17).
TIED_TWO = [[0.7 - 0.6, 0.4 - 0.3]]
TIED_SIX = [0.7 - 0.6, 0.4 - 0.3, 0.3 - 0.2, 0.9 - 0.8, 0.5 - 0.4, 0.6 - 0.5]


def test_tied_gains_are_not_spread_the_t_test_is_undefined():
    two = pl.seed_level_tests(TIED_TWO)
    assert np.std(TIED_TWO[0], ddof=1) > 0  # rounding noise, which the old t-test read as p ~ 1e-16
    assert two["sd"][0] == 0.0 and np.isnan(two["t"][0]) and np.isnan(two["p_t"][0])
    assert np.isnan(two["ci_low"][0]) and np.isnan(two["ci_high"][0])
    assert two["p_value"][0] == pytest.approx(0.5) and two["method"][0] == pl.TIED  # 2 of 4 sign patterns
    six = pl.seed_level_tests([TIED_SIX, [0.1] * 6, [0.0] * 6])
    # exact sign flip: only the all-plus and all-minus patterns reach |mean| = 0.1 (scipy agrees: 2/64)
    ref = sps.permutation_test((np.array(TIED_SIX),), np.mean, permutation_type="samples", n_resamples=np.inf).pvalue
    np.testing.assert_allclose(six["p_value"], [ref, ref, 1.0])
    assert ref == pytest.approx(2 / 2 ** 6)
    assert np.isnan(six["p_t"]).all() and (six["method"] == pl.TIED).all()


def test_a_tied_row_does_not_change_the_t_test_of_the_other_rows():
    rng = np.random.default_rng(11)
    spread = rng.normal(0.02, 0.01, (2, 6))
    r = pl.seed_level_tests(np.vstack([spread, TIED_SIX]))
    for i in range(2):  # the t-test applies: golden against scipy
        t = sps.ttest_1samp(spread[i], 0.0)
        assert r["t"][i] == pytest.approx(t.statistic) and r["p_value"][i] == pytest.approx(t.pvalue)
        assert r["p_t"][i] == r["p_value"][i] and r["method"][i] == pl.T_TEST
    assert r["p_value"][2] == pytest.approx(2 / 2 ** 6)
    # a small but real spread (far above rounding) is still a t-test
    near = pl.seed_level_tests([[0.1, 0.1, 0.1, 0.1, 0.1, 0.1 + 1e-6]])
    assert near["method"][0] == pl.T_TEST
    assert near["p_t"][0] == pytest.approx(sps.ttest_1samp([0.1] * 5 + [0.1 + 1e-6], 0.0).pvalue)


def test_per_language_tests_with_tied_gains_report_the_sign_flip_and_never_a_tiny_p():
    rows = [{"task": "t", "language": "xx", "seed": s, "gain": g} for s, g in enumerate(TIED_SIX)]
    rows += [{"task": "t", "language": "yy", "seed": s, "gain": g} for s, g in enumerate([0.01, -0.02, 0.0, 0.03, -0.01, 0.02])]
    out = pl.per_language_tests(pd.DataFrame(rows), "new", "base").set_index("language")
    assert out.loc["xx", "p_value"] == pytest.approx(2 / 2 ** 6) and out.loc["xx", "test"] == pl.TIED
    assert np.isnan(out.loc["xx", "t"]) and out.loc["xx", "sd_over_seeds"] == 0.0
    assert out.loc["xx", "p_holm"] == pytest.approx(min(1.0, 2 * 2 / 2 ** 6))  # not ~1e-79 after Holm either
    assert not out.significant_holm.any()
    assert out.loc["yy", "test"] == pl.T_TEST
