"""XTREME-R metrics, computed exactly as google-research/xtreme scores them; every score is in [0, 1].

References, read through the code index (google-research/xtreme@838c13b69daafb9328785d16caae2711e4012123
unless noted):
- accuracy: evaluate.py `accuracy` (correct / number of predictions); xnli, pawsx, xcopa, and tatoeba, where it
  compares predicted with gold line indices in the en->x direction: third_party/evaluate_retrieval.py (task
  tatoeba) passes x = the non-English embeddings and y = the English ones to third_party/utils_retrieve.py
  `similarity_search`, which indexes x (`idx.add(x)`) and searches it with y (`idx.search(y, 1)`): one predicted
  x line per English line (rxlt.phases.evaluate.HEADLINE_DIRECTION; x->en is reported beside it).
- seqeval_f1: evaluate.py `f1` = `seqeval.metrics.f1_score` (seqeval 1.2, default non-strict mode, micro
  average) for both panx (IOB2 tags) and udpos (plain UPOS tags, which seqeval reads as chunk prefix = first
  character, type = the rest: runs of an identical tag merge into one "entity"; tags starting with S end a
  chunk at once). Reimplemented here so seqeval is only a test-time reference.
- squad: third_party/evaluate_squad.py = allenai/bi-att-flow@a315bc8888fe11180703ff471e398c4841177ba8
  squad/evaluate-v1.1.py (what download_data.sh fetched; the xtreme copy was read in the fork
  NicholasCao/xtreme@9a76687f1192ed5b4ae7e0324a24db1a46d9077a, the upstream file is not in the index):
  lower-case, strip ASCII punctuation and English articles, whitespace-normalise; EM / token F1, max over gold
  answers, mean over *gold* questions (an unanswered question scores 0).
- mlqa: facebookresearch/MLQA@5ef5c731a96acb7008b51aac4acb5fa9dff4f297 mlqa_evaluation_v1.py (evaluate.py's
  third_party/evaluate_mlqa.py): Unicode punctuation, per-language articles, Chinese split per character;
  other languages than en es hi vi de ar zh are refused, as it does.
- (EM + F1) / 2: evaluate.py `avg_metric` for the qa group.
- mrr_at_k: third_party/utils_mewslix.py@66367fa `evaluate` / `mean_reciprocal_rank` (gold = one id;
  predictions cut at k = TOP_K = 20; a missing prediction list scores 0); evaluate.py `mewslix_map20` reports
  it as "map@20".
- map_at_k: third_party/utils_lareqa.py@e23cf42f44512fd62ad6a890d8b6bbaabeda9957 `average_precision_at_k` /
  `mean_avg_prec_at_k` (k = 20 in evaluate_retrieval.py): the targets are every candidate of the question's
  xling id, in every language.

Metrics of the XGLUE and low-resource suites (rxlt.data.xglue_tasks, rxlt.data.lowres_tasks), re-expressed from the
scikit-learn functions their official scripts call (scikit-learn is not a dependency):
- ndcg: microsoft/XGLUE@e417c4c53088d9685c177085ada172fcc793e42e evaluation/xglue_evaluate.py `simple_ndcg` (WPR):
  per query `sklearn.metrics.ndcg_score([labels], [predictions])` with its defaults — k = None (all documents),
  gain = the rating itself (linear, not 2^rel - 1), discount 1/log2(rank + 1), ignore_ties=False: documents with tied
  scores share the mean of their gains over the positions they occupy (McSherry & Najork 2008; = the mean DCG over
  every order of the tie), ideal DCG from the ratings sorted, a query whose ratings are all 0 scores 0; queries with
  fewer than 2 documents are skipped; the language score is the plain mean over queries.
- weighted_f1 / macro_f1: `sklearn.metrics.f1_score(average="weighted" | "macro")` over the labels present in gold
  or predictions (sklearn's unique_labels), a class's F1 = 2 TP / (2 TP + FP + FN); macro = unweighted mean,
  weighted = mean weighted by gold support. AfriSenti (afrisent-semeval-2023@5aec3cf evaluation_script/evaluation.py,
  weighted) and NusaX (IndoNLP/nusax@75b0be5 the baseline notebook, macro).
"""
from __future__ import annotations

