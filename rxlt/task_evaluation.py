"""Phase 3 for the kinds beyond sentence classification: multiple choice, tagging, QA and retrieval.

Same outputs as classification (rxlt.evaluation): `predictions.csv.gz` (one row per test item / query) and
results.json with per-language metrics, sample counts and macro averages that say whether English is in
them. Each language's row holds the kind's metrics (rxlt.task_kinds, rxlt.metrics), `score` = the task's
headline metric (accuracy, seqeval F1, (EM+F1)/2, P@1 / mAP@20 / MRR@20 as XTREME-R reports it) and a
percentile-bootstrap 95% CI over items where the score is a mean over items (not for seqeval F1, a
corpus-level score: its CI is left empty).
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from .modeling import load_model
from .results import Run
from .retrieval import embed, golds, ranked_keys
from .stats import bootstrap_mean_ci
from .task_kinds import handler, headline, task_examples, task_labels
from .training import compute_device

PREDICTIONS = "predictions.csv.gz"
TOP_K = 20  # mAP@20 (LAReQA) and MRR@20 (Mewsli-X): utils_lareqa / utils_mewslix, protocols.md §2.1
# Tatoeba: each language's sentences retrieve among that language's English translations (LASER pairs);
# LAReQA and Mewsli-X rank one candidate pool shared by all languages (XTREME-R).
PER_LANGUAGE_POOL = ("tatoeba",)
BOTH_DIRECTIONS = ("tatoeba",)


def cap(df: pd.DataFrame, max_items: int) -> pd.DataFrame:
    """First `max_items` test items per language in key order (deterministic)."""
    if not max_items:
        return df
    return df.sort_values(["language", "key"]).groupby("language", sort=False).head(max_items)


def check_supported(cfg, kind: str) -> None:
    if cfg.smoothing_samples:
        raise ValueError(f"smoothing_samples: smoothed prediction and certified radii are defined for classification "
                         f"heads only; this task is {kind} (set smoothing_samples: 0)")
    if cfg.generalized_languages:
        raise ValueError(f"generalized_languages needs a sentence-pair classification task; this task is {kind}")


def evaluate_task(run: Run, upstream: dict, task: str, kind: str, languages: list[str]) -> pd.DataFrame:
    cfg = run.config
    check_supported(cfg, kind)
    model, tokenizer, labels = load_model(Path(cfg.finetune_run) / upstream["artifacts"]["model"])
    model.to(compute_device())
    if kind != "retrieval" and labels != task_labels(task):
        raise ValueError(f"{cfg.finetune_run}: the model's labels {labels} do not match task {task!r}'s {task_labels(task)}")
    full = task_examples(task, "test", languages)
    extra = {}
    if kind == "retrieval":
        how = embedding_settings(model, cfg)
        extra["retrieval_embedding"] = vars(how)  # which tower, layer, pooling and lengths embedded the test set
        predictions, table, metric = _retrieval(model.encoder, tokenizer, task, full, cfg, how)
        headline = "score"
        original = full[full.role == "query"].language.value_counts()
        used_counts = predictions[predictions.direction == "x->en"].language.value_counts() \
            if task in BOTH_DIRECTIONS else predictions.language.value_counts()
    else:
        used = cap(full, cfg.max_test_items).reset_index(drop=True)
        up = upstream["config"]
        settings = SimpleNamespace(max_length=up["max_length"], qa_max_length=up.get("qa_max_length", 384),
                                   doc_stride=up.get("doc_stride", 128), n_best=cfg.n_best,
                                   max_answer_length=cfg.max_answer_length, batch_size=cfg.batch_size,
                                   precision=cfg.precision, mlqa=_metric(task) == "mlqa")
        h = handler(kind)
        predictions = h.predict(model, tokenizer, used, labels, settings, desc=f"{task}: {len(languages)} languages")
        table = _per_language(predictions, h, kind, cfg)
        metric, headline = h.metric, h.headline
        original, used_counts = full.language.value_counts(), used.language.value_counts()
    predictions.to_csv(run.dir / PREDICTIONS, index=False)
    run.finish(
        metrics={"metric": metric, "headline": headline,  # headline: the per-language key holding the metric
                 "per_language": {r["language"]: {k: _plain(k, v) for k, v in r.items() if k != "language"}
                                  for r in table.to_dict("records")},
                 "average": averages(table)},
        samples={"test": {lang: {"original": int(original.get(lang, 0)), "used": int(used_counts.get(lang, 0))}
                          for lang in languages}},
        artifacts={"predictions": PREDICTIONS},
        task=task, kind=kind,
        condition=upstream.get("condition"),
        finetune_seed=upstream["config"]["seed"],
        finetune_run=str(cfg.finetune_run),
        **extra,
    )
    return table


def _plain(key, value):
    if key == "n" or isinstance(value, (int, np.integer)):
        return int(value)
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else float(value)


def _metric(task: str) -> str | None:
    try:
        from .xtreme import XTREME_TASKS
    except ImportError:
        return None
    return XTREME_TASKS.get(task, {}).get("metric")


def _per_language(predictions: pd.DataFrame, h, kind: str, cfg) -> pd.DataFrame:
    rows = []
    for lang, g in predictions.groupby("language", sort=True):
        scores = h.score(g)
        items = h.item_score(g)
        lo, hi = bootstrap_mean_ci(items, n_boot=cfg.bootstrap_samples, seed=cfg.seed) if items is not None else (np.nan, np.nan)
        rows.append({"language": lang, **scores, "score": headline(kind, scores), "ci_low": lo, "ci_high": hi, "n": len(g)})
    return pd.DataFrame(rows)


def averages(table: pd.DataFrame, source: str = "en") -> dict:
    """Macro averages of `score` over languages, with and without the source language, saying which is which."""
    without = table[table.language != source].score.mean()
    return {"macro_score_including_english": float(table.score.mean()),
            "macro_score_excluding_english": float(without) if np.isfinite(without) else None,
            "languages": int(len(table)), "english_in_grid": bool((table.language == source).any())}


# ---------------------------------------------------------------- retrieval
def resolve_layer(layer: int, encoder) -> int:
    """-1 -> XTREME's middle layer n/2+1 (7 of 12, 13 of 24; protocols.md §2.1)."""
    return encoder.config.num_hidden_layers // 2 + 1 if layer == -1 else layer


