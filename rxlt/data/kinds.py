"""The kinds of task rxlt knows, and which kind a task is, from whichever table defines it.

The kind decides the head (rxlt.model.heads), the features (rxlt.features) and the metric
(rxlt.phases.kind_handlers) of every phase that trains or evaluates the task.
"""
from __future__ import annotations

KINDS = ("classification", "multiple_choice", "tagging", "qa", "retrieval")
TRAINABLE = ("classification", "multiple_choice", "tagging", "qa", "retrieval")
# hub_tasks.py names kinds by the head they need; the XTREME-R table uses the contract's names.
KIND_ALIASES = {"pair-classification": "classification", "multiple-choice": "multiple_choice", "extractive-qa": "qa"}


def normalize_kind(kind: str) -> str:
    kind = KIND_ALIASES.get(kind, kind)
    if kind not in KINDS:
        raise ValueError(f"unknown task kind {kind!r}; known: {', '.join(KINDS)}")
    return kind


def task_kind(task: str) -> str:
    """The kind of a task from whichever table defines it (XTREME-R, XGLUE, low-resource suites, hub catalogue,
    embedded tasks)."""
    from rxlt.data.cldr_tasks import TASKS
    from rxlt.data.hub_tasks import INTERMEDIATE_TASKS
    from rxlt.data.lowres_tasks import LOWRES_TASKS
    from rxlt.data.xglue_tasks import XGLUE_TASKS
    from rxlt.data.xtreme_tasks import RETRIEVAL_TRAINING_TASKS, XTREME_TASKS

    for table in (XTREME_TASKS, RETRIEVAL_TRAINING_TASKS, XGLUE_TASKS, LOWRES_TASKS, INTERMEDIATE_TASKS, TASKS):
        if task in table:
            return normalize_kind(table[task].get("kind", "classification"))
    return "classification"
