"""One frozen, validated parameter dataclass per phase (and one for a whole study)."""
from __future__ import annotations

from dataclasses import dataclass

from .cldr import SOURCE_LANGUAGE
from .languages import LANGUAGES
from .lookup import UnknownNameError, suggest
from .models import MODELS
from .objectives import OBJECTIVES
from .params import ParamsError, param, require
from .tasks import TASKS
from .tiers import TIER_SCHEMES

PRECISIONS = ("auto", "bf16", "fp32")


def _known(value: str, table, key: str, what: str, allow_paths: bool = False) -> None:
    if value in table or (allow_paths and ("/" in value or value.startswith("."))):
        return
    raise ParamsError(f"key {key!r}: unknown {what} {value!r}: {suggest(value, table)}"
                      + (" (or a hub id / local path containing '/')" if allow_paths else ""))


@dataclass(frozen=True)
class TrainingParams:
    """Settings shared by the two training phases."""

    model: str = param("e5-small", "encoder: an rxlt alias (e5-small, xlm-roberta-base, mbert, …), a HF hub id or a local path")
    encoder_layers: int = param(0, "keep only the first N transformer layers (0 = all); smoke runs use few")
    seed: int = param(0, "seed for head initialisation, data order and dropout")
    epochs: int = param(10, "passes over the English training split")
    batch_size: int = param(32, "examples per optimisation step")
    lr: float = param(5e-5, "AdamW learning rate of the encoder")
    head_lr: float = param(1e-3, "AdamW learning rate of the freshly initialised head")
    weight_decay: float = param(0.01, "AdamW weight decay")
    warmup_ratio: float = param(0.1, "fraction of steps with linear warm-up")
    max_grad_norm: float = param(1.0, "gradient clipping norm")
    max_length: int = param(32, "tokens per input after truncation (CLDR items are 2-20 tokens)")
    freeze_word_embeddings: bool = param(True, "keep the 250k-row word embedding matrix fixed (embedded-encoder.md: 2.4 vs 4.5 GB)")
    # bf16 autocast: ~2x faster with bf16 matrix units, accuracy change inside seed noise (embedded-pilot.md);
    # emulated (slower) without them, hence "auto".
    precision: str = param("auto", "auto (bf16 where the hardware has fast bf16, else fp32), bf16 or fp32")
    run_dir: str = param("", "where outputs go; empty = runs/scratch/<phase> (interactive runs)")

    def __post_init__(self):
        _known(self.model, MODELS, "model", "model alias", allow_paths=True)
        for key in ("epochs", "batch_size", "max_length"):
            require(getattr(self, key) >= 1, key, f"must be >= 1, got {getattr(self, key)}")
        require(self.encoder_layers >= 0, "encoder_layers", "must be >= 0 (0 = all layers)")
        for key in ("lr", "head_lr", "max_grad_norm"):
            require(getattr(self, key) > 0, key, f"must be > 0, got {getattr(self, key)}")
        require(0 <= self.warmup_ratio < 1, "warmup_ratio", f"must be in [0, 1), got {self.warmup_ratio}")
        require(self.precision in PRECISIONS, "precision", f"{self.precision!r}: expected one of {PRECISIONS}")


def _check_tasks(tasks, key: str) -> None:
    for t in tasks:
        if t not in TASKS:
            raise ParamsError(f"key {key!r}: unknown task {t!r}: {suggest(t, TASKS)}")


@dataclass(frozen=True)
class IntermediateParams(TrainingParams):
    """Phase 1: train the encoder on English intermediate tasks, one after another."""

    tasks: tuple[str, ...] = param(("cldr-unit", "cldr-reltime"), "English intermediate tasks, trained in this order")

    def __post_init__(self):
        super().__post_init__()
        require(len(self.tasks) >= 1, "tasks", "name at least one intermediate task")
        _check_tasks(self.tasks, "tasks")