def embedding_settings(model, cfg) -> SimpleNamespace:
    """How phase 3 embeds retrieval queries and candidates. A dual encoder trained in phase 2 (rxlt.heads.DualEncoder)
    embeds as it was trained: its last layer, its pooling, its query/candidate max lengths — as upstream evaluates
    the fine-tuned `*-retrieval` model through its own tower (xtreme@66367fa evaluate_retrieval.py
    extract_encodings, `inference=True`). Any other encoder (Tatoeba, or a SQuAD-QA encoder): the zero-shot
    `retrieval_layer` / `retrieval_pooling` / `retrieval_max_length` of the phase-3 config."""
    if getattr(model, "kind", "") == "retrieval":
        return SimpleNamespace(layer=0, pooling=model.pooling, query_length=model.query_length,
                               candidate_length=model.candidate_length, trained=True)
    return SimpleNamespace(layer=resolve_layer(cfg.retrieval_layer, model.encoder), pooling=cfg.retrieval_pooling,
                           query_length=cfg.retrieval_max_length, candidate_length=cfg.retrieval_max_length, trained=False)


def _embed(encoder, tokenizer, rows: pd.DataFrame, cfg, how: SimpleNamespace) -> np.ndarray:
    """Embed query or candidate rows: a LAReQA candidate is ONE string, sentence + context
    (rxlt.retrieval_pairs.candidate_strings, as xtreme@66367fa evaluate_retrieval.py builds it)."""
    from .retrieval_pairs import candidate_strings

    candidates = "role" in rows and (rows.role == "candidate").all()
    texts = candidate_strings(rows) if candidates else rows.text.astype(str).tolist()
    length = how.candidate_length if candidates else how.query_length
    return embed(encoder, tokenizer, texts, how.layer, how.pooling, length, cfg.batch_size, cfg.precision)


