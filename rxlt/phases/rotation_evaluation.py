"""Phase 3's alignment parts for classification: the rotation method and the alignment diagnostic.

Rotation (`rotation_sentences` = N > 0): for every evaluated language x ≠ English, the fine-tuned model embeds N
parallel items of the task (rxlt.data.parallel: never a test item; drawn with the run's seed, nested in N) in x and
in English, as its head reads them (the pooled last layer); an orthogonal map W_x fitted on those pairs
(rxlt.scoring.rotation: Procrustes, the minimiser closest to the identity) rotates x's test inputs before the head.
English inputs are not rotated. N = 0 is the plain evaluation: nothing here runs, the logits are the plain pass's,
bit for bit (and a study gives N = 0 the plain run itself). The condition becomes `rotation-n<N>` (on a `direct`
model; `<condition>+rotation-n<N>` on another).

Diagnostic (`alignment_diagnostic`): the nearest-neighbour rates of translations among the test items, per language
and representation — every hidden layer mean-pooled, the head's input, and for rotation runs the rotated head input
(rxlt.scoring.alignment_diagnostic) — written to `alignment_diagnostic.csv`, averaged in results.json.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rxlt.data import parallel
from rxlt.phases.alignment import condition_name, draw_pairs, encode_rows
from rxlt.scoring.alignment_diagnostic import diagnostic_table
from rxlt.scoring.pooled_features import head_logits, pooled_features
from rxlt.scoring.rotation import fit_record, procrustes, rotate

DIAGNOSTIC = "alignment_diagnostic.csv"
HEAD_INPUT, ROTATED = "head input", "head input, rotated"
REFERENCE = ("orthogonal Procrustes (Schönemann 1966; Xing et al. 2015, Smith et al. 2017 for cross-lingual maps) "
             "on the pooled head inputs, per language, fitted on parallel items; rxlt.scoring.rotation")


@dataclass
class AlignedEvaluation:
    """What the alignment parts add to a phase-3 run: rotated logits (None: the plain pass stands), the run's
    condition and `alignment` record, the diagnostic table and its artifact."""

    logits: np.ndarray | None
    condition: str | None
    record: dict | None
    diagnostic: pd.DataFrame | None = None
    artifacts: dict = field(default_factory=dict)


def rotation_plan(cfg, task: str, languages: list[str]) -> pd.DataFrame | None:
    """The parallel rows the rotation will fit on, drawn before any model is loaded (a language with fewer than N
    parallel items is refused here, naming it and its count); None when the rotation is off."""
    if not cfg.rotation_sentences:
        return None
    parallel.check_task(task)
    others = [lg for lg in languages if lg != parallel.SOURCE_LANGUAGE]
    drawn, _ = draw_pairs(task, others, cfg.rotation_sentences, cfg.seed)
    return drawn


def evaluate_alignment(model, tokenizer, used: pd.DataFrame, data, cfg, upstream: dict, max_length: int,
                       plan: pd.DataFrame | None, run_dir) -> AlignedEvaluation:
    """Rotation and/or diagnostic for the encoded test rows `data` (= `used`); a no-op record when both are off."""
    condition, record = upstream.get("condition"), upstream.get("alignment")
    if plan is None and not cfg.alignment_diagnostic:
        return AlignedEvaluation(None, condition, record)
    feats = pooled_features(model, data, cfg.batch_size, cfg.precision, layers=cfg.alignment_diagnostic,
                            desc="pooled features")
    head_in, logits, rotated = feats["head_input"], None, None
    if plan is not None:
        rotated, fits = _rotate(model, tokenizer, used, head_in, plan, cfg, max_length)
        logits = head_logits(model, rotated)
        name = condition_name("rotation", cfg.rotation_sentences)
        condition = name if condition in (None, "direct") else f"{condition}+{name}"
        record = {"method": "rotation", "condition": condition, "reference": REFERENCE, "fit": fits,
                  **({"on_top_of": record} if record else {}),
                  **parallel.describe(plan, upstream["config"]["task"], cfg.rotation_sentences, cfg.seed)}
    out = AlignedEvaluation(logits, condition, record)
    if cfg.alignment_diagnostic:
        layers = {f"layer {k}": v for k, v in enumerate(feats["layers"])}
        layers[HEAD_INPUT] = head_in
        if rotated is not None:
            layers[ROTATED] = rotated
        out.diagnostic = diagnostic_table(used.key.astype(str), used.language, layers)
        out.diagnostic.to_csv(run_dir / DIAGNOSTIC, index=False)
        out.artifacts = {"alignment_diagnostic": DIAGNOSTIC}
    return out


def _rotate(model, tokenizer, used: pd.DataFrame, head_in: np.ndarray, plan: pd.DataFrame, cfg, max_length: int):
    """(head inputs with every non-English language's rows rotated onto English, per-language fit records)."""
    feats = pooled_features(model, encode_rows(tokenizer, plan, max_length), cfg.batch_size, cfg.precision,
                            desc="parallel items")["head_input"]
    plan = plan.reset_index(drop=True)
    english = plan[plan.language == parallel.SOURCE_LANGUAGE]
    english_row = dict(zip(english.key, english.index))
    rotated, fits = head_in.copy(), {}
    for lang, g in plan[plan.language != parallel.SOURCE_LANGUAGE].groupby("language", sort=True):
        x, y = feats[g.index.to_numpy()], feats[g.key.map(english_row).to_numpy()]
        w = procrustes(x, y)
        rows = np.flatnonzero(used.language.to_numpy() == lang)
        rotated[rows] = rotate(head_in[rows], w)
        fits[lang] = fit_record(x, y, w)
    return rotated, fits


def diagnostic_summary(table: pd.DataFrame | None) -> dict:
    """Mean over languages of each rate, per representation (for results.json)."""
    if table is None or table.empty:
        return {}
    means = table.groupby("representation", sort=False)[["x_to_en", "en_to_x", "mexa"]].mean()
    return {"languages": int(table.language.nunique()), "items_per_language": int(table.n.median()),
            "mean_over_languages": {r: {k: float(v) for k, v in row.items()} for r, row in means.iterrows()},
            "reference": "MEXA (Kargaran et al. 2024; cisnlp/MEXA compute_mexa.py), x→en and en→x beside it"}