@dataclass(frozen=True)
class FinetuneParams(TrainingParams):
    """Phase 2: fine-tune on the English target task with a fresh head."""

    task: str = param("cldr-territory", "target task (its English train/dev splits are used)")
    init_from: str = param("", "phase-1 run directory whose encoder to start from; empty = the plain `model`")
    objective: str = param("erm", "training objective (erm; robust methods come with their own issue)")

    def __post_init__(self):
        super().__post_init__()
        _check_tasks([self.task], "task")
        _known(self.objective, OBJECTIVES, "objective", "objective")


@dataclass(frozen=True)
class EvaluateParams:
    """Phase 3: zero-shot evaluation of a fine-tuned model in every language of the task."""

    finetune_run: str = param("", "phase-2 run directory (holds model/ and results.json)")
    languages: tuple[str, ...] = param(("all",), "language codes, or ['all'] for every language with enough test items")
    max_test_items: int = param(0, "cap per language (0 = all); smoke runs only")
    batch_size: int = param(128, "examples per inference batch")
    precision: str = param("auto", "auto (bf16 where the hardware has fast bf16, else fp32), bf16 or fp32")
    bootstrap_samples: int = param(1000, "bootstrap resamples for per-language confidence intervals")
    seed: int = param(0, "seed of the bootstrap")
    run_dir: str = param("", "where outputs go; empty = runs/scratch/03_evaluate")

    def __post_init__(self):
        require(bool(self.finetune_run), "finetune_run", "give the phase-2 run directory to evaluate")
        require(len(self.languages) >= 1, "languages", "name languages or use ['all']")
        if tuple(self.languages) != ("all",):
            for code in self.languages:
                if code not in LANGUAGES:
                    raise ParamsError(f"key 'languages': unknown language {code!r}: {suggest(code, LANGUAGES)}")
        require(self.max_test_items >= 0, "max_test_items", "must be >= 0")
        require(self.bootstrap_samples >= 100, "bootstrap_samples", "use at least 100 resamples")
        require(self.precision in PRECISIONS, "precision", f"{self.precision!r}: expected one of {PRECISIONS}")


@dataclass(frozen=True)
class TiersParams:
    """Phase 4: per-language transfer gaps, per-tier summaries, intermediate vs direct."""

    evaluation_runs: tuple[str, ...] = param((), "phase-3 run directories to compare (all conditions and seeds)")
    tier_scheme: str = param("joshi", "how languages are tiered: " + "; ".join(f"{k}: {v}" for k, v in TIER_SCHEMES.items()))
    baseline_condition: str = param("direct", "condition the others are compared against")
    include_english: bool = param(False, "include English in per-tier averages (it is the source language)")
    bootstrap_samples: int = param(1000, "bootstrap resamples for intervals")
    seed: int = param(0, "seed of the bootstrap")
    smoke: bool = param(False, "mark the report as a smoke run (tiny data, not evidence)")
    run_dir: str = param("", "where outputs go; empty = runs/scratch/04_tiers")

    def __post_init__(self):
        require(len(self.evaluation_runs) >= 1, "evaluation_runs", "give at least one phase-3 run directory")
        if self.tier_scheme not in TIER_SCHEMES:
            raise ParamsError(f"key 'tier_scheme': unknown scheme {self.tier_scheme!r}: {suggest(self.tier_scheme, TIER_SCHEMES)}")
        require(self.bootstrap_samples >= 100, "bootstrap_samples", "use at least 100 resamples")


PHASES: dict[str, type] = {
    "01_intermediate": IntermediateParams,
    "02_finetune": FinetuneParams,
    "03_evaluate": EvaluateParams,
    "04_tiers": TiersParams,
}

__all__ = ["PHASES", "IntermediateParams", "FinetuneParams", "EvaluateParams", "TiersParams",
           "ParamsError", "UnknownNameError", "SOURCE_LANGUAGE"]
