"""nDCG (XGLUE WPR) and weighted / macro F1 (AfriSenti, NusaX) against their reference implementations.

Golden values: scikit-learn 1.9.1 (`sklearn.metrics.ndcg_score`, `f1_score`), the functions xglue_evaluate.py and the
suites' scripts call, computed once in a scratch virtualenv (scikit-learn is not a dependency of rxlt):
    ndcg_score([[10, 0, 0, 1, 5]], [[.1, .2, .3, 4, 70]])                 -> 0.6956940443813076
    ndcg_score([[10, 0, 0, 1, 5]], [[.05, 1.1, 1., .5, .0]])              -> 0.493680191377376
    ndcg_score([[10, 0, 0, 1, 5]], [[.05, 1.1, 1., .5, .0]], k=4)         -> 0.3520241100634488
    ndcg_score([[10, 0, 0, 1, 5]], [[1, 0, 0, 0, 1]], k=1)                -> 0.75
    ndcg_score([[10, 0, 0, 1, 5]], [[1, 0, 0, 0, 1]], k=1, ignore_ties=True) -> 0.5
    ndcg_score([[4, 0, 2, 1, 0, 3]], [[3, 0, 3, 1, 1, 3]])                -> 0.9287343058145361
    ndcg_score([[0, 0, 1]], [[2, 2, 2]])                                   -> 0.7103099178571524
    ndcg_score([[0, 0, 0]], [[1, 2, 0]])                                   -> 0.0
    f1_score(G, P, average="weighted" | "macro") for G, P below            -> 0.5866666666666667 | 0.5777777777777778
    f1_score(["a", "a", "b", "b"], ["a", "c", "b", "a"], average=...)      -> 0.5833333333333333 | 0.38888888888888884
(the first five are also scikit-learn's own documentation examples). Tie handling is checked a second way, against
an independent brute force: the tie-averaged DCG is the mean DCG over every order of the tied documents.
"""
import itertools
import math

import numpy as np
import pandas as pd
import pytest

from rxlt.data.metric_directions import METRICS
from rxlt.scoring.metrics import dcg, macro_f1, ndcg, ndcg_score, weighted_f1

G = ["pos", "neg", "neu", "pos", "neg", "pos", "neu", "neu", "pos", "neg"]
P = ["pos", "neg", "pos", "pos", "neu", "neg", "neu", "pos", "pos", "neg"]


@pytest.mark.parametrize("gains,scores,k,ties,want", [
    ([10, 0, 0, 1, 5], [.1, .2, .3, 4, 70], None, False, 0.6956940443813076),
    ([10, 0, 0, 1, 5], [.05, 1.1, 1., .5, .0], None, False, 0.493680191377376),
    ([10, 0, 0, 1, 5], [.05, 1.1, 1., .5, .0], 4, False, 0.3520241100634488),
    ([10, 0, 0, 1, 5], [1, 0, 0, 0, 1], 1, False, 0.75),
    ([10, 0, 0, 1, 5], [1, 0, 0, 0, 1], 1, True, 0.5),
    ([4, 0, 2, 1, 0, 3], [3, 0, 3, 1, 1, 3], None, False, 0.9287343058145361),
    ([0, 0, 1], [2, 2, 2], None, False, 0.7103099178571524),
    ([0, 0, 0], [1, 2, 0], None, False, 0.0),
])
def test_ndcg_matches_sklearn(gains, scores, k, ties, want):
    assert ndcg_score(gains, scores, k, ignore_ties=ties) == pytest.approx(want, abs=1e-12)


def _brute_force_dcg(gains, scores):
    """Mean DCG over every ranking that orders by score and breaks ties in all possible ways."""
    values = []
    for perm in itertools.permutations(range(len(gains))):
        if all(scores[perm[i]] >= scores[perm[i + 1]] for i in range(len(perm) - 1)):
            values.append(sum(gains[j] / math.log2(r + 2) for r, j in enumerate(perm)))
    return sum(values) / len(values)


@pytest.mark.parametrize("seed", range(5))
def test_tie_averaged_dcg_equals_mean_over_tie_orders(seed):
    rng = np.random.default_rng(seed)
    gains = rng.integers(0, 5, size=6).tolist()
    scores = rng.integers(0, 3, size=6).tolist()  # predicted ratings: many ties, as XGLUE's prediction files
    assert dcg(gains, scores) == pytest.approx(_brute_force_dcg(gains, scores), abs=1e-12)


def test_ndcg_groups_queries_and_skips_single_documents_like_xglue():
    # xglue_evaluate.py simple_ndcg: per-query sklearn ndcg, queries with < 2 documents left out, plain mean
    out = ndcg(["q1"] * 6 + ["q2"] * 3 + ["q3"], [4, 0, 2, 1, 0, 3] + [0, 0, 1] + [4],
               [3, 0, 3, 1, 1, 3] + [2, 2, 2] + [0])
    assert out["queries"] == 2 and out["skipped"] == 1
    assert out["ndcg"] == pytest.approx((0.9287343058145361 + 0.7103099178571524) / 2, abs=1e-12)
    with pytest.raises(ValueError, match="at least one query with 2"):
        ndcg(["a"], [1], [1])


def test_f1_matches_sklearn():
    assert weighted_f1(P, G) == pytest.approx(0.5866666666666667, abs=1e-12)
    assert macro_f1(P, G) == pytest.approx(0.5777777777777778, abs=1e-12)
    # a predicted label absent from gold joins the label set with F1 0 (macro) and weight 0 (weighted)
    assert weighted_f1(["a", "c", "b", "a"], ["a", "a", "b", "b"]) == pytest.approx(0.5833333333333333, abs=1e-12)
    assert macro_f1(["a", "c", "b", "a"], ["a", "a", "b", "b"]) == pytest.approx(0.38888888888888884, abs=1e-12)


def test_metric_directions_are_declared():
    assert all(METRICS[m]["higher_is_better"] for m in ("ndcg", "weighted_f1", "macro_f1"))


def test_phase3_task_metric_table_matches_the_metric_functions():
    from rxlt.phases.task_metrics import add_task_metric, f1_with_ci

    labels = ["negative", "neutral", "positive"]
    short = {"pos": "positive", "neg": "negative", "neu": "neutral"}
    value, lo, hi = f1_with_ci([short[p] for p in P], [short[g] for g in G], labels, "weighted_f1", 200, 0)
    assert value == pytest.approx(0.5866666666666667) and lo <= value <= hi
    # WPR: ranked by the argmax rating of the logits, gains = the gold rating
    rel = ["Bad", "Fair", "Good", "Excellent", "Perfect"]
    gold = [4, 0, 2, 1, 0, 3, 0, 0, 1]
    pred = [3, 0, 3, 1, 1, 3, 2, 2, 2]
    logits = np.eye(5)[pred] * 5.0
    preds = pd.DataFrame({"language": "de", "group": ["0"] * 6 + ["1"] * 3, "label": [rel[g] for g in gold],
                          "prediction": [rel[p] for p in pred]})
    table = pd.DataFrame({"language": ["de"], "accuracy": [0.0], "ci_low": [0.0], "ci_high": [0.0], "n": [9]})
    out = add_task_metric(table, preds, logits, rel, "ndcg", 200, 0)
    row = out.iloc[0]
    assert row.ndcg == pytest.approx((0.9287343058145361 + 0.7103099178571524) / 2) and row.score == row.ndcg
    assert row.queries == 2 and "accuracy_ci_low" in out and row.ci_low <= row.ndcg <= row.ci_high
