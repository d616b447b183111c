"""The alignment side of a study: its keys' checks, and its runs in the DAG.

Each method of `alignment_methods` runs at every N > 0 of `parallel_sentences`, for every seed:
- `rotation`: a phase-3 run of the seed's `direct` + `erm` model with `rotation_sentences: N`
  (rxlt.phases.rotation_evaluation) — condition `rotation-n<N>`;
- `align_l2`, `align_contrastive`: a phase-1 alignment run on N translation pairs per evaluated language
  (rxlt.phases.alignment), then the `direct` + `erm` fine-tuning from that encoder and its evaluation — condition
  `align_l2-n<N>` / `align_contrastive-n<N>`.
N = 0 is plain fine-tuning: the `direct` + `erm` runs themselves (no separate run; phase 5 reads their gain as 0).
A language with fewer parallel items than N is refused when the study loads, naming it and its count, wherever
the items are on the machine (SIB-200 always: the shipped copy; XNLI / PAWS-X dev files under $RXLT_DATA_DIR);
otherwise the run refuses it when it starts, before the model loads.
"""
from __future__ import annotations

from dataclasses import replace

from rxlt.data import parallel
from rxlt.lookup import suggest
from rxlt.params.phases import IntermediateParams
from rxlt.params.strict import ParamsError, require

ALIGNMENT_METHODS = {
    "rotation": "orthogonal Procrustes per language on the fine-tuned model's pooled head inputs (phase 3)",
    "align_l2": "alignment fine-tuning, Cao et al. 2020's loss at the sentence level + English regulariser (phase 1)",
    "align_contrastive": "alignment fine-tuning, in-batch InfoNCE to the English translations + English regulariser "
                         "(phase 1)",
}
# Cao et al.'s optimiser for every alignment run, whatever the study's fine-tuning uses (rxlt.train.alignment): Adam
# without weight decay, a linear warm-up over 10% of the steps, then constant
CAO_OPTIMISER = {"weight_decay": 0.0, "warmup_ratio": 0.1}
# keys that only matter to alignment fine-tuning: refused without an align_* method (they would change nothing)
FINETUNING_KEYS = {"alignment_epochs": 1, "alignment_lr": 5e-5, "alignment_weight": 1.0, "alignment_temperature": 0.05}


def check_keys(cfg) -> None:
    """The study's alignment keys, before any run is built."""
    from rxlt.data.kinds import task_kind

    methods, budgets = list(cfg.alignment_methods), list(cfg.parallel_sentences)
    for m in methods:
        if m not in ALIGNMENT_METHODS:
            raise ParamsError(f"key 'alignment_methods': unknown method {m!r}: {suggest(m, ALIGNMENT_METHODS)}")
    for key, values in (("alignment_methods", methods), ("parallel_sentences", budgets)):
        twice = sorted({str(v) for v in values if values.count(v) > 1})
        require(not twice, key, f"duplicate entries {twice} in {values}: list each once")
    for n in budgets:
        try:
            parallel.parse_budget(n, "key 'parallel_sentences'")
        except ValueError as exc:
            raise ParamsError(str(exc)) from None
    require(bool(methods) == bool(budgets), "parallel_sentences" if methods else "alignment_methods",
            "alignment_methods and parallel_sentences go together: name the methods and the N values to sweep "
            "(e.g. alignment_methods: [rotation, align_l2], parallel_sentences: [0, 10, 100])")
    align_ft = [m for m in methods if m.startswith("align_")]
    for key, default in FINETUNING_KEYS.items():
        require(getattr(cfg, key) == default or bool(align_ft), key,
                f"applies to alignment fine-tuning (align_l2, align_contrastive), which is not among alignment_methods "
                f"{methods}")
    require(cfg.alignment_temperature == 0.05 or "align_contrastive" in methods, "alignment_temperature",
            "applies to align_contrastive only")
    require(cfg.alignment_epochs >= 1, "alignment_epochs", f"must be >= 1, got {cfg.alignment_epochs}")
    require(cfg.alignment_lr > 0, "alignment_lr", f"must be > 0, got {cfg.alignment_lr}")
    require(cfg.alignment_weight >= 0, "alignment_weight", f"must be >= 0, got {cfg.alignment_weight}")
    require(cfg.alignment_temperature > 0, "alignment_temperature", f"must be > 0, got {cfg.alignment_temperature}")
    if cfg.alignment_diagnostic or methods:
        require(task_kind(cfg.target_task) == "classification", "alignment_diagnostic" if not methods else
                "alignment_methods", f"reads a classification head's pooled inputs; target_task {cfg.target_task!r} "
                                     f"is {task_kind(cfg.target_task)}")
    if not methods:
        return
    if cfg.target_task not in parallel.PARALLEL_SOURCES:
        raise ParamsError(f"key 'alignment_methods': target_task {cfg.target_task!r} has no parallel items rxlt can "
                          f"use; tasks with them: {', '.join(parallel.PARALLEL_SOURCES)} (rxlt.data.parallel)")
    require("direct" in cfg.conditions and "erm" in cfg.objectives, "alignment_methods",
            f"compare against plain fine-tuning and rotate its model: conditions must include 'direct' and objectives "
            f"'erm' (got {list(cfg.conditions)}, {list(cfg.objectives)})")