import re
import string
import sys
import unicodedata
from collections import Counter


def accuracy(pred, gold) -> float:
    pred, gold = list(pred), list(gold)
    if len(pred) != len(gold):
        raise ValueError(f"{len(pred)} predictions for {len(gold)} gold labels")
    if not pred:
        raise ValueError("accuracy of no items is undefined")
    return sum(p == g for p, g in zip(pred, gold)) / len(pred)


# ---- seqeval (seqeval/metrics/sequence_labeling.py, 1.2.2, default mode) ----

def _end_of_chunk(prev_tag, tag, prev_type, type_) -> bool:
    return (prev_tag in ("E", "S")
            or (prev_tag in ("B", "I") and tag in ("B", "S", "O"))
            or (prev_tag not in ("O", ".") and prev_type != type_))


def _start_of_chunk(prev_tag, tag, prev_type, type_) -> bool:
    return (tag in ("B", "S")
            or (prev_tag in ("E", "S", "O") and tag in ("E", "I"))
            or (tag not in ("O", ".") and prev_type != type_))


def entities(tags: list[str]) -> list[tuple[str, int, int]]:
    """(type, start, end) chunks of one flat tag sequence, as seqeval.get_entities reads them."""
    chunks, prev_tag, prev_type, begin = [], "O", "", 0
    for i, chunk in enumerate(list(tags) + ["O"]):
        tag, type_ = chunk[0], chunk[1:].split("-", maxsplit=1)[-1] or "_"
        if _end_of_chunk(prev_tag, tag, prev_type, type_):
            chunks.append((prev_type, begin, i - 1))
        if _start_of_chunk(prev_tag, tag, prev_type, type_):
            begin = i
        prev_tag, prev_type = tag, type_
    return chunks


def seqeval_f1(pred_tags: list[list[str]], gold_tags: list[list[str]]) -> float:
    """Micro chunk F1 with sentences joined by an "O" (seqeval flattens nested lists that way)."""
    if len(pred_tags) != len(gold_tags):
        raise ValueError(f"{len(pred_tags)} predicted sentences for {len(gold_tags)} gold sentences")
    for i, (p, g) in enumerate(zip(pred_tags, gold_tags)):
        if len(p) != len(g):
            raise ValueError(f"sentence {i}: {len(p)} predicted tags for {len(g)} gold tags")
    flat = lambda seqs: [t for s in seqs for t in list(s) + ["O"]]  # noqa: E731
    pred, gold = set(entities(flat(pred_tags))), set(entities(flat(gold_tags)))
    if not pred or not gold:
        return 0.0
    correct = len(pred & gold)
    return 2 * correct / (len(pred) + len(gold))


# ---- SQuAD v1.1 and MLQA ----

