"""Phase 3: zero-shot evaluation in every language, with bootstrap intervals and saved predictions."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import taskdata
from .batching import encode
from .modeling import load_classifier
from .results import Run, read_results
from .stats import bootstrap_mean_ci
from .training import predict_logits

PREDICTIONS = "predictions.csv.gz"


def _cap(df: pd.DataFrame, max_items: int) -> pd.DataFrame:
    """First `max_items` test items per language in key order (deterministic)."""
    if not max_items:
        return df
    return df.sort_values(["language", "key"]).groupby("language", sort=False).head(max_items)


def run_evaluation(run: Run) -> pd.DataFrame:
    cfg = run.config
    upstream = read_results(cfg.finetune_run)
    task = upstream["config"]["task"]
    available = taskdata.evaluation_languages(task)
    if tuple(cfg.languages) == ("all",):
        languages = available
    else:
        missing = sorted(set(cfg.languages) - set(available))
        if missing:
            raise ValueError(f"languages {missing} have fewer than the task's minimum test items for {task!r}; "
                             f"{len(available)} languages qualify")
        languages = list(cfg.languages)
    model, tokenizer, labels = load_classifier(Path(cfg.finetune_run) / upstream["artifacts"]["model"])
    full = taskdata.examples(task, "test", languages)
    used = _cap(full, cfg.max_test_items).reset_index(drop=True)
    index = {label: i for i, label in enumerate(labels)}
    data = encode(tokenizer, used.text.tolist(), [index[l] for l in used.label], upstream["config"]["max_length"])
    logits = predict_logits(model, data, cfg.batch_size, cfg.precision, desc=f"{task}: {len(languages)} languages")
    predictions = used.assign(prediction=[labels[i] for i in logits.argmax(-1)])
    predictions["correct"] = (predictions.prediction == predictions.label).astype(int)
    predictions.to_csv(run.dir / PREDICTIONS, index=False)
    table = per_language_table(predictions, cfg.bootstrap_samples, cfg.seed)
    original = full.language.value_counts()
    run.finish(
        metrics={
            "metric": "accuracy",
            "per_language": {r.language: {"accuracy": r.accuracy, "ci_low": r.ci_low, "ci_high": r.ci_high, "n": int(r.n)}
                             for r in table.itertuples()},
            "average": averages(table),
        },
        samples={"test": {lang: {"original": int(original[lang]), "used": int((used.language == lang).sum())} for lang in languages}},
        artifacts={"predictions": PREDICTIONS},
        task=task,
        condition=upstream.get("condition"),
        finetune_seed=upstream["config"]["seed"],
        finetune_run=str(cfg.finetune_run),
    )
    return table


def per_language_table(predictions: pd.DataFrame, n_boot: int, seed: int) -> pd.DataFrame:
    rows = []
    for lang, g in predictions.groupby("language", sort=True):
        lo, hi = bootstrap_mean_ci(g.correct.to_numpy(), n_boot=n_boot, seed=seed)
        rows.append({"language": lang, "accuracy": g.correct.mean(), "ci_low": lo, "ci_high": hi, "n": len(g)})
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
