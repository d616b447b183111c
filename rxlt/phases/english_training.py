"""What phases 1 and 2 share: English train/dev rows of a task, a training stream with a fresh head, the
encoder they start from, and the per-task training summary."""
from __future__ import annotations

import pandas as pd

from rxlt.data import catalog
from rxlt.data.kinds import task_kind
from rxlt.data.xtreme_loader import split_by_item
from rxlt.model.checkpoint import freeze_word_embeddings, load_encoder
from rxlt.model.frozen_prefix import freeze_prefix, layer_count
from rxlt.model.heads import build_head
from rxlt.phases.kind_handlers import check_columns, dev_scorer, handler, run_settings, task_examples, task_labels
from rxlt.results import history_rows
from rxlt.train.loop import Stream, seed_everything

SELECTION = ("best English-dev score over epochs (accuracy; seqeval F1 for tagging; (EM+F1)/2 for QA; MRR@20 of "
             "full-candidate retrieval over the English dev pairs for the retrieval dual encoder) — "
             "zero-shot: no target-language data")


def english(task: str, split: str) -> pd.DataFrame:
    df = task_examples(task, split, [catalog.SOURCE_LANGUAGE])
    if df.empty:
        raise ValueError(f"task {task!r} has no English {split} items")
    check_columns(task_kind(task), df, f"{task} {split}")
    return df


def make_stream(encoder, tokenizer, task: str, cfg, pooling: str, train_df: pd.DataFrame | None = None,
                clean_inputs: bool = True):
    """A fresh head of the task's kind on `encoder`, with its English train/dev data (train_df overrides
    train). Classification streams select on dev accuracy of the logits; other kinds on their own metric.
    With frozen lower layers, classification rows carry those layers' cached output (rxlt.features.prefix_cache):
    dev rows always, training rows when the objective reads clean inputs only (`clean_inputs`)."""
    kind = task_kind(task)
    labels = task_labels(task)
    h = handler(kind)
    train_df = english(task, "train") if train_df is None else train_df
    if has_english_dev(task):
        dev_df = english(task, "dev")
    else:  # TyDiQA-GoldP, XCOPA: no English dev set; hold out English training items (by key) for selection
        cut = split_by_item(train_df, {"train": 1 - HELD_OUT, "dev": HELD_OUT}, seed=0)
        train_df, dev_df = (cut[cut.split == s].drop(columns="split").reset_index(drop=True) for s in ("train", "dev"))
    settings = run_settings(cfg, task, cfg.batch_size * 2)
    model = build_head(kind, encoder, labels, pooling, tag_subword=getattr(cfg, "tag_subword", "first"),
                       lengths=settings.retrieval_lengths)
    score = None if kind == "classification" else dev_scorer(kind, tokenizer, dev_df, labels, settings)
    train, dev = h.encode(tokenizer, train_df, labels, settings), h.encode(tokenizer, dev_df, labels, settings)
    if kind == "classification":
        from rxlt.features.prefix_cache import with_prefix

        dev = with_prefix(encoder, dev, cfg.batch_size * 2, cfg.precision)
        train = with_prefix(encoder, train, cfg.batch_size * 2, cfg.precision) if clean_inputs else train
    stream = Stream(task, model, train, dev, score=score)
    stream.kind, stream.n_train = kind, len(train_df)
    return stream, labels, dev_df


HELD_OUT = 0.1  # share of English training items used for model selection where a task has no English dev


def has_english_dev(task: str) -> bool:
    """False for XTREME-R tasks without an English dev set: TyDiQA-GoldP (no dev split), and XCOPA when the
    data directory lacks COPA val (xcopa/val.en.jsonl, XTREME-R's English dev; rxlt.data.xtreme_loader)."""
    from rxlt.data.xtreme_loader import english_dev_available
    from rxlt.data.xtreme_tasks import XTREME_TASKS

    return task not in XTREME_TASKS or english_dev_available(task)


