"""Phases 1 and 2: intermediate-task training and target-task fine-tuning on English data."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from . import taskdata
from .batching import encode
from .modeling import (EncoderClassifier, default_pooling, freeze_word_embeddings, load_encoder,
                       save_classifier, save_encoder)
from .objectives import make_objective
from .results import Run, read_results
from .training import accuracy, predict_logits, seed_everything, train_classifier

ENCODER_DIR = "encoder"
MODEL_DIR = "model"


def _english(task: str, split: str, tokenizer, labels: list[str], max_length: int):
    df = taskdata.examples(task, split, [taskdata.SOURCE_LANGUAGE])
    if df.empty:
        raise ValueError(f"task {task!r} has no English {split} items")
    index = {label: i for i, label in enumerate(labels)}
    return df, encode(tokenizer, df.text.tolist(), [index[l] for l in df.label], max_length)


def train_task(encoder, tokenizer, task: str, cfg, pooling: str, desc: str) -> tuple[EncoderClassifier, dict]:
    """Put a fresh head for `task` on `encoder` and train it on English; returns (model, summary)."""
    labels = taskdata.labels(task)
    train_df, train = _english(task, "train", tokenizer, labels, cfg.max_length)
    dev_df, dev = _english(task, "dev", tokenizer, labels, cfg.max_length)
    torch.manual_seed(cfg.seed)  # seed right before the head is built (embedded-pilot.md)
    model = EncoderClassifier(encoder, len(labels), pooling)
    objective = make_objective(getattr(cfg, "objective", "erm"))
    history = train_classifier(model, objective, train, dev, cfg, cfg.seed, desc=desc)
    selected = next(h for h in history if h["selected"])
    summary = {
        "task": task, "labels": labels, "history": history,
        "selected_epoch": selected["epoch"], "english_dev_accuracy": selected["dev_accuracy"],
        "selection": "best English-dev accuracy over epochs (zero-shot: no target-language data)",
        "samples": {"train": {"original": len(train_df), "used": len(train)}, "dev": {"original": len(dev_df), "used": len(dev)}},
    }
    return model, summary


def _prepare_encoder(cfg, source: str):
    seed_everything(cfg.seed)
    encoder, tokenizer, meta = load_encoder(source, cfg.encoder_layers if source == cfg.model else 0)
    if cfg.freeze_word_embeddings:
        freeze_word_embeddings(encoder)
    return encoder, tokenizer, meta


def run_intermediate(run: Run) -> pd.DataFrame:
    """Train on each intermediate task in turn (fresh head each time); save the encoder only."""
    cfg = run.config
    encoder, tokenizer, meta = _prepare_encoder(cfg, cfg.model)
    pooling = default_pooling(cfg.model)
    summaries = []
    for i, task in enumerate(cfg.tasks):
        _, summary = train_task(encoder, tokenizer, task, cfg, pooling, desc=f"{task} ({i + 1}/{len(cfg.tasks)})")
        summaries.append(summary)
    save_encoder(encoder, run.dir / ENCODER_DIR, {**meta, "intermediate_tasks": list(cfg.tasks)})
    run.finish(
        metrics={s["task"]: {"english_dev_accuracy": s["english_dev_accuracy"], "selected_epoch": s["selected_epoch"]} for s in summaries},
        samples={s["task"]: s["samples"] for s in summaries},
        artifacts={"encoder": ENCODER_DIR},
        training=summaries,
    )
    return history_table(summaries)


def run_finetune(run: Run) -> pd.DataFrame:
    """Fine-tune on the English target task, from the plain model or a phase-1 encoder."""
    cfg = run.config
    source = cfg.model
    if cfg.init_from:
        upstream = read_results(cfg.init_from)
        if upstream["config"]["model"] != cfg.model:
            raise ValueError(f"init_from {cfg.init_from} trained model {upstream['config']['model']!r}, "
                             f"but this run's model is {cfg.model!r}")
        source = str(Path(cfg.init_from) / upstream["artifacts"]["encoder"])
    encoder, tokenizer, meta = _prepare_encoder(cfg, source)
    model, summary = train_task(encoder, tokenizer, cfg.task, cfg, default_pooling(cfg.model), desc=cfg.task)
    en_test_df, en_test = _english(cfg.task, "test", tokenizer, summary["labels"], cfg.max_length)
    en_test_acc = accuracy(predict_logits(model, en_test, cfg.batch_size * 2, cfg.precision), en_test.labels)
    save_classifier(model, run.dir / MODEL_DIR, {**meta, "init_from": cfg.init_from}, summary["labels"])
    run.finish(
        metrics={"english_dev_accuracy": summary["english_dev_accuracy"], "english_test_accuracy": en_test_acc,
                 "selected_epoch": summary["selected_epoch"]},
        samples={**summary["samples"], "test_en": {"original": len(en_test_df), "used": len(en_test)}},
        artifacts={"model": MODEL_DIR},
        training=[summary],
        condition=condition_of(cfg),
    )
    return history_table([summary])


def condition_of(cfg) -> str:
    """'direct' fine-tuning, or 'intermediate' when the encoder came from phase 1."""
    return "intermediate" if cfg.init_from else "direct"


def history_table(summaries: list[dict]) -> pd.DataFrame:
    rows = [{"task": s["task"], **h} for s in summaries for h in s["history"]]
    return pd.DataFrame(rows)
