"""Examples of a task by split and language, whatever the task's source (CLDR now, XTREME-R later)."""
from __future__ import annotations

import pandas as pd

from . import cldr, hub_tasks
from .lookup import UnknownNameError, suggest
from .tasks import TASKS, task_spec

SOURCE_LANGUAGE = cldr.SOURCE_LANGUAGE


def known_tasks() -> list[str]:
    """Embedded tasks (rxlt.tasks) and English intermediate tasks from the hub (rxlt.hub_tasks)."""
    return sorted({*TASKS, *hub_tasks.INTERMEDIATE_TASKS})


def check_task(task: str) -> None:
    if task not in TASKS and task not in hub_tasks.INTERMEDIATE_TASKS:
        raise UnknownNameError(f"unknown task {task!r}: {suggest(task, known_tasks())}")


def examples(task: str, split: str, languages=None) -> pd.DataFrame:
    """Rows (language, [key,] text[, text_pair], label) of `task`'s `split`, optionally restricted to `languages`."""
    if task in hub_tasks.INTERMEDIATE_TASKS:
        if split == "test":
            raise ValueError(f"{task!r} is an English intermediate task: it has train and dev splits only")
        return hub_tasks.load_split(task, split)
    source = task_spec(task)["source"]
    if source != "cldr":
        raise NotImplementedError(f"task {task!r} has source {source!r}, which this version cannot load")
    df = cldr.load_cldr_task(task)
    df = df[df.split == split]
    if languages is not None:
        df = df[df.language.isin(list(languages))]
    return df.reset_index(drop=True)


def labels(task: str) -> list[str]:
    if task in hub_tasks.INTERMEDIATE_TASKS:
        return list(hub_tasks.INTERMEDIATE_TASKS[task].get("labels") or [])
    return cldr.task_labels(task)


def evaluation_languages(task: str) -> list[str]:
    """Every language with at least the task's minimum number of test items (English included)."""
    return cldr.test_languages(task)