def summarize_training(task, labels, history, samples) -> dict:
    """Per-task training summary; `english_dev_score` is the selection score in the metric named by
    `dev_metric` (accuracy, seqeval_f1, squad_em_f1_mean), as is the history's `dev_score` column."""
    selected = next(h for h in history if h["selected"])
    return {"task": task, "labels": labels, "history": history, "selected_epoch": selected["epoch"],
            "dev_metric": handler(task_kind(task)).metric, "english_dev_score": selected["dev_score"],
            "selection": SELECTION, "samples": samples}


def sample_counts(stream, dev_df) -> dict:
    """Items (questions/sentences/examples); `features` = token rows when they differ (QA windows)."""
    train = {"original": stream.n_train, "used": stream.n_train}
    if len(stream.train) != stream.n_train:
        train["features"] = len(stream.train)
    return {"train": train, "dev": {"original": len(dev_df), "used": len(dev_df)}}


def prepare_encoder(cfg, source: str, keep_ids=None):
    """The encoder a training phase starts from, with its word embeddings and lower layers frozen as `cfg` asks
    (every layer for a linear probe); `meta` records the frozen layers with the saved encoder."""
    seed_everything(cfg.seed)
    encoder, tokenizer, meta = load_encoder(source, cfg.encoder_layers if source == cfg.model else 0, keep_ids)
    if cfg.freeze_word_embeddings:
        freeze_word_embeddings(encoder)
    frozen = layer_count(encoder) if getattr(cfg, "linear_probe", False) else cfg.frozen_layers
    freeze_prefix(encoder, frozen, cached=cfg.frozen_layers)  # a probe shares the study's cached layer
    return encoder, tokenizer, {**meta, "frozen_layers": frozen, "prefix_layer": cfg.frozen_layers}


def vocabulary(cfg, frames: list[tuple[str, pd.DataFrame | None]]):
    """With cfg.trim_vocabulary: tokenizer -> every token id of these (task, rows) as the task's kind encodes
    them (rxlt.model.vocabulary; the token cache makes the later encoding of the same rows free); else None."""
    if not getattr(cfg, "trim_vocabulary", False):
        return None
    from rxlt.model.vocabulary import token_ids

    def keep(tokenizer):
        encoded = [handler(task_kind(task)).encode(tokenizer, df, task_labels(task), run_settings(cfg, task, cfg.batch_size * 2),
                                                   train=False) for task, df in frames if df is not None and len(df)]
        return token_ids(*encoded, tokenizer=tokenizer)

    return keep


def english_rows(task: str, train_df: pd.DataFrame | None = None) -> list[tuple[str, pd.DataFrame | None]]:
    """Every English row a training phase tokenises for `task`: train (or train_df), dev, test."""
    return [(task, english(task, "train") if train_df is None else train_df),
            (task, english(task, "dev") if has_english_dev(task) else None), (task, english_test(task))]


def load_tokenizer(model: str):
    """The tokenizer of `model` (an alias, hub id or path) without loading its weights. A phase-1 encoder keeps its
    base model's tokenizer, and init_from must name the same model (run_finetune), so cfg.model decides."""
    from transformers import AutoTokenizer

    from rxlt.model.embedded import resolve_model

    return AutoTokenizer.from_pretrained(resolve_model(model))


def english_test(task: str) -> pd.DataFrame | None:
    """English test items when the task has them (hub intermediate tasks and XCOPA have none)."""
    try:
        df = task_examples(task, "test", [catalog.SOURCE_LANGUAGE])
    except (FileNotFoundError, ValueError):
        return None
    return df if len(df) else None


def history_table(summaries: list[dict]) -> pd.DataFrame:
    """One row per (task, epoch): train loss, `dev_score` in the task's `dev_metric` (older runs' `dev_accuracy`
    is renamed; runs without `dev_metric` selected on accuracy), whether the epoch was kept."""
    rows = [{"task": s["task"], "dev_metric": s.get("dev_metric", "accuracy"),
             **{k: v for k, v in h.items() if not k.startswith("dev_score[")}}
            for s in summaries for h in history_rows(s["history"])]
    return pd.DataFrame(rows)
