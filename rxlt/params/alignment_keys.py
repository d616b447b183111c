"""Checks of the alignment keys of phases 1 and 3 (rxlt.phases.alignment, rxlt.phases.rotation_evaluation): the
number of parallel sentences, the alignment run's objective, parallel task and languages."""
from __future__ import annotations

from rxlt.data.parallel import PARALLEL_SOURCES, parse_budget
from rxlt.languages.metadata import LANGUAGES
from rxlt.lookup import suggest
from rxlt.params.strict import ParamsError, require


def check_budget_value(value, key: str, allow_zero: bool):
    """A number of parallel sentences: a non-negative integer or 'all' (rxlt.data.parallel.parse_budget)."""
    try:
        n = parse_budget(value, f"key {key!r}")
    except ValueError as exc:
        raise ParamsError(str(exc)) from None
    require(allow_zero or n != 0, key, "0 parallel sentences is plain fine-tuning: run the direct condition instead")
    return n


def check_alignment_keys(cfg) -> None:
    """An alignment run's keys: its objective, the parallel task, N >= 1, languages; no intermediate tasks."""
    from rxlt.train.alignment import ALIGNMENT_OBJECTIVES

    require(cfg.alignment_objective in ALIGNMENT_OBJECTIVES, "alignment_objective",
            f"{cfg.alignment_objective!r}: expected one of {ALIGNMENT_OBJECTIVES} (or empty for intermediate tasks)")
    require(len(cfg.tasks) == 0, "tasks", f"an alignment run trains on translation pairs, not on tasks: give tasks: [] "
                                          f"(got {list(cfg.tasks)})")
    if cfg.parallel_task not in PARALLEL_SOURCES:
        raise ParamsError(f"key 'parallel_task': {cfg.parallel_task!r} has no parallel items rxlt can use: "
                          f"{suggest(cfg.parallel_task, PARALLEL_SOURCES)} (one of {', '.join(PARALLEL_SOURCES)})")
    check_budget_value(cfg.alignment_sentences, "alignment_sentences", allow_zero=False)
    check_languages(cfg.alignment_languages, "alignment_languages")
    require(cfg.alignment_weight >= 0, "alignment_weight", f"must be >= 0, got {cfg.alignment_weight}")
    require(cfg.alignment_temperature > 0, "alignment_temperature", f"must be > 0, got {cfg.alignment_temperature}")


def check_languages(languages, key: str) -> None:
    """Language codes of the metadata table, or ['all'] alone."""
    require(len(languages) >= 1, key, "name languages or use ['all']")
    if tuple(languages) == ("all",):
        return
    require("all" not in languages, key, f"['all'] alone means every language; got {list(languages)}")
    for code in languages:
        if code not in LANGUAGES:
            raise ParamsError(f"key {key!r}: unknown language {code!r}: {suggest(code, LANGUAGES)}")


def check_rotation_keys(cfg) -> None:
    """Phase 3: N for the rotation; rotated logits exist for the plain prediction only (smoothing and the
    generalized grid would read unrotated inputs)."""
    n = check_budget_value(cfg.rotation_sentences, "rotation_sentences", allow_zero=True)
    require(not n or not cfg.smoothing_samples, "rotation_sentences",
            "smoothed prediction (smoothing_samples) reads unrotated inputs: use one of them per run")
    require(not n or not cfg.generalized_languages, "rotation_sentences",
            "the generalized language-pair grid reads unrotated inputs: use one of them per run")
