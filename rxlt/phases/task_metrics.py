"""Phase 3's headline metrics for classification tasks scored by something other than accuracy: weighted / macro F1
(AfriSenti, NusaX) and nDCG over query groups (XGLUE WPR), per language, with percentile-bootstrap intervals.

nDCG needs a score per (query, document) pair. XGLUE's evaluation ranks by the *predicted rating* (xglue_evaluate.py
reads one predicted label 0..4 per line; microsoft/XGLUE@e417c4c evaluation/Unicoder_prediction_on_XGLUE_dev/WPR),
so `ndcg` here ranks each query's documents by the argmax rating, ties averaged as sklearn does; `ndcg_expected`
ranks by the expected rating Σ_k p_k·k under the softmax (few ties) — reported next to it, not the headline.
Intervals: F1 by resampling test items (the F1 recomputed each time), nDCG by resampling queries.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from rxlt.scoring.metrics import ndcg

F1_METRICS = ("weighted_f1", "macro_f1")


def task_metric(task: str) -> str:
    """The metric a classification task is scored by (the suite tables'; accuracy otherwise)."""
    from rxlt.data.suite_loader import SUITE_TASKS

    return SUITE_TASKS.get(task, {}).get("metric", "accuracy")


def _f1_value(pred: np.ndarray, gold: np.ndarray, n_labels: int, metric: str) -> float:
    """F1 from label ids over sklearn's label set (labels in gold or predictions), vectorised for the bootstrap."""
    tp = np.bincount(gold[pred == gold], minlength=n_labels)
    fp = np.bincount(pred, minlength=n_labels) - tp
    support = np.bincount(gold, minlength=n_labels)
    fn = support - tp
    present = (support + fp) > 0
    f1 = np.divide(2 * tp, 2 * tp + fp + fn, out=np.zeros(n_labels), where=(2 * tp + fp + fn) > 0)
    if metric == "macro_f1":
        return float(f1[present].mean())
    return float((f1 * support).sum() / support.sum())


def f1_with_ci(pred, gold, labels: list[str], metric: str, n_boot: int, seed: int) -> tuple[float, float, float]:
    index = {lab: i for i, lab in enumerate(labels)}
    p, g = np.array([index[x] for x in pred]), np.array([index[x] for x in gold])
    value = _f1_value(p, g, len(labels), metric)  # = rxlt.scoring.metrics.weighted_f1 / macro_f1 (tests check)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(g), size=(n_boot, len(g)))
    boot = [_f1_value(p[d], g[d], len(labels), metric) for d in draws]
    lo, hi = np.quantile(boot, [0.025, 0.975])
    return value, float(lo), float(hi)


def ndcg_with_ci(frame: pd.DataFrame, labels: list[str], scores, n_boot: int, seed: int) -> dict:
    gains = [labels.index(x) for x in frame.label]
    out = ndcg(frame.group.astype(str).tolist(), gains, list(scores))
    per_query = np.array(list(out["per_query"].values()))
    rng = np.random.default_rng(seed)
    means = per_query[rng.integers(0, per_query.size, size=(n_boot, per_query.size))].mean(axis=1)
    lo, hi = np.quantile(means, [0.025, 0.975])
    return {"value": out["ndcg"], "ci_low": float(lo), "ci_high": float(hi), "queries": out["queries"],
            "single_document_queries": out["skipped"]}


def add_task_metric(table: pd.DataFrame, predictions: pd.DataFrame, logits: np.ndarray, labels: list[str],
                    metric: str, n_boot: int, seed: int) -> pd.DataFrame:
    """Per-language table with `metric` and `score` (= it) added; `ci_low`/`ci_high` become the metric's interval and
    accuracy's move to `accuracy_ci_low`/`accuracy_ci_high`."""
    if metric not in (*F1_METRICS, "ndcg"):
        raise ValueError(f"phase 3 scores classification by accuracy, weighted_f1, macro_f1 or ndcg, not {metric!r}")
    if metric == "ndcg" and "group" not in predictions:
        raise ValueError("nDCG needs each pair's query group (column 'group', rxlt.data.suite_loader)")
    logits = np.asarray(logits, dtype=np.float64)
    rows = []
    for lang, g in predictions.groupby("language", sort=True):
        pos = g.index.to_numpy()
        if metric == "ndcg":
            rated = logits[pos].argmax(-1).astype(float)  # the predicted rating, as XGLUE's prediction files hold
            prob = np.exp(logits[pos] - logits[pos].max(-1, keepdims=True))
            prob /= prob.sum(-1, keepdims=True)
            main = ndcg_with_ci(g, labels, rated, n_boot, seed)
            expected = ndcg(g.group.astype(str).tolist(), [labels.index(x) for x in g.label],
                            (prob * np.arange(len(labels))).sum(-1).tolist())["ndcg"]
            rows.append({"language": lang, "ndcg": main["value"], "ci_low": main["ci_low"], "ci_high": main["ci_high"],
                         "ndcg_expected": expected, "queries": main["queries"],
                         "single_document_queries": main["single_document_queries"]})
        else:
            value, lo, hi = f1_with_ci(g.prediction.tolist(), g.label.tolist(), labels, metric, n_boot, seed)
            rows.append({"language": lang, metric: value, "ci_low": lo, "ci_high": hi})
    extra = pd.DataFrame(rows)
    out = table.rename(columns={"ci_low": "accuracy_ci_low", "ci_high": "accuracy_ci_high"}).merge(extra, on="language")
    return out.assign(score=out[metric])
