"""Phases 1 and 2: intermediate-task training and target-task fine-tuning on English data."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from . import taskdata
from .augmentation import augment
from .batching import encode_frame
from .modeling import (EncoderClassifier, default_pooling, freeze_word_embeddings, load_encoder,
                       save_classifier, save_encoder)
from .objectives import ERM, make_objective
from .results import Run, read_results
from .synonyms import synonym_source
from .training import Stream, accuracy, predict_logits, seed_everything, train_streams

ENCODER_DIR = "encoder"
MODEL_DIR = "model"
SELECTION = "best English-dev accuracy over epochs (zero-shot: no target-language data)"


def english(task: str, split: str) -> pd.DataFrame:
    df = taskdata.examples(task, split, [taskdata.SOURCE_LANGUAGE])
    if df.empty:
        raise ValueError(f"task {task!r} has no English {split} items")
    return df


def make_stream(encoder, tokenizer, task: str, cfg, pooling: str, train_df: pd.DataFrame | None = None):
    """A fresh head for `task` on `encoder` with its English train/dev data (train_df overrides train)."""
    labels = taskdata.labels(task)
    index = {label: i for i, label in enumerate(labels)}
    train_df = english(task, "train") if train_df is None else train_df
    dev_df = english(task, "dev")
    def enc(df):
        return encode_frame(tokenizer, df, index, cfg.max_length)

    model = EncoderClassifier(encoder, len(labels), pooling)
    return Stream(task, model, enc(train_df), enc(dev_df)), labels, dev_df


def _summary(task, labels, history, samples) -> dict:
    selected = next(h for h in history if h["selected"])
    return {"task": task, "labels": labels, "history": history, "selected_epoch": selected["epoch"],
            "english_dev_accuracy": selected["dev_accuracy"], "selection": SELECTION, "samples": samples}


def _counts(stream, dev_df) -> dict:
    return {"train": {"original": len(stream.train), "used": len(stream.train)},
            "dev": {"original": len(dev_df), "used": len(dev_df)}}


def _prepare_encoder(cfg, source: str):
    seed_everything(cfg.seed)
    encoder, tokenizer, meta = load_encoder(source, cfg.encoder_layers if source == cfg.model else 0)
    if cfg.freeze_word_embeddings:
        freeze_word_embeddings(encoder)
    return encoder, tokenizer, meta


def run_intermediate(run: Run) -> pd.DataFrame:
    """Train on the intermediate tasks (in sequence, or as one mixture); save the encoder only."""
    cfg = run.config
    encoder, tokenizer, meta = _prepare_encoder(cfg, cfg.model)
    pooling = default_pooling(cfg.model)
    summaries = []
    torch.manual_seed(cfg.seed)  # seed right before heads are built (embedded-pilot.md)
    if cfg.mixing == "mixture":
        built = [make_stream(encoder, tokenizer, t, cfg, pooling) for t in cfg.tasks]
        streams = [b[0] for b in built]
        history = train_streams(streams, ERM(), cfg, cfg.seed, desc="mixture: " + " + ".join(cfg.tasks),
                                temperature=cfg.mixture_temperature)
        for (stream, labels, dev_df) in built:
            rows = [{**h, "dev_accuracy": h[f"dev_accuracy[{stream.name}]"]} for h in history]
            summaries.append(_summary(stream.name, labels, rows, _counts(stream, dev_df)))
    else:
        for i, task in enumerate(cfg.tasks):
            stream, labels, dev_df = make_stream(encoder, tokenizer, task, cfg, pooling)
            history = train_streams([stream], ERM(), cfg, cfg.seed, desc=f"{task} ({i + 1}/{len(cfg.tasks)})")
            summaries.append(_summary(task, labels, history, _counts(stream, dev_df)))
    save_encoder(encoder, run.dir / ENCODER_DIR, {**meta, "intermediate_tasks": list(cfg.tasks), "mixing": cfg.mixing})
    run.finish(
        metrics={s["task"]: {"english_dev_accuracy": s["english_dev_accuracy"], "selected_epoch": s["selected_epoch"]} for s in summaries},
        samples={s["task"]: s["samples"] for s in summaries},
        artifacts={"encoder": ENCODER_DIR},
        training=summaries,
    )
    return history_table(summaries)


def training_data(cfg, objective) -> tuple[pd.DataFrame, dict]:
    """English training rows for the target task, RS-DA-augmented when the objective asks for it."""
    original = english(cfg.task, "train")
    if not getattr(objective, "augments_data", False):
        return original, {"original": len(original), "used": len(original)}
    synonyms = synonym_source(cfg.synonyms_file, cfg.wordnet_dir)
    used = augment(original, synonyms, cfg.rs_da_copies, cfg.seed, cfg.rs_da_keep_original, cfg.rs_da_max_synonyms)
    changed = float((used.text.values != original.text.reindex(used.index % len(original)).values).mean())
    return used, {"original": len(original), "used": len(used), "augmented_copies": cfg.rs_da_copies,
                  "kept_original": cfg.rs_da_keep_original, "fraction_of_texts_changed": round(changed, 4),
                  "synonyms": cfg.synonyms_file or f"WordNet 3.0 ({cfg.wordnet_dir})"}


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
    objective = make_objective(cfg.objective, **cfg.objective_settings())
    train_df, train_counts = training_data(cfg, objective)
    torch.manual_seed(cfg.seed)  # seed right before the head is built (embedded-pilot.md)
    stream, labels, dev_df = make_stream(encoder, tokenizer, cfg.task, cfg, default_pooling(cfg.model), train_df)
    history = train_streams([stream], objective, cfg, cfg.seed, desc=cfg.task)
    summary = _summary(cfg.task, labels, history, {"train": train_counts, "dev": {"original": len(dev_df), "used": len(dev_df)}})
    model = stream.model
    test_df = english(cfg.task, "test")
    index = {label: i for i, label in enumerate(labels)}
    en_test = encode_frame(tokenizer, test_df, index, cfg.max_length)
    en_test_acc = accuracy(predict_logits(model, en_test, cfg.batch_size * 2, cfg.precision), en_test.labels)
    save_classifier(model, run.dir / MODEL_DIR, {**meta, "init_from": cfg.init_from}, labels)
    run.finish(
        metrics={"english_dev_accuracy": summary["english_dev_accuracy"], "english_test_accuracy": en_test_acc,
                 "selected_epoch": summary["selected_epoch"]},
        samples={**summary["samples"], "test_en": {"original": len(test_df), "used": len(en_test)}},
        artifacts={"model": MODEL_DIR},
        training=[summary],
        condition=condition_of(cfg),
    )
    return history_table([summary])


def condition_of(cfg) -> str:
    """'direct' or 'intermediate' (encoder from phase 1), plus the objective when it is not plain ERM."""
    base = "intermediate" if cfg.init_from else "direct"
    return base if cfg.objective == "erm" else f"{base}+{cfg.objective}"


def history_table(summaries: list[dict]) -> pd.DataFrame:
    rows = [{"task": s["task"], **{k: v for k, v in h.items() if not k.startswith("dev_accuracy[")}} for s in summaries for h in s["history"]]
    return pd.DataFrame(rows)