def check_budgets(cfg, languages: list[str]) -> None:
    """Refuse N above a language's parallel items where they can be counted without the network."""
    if not cfg.alignment_methods:
        return
    others = [lg for lg in languages if lg != parallel.SOURCE_LANGUAGE]
    available = parallel.counts_if_local(cfg.target_task, others)
    if available is None:
        return
    for n in cfg.parallel_sentences:
        try:
            parallel.check_budget(available, n, cfg.target_task)
        except parallel.BudgetError as exc:
            raise ParamsError(f"key 'parallel_sentences': {exc}") from None


def add_runs(cfg, add, train: dict, specs: list, languages) -> list:
    """Add every alignment run to the DAG through `add` (rxlt.run.study.expand's); return the new phase-3 runs.
    `languages`: the study's evaluation languages as the task codes them (or ['all'])."""
    evaluations = []
    budgets = [n for n in cfg.parallel_sentences if n != 0]
    if not cfg.alignment_methods or not budgets:
        return evaluations
    for seed in cfg.seeds:
        ft = next(s for s in specs if s.phase == "02_finetune" and s.run_id.startswith(f"direct-erm-s{seed}-"))
        ev = next(s for s in specs if s.phase == "03_evaluate" and s.params.finetune_run == ft.params.run_dir)
        for method in cfg.alignment_methods:
            for n in budgets:
                label = f"{method}-n{parallel.budget_label(n)}"
                if method == "rotation":
                    evaluations.append(add("03_evaluate", f"{label}-s{seed}", replace(ev.params, rotation_sentences=n,
                                                                                      run_dir=""), needs=[ft.key]))
                    continue
                align = add("01_intermediate", f"{label}-s{seed}", IntermediateParams(
                    **{**train, **CAO_OPTIMISER, "lr": cfg.alignment_lr},
                    tasks=(), seed=seed, epochs=cfg.alignment_epochs, alignment_objective=method.removeprefix("align_"),
                    parallel_task=cfg.target_task, alignment_sentences=n,
                    alignment_languages=alignment_languages(languages), alignment_weight=cfg.alignment_weight,
                    alignment_temperature=cfg.alignment_temperature if method == "align_contrastive" else 0.05))
                tuned = add("02_finetune", f"{label}-erm-s{seed}", replace(ft.params, init_from=align.params.run_dir,
                                                                            run_dir=""), needs=[align.key])
                evaluations.append(add("03_evaluate", f"{label}-erm-s{seed}", replace(
                    ev.params, finetune_run=tuned.params.run_dir, run_dir=""), needs=[tuned.key]))
    return evaluations


def alignment_languages(languages) -> tuple[str, ...]:
    """The study's evaluation languages without English (['all'] stays: every language with parallel items)."""
    if tuple(languages) == ("all",):
        return ("all",)
    return tuple(lg for lg in languages if lg != parallel.SOURCE_LANGUAGE)
