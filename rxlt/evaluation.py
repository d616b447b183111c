"""Phase 3: zero-shot evaluation in every language, with bootstrap intervals and saved predictions."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import cldr, taskdata
from .batching import encode_frame
from .heads import task_kind
from .modeling import load_classifier
from .results import Run, read_results
from .smoothing import certified_radius, embedding_rms, smoothed_votes
from .stats import bootstrap_mean_ci
from .training import compute_device, predict_logits

PREDICTIONS = "predictions.csv.gz"
GENERALIZED = "generalized.csv"


def evaluate_generalized(model, tokenizer, labels, task: str, cfg, max_length: int) -> pd.DataFrame:
    """Accuracy on every ordered language pair (first sentence in A, second in B) of a parallel pair task —
    Robust-XLT's "generalized cross-lingual transfer" (49 PAWS-X / 225 XNLI pairs; protocols.md §1.4)."""
    test = taskdata.examples(task, "test", cfg.generalized_languages)
    index = {label: i for i, label in enumerate(labels)}
    rows = []
    for a in cfg.generalized_languages:
        for b in cfg.generalized_languages:
            pairs = cldr.generalized_pairs(test, a, b)
            logits = predict_logits(model, encode_frame(tokenizer, pairs, index, max_length), cfg.batch_size, cfg.precision)
            correct = logits.argmax(-1) == pairs.label.map(index).to_numpy()
            rows.append({"first": a, "second": b, "accuracy": float(correct.mean()) if len(pairs) else float("nan"), "n": len(pairs)})
    return pd.DataFrame(rows)


def _cap(df: pd.DataFrame, max_items: int) -> pd.DataFrame:
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
        from .task_evaluation import evaluate_task
        from .task_kinds import evaluation_languages

        return evaluate_task(run, upstream, task, kind, _languages(cfg, task, evaluation_languages(task)))
    available = taskdata.evaluation_languages(task)
    if cfg.generalized_languages:
        if "text_pair" not in taskdata.examples(task, "test", [taskdata.SOURCE_LANGUAGE]):
            raise ValueError(f"generalized_languages needs a sentence-pair task; {task!r} has single texts")
        missing = sorted(set(cfg.generalized_languages) - set(available))
        if missing:
            raise ValueError(f"generalized_languages {missing} have too few {task} test items")
    languages = _languages(cfg, task, available)
    full = taskdata.examples(task, "test", languages)
    used = _cap(full, cfg.max_test_items).reset_index(drop=True)
    index = {label: i for i, label in enumerate(taskdata.labels(task))}  # checked against the model's below
    max_length = upstream["config"]["max_length"]
    keep = None
    if cfg.trim_vocabulary:  # only the rows of the texts evaluated here (the token cache re-serves them)
        from .vocabulary import token_ids

        frames = [used] + ([taskdata.examples(task, "test", cfg.generalized_languages)] if cfg.generalized_languages else [])
        keep = lambda tok: token_ids(*(encode_frame(tok, f, index, max_length) for f in frames if len(f)),  # noqa: E731
                                     tokenizer=tok)
    model, tokenizer, labels = load_classifier(Path(cfg.finetune_run) / upstream["artifacts"]["model"], keep)
    model.to(compute_device())
    if labels != taskdata.labels(task):  # a head trained on another label map would be scored wrongly
        raise ValueError(f"{cfg.finetune_run}: the model's labels {labels} do not match task {task!r}'s "
                         f"{taskdata.labels(task)}")
    data = encode_frame(tokenizer, used, index, max_length)
    logits = predict_logits(model, data, cfg.batch_size, cfg.precision, desc=f"{task}: {len(languages)} languages")
    predictions = used.assign(prediction=[labels[i] for i in logits.argmax(-1)])
    predictions["correct"] = (predictions.prediction == predictions.label).astype(int)
    smoothing = {}
    if cfg.smoothing_samples:
        sigma = cfg.smoothing_sigma * embedding_rms(model, data)
        votes = smoothed_votes(model, data, cfg.smoothing_samples, sigma, cfg.batch_size, cfg.precision, cfg.seed)
        top, radius = certified_radius(votes, sigma, cfg.certify_alpha)
        predictions["smoothed_prediction"] = [labels[i] for i in top]
        predictions["smoothed_correct"] = (predictions.smoothed_prediction == predictions.label).astype(int)
        predictions["certified_radius"] = radius
        smoothing = {"samples": cfg.smoothing_samples, "sigma_relative": cfg.smoothing_sigma, "sigma_absolute": sigma,
                     "alpha": cfg.certify_alpha, "note": "selection and estimation share the noise samples (see rxlt.smoothing)"}
    predictions.to_csv(run.dir / PREDICTIONS, index=False)
    table = per_language_table(predictions, cfg.bootstrap_samples, cfg.seed)
    generalized = None
    if cfg.generalized_languages:
        generalized = evaluate_generalized(model, tokenizer, labels, task, cfg, max_length)
        generalized.to_csv(run.dir / GENERALIZED, index=False)
    original = full.language.value_counts()
    run.finish(
        metrics={
            "metric": "accuracy",
            "per_language": {row["language"]: {k: (int(v) if k == "n" else float(v)) for k, v in row.items() if k != "language"}
                             for row in table.to_dict("records")},
            "average": averages(table),
            **({"smoothing": smoothing} if smoothing else {}),
            **({"generalized": {f"{r.first}-{r.second}": {"accuracy": float(r.accuracy), "n": int(r.n)}
                                for r in generalized.itertuples()}} if generalized is not None else {}),
        },
        samples={"test": {lang: {"original": int(original[lang]), "used": int((used.language == lang).sum())} for lang in languages}},
        artifacts={"predictions": PREDICTIONS, **({"generalized": GENERALIZED} if generalized is not None else {})},
        task=task,
        condition=upstream.get("condition"),
        finetune_seed=upstream["config"]["seed"],
        finetune_run=str(cfg.finetune_run),
    )
    return table


def _languages(cfg, task: str, available: list[str]) -> list[str]:
    if tuple(cfg.languages) == ("all",):
        return list(available)
    missing = sorted(set(cfg.languages) - set(available))
    if missing:
        raise ValueError(f"languages {missing} have fewer than the task's minimum test items for {task!r}; "
                         f"{len(available)} languages qualify")
    return list(cfg.languages)


def per_language_table(predictions: pd.DataFrame, n_boot: int, seed: int) -> pd.DataFrame:
    rows = []
    for lang, g in predictions.groupby("language", sort=True):
        lo, hi = bootstrap_mean_ci(g.correct.to_numpy(), n_boot=n_boot, seed=seed)
        row = {"language": lang, "accuracy": g.correct.mean(), "ci_low": lo, "ci_high": hi, "n": len(g)}
        if "smoothed_correct" in g:
            certified = g.certified_radius > 0
            row.update({"smoothed_accuracy": g.smoothed_correct.mean(),
                        "certified_accuracy": float((g.smoothed_correct.astype(bool) & certified).mean()),
                        "mean_certified_radius": float(g.certified_radius.mean())})
        rows.append(row)
    return pd.DataFrame(rows)


def averages(table: pd.DataFrame, source: str = taskdata.SOURCE_LANGUAGE) -> dict:
    """Macro averages over languages, with and without the source language, saying which is which."""
    with_src = table.accuracy.mean()
    without = table[table.language != source].accuracy.mean()
    return {
        "macro_accuracy_including_english": float(with_src),
        "macro_accuracy_excluding_english": float(without) if np.isfinite(without) else None,
        "languages": int(len(table)),
        "english_in_grid": bool((table.language == source).any()),
    }
