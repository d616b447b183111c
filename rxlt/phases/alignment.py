"""Phase 1, alignment mode: fine-tune the encoder on translation pairs before the task (rxlt.train.alignment);
the aligned encoder is the run's artifact, and phase 2 fine-tunes it on English like any phase-1 encoder.

A run draws `alignment_sentences` items per language of `alignment_languages` from the target task's parallel pool
(rxlt.data.parallel: never a test item), refuses a language with too few before the model loads, trains for
`epochs` passes (Cao et al. 2020: one) and records what it drew (N, seed, keys and their sha256) in results.json
under `alignment`, which phases 2 and 3 carry forward and phase 5 reads to name the condition.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from rxlt.data import parallel
from rxlt.features.batching import encode
from rxlt.model.checkpoint import default_pooling, save_encoder
from rxlt.phases.english_training import prepare_encoder
from rxlt.results import Run
from rxlt.train.alignment import SentenceAlignment, SentenceEncoder, train_alignment

ENCODER_DIR = "encoder"
REFERENCE = ("Cao, Kitaev & Klein 2020, Multilingual Alignment of Contextual Word Representations (ICLR): alignment "
             "loss to the initial encoder's English vectors + λ × English regulariser; here at the sentence level "
             "(rxlt.train.alignment)")


def condition_name(method: str, n) -> str:
    """A condition's name in tables: the method and N, e.g. `align_l2-n100`, `rotation-nall`."""
    return f"{method}-n{parallel.budget_label(n)}"


def alignment_languages(cfg) -> list[str]:
    """The languages to align (never English): those named, or with ['all'] every language with parallel items."""
    named = parallel.parallel_languages(cfg.parallel_task) if tuple(cfg.alignment_languages) == ("all",) \
        else list(cfg.alignment_languages)
    return [lg for lg in named if lg != parallel.SOURCE_LANGUAGE]


def encode_rows(tokenizer, rows: pd.DataFrame, max_length: int):
    pairs = rows.text_pair.tolist() if "text_pair" in rows else None
    return encode(tokenizer, rows.text.tolist(), None, max_length, text_pairs=pairs)


def draw_pairs(task: str, languages: list[str], n, seed: int) -> tuple[pd.DataFrame, dict[str, int]]:
    """(the drawn parallel rows of every language + their English side, the pool's items per language); a short
    language is refused here, before any model is loaded."""
    frame = parallel.pool(task, languages)
    sizes = frame.groupby("language").size()
    available = {lg: int(sizes.get(lg, 0)) for lg in languages}
    parallel.check_budget(available, n, task)
    return parallel.draw(frame, languages, n, seed, task), available


def run_alignment(run: Run) -> pd.DataFrame:
    """Align the encoder on the drawn pairs; save the encoder; return the per-epoch history."""
    cfg = run.config
    languages = alignment_languages(cfg)
    drawn, available = draw_pairs(cfg.parallel_task, languages, cfg.alignment_sentences, cfg.seed)
    x_rows = drawn[drawn.language != parallel.SOURCE_LANGUAGE].reset_index(drop=True)
    en_rows = drawn[drawn.language == parallel.SOURCE_LANGUAGE].reset_index(drop=True)
    encoder, tokenizer, meta = prepare_encoder(cfg, cfg.model)
    model = SentenceEncoder(encoder, default_pooling(cfg.model))
    x, en = encode_rows(tokenizer, x_rows, cfg.max_length), encode_rows(tokenizer, en_rows, cfg.max_length)
    pair_en = x_rows.key.map({k: i for i, k in enumerate(en_rows.key)}).to_numpy(dtype=np.int64)
    objective = SentenceAlignment(cfg.alignment_objective, cfg.alignment_weight, cfg.alignment_temperature)
    torch.manual_seed(cfg.seed)  # dropout draws during alignment
    name = f"align_{cfg.alignment_objective}"
    history = train_alignment(model, x, en, pair_en, objective, cfg, cfg.seed,
                              desc=f"{name}: {len(x_rows)} pairs, {len(languages)} languages")
    record = {"method": name, "condition": condition_name(name, cfg.alignment_sentences),
              "objective": cfg.alignment_objective, "english_regulariser_weight": cfg.alignment_weight,
              **({"temperature": cfg.alignment_temperature} if cfg.alignment_objective == "contrastive" else {}),
              "representation": f"the task head's pooling ({default_pooling(cfg.model)}) of the last layer",
              "reference": REFERENCE,
              **parallel.describe(drawn, cfg.parallel_task, cfg.alignment_sentences, cfg.seed)}
    save_encoder(encoder, run.dir / ENCODER_DIR, {**meta, "alignment": {k: record[k] for k in
                                                                        ("method", "condition", "keys_sha256")}})
    last = history[-1]
    run.finish(
        metrics={k: last[k] for k in ("train_loss", "alignment_loss", "english_regulariser") if k in last},
        samples={"parallel_pairs": {"original": sum(available.values()), "used": len(x_rows)},
                 "english_sentences": {"original": len(en_rows), "used": len(en_rows)}},
        artifacts={"encoder": ENCODER_DIR},
        training=[{"task": name, "history": history, "selection": "none: the last state after the fixed number of "
                                                                  "epochs (Cao et al. 2020; no task to select on)"}],
        alignment=record,
        condition=record["condition"],
    )
    return pd.DataFrame([{"task": name, **h} for h in history])
