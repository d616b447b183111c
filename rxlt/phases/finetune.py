"""Phase 2: fine-tuning on the English target task, from the plain model or a phase-1 encoder, with any objective."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from rxlt.data.catalog import training_task
from rxlt.model.checkpoint import default_pooling, save_model
from rxlt.phases.english_training import (HELD_OUT, english, english_rows, english_test, history_table, load_tokenizer,
                                          make_stream, prepare_encoder, sample_counts, summarize_training, vocabulary)
from rxlt.phases.kind_handlers import handler, headline, run_settings
from rxlt.results import Run, read_results
from rxlt.scoring.smoothing import embedding_rms, write_embedding_scale
from rxlt.train.augmentation import augment, describe, piece_counter
from rxlt.train.loop import seed_everything, train_streams
from rxlt.train.objectives import make_objective
from rxlt.train.synonyms import synonym_source

MODEL_DIR = "model"


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
                   tokens=cfg.rs_da_tokens, protected=cfg.rs_da_protected_words, columns=columns, pieces=pieces)
    col = columns[0] if columns else "text"
    changed = float((used[col].values != original[col].reindex(used.index % len(original)).values).mean())
    note = {} if changed else {"note": f"no text changed: this run is ERM on {cfg.rs_da_copies} copies of the data "
                                       f"(e.g. capitalised names are never replaced with rs_da_tokens: raw or WordNet)"}
    return used, {**note, "original": len(original), "used": len(used), "augmented_copies": cfg.rs_da_copies,
                  "kept_original": cfg.rs_da_keep_original, "fraction_of_texts_changed": round(changed, 4),
                  "length_matched": cfg.rs_da_length_match,
                  # the paper's RS-DA, or "WordNet synonym augmentation", and every deviation from perturb.py
                  **describe(cfg.synonyms_file, cfg.rs_da_tokens, cfg.rs_da_protected_words, cfg.rs_da_max_synonyms,
                             cfg.rs_da_keep_original, cfg.rs_da_length_match, cfg.wordnet_dir)}


def run_finetune(run: Run) -> pd.DataFrame:
    """Fine-tune on the English target task, from the plain model or a phase-1 encoder."""
    cfg = run.config
    source, alignment = cfg.model, None
    if cfg.init_from:
        upstream = read_results(cfg.init_from)
        alignment = upstream.get("alignment")  # an aligned encoder (rxlt.phases.alignment): its record travels on
        if upstream["config"]["model"] != cfg.model:
            raise ValueError(f"init_from {cfg.init_from} trained model {upstream['config']['model']!r}, "
                             f"but this run's model is {cfg.model!r}")
        source = str(Path(cfg.init_from) / upstream["artifacts"]["encoder"])
    seed_everything(cfg.seed)  # the state training_data saw before the rows were needed to trim the vocabulary
    objective = make_objective(cfg.objective, **cfg.objective_settings())
    train_df, train_counts = training_data(cfg, objective)
    trained = training_task(cfg.task)
    encoder, tokenizer, meta = prepare_encoder(cfg, source, vocabulary(cfg, english_rows(trained, train_df)))
    torch.manual_seed(cfg.seed)  # seed right before the head is built (embedded-pilot.md)
    stream, labels, dev_df = make_stream(encoder, tokenizer, trained, cfg, default_pooling(cfg.model), train_df,
                                         clean_inputs=getattr(objective, "clean_inputs", False))
    history = train_streams([stream], objective, cfg, cfg.seed, desc=trained)
    if "features" in sample_counts(stream, dev_df)["train"]:
        train_counts = {**train_counts, "features": len(stream.train)}
    # which data selected the model: the English dev split, or English train items held out for it (no English dev;
    # for XCOPA that depends on whether the data directory has COPA val, so the run says which it was)
    selection_data = "English dev"
    if stream.n_train != train_counts["used"]:
        train_counts = {**train_counts, "used": stream.n_train, "held_out_for_selection": len(dev_df)}
        selection_data = f"{len(dev_df)} English training items held out ({HELD_OUT:.0%})"
    summary = summarize_training(trained, labels, history, {"train": train_counts, "dev": {"original": len(dev_df), "used": len(dev_df)}})
    model = stream.model
    h = handler(stream.kind)
    test_df = english_test(trained)
    en_test = None
    if test_df is not None:
        en_test = headline(stream.kind, h.score(h.predict(model, tokenizer, test_df, labels,
                                                          run_settings(cfg, trained, cfg.batch_size * 2))))
    save_model(model, run.dir / MODEL_DIR, {**meta, "init_from": cfg.init_from}, labels)
    if stream.kind == "classification":  # the unit of phase 3's smoothing sigma, fixed here from English training data
        from rxlt.features.batching import encode_frame

        rms, tokens = embedding_rms(model, encode_frame(tokenizer, english(trained, "train"),
                                                        {l: i for i, l in enumerate(labels)}, cfg.max_length))
        write_embedding_scale(run.dir / MODEL_DIR, rms, tokens, f"English {trained} train ({tokens} tokens, max_length "
                                                                f"{cfg.max_length}), un-augmented")
    run.finish(
        metrics={"english_dev_score": summary["english_dev_score"], "english_test_score": en_test,
                 "dev_metric": summary["dev_metric"], "test_metric": h.metric, "selected_epoch": summary["selected_epoch"],
                 "selection_data": selection_data},
        samples={**summary["samples"], "test_en": {"original": 0 if test_df is None else len(test_df),
                                                   "used": 0 if test_df is None else len(test_df)}},
        artifacts={"model": MODEL_DIR},
        training=[summary],
        condition=condition_of(cfg, alignment),
        kind=stream.kind,
        trained_task=trained,
        **({"alignment": alignment} if alignment else {}),
    )
    return history_table([summary])


def condition_of(cfg, alignment: dict | None = None) -> str:
    """'probe' (a linear probe of the frozen encoder), or 'direct', 'intermediate' (encoder from phase 1) or the
    alignment condition of an aligned phase-1 encoder (e.g. 'align_l2-n100'), plus the objective when it is not plain
    ERM."""
    if getattr(cfg, "linear_probe", False):
        return "probe"
    base = alignment["condition"] if alignment else ("intermediate" if cfg.init_from else "direct")
    return base if cfg.objective == "erm" else f"{base}+{cfg.objective}"


