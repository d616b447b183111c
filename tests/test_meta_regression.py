"""rxlt.stats.meta_regression: golden numbers against statsmodels (WLS, combine_effects), and the log-odds reading."""
import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.stats.meta_analysis import combine_effects

from rxlt.stats.meta_regression import empirical_logit, language_sampling_variance, meta_regression, weighted_slope_test


def _data(seed=0, L=25):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 7, L)
    v = rng.uniform(0.0005, 0.01, L)
    return x, v, 0.05 - 0.01 * x + rng.normal(0, np.sqrt(v + 0.02 ** 2))


def test_meta_regression_is_weighted_least_squares_with_knapp_hartung_scale():
    x, v, y = _data()
    X = np.column_stack([np.ones_like(x), x])
    r = meta_regression(y, v, X)
    ref = sm.WLS(y, X, weights=1 / (v + r["tau2"])).fit()  # Knapp–Hartung = WLS with its estimated scale
    np.testing.assert_allclose(r["beta"], ref.params, rtol=1e-10)
    np.testing.assert_allclose(r["se"], ref.bse, rtol=1e-10)
    np.testing.assert_allclose(r["p_value"], ref.pvalues, rtol=1e-8)
    assert r["df"] == len(x) - 2 and r["tau2"] > 0
    np.testing.assert_allclose(r["projection"] @ y, r["beta"])


def test_intercept_only_meta_regression_is_dersimonian_laird():
    x, v, y = _data(0)
    r = meta_regression(y, v, np.ones((len(y), 1)))
    ref = combine_effects(y, v, method_re="chi2")  # DerSimonian–Laird
    assert ref.tau2 > 0 and r["tau2"] == pytest.approx(ref.tau2, rel=1e-10)
    assert r["beta"][0] == pytest.approx(ref.mean_effect_re, rel=1e-10)
    assert r["se"][0] == pytest.approx(ref.summary_frame().loc["random effect wls", "sd_eff"], rel=1e-8)
    x1, v1, y1 = _data(1)  # here the moment estimate is negative: statsmodels keeps it, rxlt truncates at 0
    assert combine_effects(y1, v1, method_re="chi2").tau2 < 0 and meta_regression(y1, v1, np.ones((25, 1)))["tau2"] == 0
    with pytest.raises(ValueError, match="positive sampling variance"):
        meta_regression(y, np.r_[0.0, v[1:]], np.ones((len(y), 1)))


def test_empirical_logit_and_sampling_variance():
    assert empirical_logit(0.5, 100) == pytest.approx(0.0)
    assert empirical_logit(1.0, 10) == pytest.approx(np.log(10.5 / 0.5))  # finite at the ceiling
    assert empirical_logit(0.9, 1000) == pytest.approx(np.log(900.5 / 100.5))
    np.testing.assert_allclose(language_sampling_variance([0.01, 0.02], 0.004, 2), [0.007, 0.012])
    np.testing.assert_allclose(language_sampling_variance([0.01], -1.0, 1), [0.01])  # a negative run part is 0


def test_weighted_slope_with_one_seed_is_the_meta_regression():
    x, v, y = _data(2)
    w = weighted_slope_test(y[:, None], v[:, None], x)
    r = meta_regression(y, v, np.column_stack([np.ones_like(x), x]))
    assert w["estimate"] == pytest.approx(r["beta"][1]) and w["se"] == pytest.approx(r["se"][1])
    assert w["df"] == len(x) - 2 and w["seed_part_var"] == 0
