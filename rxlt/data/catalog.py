"""Examples of a task by split and language, whatever the task's source: CLDR (rxlt.data.cldr_tasks), English
intermediate tasks from the hub (rxlt.data.hub_tasks) and the XTREME-R classification tasks xnli and pawsx
(rxlt.data.xtreme_loader), which phases 2–3 train on English `train`/`dev` and evaluate on `test`.

Development with dev files only: put a file `rxlt-dev-split.json` into the data directory
(`$RXLT_DATA_DIR`), e.g. `{"fractions": {"train": 0.6, "dev": 0.2, "test": 0.2}, "seed": 0}`. Then the
XTREME classification tasks read their *dev* files and cut them by item key (rxlt.data.xtreme_loader.split_by_item):
all translations of an item fall in one portion, so no translation of a training item is ever tested.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from rxlt.data import cldr, hub_tasks, suite_loader, xtreme_loader, xtreme_tasks
from rxlt.data.cldr_tasks import TASKS, task_spec
from rxlt.data.kinds import task_kind
from rxlt.lookup import UnknownNameError, suggest

SOURCE_LANGUAGE = cldr.SOURCE_LANGUAGE
DEV_SPLIT_FILE = "rxlt-dev-split.json"
# XTREME-R tasks the sentence(-pair) classifier of phases 2–3 can train; other kinds need rxlt's task heads.
XTREME_CLASSIFICATION = tuple(t for t, s in xtreme_tasks.XTREME_TASKS.items() if s["kind"] == "classification")


def known_tasks() -> list[str]:
    """Embedded tasks, English intermediate tasks from the hub, the XTREME classification tasks and the XGLUE /
    low-resource suite tasks (rxlt.data.suite_loader, every kind)."""
    return sorted({*TASKS, *hub_tasks.INTERMEDIATE_TASKS, *XTREME_CLASSIFICATION, *suite_loader.SUITE_TASKS})


def check_task(task: str) -> None:
    if task not in known_tasks():
        raise UnknownNameError(f"unknown task {task!r}: {suggest(task, known_tasks())}")


def dev_split() -> dict | None:
    """The development split switch of the data directory, or None (see the module docstring)."""
    root = xtreme_loader._root(None)
    path = root / DEV_SPLIT_FILE if root else None
    if not path or not path.is_file():
        return None
    try:
        spec = json.loads(path.read_text())
        return {"fractions": dict(spec["fractions"]), "seed": int(spec.get("seed", 0))}
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: expected {{\"fractions\": {{\"train\": .., \"dev\": .., \"test\": ..}}, "
                         f"\"seed\": 0}} ({type(exc).__name__}: {exc})") from None


def _xtreme_examples(task: str, split: str, languages) -> pd.DataFrame:
    cut = dev_split()
    if cut:
        langs = [SOURCE_LANGUAGE] if split in ("train", "dev") else languages
        df = xtreme_loader.split_by_item(xtreme_loader.load(task, "dev"), cut["fractions"], cut["seed"])
        df = df[df.split == split].drop(columns="split")
        return (df if langs is None else df[df.language.isin(list(langs))]).reset_index(drop=True)
    if split == "train" and task == "xnli":
        try:
            return xtreme_loader.load(task, "train")
        except FileNotFoundError:
            return hub_tasks.load_split("mnli", "train")  # XNLI's English training data is MNLI
    if split in ("train", "dev"):
        return xtreme_loader.load(task, split, [SOURCE_LANGUAGE] if split == "dev" else None)
    return xtreme_loader.load(task, split, languages)


def examples(task: str, split: str, languages=None) -> pd.DataFrame:
    """Rows (language, [key,] text[, text_pair], label) of `task`'s `split`, optionally restricted to `languages`."""
    if task in XTREME_CLASSIFICATION:
        return _xtreme_examples(task, split, languages)
    if task in suite_loader.SUITE_TASKS:  # train/dev: the task's English source; test: its languages
        return suite_loader.load(task, split, languages if split == "test" else None)
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
    if task in XTREME_CLASSIFICATION:
        return list(xtreme_tasks.XTREME_TASKS[task]["labels"])
    if task in suite_loader.SUITE_TASKS:
        return suite_loader.labels(task)
    if task in hub_tasks.INTERMEDIATE_TASKS:
        return list(hub_tasks.INTERMEDIATE_TASKS[task].get("labels") or [])
    return cldr.task_labels(task)


def evaluation_languages(task: str) -> list[str]:
    """Every language with test items (English included): for XTREME tasks, the languages whose test files
    (or, under the dev-split switch, dev files) exist locally, else the task's full list (hub)."""
    if task in XTREME_CLASSIFICATION:
        spec = xtreme_tasks.XTREME_TASKS[task]
        root = xtreme_loader._root(None)
        split = "dev" if dev_split() else "test"
        if root is not None:
            found = xtreme_loader._available_languages(spec, split, Path(root))
            if found:
                return found
        return list(spec["languages"])
    if task in suite_loader.SUITE_TASKS:
        return suite_loader.evaluation_languages(task)
    return cldr.test_languages(task)


def training_task(task: str) -> str:
    """The task phase 2 trains for `task`: itself, or for XTREME-R retrieval tasks the English task XTREME-R
    fine-tunes the encoder on (rxlt.data.xtreme_tasks): SQuAD with the QA head for Tatoeba (evaluated from a chosen layer),
    the dual encoder on English pairs for Mewsli-X (`wikipedia-pairs`) and LAReQA (`squad-retrieval`)."""
    if task_kind(task) != "retrieval":
        return task
    return xtreme_tasks.XTREME_TASKS[task]["english_task"]
