"""Examples of a task by split and language, whatever the task's source (CLDR now, XTREME-R later)."""
from __future__ import annotations

import pandas as pd

from . import cldr
from .tasks import task_spec

SOURCE_LANGUAGE = cldr.SOURCE_LANGUAGE


def examples(task: str, split: str, languages=None) -> pd.DataFrame:
    """Rows (language, key, text, label) of `task`'s `split`, optionally restricted to `languages`."""
    source = task_spec(task)["source"]
    if source != "cldr":
        raise NotImplementedError(f"task {task!r} has source {source!r}, which this version cannot load")
    df = cldr.load_cldr_task(task)
    df = df[df.split == split]
    if languages is not None:
        df = df[df.language.isin(list(languages))]
    return df.reset_index(drop=True)


def labels(task: str) -> list[str]:
    return cldr.task_labels(task)


def evaluation_languages(task: str) -> list[str]:
    """Every language with at least the task's minimum number of test items (English included)."""
    return cldr.test_languages(task)
