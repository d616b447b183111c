"""Phase 1: intermediate-task training on English data; the trained encoder is the run's artifact."""
from __future__ import annotations

import pandas as pd
import torch

from rxlt.model.checkpoint import default_pooling, save_encoder
from rxlt.phases.alignment import run_alignment
from rxlt.phases.english_training import (english, english_rows, history_table, make_stream, prepare_encoder,
                                          sample_counts, summarize_training, vocabulary)
from rxlt.results import Run
from rxlt.train.loop import train_streams
from rxlt.train.objectives import ERM

ENCODER_DIR = "encoder"


def training_rows(task: str, cfg) -> pd.DataFrame | None:
    """The task's English training rows, or a sample of `max_train_items` of them (seed 0: every seed of a study
    trains on the same items); None = all (make_stream reads them)."""
    if not cfg.max_train_items:
        return None
    rows = english(task, "train")
    return rows if len(rows) <= cfg.max_train_items else rows.sample(n=cfg.max_train_items, random_state=0).sort_index()


def counts(stream, dev_df, cfg) -> dict:
    """Sample counts; with `max_train_items`, train `original` is the task's whole English training split."""
    samples = sample_counts(stream, dev_df)
    if cfg.max_train_items:
        samples["train"]["original"] = len(english(stream.name, "train"))
    return samples


def run_intermediate(run: Run) -> pd.DataFrame:
    """Train on the intermediate tasks (in sequence, or as one mixture); save the encoder only. With
    `alignment_objective`, align on translation pairs instead (rxlt.phases.alignment)."""
    cfg = run.config
    if cfg.alignment_objective:
        return run_alignment(run)
    encoder, tokenizer, meta = prepare_encoder(cfg, cfg.model, vocabulary(cfg, [r for t in cfg.tasks for r in english_rows(t)]))
    pooling = default_pooling(cfg.model)
    summaries = []
    torch.manual_seed(cfg.seed)  # seed right before heads are built (embedded-pilot.md)
    if cfg.mixing == "mixture":
        built = [make_stream(encoder, tokenizer, t, cfg, pooling, training_rows(t, cfg)) for t in cfg.tasks]
        streams = [b[0] for b in built]
        history = train_streams(streams, ERM(), cfg, cfg.seed, desc="mixture: " + " + ".join(cfg.tasks),
                                temperature=cfg.mixture_temperature)
        for (stream, labels, dev_df) in built:
            rows = [{**h, "dev_score": h[f"dev_score[{stream.name}]"]} for h in history]
            summaries.append(summarize_training(stream.name, labels, rows, counts(stream, dev_df, cfg)))
    else:
        for i, task in enumerate(cfg.tasks):
            stream, labels, dev_df = make_stream(encoder, tokenizer, task, cfg, pooling, training_rows(task, cfg))
            history = train_streams([stream], ERM(), cfg, cfg.seed, desc=f"{task} ({i + 1}/{len(cfg.tasks)})")
            summaries.append(summarize_training(task, labels, history, counts(stream, dev_df, cfg)))
    save_encoder(encoder, run.dir / ENCODER_DIR, {**meta, "intermediate_tasks": list(cfg.tasks), "mixing": cfg.mixing})
    run.finish(
        metrics={s["task"]: {"english_dev_score": s["english_dev_score"], "dev_metric": s["dev_metric"],
                             "selected_epoch": s["selected_epoch"]} for s in summaries},
        samples={s["task"]: s["samples"] for s in summaries},
        artifacts={"encoder": ENCODER_DIR},
        training=summaries,
    )
    return history_table(summaries)
