"""Phases 1 and 2: intermediate-task training and target-task fine-tuning on English data."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from . import taskdata
from .augmentation import augment, piece_counter
from .heads import build_head, task_kind
from .modeling import default_pooling, freeze_word_embeddings, load_encoder, save_encoder, save_model
from .objectives import ERM, make_objective
from .results import Run, history_rows, read_results
from .synonyms import synonym_source
from .task_kinds import check_columns, dev_scorer, handler, headline, run_settings, task_examples, task_labels
from .training import Stream, seed_everything, train_streams
from .xtreme_data import split_by_item

ENCODER_DIR = "encoder"
MODEL_DIR = "model"
SELECTION = ("best English-dev score over epochs (accuracy; seqeval F1 for tagging; (EM+F1)/2 for QA; MRR@20 of "
             "full-candidate retrieval over the English dev pairs for the retrieval dual encoder) — "
             "zero-shot: no target-language data")


def english(task: str, split: str) -> pd.DataFrame:
    df = task_examples(task, split, [taskdata.SOURCE_LANGUAGE])
    if df.empty:
        raise ValueError(f"task {task!r} has no English {split} items")
    check_columns(task_kind(task), df, f"{task} {split}")
    return df


def make_stream(encoder, tokenizer, task: str, cfg, pooling: str, train_df: pd.DataFrame | None = None):
    """A fresh head of the task's kind on `encoder`, with its English train/dev data (train_df overrides
    train). Classification streams select on dev accuracy of the logits; other kinds on their own metric."""
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
    stream = Stream(task, model, h.encode(tokenizer, train_df, labels, settings), h.encode(tokenizer, dev_df, labels, settings),
                    score=score)
    stream.kind, stream.n_train = kind, len(train_df)
    return stream, labels, dev_df


HELD_OUT = 0.1  # share of English training items used for model selection where a task has no English dev


def has_english_dev(task: str) -> bool:
    """False for XTREME-R tasks without an English dev set: TyDiQA-GoldP (no dev split), and XCOPA when the
    data directory lacks COPA val (xcopa/val.en.jsonl, XTREME-R's English dev; rxlt.xtreme_data)."""
    from .xtreme import XTREME_TASKS
    from .xtreme_data import english_dev_available

    return task not in XTREME_TASKS or english_dev_available(task)


def _summary(task, labels, history, samples) -> dict:
    """Per-task training summary; `english_dev_score` is the selection score in the metric named by
    `dev_metric` (accuracy, seqeval_f1, squad_em_f1_mean), as is the history's `dev_score` column."""
    selected = next(h for h in history if h["selected"])
    return {"task": task, "labels": labels, "history": history, "selected_epoch": selected["epoch"],
            "dev_metric": handler(task_kind(task)).metric, "english_dev_score": selected["dev_score"],
            "selection": SELECTION, "samples": samples}


def _counts(stream, dev_df) -> dict:
    """Items (questions/sentences/examples); `features` = token rows when they differ (QA windows)."""
    train = {"original": stream.n_train, "used": stream.n_train}
    if len(stream.train) != stream.n_train:
        train["features"] = len(stream.train)
    return {"train": train, "dev": {"original": len(dev_df), "used": len(dev_df)}}


def _prepare_encoder(cfg, source: str, keep_ids=None):
    seed_everything(cfg.seed)
    encoder, tokenizer, meta = load_encoder(source, cfg.encoder_layers if source == cfg.model else 0, keep_ids)
    if cfg.freeze_word_embeddings:
        freeze_word_embeddings(encoder)
    return encoder, tokenizer, meta


def vocabulary(cfg, frames: list[tuple[str, pd.DataFrame | None]]):
    """With cfg.trim_vocabulary: tokenizer -> every token id of these (task, rows) as the task's kind encodes
    them (rxlt.vocabulary; the token cache makes the later encoding of the same rows free); else None."""
    if not getattr(cfg, "trim_vocabulary", False):
        return None
    from .vocabulary import token_ids

    def keep(tokenizer):
        encoded = [handler(task_kind(task)).encode(tokenizer, df, task_labels(task), run_settings(cfg, task, cfg.batch_size * 2),
                                                   train=False) for task, df in frames if df is not None and len(df)]
        return token_ids(*encoded, tokenizer=tokenizer)

    return keep


def english_rows(task: str, train_df: pd.DataFrame | None = None) -> list[tuple[str, pd.DataFrame | None]]:
    """Every English row a training phase tokenises for `task`: train (or train_df), dev, test."""
    return [(task, english(task, "train") if train_df is None else train_df),
            (task, english(task, "dev") if has_english_dev(task) else None), (task, english_test(task))]


def run_intermediate(run: Run) -> pd.DataFrame:
    """Train on the intermediate tasks (in sequence, or as one mixture); save the encoder only."""
    cfg = run.config
    encoder, tokenizer, meta = _prepare_encoder(cfg, cfg.model, vocabulary(cfg, [r for t in cfg.tasks for r in english_rows(t)]))
    pooling = default_pooling(cfg.model)
    summaries = []
    torch.manual_seed(cfg.seed)  # seed right before heads are built (embedded-pilot.md)
    if cfg.mixing == "mixture":
        built = [make_stream(encoder, tokenizer, t, cfg, pooling) for t in cfg.tasks]
        streams = [b[0] for b in built]
        history = train_streams(streams, ERM(), cfg, cfg.seed, desc="mixture: " + " + ".join(cfg.tasks),
                                temperature=cfg.mixture_temperature)
        for (stream, labels, dev_df) in built:
            rows = [{**h, "dev_score": h[f"dev_score[{stream.name}]"]} for h in history]
            summaries.append(_summary(stream.name, labels, rows, _counts(stream, dev_df)))
    else:
        for i, task in enumerate(cfg.tasks):
            stream, labels, dev_df = make_stream(encoder, tokenizer, task, cfg, pooling)
            history = train_streams([stream], ERM(), cfg, cfg.seed, desc=f"{task} ({i + 1}/{len(cfg.tasks)})")
            summaries.append(_summary(task, labels, history, _counts(stream, dev_df)))
    save_encoder(encoder, run.dir / ENCODER_DIR, {**meta, "intermediate_tasks": list(cfg.tasks), "mixing": cfg.mixing})
    run.finish(
        metrics={s["task"]: {"english_dev_score": s["english_dev_score"], "dev_metric": s["dev_metric"],
                             "selected_epoch": s["selected_epoch"]} for s in summaries},
        samples={s["task"]: s["samples"] for s in summaries},
        artifacts={"encoder": ENCODER_DIR},
        training=summaries,
    )
    return history_table(summaries)


def training_data(cfg, objective) -> tuple[pd.DataFrame, dict]:
    """English training rows for the target task, RS-DA-augmented when the objective asks for it."""
    original = english(training_task(cfg.task), "train")
    if not getattr(objective, "augments_data", False):
        return original, {"original": len(original), "used": len(original)}
    synonyms = synonym_source(cfg.synonyms_file, cfg.wordnet_dir)
    # multiple choice: the premise and every choice are substituted; the question (e.g. COPA's cause/effect) is kept
    columns = ("premise", "choices") if "choices" in original else None  # None: text (and text_pair)
    pieces = piece_counter(load_tokenizer(cfg.model)) if cfg.rs_da_length_match else None
    used = augment(original, synonyms, cfg.rs_da_copies, cfg.seed, cfg.rs_da_keep_original, cfg.rs_da_max_synonyms,
                   columns=columns, pieces=pieces)
    col = columns[0] if columns else "text"
    changed = float((used[col].values != original[col].reindex(used.index % len(original)).values).mean())
    return used, {"original": len(original), "used": len(used), "augmented_copies": cfg.rs_da_copies,
                  "kept_original": cfg.rs_da_keep_original, "fraction_of_texts_changed": round(changed, 4),
                  "length_matched": cfg.rs_da_length_match,
                  "synonyms": cfg.synonyms_file or f"WordNet 3.0 ({cfg.wordnet_dir})"}


def load_tokenizer(model: str):
    """The tokenizer of `model` (an alias, hub id or path) without loading its weights. A phase-1 encoder keeps its
    base model's tokenizer, and init_from must name the same model (run_finetune), so cfg.model decides."""
    from transformers import AutoTokenizer

    from .encoder import resolve_model

    return AutoTokenizer.from_pretrained(resolve_model(model))


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
    seed_everything(cfg.seed)  # the state training_data saw before the rows were needed to trim the vocabulary
    objective = make_objective(cfg.objective, **cfg.objective_settings())
    train_df, train_counts = training_data(cfg, objective)
    trained = training_task(cfg.task)
    encoder, tokenizer, meta = _prepare_encoder(cfg, source, vocabulary(cfg, english_rows(trained, train_df)))
    torch.manual_seed(cfg.seed)  # seed right before the head is built (embedded-pilot.md)
    stream, labels, dev_df = make_stream(encoder, tokenizer, trained, cfg, default_pooling(cfg.model), train_df)
    history = train_streams([stream], objective, cfg, cfg.seed, desc=trained)
    if "features" in _counts(stream, dev_df)["train"]:
        train_counts = {**train_counts, "features": len(stream.train)}
    # which data selected the model: the English dev split, or English train items held out for it (no English dev;
    # for XCOPA that depends on whether the data directory has COPA val, so the run says which it was)
    selection_data = "English dev"
    if stream.n_train != train_counts["used"]:
        train_counts = {**train_counts, "used": stream.n_train, "held_out_for_selection": len(dev_df)}
        selection_data = f"{len(dev_df)} English training items held out ({HELD_OUT:.0%})"
    summary = _summary(trained, labels, history, {"train": train_counts, "dev": {"original": len(dev_df), "used": len(dev_df)}})
    model = stream.model
    h = handler(stream.kind)
    test_df = english_test(trained)
    en_test = None
    if test_df is not None:
        en_test = headline(stream.kind, h.score(h.predict(model, tokenizer, test_df, labels,
                                                          run_settings(cfg, trained, cfg.batch_size * 2))))
    save_model(model, run.dir / MODEL_DIR, {**meta, "init_from": cfg.init_from}, labels)
    run.finish(
        metrics={"english_dev_score": summary["english_dev_score"], "english_test_score": en_test,
                 "dev_metric": summary["dev_metric"], "test_metric": h.metric, "selected_epoch": summary["selected_epoch"],
                 "selection_data": selection_data},
        samples={**summary["samples"], "test_en": {"original": 0 if test_df is None else len(test_df),
                                                   "used": 0 if test_df is None else len(test_df)}},
        artifacts={"model": MODEL_DIR},
        training=[summary],
        condition=condition_of(cfg),
        kind=stream.kind,
        trained_task=trained,
    )
    return history_table([summary])


def training_task(task: str) -> str:
    """The task phase 2 trains for `task`: itself, or for XTREME-R retrieval tasks the English task XTREME-R
    fine-tunes the encoder on (rxlt.xtreme): SQuAD with the QA head for Tatoeba (evaluated from a chosen layer),
    the dual encoder on English pairs for Mewsli-X (`wikipedia-pairs`) and LAReQA (`squad-retrieval`)."""
    if task_kind(task) != "retrieval":
        return task
    from .xtreme import XTREME_TASKS

    return XTREME_TASKS[task]["english_task"]


def english_test(task: str) -> pd.DataFrame | None:
    """English test items when the task has them (hub intermediate tasks and XCOPA have none)."""
    try:
        df = task_examples(task, "test", [taskdata.SOURCE_LANGUAGE])
    except (FileNotFoundError, ValueError):
        return None
    return df if len(df) else None


def condition_of(cfg) -> str:
    """'direct' or 'intermediate' (encoder from phase 1), plus the objective when it is not plain ERM."""
    base = "intermediate" if cfg.init_from else "direct"
    return base if cfg.objective == "erm" else f"{base}+{cfg.objective}"


def history_table(summaries: list[dict]) -> pd.DataFrame:
    """One row per (task, epoch): train loss, `dev_score` in the task's `dev_metric` (older runs' `dev_accuracy`
    is renamed; runs without `dev_metric` selected on accuracy), whether the epoch was kept."""
    rows = [{"task": s["task"], "dev_metric": s.get("dev_metric", "accuracy"),
             **{k: v for k, v in h.items() if not k.startswith("dev_score[")}}
            for s in summaries for h in history_rows(s["history"])]
    return pd.DataFrame(rows)
