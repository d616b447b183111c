"""Every metric rxlt reports, by the name results.json stores: its direction and what it is.

Data, not code: the task tables of this package name their metric, and the catalogue, phase 4 and the reports read
its direction here. The functions computing each metric, with their references, are rxlt.scoring.metrics (a new
metric is a function there with a golden test, and a row here).
"""
from __future__ import annotations

METRICS: dict[str, dict] = {
    "accuracy": {"higher_is_better": True, "description": "fraction of items labelled correctly (evaluate.py accuracy)"},
    "seqeval_f1": {"higher_is_better": True,
                   "description": "micro F1 over seqeval chunks, sentences concatenated (evaluate.py f1)"},
    "squad": {"higher_is_better": True, "description": "(EM + F1) / 2, SQuAD v1.1 normalisation (evaluate_squad.py)"},
    "mlqa": {"higher_is_better": True,
             "description": "(EM + F1) / 2, MLQA per-language normalisation (evaluate_mlqa.py)"},
    # the name phase 3 stores for every QA task (rxlt.phases.kind_handlers.QAKind): squad or mlqa normalisation per task
    "squad_em_f1_mean": {"higher_is_better": True,
                         "description": "(EM + F1) / 2 per language (evaluate.py avg_metric; normalisation of the task)"},
    "retrieval_accuracy": {"higher_is_better": True,
                           "description": "top-1 retrieval accuracy (Tatoeba: en->x, as evaluate_retrieval.py)"},
    "map_at_20": {"higher_is_better": True, "description": "mean average precision at 20 (utils_lareqa.py)"},
    "ndcg": {"higher_is_better": True,
             "description": "nDCG over all documents of a query, tie-averaged, mean over queries (xglue_evaluate.py)"},
    "weighted_f1": {"higher_is_better": True, "description": "F1 per class weighted by gold support (sklearn f1_score)"},
    "macro_f1": {"higher_is_better": True, "description": "unweighted mean of per-class F1 (sklearn f1_score)"},
    "mrr_at_20": {"higher_is_better": True,
                  "description": "mean reciprocal rank at 20 (utils_mewslix.py; XTREME-R calls it map@20)"},
}