def _squad_normalize(s: str) -> str:
    s = "".join(ch for ch in s.lower() if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


PUNCT = {chr(i) for i in range(sys.maxunicode) if unicodedata.category(chr(i)).startswith("P")} | set(string.punctuation)
MLQA_ARTICLES = {  # evaluate_mlqa.py remove_articles; hi and zh have none
    "en": r"\b(a|an|the)\b", "es": r"\b(un|una|unos|unas|el|la|los|las)\b", "hi": None,
    "vi": r"\b(của|là|cái|chiếc|những)\b", "de": r"\b(ein|eine|einen|einem|eines|einer|der|die|das|den|dem|des)\b",
    "ar": r"\sال^|ال", "zh": None,
}


def _mixed_segmentation(text: str) -> list[str]:
    out, buf = [], ""
    for ch in text:
        if re.search(r"[\u4e00-\u9fa5]", ch) or ch in PUNCT:
            out.extend(buf.split())
            buf = ""
            out.append(ch)
        else:
            buf += ch
    return out + buf.split()


def _mlqa_normalize(s: str, language: str) -> str:
    if language not in MLQA_ARTICLES:
        raise ValueError(f"MLQA normalisation is defined for {sorted(MLQA_ARTICLES)}, not {language!r}")
    s = "".join(ch for ch in s.lower() if ch not in PUNCT)
    if MLQA_ARTICLES[language]:
        s = re.sub(MLQA_ARTICLES[language], " ", s)
    tokens = _mixed_segmentation(s) if language == "zh" else s.split()
    return " ".join(t for t in tokens if t.strip())


def _f1(pred_tokens: list[str], gold_tokens: list[str]) -> float:
    same = sum((Counter(pred_tokens) & Counter(gold_tokens)).values())
    if same == 0:
        return 0.0
    p, r = same / len(pred_tokens), same / len(gold_tokens)
    return 2 * p * r / (p + r)


def squad_scores(predictions: dict, answers: dict, language: str | None = None) -> dict:
    """{"exact_match", "f1"} over the questions of `answers` (id -> gold texts); a question without a
    prediction scores 0. `language` given → MLQA normalisation for that language."""
    if not answers:
        raise ValueError("no gold questions to score")
    norm = (lambda s: _mlqa_normalize(s, language)) if language else _squad_normalize
    em = f1 = 0.0
    for qid, golds in answers.items():
        if qid not in predictions:
            continue
        p = norm(predictions[qid])
        golds_n = [norm(g) for g in golds]
        em += max(float(p == g) for g in golds_n)
        f1 += max(_f1(p.split(), g.split()) for g in golds_n)
    return {"exact_match": em / len(answers), "f1": f1 / len(answers)}


def qa_score(scores: dict) -> float:
    """evaluate.py avg_metric for the qa group: (EM + F1) / 2."""
    return (scores["exact_match"] + scores["f1"]) / 2


# ---- retrieval ----

def retrieval_accuracy(ranked: list[list[str]], targets: list) -> float:
    """Share of queries whose top-ranked candidate is a correct one (Tatoeba P@1)."""
    _check(ranked, targets)
    return sum(bool(r) and r[0] in _as_set(t) for r, t in zip(ranked, targets)) / len(targets)


def mrr_at_k(ranked: list[list[str]], targets: list, k: int = 20) -> float:
    """utils_mewslix.evaluate: 1/rank of the first correct id in the top k, 0 if absent; mean over queries."""
    _check(ranked, targets)
    total = 0.0
    for r, t in zip(ranked, targets):
        gold = _as_set(t)
        total += next((1.0 / i for i, c in enumerate(r[:k], start=1) if c in gold), 0.0)
    return total / len(targets)


def average_precision_at_k(targets, ranked: list[str], k: int | None = 20) -> float:
    """utils_lareqa.average_precision_at_k: sum of precision at each new hit in the top k, divided by
    min(#targets, k)."""
    targets = _as_set(targets)
    ranked = list(ranked[:k]) if k else list(ranked)
    score = hits = 0.0
    for i, c in enumerate(ranked):
        if c in targets and c not in ranked[:i]:
            hits += 1.0
            score += hits / (i + 1.0)
    return score / (min(len(targets), k) if k else len(targets))


def map_at_k(ranked: list[list[str]], targets: list, k: int = 20) -> float:
    _check(ranked, targets)
    return sum(average_precision_at_k(t, r, k) for r, t in zip(ranked, targets)) / len(targets)


def _as_set(t) -> set:
    return set(t.split(";")) if isinstance(t, str) else set(t)


def _check(ranked, targets) -> None:
    if len(ranked) != len(targets):
        _length_error(ranked, targets)
    if not targets:
        raise ValueError("no queries to score")


def _length_error(ranked, targets):
    raise ValueError(f"{len(ranked)} rankings for {len(targets)} queries")


# ---- ranking (XGLUE WPR) and class-averaged F1 ----

def _discounts(n: int, k: int | None) -> list[float]:
    import math

    return [1.0 / math.log2(i + 2) if k is None or i < k else 0.0 for i in range(n)]


def dcg(gains, scores, k: int | None = None, ignore_ties: bool = False) -> float:
    """sklearn.metrics._ranking._dcg_sample_scores for one query: gains ranked by descending score; tied scores
    share their mean gain over the positions they span (ignore_ties=False), else a plain descending sort."""
    gains, scores = [float(g) for g in gains], [float(s) for s in scores]
    if len(gains) != len(scores):
        raise ValueError(f"{len(scores)} scores for {len(gains)} gains")
    disc = _discounts(len(gains), k)
    if ignore_ties:  # sklearn: np.argsort(y_score)[:, ::-1] (the order among ties is numpy's, as there)
        import numpy as np

        order = np.argsort(np.asarray(scores))[::-1]
        return sum(d * gains[i] for d, i in zip(disc, order))
    total, start = 0.0, 0
    for s in sorted(set(scores), reverse=True):
        members = [g for g, sc in zip(gains, scores) if sc == s]
        total += sum(members) / len(members) * sum(disc[start:start + len(members)])
        start += len(members)
    return total


def ndcg_score(gains, scores, k: int | None = None, ignore_ties: bool = False) -> float:
    """sklearn.metrics.ndcg_score for one query (defaults as XGLUE calls it); 0 when every gain is 0."""
    ideal = dcg(gains, gains, k, ignore_ties=True)
    return 0.0 if ideal == 0 else dcg(gains, scores, k, ignore_ties) / ideal


def ndcg(groups, gains, scores, k: int | None = None) -> dict:
    """xglue_evaluate.py simple_ndcg: nDCG per query group (groups of fewer than 2 documents skipped), mean over
    queries. Returns {"ndcg", "queries" (scored), "skipped" (single-document queries), "per_query"}."""
    groups, gains, scores = list(groups), list(gains), list(scores)
    if not len(groups) == len(gains) == len(scores):
        raise ValueError(f"{len(groups)} groups, {len(gains)} gains and {len(scores)} scores: expected one each per document")
    by: dict = {}
    for g, y, s in zip(groups, gains, scores):
        by.setdefault(g, ([], []))
        by[g][0].append(y)
        by[g][1].append(s)
    per_query = {g: ndcg_score(y, s, k) for g, (y, s) in by.items() if len(y) >= 2}
    if not per_query:
        raise ValueError("nDCG needs at least one query with 2 or more documents")
    return {"ndcg": sum(per_query.values()) / len(per_query), "queries": len(per_query),
            "skipped": len(by) - len(per_query), "per_query": per_query}


def class_f1(pred, gold) -> dict:
    """{label: (F1, gold support)} over sklearn's label set (every label in gold or predictions)."""
    pred, gold = list(pred), list(gold)
    if len(pred) != len(gold):
        raise ValueError(f"{len(pred)} predictions for {len(gold)} gold labels")
    if not gold:
        raise ValueError("F1 of no items is undefined")
    out = {}
    for label in sorted(set(gold) | set(pred), key=str):
        tp = sum(p == g == label for p, g in zip(pred, gold))
        fp = sum(p == label != g for p, g in zip(pred, gold))
        fn = sum(g == label != p for p, g in zip(pred, gold))
        out[label] = (2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0, tp + fn)
    return out


def macro_f1(pred, gold) -> float:
    per = class_f1(pred, gold)
    return sum(f for f, _ in per.values()) / len(per)


def weighted_f1(pred, gold) -> float:
    per = class_f1(pred, gold)
    support = sum(n for _, n in per.values())
    return sum(f * n for f, n in per.values()) / support
