"""benchmarks/trainer_accuracy.py's statistics: golden numbers by hand and against scipy (no training here; the
benchmark itself is run by hand, as every benchmark)."""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from trainer_accuracy import VARIANTS, summarise, t_interval  # noqa: E402


def test_t_interval_matches_scipy():
    from scipy.stats import ttest_1samp

    d = [0.02, -0.01, 0.03, 0.00, 0.015]
    mean, lo, hi = t_interval(d)
    ref = ttest_1samp(d, 0.0).confidence_interval(0.95)
    assert mean == pytest.approx(0.011) and (lo, hi) == pytest.approx((ref.low, ref.high))
    assert np.isnan(t_interval([0.1])[1])  # one seed: no interval


def test_summary_of_paired_runs_by_hand():
    acc = {"trainer-fixed": (0.70, {"de": 0.5, "fr": 0.6}), "trainer-dynamic": (0.72, {"de": 0.5, "fr": 0.6}),
           "rxlt": (0.74, {"de": 0.6, "fr": 0.6}), "rxlt-grouped": (0.70, {"de": 0.5, "fr": 0.7})}
    runs = []
    for seed, bump in ((0, 0.0), (1, 0.02)):
        for v in VARIANTS:
            en, langs = acc[v]
            per = {"en": en + bump, **{l: a + bump for l, a in langs.items()}}
            runs.append({"seed": seed, "variant": v, "train_s": 10.0 if v == "trainer-fixed" else 5.0,
                         "examples_per_s": 1.0, "speedup_vs_trainer_fixed": 1.0 if v == "trainer-fixed" else 2.0,
                         "english_accuracy": per["en"], "mean_accuracy_other_languages": (per["de"] + per["fr"]) / 2,
                         "per_language": per})
    variants, diffs = summarise(runs, [0, 1])
    assert variants["rxlt"]["speedup_vs_trainer_fixed"] == {"mean": 2.0, "sd": 0.0}
    assert variants["rxlt"]["english_accuracy"]["mean"] == pytest.approx(0.75)
    fixed = diffs[0]
    assert fixed["comparison"] == "rxlt − trainer-fixed"
    # equal per-seed differences: +0.04 English, +0.05 zero-shot mean, zero-width intervals
    assert fixed["english_accuracy_over_seeds"]["diff"] == pytest.approx(0.04)
    assert fixed["english_accuracy_over_seeds"]["ci_low"] == pytest.approx(0.04)
    assert fixed["mean_accuracy_other_languages_over_seeds"]["diff"] == pytest.approx(0.05)
    # over languages (English excluded): de +0.1, fr 0.0 -> mean +0.05 on n=2
    assert fixed["accuracy_over_languages"]["diff"] == pytest.approx(0.05) and fixed["accuracy_over_languages"]["n"] == 2
    grouped = {d["comparison"]: d for d in diffs}["rxlt-grouped − trainer-dynamic"]
    assert grouped["english_accuracy_over_seeds"]["diff"] == pytest.approx(-0.02)
    assert grouped["mean_accuracy_other_languages_over_seeds"]["diff"] == pytest.approx(0.05)
