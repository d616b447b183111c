"""rxlt.phases.alignment_report on a planted study: per-tier gains carry rxlt.stats' language × seed interval, the
difference to the tier's best robust objective is paired by language and seed, and the smallest matching N is the
first N whose mean gain reaches the best robust objective's (or "not reached")."""
import json

import numpy as np
import pandas as pd
import pytest

from rxlt.phases import alignment_report as ar
from rxlt.stats.intervals import language_seed_interval

TIERS = {"hi1": "high", "hi2": "high", "hi3": "high", "lo1": "low", "lo2": "low", "lo3": "low"}
SEEDS = (0, 1, 2)
# planted mean gains over plain fine-tuning, per tier: rs_rp is the best robust objective everywhere
PLANTED = {
    "direct+rs_rp": {"high": 0.02, "low": 0.04},
    "direct+adversarial": {"high": 0.01, "low": -0.01},
    "rotation-n10": {"high": 0.00, "low": 0.01},
    "rotation-n100": {"high": 0.03, "low": 0.02},  # matches in high at N = 100, never in low
    "align_l2-n100": {"high": -0.02, "low": 0.06},  # matches in low at N = 100
}
RECORDS = {"rotation-n10": ("rotation", 10), "rotation-n100": ("rotation", 100), "align_l2-n100": ("align_l2", 100)}


def fake_runs(tmp_path):
    dirs = []
    for cond in ["direct", *PLANTED]:
        d = tmp_path / cond
        d.mkdir()
        res = {"status": "complete", "phase": "03_evaluate", "condition": cond, "finetune_seed": 0, "artifacts": {}}
        if cond in RECORDS:
            method, n = RECORDS[cond]
            res["alignment"] = {"method": method, "parallel_sentences": n, "condition": cond}
        (d / "results.json").write_text(json.dumps(res))
        dirs.append(str(d))
    return dirs


def planted_gains() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = [{"task": "t", "language": lang, "seed": s, "condition": cond, "gain": mean[tier] + rng.normal(0, 0.002)}
            for cond, mean in PLANTED.items() for lang, tier in TIERS.items() for s in SEEDS]
    return pd.DataFrame(rows)


COV = pd.DataFrame({"language": list(TIERS), "tier": list(TIERS.values())})


def test_roles_come_from_the_runs_records(tmp_path):
    roles = ar.condition_roles(fake_runs(tmp_path)).set_index("condition")
    assert roles.loc["direct", "family"] == "baseline" and roles.loc["direct+rs_rp", "family"] == "robust"
    assert tuple(roles.loc["rotation-n100", ["family", "method", "n"]]) == ("alignment", "rotation", 100)


def test_tier_gains_use_the_language_seed_interval_and_n0_is_zero(tmp_path):
    roles = ar.condition_roles(fake_runs(tmp_path))
    gains = planted_gains()
    table = ar.tier_gains(gains, COV, roles)
    row = table[(table.tier == "low") & (table.condition == "align_l2-n100")].iloc[0]
    want = language_seed_interval(gains[(gains.condition == "align_l2-n100") & gains.language.str.startswith("lo")]
                                  .pivot(index="language", columns="seed", values="gain").to_numpy())
    assert (row.gain, row.ci_low, row.ci_high) == pytest.approx((want["mean"], want["ci_low"], want["ci_high"]))
    zero = table[(table.n == 0) & (table.method == "rotation") & (table.tier == "high")].iloc[0]
    assert (zero.gain, zero.ci_low, zero.ci_high) == (0.0, 0.0, 0.0)
    assert list(dict.fromkeys(table.tier)) == [ar.ALL_LANGUAGES, "low", "high"]


def test_smallest_matching_n_per_tier(tmp_path):
    roles = ar.condition_roles(fake_runs(tmp_path))
    gains = planted_gains()
    table = ar.tier_gains(gains, COV, roles)
    versus = ar.versus_best_robust(gains, COV, roles, table)
    assert set(versus.best_robust) == {"rs_rp"}
    row = versus[(versus.tier == "high") & (versus.method == "rotation") & (versus.n == 100)].iloc[0]
    best = gains[gains.condition == "direct+rs_rp"].set_index(["language", "seed"]).gain
    mine = gains[gains.condition == "rotation-n100"].set_index(["language", "seed"]).gain
    diff = (mine - best).reset_index()
    want = language_seed_interval(diff[diff.language.str.startswith("hi")].pivot(
        index="language", columns="seed", values="gain").to_numpy())
    assert (row.difference, row.ci_low, row.ci_high) == pytest.approx((want["mean"], want["ci_low"], want["ci_high"]))
    assert row.matches and row.winner == "rotation" and row.clear
    smallest = ar.smallest_matching_n(versus).set_index(["tier", "method"]).smallest_matching_n
    assert smallest[("high", "rotation")] == "100" and smallest[("low", "rotation")] == "not reached"
    assert smallest[("low", "align_l2")] == "100" and smallest[("high", "align_l2")] == "not reached"
    text = ar.answer(versus, ar.smallest_matching_n(versus))
    assert "**high** (best robust objective: rs_rp" in text and "rotation matches from N=100" in text
    assert "align_l2: not reached up to N=100" in text


def test_n0_matches_where_no_robust_objective_gains(tmp_path):
    roles = ar.condition_roles(fake_runs(tmp_path))
    gains = planted_gains()
    gains.loc[gains.condition.str.startswith("direct+"), "gain"] -= 0.1  # every robust objective now hurts
    versus = ar.versus_best_robust(gains, COV, roles, ar.tier_gains(gains, COV, roles))
    smallest = ar.smallest_matching_n(versus)
    assert set(smallest.smallest_matching_n) == {"0"}
    assert "N=0 already matches" in ar.answer(versus, smallest)


def test_no_alignment_condition_means_no_comparison(tmp_path):
    dirs = [d for d in fake_runs(tmp_path) if not d.endswith(("n10", "n100"))]
    assert ar.compare(dirs, planted_gains(), COV, pd.DataFrame(), pd.DataFrame()) is None