def score_queries(ranked: list[list[str]], targets: list) -> pd.DataFrame:
    """Per-query P@1, AP@20 and RR@20 (rxlt.metrics, as XTREME computes them; their means are the task scores)."""
    from .metrics import average_precision_at_k, mrr_at_k

    gold = golds(targets)
    return pd.DataFrame({"top1": [r[0] if r else "" for r in ranked],
                         "correct": [int(bool(r) and r[0] in g) for r, g in zip(ranked, gold)],
                         "ap_at_20": [average_precision_at_k(g, r, TOP_K) for r, g in zip(ranked, gold)],
                         "rr_at_20": [mrr_at_k([r], [g], TOP_K) for r, g in zip(ranked, gold)]})


def reverse_targets(queries: pd.DataFrame, candidates: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """en->x direction: the candidates become queries whose gold answers are the queries that named them."""
    named: dict[str, list[str]] = {}
    for key, target in zip(queries.key, queries.target):
        for t in str(target).split(";"):
            named.setdefault(t, []).append(str(key))
    rev = candidates[candidates.key.astype(str).isin(named)]
    return rev, [";".join(named[str(k)]) for k in rev.key]


def _retrieval(encoder, tokenizer, task: str, frame: pd.DataFrame, cfg, how: SimpleNamespace | None = None):
    how = how or SimpleNamespace(layer=resolve_layer(cfg.retrieval_layer, encoder), pooling=cfg.retrieval_pooling,
                                 query_length=cfg.retrieval_max_length, candidate_length=cfg.retrieval_max_length)
    queries_all = cap(frame[frame.role == "query"], cfg.max_test_items)
    pooled = task not in PER_LANGUAGE_POOL
    if pooled:
        pool = frame[frame.role == "candidate"].reset_index(drop=True)
        pool_emb = _embed(encoder, tokenizer, pool, cfg, how)
    parts, rows = [], []
    for lang, q in queries_all.groupby("language", sort=True):
        if pooled:
            cands, c_emb = pool, pool_emb
        else:
            cands = frame[(frame.role == "candidate") & (frame.language == lang)].reset_index(drop=True)
            c_emb = _embed(encoder, tokenizer, cands, cfg, how)
        q_emb = _embed(encoder, tokenizer, q, cfg, how)
        ranked = ranked_keys(q_emb, c_emb, cands.key.astype(str).tolist(), TOP_K)
        s = score_queries(ranked, q.target.tolist())
        parts.append(s.assign(language=lang, key=q.key.to_numpy(), direction="x->en", target=q.target.to_numpy()))
        row = {"language": lang, "accuracy": s.correct.mean(), "map_at_20": s.ap_at_20.mean(), "mrr_at_20": s.rr_at_20.mean()}
        if task in BOTH_DIRECTIONS:
            rev, rev_targets = reverse_targets(q, cands)
            r_emb = c_emb[rev.index.to_numpy()]
            r_ranked = ranked_keys(r_emb, q_emb, q.key.astype(str).tolist(), TOP_K)
            rs = score_queries(r_ranked, rev_targets)
            parts.append(rs.assign(language=lang, key=rev.key.to_numpy(), direction="en->x", target=rev_targets))
            row["accuracy_en_to_x"] = rs.correct.mean()
        metric = _metric(task) or "retrieval_accuracy"
        per_item = {"retrieval_accuracy": s.correct, "map_at_20": s.ap_at_20, "mrr_at_20": s.rr_at_20}[metric]
        lo, hi = bootstrap_mean_ci(per_item.to_numpy(dtype=float), n_boot=cfg.bootstrap_samples, seed=cfg.seed)
        row.update({"score": float(per_item.mean()), "ci_low": lo, "ci_high": hi, "n": len(q)})
        rows.append(row)
    return pd.concat(parts, ignore_index=True), pd.DataFrame(rows), _metric(task) or "retrieval_accuracy"
