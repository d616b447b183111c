"""Phase 3: zero-shot evaluation in every language, with bootstrap intervals and saved predictions.

Classification is scored here directly (accuracy per item, optional randomized-smoothing certification:
Cohen et al.'s CERTIFY, rxlt.scoring.smoothing); the other kinds —
multiple choice, tagging, QA and retrieval — give the same outputs: `predictions.csv.gz` (one row per test item / query) and
results.json with per-language metrics, sample counts and macro averages that say whether English is in
them. Each language's row holds the kind's metrics (rxlt.phases.kind_handlers, rxlt.scoring.metrics), `score` = the task's
headline metric (accuracy, seqeval F1, (EM+F1)/2, P@1 / mAP@20 / MRR@20 as XTREME-R reports it; Tatoeba's P@1 in
XTREME-R's direction, en->x, with x->en beside it) and a percentile-bootstrap 95% CI over items where the score is
a mean over items (not for seqeval F1, a corpus-level score: its CI is left empty). Tagging predictions are one
row per sentence with one predicted tag per word (long sentences are split into several token rows and put back
together, rxlt.features.tagging).
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import torch

from rxlt.data import catalog, cldr
from rxlt.data.kinds import task_kind
from rxlt.features.batching import encode_frame
from rxlt.features.prefix_cache import with_prefix
from rxlt.model.checkpoint import load_classifier, load_model
from rxlt.model.precision import compute_device
from rxlt.phases.kind_handlers import evaluation_languages, handler, headline, task_examples, task_labels
from rxlt.phases.rotation_evaluation import diagnostic_summary, evaluate_alignment, rotation_plan
from rxlt.phases.task_metrics import add_task_metric, task_metric
from rxlt.results import Run, read_results
from rxlt.scoring.retrieval import embed, golds, ranked_keys
from rxlt.scoring import smoothing as rs
from rxlt.stats.intervals import bootstrap_mean_ci
from rxlt.train.loop import predict_logits

PREDICTIONS = "predictions.csv.gz"
GENERALIZED = "generalized.csv"


def generalized_languages(cfg, available: list[str]) -> list[str]:
    """The languages of the generalized grid: those named, or with ['all'] every language with test items."""
    return list(available) if tuple(cfg.generalized_languages) == ("all",) else list(cfg.generalized_languages)


def evaluate_generalized(model, tokenizer, labels, task: str, cfg, max_length: int, languages=None) -> pd.DataFrame:
    """Accuracy on every ordered language pair (first sentence in A, second in B) of a parallel pair task —
    Robust-XLT's "generalized cross-lingual transfer" (49 PAWS-X / 225 XNLI pairs; protocols.md §1.4).

    uclanlp/Robust-XLT@175cddb89c4e86c7152d0175db8f824f7f4e6bad builds no pairs in code: its released data holds
    `test-<l1>-<l2>.tsv` files, and scripts/eval_generalized_{xnli,pawsx}.sh list every ordered pair, diagonal
    included, as `--predict_languages`; third_party/processors/{xnli,pawsx}.py read `{split}-{l1}-{l2}.tsv` with
    text_a = column 0, text_b = column 1, label = column 2 (the files themselves are not public code, so which
    side's label they carry could not be checked). Here a pair is built from the parallel items (same key): text from
    A's item, text_pair from B's, the label of A's item — the translations share it except PAWS-X's untranslated "NS"
    lines (tests/test_generalized_real.py). `max_test_items` caps each pair to the
    first items by key, the same items as the per-language cap, so the diagonal equals the plain per-language test."""
    languages = list(languages or cfg.generalized_languages)
    test = catalog.examples(task, "test", languages)
    by_language = {lg: g for lg, g in test.groupby("language", sort=False)}  # split once: 225 pairs reuse it
    index = {label: i for i, label in enumerate(labels)}
    rows = []
    for a in languages:
        for b in languages:
            both = pd.concat([by_language.get(a, test.iloc[:0]), by_language.get(b, test.iloc[:0])]) if a != b \
                else by_language.get(a, test.iloc[:0])
            pairs = cap(cldr.generalized_pairs(both, a, b), cfg.max_test_items).reset_index(drop=True)
            logits = predict_logits(model, encode_frame(tokenizer, pairs, index, max_length), cfg.batch_size, cfg.precision)
            correct = logits.argmax(-1) == pairs.label.map(index).to_numpy()
            rows.append({"first": a, "second": b, "accuracy": float(correct.mean()) if len(pairs) else float("nan"), "n": len(pairs)})
    return pd.DataFrame(rows)


def cap(df: pd.DataFrame, max_items: int) -> pd.DataFrame:
    """First `max_items` test items per language in key order (deterministic)."""
    if not max_items:
        return df
    return df.sort_values(["language", "key"]).groupby("language", sort=False).head(max_items)


def run_evaluation(run: Run) -> pd.DataFrame:
    cfg = run.config
    upstream = read_results(cfg.finetune_run)
    task = upstream["config"]["task"]
    kind = task_kind(task)
    if kind != "classification":  # multiple choice, tagging, QA, retrieval
        return evaluate_task(run, upstream, task, kind, _languages(cfg, task, evaluation_languages(task)))
    available = catalog.evaluation_languages(task)
    grid = generalized_languages(cfg, available)
    if grid:
        if "text_pair" not in catalog.examples(task, "test", [grid[0]]):
            raise ValueError(f"generalized_languages needs a sentence-pair task; {task!r} has single texts")
        missing = sorted(set(grid) - set(available))
        if missing:
            raise ValueError(f"generalized_languages {missing} have too few {task} test items")
    languages = _languages(cfg, task, available)
    plan = rotation_plan(cfg, task, languages)  # before the model loads: refuses a language short of parallel items
    full = catalog.examples(task, "test", languages)
    used = cap(full, cfg.max_test_items).reset_index(drop=True)
    index = {label: i for i, label in enumerate(catalog.labels(task))}  # checked against the model's below
    max_length = upstream["config"]["max_length"]
    keep = None
    if cfg.trim_vocabulary:  # only the rows of the texts evaluated here (the token cache re-serves them)
        from rxlt.model.vocabulary import token_ids

        frames = [used] + ([catalog.examples(task, "test", grid)] if grid else [])
        keep = lambda tok: token_ids(*(encode_frame(tok, f, index, max_length) for f in frames if len(f)),  # noqa: E731
                                     tokenizer=tok)
    model, tokenizer, labels = load_classifier(Path(cfg.finetune_run) / upstream["artifacts"]["model"], keep)
    model.to(compute_device())
    if labels != catalog.labels(task):  # a head trained on another label map would be scored wrongly
        raise ValueError(f"{cfg.finetune_run}: the model's labels {labels} do not match task {task!r}'s "
                         f"{catalog.labels(task)}")
    data = encode_frame(tokenizer, used, index, max_length)
    aligned = evaluate_alignment(model, tokenizer, used, data, cfg, upstream, max_length, plan, run.dir)
    # with frozen lower layers, their output per language comes from the cache the study's runs share
    logits = aligned.logits if aligned.logits is not None else predict_logits(
        model, with_prefix(model.encoder, data, cfg.batch_size, cfg.precision, groups=used.language.to_numpy()),
        cfg.batch_size, cfg.precision, desc=f"{task}: {len(languages)} languages")
    predictions = used.assign(prediction=[labels[i] for i in logits.argmax(-1)])
    predictions["correct"] = (predictions.prediction == predictions.label).astype(int)
    smoothing = {}
    if cfg.smoothing_samples:
        model_dir = Path(cfg.finetune_run) / upstream["artifacts"]["model"]
        smoothing = smooth_and_certify(model, tokenizer, data, predictions, labels, cfg, model_dir, upstream)
    predictions.to_csv(run.dir / PREDICTIONS, index=False)
    table = per_language_table(predictions, cfg.bootstrap_samples, cfg.seed, cfg.certify_radii)
    metric = task_metric(task)  # F1 (AfriSenti, NusaX) or nDCG (XGLUE WPR) instead of accuracy: rxlt.phases.task_metrics
    if metric != "accuracy":
        table = add_task_metric(table, predictions, logits, labels, metric, cfg.bootstrap_samples, cfg.seed)
    generalized = None
    if cfg.generalized_languages:
        generalized = evaluate_generalized(model, tokenizer, labels, task, cfg, max_length, grid)
        generalized.to_csv(run.dir / GENERALIZED, index=False)
    original = full.language.value_counts()
    run.finish(
        metrics={
            "metric": metric, **({"headline": metric, "score_average": score_averages(table)} if metric != "accuracy" else {}),
            "per_language": {row["language"]: {k: (int(v) if k == "n" else float(v)) for k, v in row.items() if k != "language"}
                             for row in table.to_dict("records")},
            "average": averages(table),
            **({"smoothing": smoothing} if smoothing else {}),
            **({"alignment_diagnostic": diagnostic_summary(aligned.diagnostic)} if aligned.diagnostic is not None else {}),
            **({"generalized": {f"{r.first}-{r.second}": {"accuracy": float(r.accuracy), "n": int(r.n)}
                                for r in generalized.itertuples()}} if generalized is not None else {}),
        },
        samples={"test": {lang: {"original": int(original[lang]), "used": int((used.language == lang).sum())} for lang in languages}},
        artifacts={"predictions": PREDICTIONS, **({"generalized": GENERALIZED} if generalized is not None else {}),
                   **aligned.artifacts},
        task=task,
        condition=aligned.condition,
        finetune_seed=upstream["config"]["seed"],
        finetune_run=str(cfg.finetune_run),
        **({"alignment": aligned.record} if aligned.record else {}),
    )
    return table


def smooth_and_certify(model, tokenizer, data, predictions: pd.DataFrame, labels, cfg, model_dir: Path,
                       upstream: dict) -> dict:
    """Cohen et al.'s CERTIFY for every item (rxlt.scoring.smoothing): adds smoothed_prediction ('' = abstain),
    smoothed_correct, certified_radius (absolute, in the item's embedding space) and radius_in_sigma columns;
    returns the run's smoothing record. σ = smoothing_sigma × the English training embedding RMS stored with the
    model (recomputed the same way for a model saved before it was stored)."""
    scale = rs.read_embedding_scale(model_dir)
    if scale is None:
        if cfg.trim_vocabulary:
            raise ValueError(f"{model_dir}: no {rs.EMBEDDING_SCALE_FILE} (a model fine-tuned before it was stored), and "
                             f"trim_vocabulary drops the English training rows it would be recomputed from: set "
                             f"trim_vocabulary: false or fine-tune again")
        from rxlt.data.catalog import training_task
        from rxlt.phases.english_training import english

        trained = upstream.get("trained_task") or training_task(upstream["config"]["task"])
        rows = english(trained, "train")
        rms, tokens = rs.embedding_rms(model, encode_frame(tokenizer, rows, {l: i for i, l in enumerate(labels)},
                                                           upstream["config"]["max_length"]))
        scale = {"embedding_rms": rms, "tokens": tokens,
                 "source": f"English {trained} train, recomputed at evaluation (the model predates {rs.EMBEDDING_SCALE_FILE})"}
    sigma = cfg.smoothing_sigma * scale["embedding_rms"]
    gen = torch.Generator(device="cpu").manual_seed(cfg.seed)  # selection draws, then estimation draws
    selection = rs.smoothed_votes(model, data, cfg.smoothing_selection_samples, sigma, cfg.batch_size, cfg.precision, gen)
    estimation = rs.smoothed_votes(model, data, cfg.smoothing_samples, sigma, cfg.batch_size, cfg.precision, gen)
    top, radius = rs.certify(selection, estimation, sigma, cfg.certify_alpha)
    predictions["smoothed_prediction"] = [labels[i] if i != rs.ABSTAIN else "" for i in top]
    predictions["smoothed_correct"] = (predictions.smoothed_prediction == predictions.label).astype(int)
    predictions["certified_radius"] = radius
    predictions["radius_in_sigma"] = radius / sigma if sigma > 0 else 0.0
    return {"selection_samples": cfg.smoothing_selection_samples, "estimation_samples": cfg.smoothing_samples,
            "sigma_relative": cfg.smoothing_sigma, "sigma_absolute": sigma, "embedding_rms": scale["embedding_rms"],
            "embedding_rms_source": scale["source"], "embedding_rms_tokens": scale["tokens"],
            "alpha": cfg.certify_alpha, "radii_in_sigma": list(cfg.certify_radii), "guarantee": rs.GUARANTEE,
            "reference": "Cohen et al. 2019 CERTIFY (locuslab/smoothing@78a4d94 code/core.py)"}


def smoothing_row(g: pd.DataFrame, radii) -> dict:
    """Per-language smoothing metrics: smoothed accuracy (abstentions wrong), abstention rate, certified accuracy
    at each radius r·σ, and E[R·1(correct)] (absolute and in units of σ)."""
    correct = g.smoothed_correct.to_numpy().astype(bool)
    at = rs.certified_accuracy(correct, g.radius_in_sigma.to_numpy(), 1.0, radii)
    return {"smoothed_accuracy": float(correct.mean()), "abstained": float((g.smoothed_prediction == "").mean()),
            **{f"certified_accuracy_at_{r}sigma": v for r, v in at.items()},
            "mean_correct_radius": rs.mean_correct_radius(correct, g.certified_radius.to_numpy()),
            "mean_correct_radius_in_sigma": rs.mean_correct_radius(correct, g.radius_in_sigma.to_numpy())}


def _languages(cfg, task: str, available: list[str]) -> list[str]:
    if tuple(cfg.languages) == ("all",):
        return list(available)
    missing = sorted(set(cfg.languages) - set(available))
    if missing:
        raise ValueError(f"languages {missing} have fewer than the task's minimum test items for {task!r}; "
                         f"{len(available)} languages qualify")
    return list(cfg.languages)


def per_language_table(predictions: pd.DataFrame, n_boot: int, seed: int, certify_radii=(0.0,)) -> pd.DataFrame:
    rows = []
    for lang, g in predictions.groupby("language", sort=True):
        lo, hi = bootstrap_mean_ci(g.correct.to_numpy(), n_boot=n_boot, seed=seed)
        row = {"language": lang, "accuracy": g.correct.mean(), "ci_low": lo, "ci_high": hi, "n": len(g)}
        if "smoothed_correct" in g:
            row.update(smoothing_row(g, certify_radii))
        rows.append(row)
    return pd.DataFrame(rows)


def averages(table: pd.DataFrame, source: str = catalog.SOURCE_LANGUAGE) -> dict:
    """Macro averages over languages, with and without the source language, saying which is which."""
    with_src = table.accuracy.mean()
    without = table[table.language != source].accuracy.mean()
    return {
        "macro_accuracy_including_english": float(with_src),
        "macro_accuracy_excluding_english": float(without) if np.isfinite(without) else None,
        "languages": int(len(table)),
        "english_in_grid": bool((table.language == source).any()),
    }


# ---------------------------------------------------------------- multiple choice, tagging, QA, retrieval




TOP_K = 20  # mAP@20 (LAReQA) and MRR@20 (Mewsli-X): utils_lareqa / utils_mewslix, protocols.md §2.1
# Tatoeba: each language's sentences retrieve among that language's English translations (LASER pairs);
# LAReQA and Mewsli-X rank one candidate pool shared by all languages (XTREME-R).
PER_LANGUAGE_POOL = ("tatoeba",)
# Tasks scored in both directions, and the direction of their headline score. Tatoeba's is en->x:
# google-research/xtreme@838c13b69daafb9328785d16caae2711e4012123 third_party/evaluate_retrieval.py (task tatoeba)
# embeds x = the non-English file (`--src_language`), y = the English one (`--tgt_language en`, run_tatoeba.sh), and
# third_party/utils_retrieve.py `similarity_search(x, y)` does `idx.add(x)`, `idx.search(y, 1)`: the index holds
# the x sentences and every English sentence queries it; one prediction per English line, scored by
# evaluate.py `accuracy` against the gold x line. The other direction (x queries the English side) is reported
# as `accuracy_x_to_en` (rows `direction == "x->en"` in predictions.csv.gz).
HEADLINE_DIRECTION = {"tatoeba": "en->x"}
BOTH_DIRECTIONS = tuple(HEADLINE_DIRECTION)



def check_supported(cfg, kind: str) -> None:
    if cfg.smoothing_samples:
        raise ValueError(f"smoothing_samples: smoothed prediction and certified radii are defined for classification "
                         f"heads only; this task is {kind} (set smoothing_samples: 0)")
    if cfg.generalized_languages:
        raise ValueError(f"generalized_languages needs a sentence-pair classification task; this task is {kind}")
    if cfg.rotation_sentences or cfg.alignment_diagnostic:
        raise ValueError(f"rotation_sentences and alignment_diagnostic read a classification head's pooled inputs; "
                         f"this task is {kind} (set rotation_sentences: 0, alignment_diagnostic: false)")


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
        how = embedding_settings(model, cfg, task)
        # which tower, layer, pooling and lengths embedded the test set, and the direction of the headline score
        extra["retrieval_embedding"] = {**vars(how), **({"headline_direction": HEADLINE_DIRECTION[task]}
                                                         if task in HEADLINE_DIRECTION else {})}
        predictions, table, metric = _retrieval(model.encoder, tokenizer, task, full, cfg, how)
        headline = "score"
        original = full[full.role == "query"].language.value_counts()
        used_counts = predictions[predictions.direction == HEADLINE_DIRECTION.get(task, "x->en")].language.value_counts()
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
                 "average": score_averages(table)},
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
        from rxlt.data.xtreme_tasks import XTREME_TASKS
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


def score_averages(table: pd.DataFrame, source: str = "en") -> dict:
    """Macro averages of `score` over languages, with and without the source language, saying which is which."""
    without = table[table.language != source].score.mean()
    return {"macro_score_including_english": float(table.score.mean()),
            "macro_score_excluding_english": float(without) if np.isfinite(without) else None,
            "languages": int(len(table)), "english_in_grid": bool((table.language == source).any())}


# ---------------------------------------------------------------- retrieval
# Which transformer layer XTREME pools for Tatoeba, as a HF `hidden_states` index (0 = the embedding output, k = the
# output of layer k). google-research/xtreme@838c13b69daafb9328785d16caae2711e4012123 scripts/run_tatoeba.sh passes
# `--specific_layer 7 --num_layers 12` (mBERT) and `--specific_layer 13 --num_layers 24` (XLM-R large), and
# third_party/evaluate_retrieval.py extract_embeddings keeps `all_layer_outputs[-args.num_layers:]` — the last
# num_layers hidden states, i.e. the embedding output dropped — then takes index specific_layer of that list:
# the output of layer 8 of 12 / 14 of 24 (hidden_states[8] / [14]). Either way round of transformers' convention
# (with or without the embedding output in the tuple), index 7 of the last 12 is layer 8.
XTREME_RETRIEVAL_LAYER = {12: 8, 24: 14}
# Tokens per sentence where phase 3's retrieval_max_length is 0: run_tatoeba.sh@838c13b `MAXL=512`
# (`--max_seq_length $MAXL`); evaluate_retrieval.py@838c13b's argparse default (128) for tasks without a script value.
RETRIEVAL_MAX_LENGTH = {"tatoeba": 512}
DEFAULT_RETRIEVAL_MAX_LENGTH = 128


def resolve_layer(layer: int, encoder) -> int:
    """retrieval_layer -> a `hidden_states` index (rxlt.scoring.retrieval.embed: 0 = last, k = output of layer k).

    -1 = XTREME's layer: 8 of 12, 14 of 24 (XTREME_RETRIEVAL_LAYER). Upstream defines no other depth; for those
    (e.g. an encoder cut with `encoder_layers`) -1 keeps the same place, two past the middle: n//2 + 2, at most n."""
    if layer != -1:
        return layer
    n = encoder.config.num_hidden_layers
    return XTREME_RETRIEVAL_LAYER.get(n, min(n, n // 2 + 2))


def retrieval_max_length(cfg, task: str | None) -> int:
    """Tokens per retrieval sentence/candidate: the config's value, or (0) the task's upstream length."""
    return cfg.retrieval_max_length or RETRIEVAL_MAX_LENGTH.get(task, DEFAULT_RETRIEVAL_MAX_LENGTH)


def embedding_settings(model, cfg, task: str | None = None) -> SimpleNamespace:
    """How phase 3 embeds retrieval queries and candidates. A dual encoder trained in phase 2 (rxlt.model.heads.DualEncoder)
    embeds as it was trained: its last layer, its pooling, its query/candidate max lengths — as upstream evaluates
    the fine-tuned `*-retrieval` model through its own tower (xtreme@66367fa evaluate_retrieval.py
    extract_encodings, `inference=True`). Any other encoder (Tatoeba, or a SQuAD-QA encoder): the zero-shot
    `retrieval_layer` / `retrieval_pooling` / `retrieval_max_length` of the phase-3 config (-1 and 0 = the
    upstream layer and length of `task`)."""
    if getattr(model, "kind", "") == "retrieval":
        return SimpleNamespace(layer=0, pooling=model.pooling, query_length=model.query_length,
                               candidate_length=model.candidate_length, trained=True)
    length = retrieval_max_length(cfg, task)
    return SimpleNamespace(layer=resolve_layer(cfg.retrieval_layer, model.encoder), pooling=cfg.retrieval_pooling,
                           query_length=length, candidate_length=length, trained=False)


def _embed(encoder, tokenizer, rows: pd.DataFrame, cfg, how: SimpleNamespace) -> np.ndarray:
    """Embed query or candidate rows: a LAReQA candidate is ONE string, sentence + context
    (rxlt.data.retrieval_pairs.candidate_strings, as xtreme@66367fa evaluate_retrieval.py builds it)."""
    from rxlt.data.retrieval_pairs import candidate_strings

    candidates = "role" in rows and (rows.role == "candidate").all()
    texts = candidate_strings(rows) if candidates else rows.text.astype(str).tolist()
    length = how.candidate_length if candidates else how.query_length
    return embed(encoder, tokenizer, texts, how.layer, how.pooling, length, cfg.batch_size, cfg.precision)


def score_queries(ranked: list[list[str]], targets: list) -> pd.DataFrame:
    """Per-query P@1, AP@20 and RR@20 (rxlt.scoring.metrics, as XTREME computes them; their means are the task scores)."""
    from rxlt.scoring.metrics import average_precision_at_k, mrr_at_k

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
    """(predictions, per-language table, metric). Rows of `frame` with role "query" are the x side (for Tatoeba:
    the non-English sentences, target = the English line they translate), "candidate" the other side.

    Tasks in BOTH_DIRECTIONS are scored both ways; the table's accuracy / map_at_20 / mrr_at_20 / score / CI / n
    are those of HEADLINE_DIRECTION (Tatoeba: en->x, as XTREME-R) and the other direction's accuracy is
    `accuracy_x_to_en`. With max_test_items, a per-language pool keeps only the capped queries' own candidates,
    so both directions search the same N pairs."""
    how = how or embedding_settings(SimpleNamespace(encoder=encoder), cfg, task)
    queries_all = cap(frame[frame.role == "query"], cfg.max_test_items)
    pooled = task not in PER_LANGUAGE_POOL
    if pooled:
        pool = frame[frame.role == "candidate"].reset_index(drop=True)
        pool_emb = _embed(encoder, tokenizer, pool, cfg, how)
    main = HEADLINE_DIRECTION.get(task, "x->en")
    metric = _metric(task) or "retrieval_accuracy"
    parts, rows = [], []
    for lang, q in queries_all.groupby("language", sort=True):
        q = q.reset_index(drop=True)
        if pooled:
            cands, c_emb = pool, pool_emb
        else:
            cands = frame[(frame.role == "candidate") & (frame.language == lang)]
            if cfg.max_test_items:
                cands = cands[cands.key.astype(str).isin({t for x in q.target for t in str(x).split(";")})]
            cands = cands.reset_index(drop=True)
            c_emb = _embed(encoder, tokenizer, cands, cfg, how)
        q_emb = _embed(encoder, tokenizer, q, cfg, how)
        scored = {}
        ranked = ranked_keys(q_emb, c_emb, cands.key.astype(str).tolist(), TOP_K)  # x queries the other side
        scored["x->en"] = (score_queries(ranked, q.target.tolist()), q.key.to_numpy(), q.target.to_numpy())
        if task in BOTH_DIRECTIONS:  # the other side queries the x sentences
            rev, rev_targets = reverse_targets(q, cands)
            r_ranked = ranked_keys(c_emb[rev.index.to_numpy()], q_emb, q.key.astype(str).tolist(), TOP_K)
            scored["en->x"] = (score_queries(r_ranked, rev_targets), rev.key.to_numpy(), np.asarray(rev_targets, dtype=object))
        for direction, (s, keys, targets) in scored.items():
            parts.append(s.assign(language=lang, key=keys, direction=direction, target=targets))
        s = scored[main][0]
        row = {"language": lang, "accuracy": s.correct.mean(), "map_at_20": s.ap_at_20.mean(), "mrr_at_20": s.rr_at_20.mean()}
        if task in BOTH_DIRECTIONS:
            other = next(d for d in scored if d != main)
            row[f"accuracy_{other.replace('->', '_to_')}"] = scored[other][0].correct.mean()
        per_item = {"retrieval_accuracy": s.correct, "map_at_20": s.ap_at_20, "mrr_at_20": s.rr_at_20}[metric]
        lo, hi = bootstrap_mean_ci(per_item.to_numpy(dtype=float), n_boot=cfg.bootstrap_samples, seed=cfg.seed)
        row.update({"score": float(per_item.mean()), "ci_low": lo, "ci_high": hi, "n": len(s)})
        rows.append(row)
    return pd.concat(parts, ignore_index=True), pd.DataFrame(rows), metric
