"""Examples of a task by split and language, whatever the task's source: CLDR (rxlt.data.cldr_tasks), English
intermediate tasks from the hub (rxlt.data.hub_tasks) or from installed packages (rxlt.data.package_tasks:
wordnet-gloss, fortune-topic), SIB-200 in 205 languages (rxlt.data.sib200) and the XTREME-R classification tasks
xnli and pawsx (rxlt.data.xtreme_loader), which phases 2–3 train on English `train`/`dev` and evaluate on `test`.

Which tasks exist, by role: `target_tasks()` (fine-tuned on English, evaluated zero-shot in many languages:
CLDR, XTREME-R, sib200) and `intermediate_tasks()` (English tasks phase 1 trains on: the hub and package
catalogues; target tasks may serve too). `catalogue()` lists them all with kind, domain and source.

Development with dev files only: put a file `rxlt-dev-split.json` into the data directory
(`$RXLT_DATA_DIR`), e.g. `{"fractions": {"train": 0.6, "dev": 0.2, "test": 0.2}, "seed": 0}`. Then the
XTREME classification tasks read their *dev* files and cut them by item key (rxlt.data.xtreme_loader.split_by_item):
all translations of an item fall in one portion, so no translation of a training item is ever tested.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from rxlt.data import cldr, hub_tasks, package_tasks, sib200, suite_loader, xtreme_loader, xtreme_tasks
from rxlt.data.cldr_tasks import TASKS, task_spec
from rxlt.data.kinds import task_kind
from rxlt.data.metric_directions import METRICS
from rxlt.data.readers import DataFileError, is_blank
from rxlt.lookup import UnknownNameError, suggest

SOURCE_LANGUAGE = cldr.SOURCE_LANGUAGE
DEV_SPLIT_FILE = "rxlt-dev-split.json"
# XTREME-R tasks the sentence(-pair) classifier of phases 2–3 can train; other kinds need rxlt's task heads.
XTREME_CLASSIFICATION = tuple(t for t, s in xtreme_tasks.XTREME_TASKS.items() if s["kind"] == "classification")


def target_tasks() -> dict[str, dict]:
    """Tasks phases 2–3 fine-tune on English and evaluate zero-shot: CLDR, every XTREME-R task, SIB-200, the XGLUE
    and low-resource suite tasks."""
    return {**TASKS, **xtreme_tasks.XTREME_TASKS, **sib200.SIB200_TASKS, **suite_loader.SUITE_TASKS}


def intermediate_tasks() -> dict[str, dict]:
    """English-only tasks phase 1 can train on (besides target tasks): the hub and the package catalogues."""
    return {**hub_tasks.INTERMEDIATE_TASKS, **package_tasks.PACKAGE_TASKS}


def known_tasks() -> list[str]:
    """Tasks this module serves rows of: embedded, hub and package intermediate tasks, SIB-200, the XTREME
    classification tasks and the XGLUE / low-resource suite tasks (rxlt.data.suite_loader, every kind) (other XTREME-R kinds load through rxlt.phases.kind_handlers)."""
    return sorted({*TASKS, *intermediate_tasks(), *XTREME_CLASSIFICATION, *sib200.SIB200_TASKS, *suite_loader.SUITE_TASKS})


def check_task(task: str) -> None:
    if task not in known_tasks():
        raise UnknownNameError(f"unknown task {task!r}: {suggest(task, known_tasks())}")


def local_files(task: str, data_dir=None) -> list[tuple[str, Path]]:
    """(split, file) of every local file that loading `task` reads from the data directory (XTREME-R, the XGLUE and
    low-resource suites, SIB-200's upstream layout); other tasks read the hub, packages or rxlt's own copies."""
    if task in xtreme_tasks.XTREME_TASKS:
        return [(s, p) for s in xtreme_loader.splits(task) for p in xtreme_loader.local_files(task, s, data_dir)]
    if task in suite_loader.SUITE_TASKS:
        return [(s, p) for s in suite_loader.SPLITS for p in suite_loader.local_files(task, s, data_dir)]
    if task in sib200.SIB200_TASKS:
        return [(s, p) for s in sib200.SPLITS for p in sib200.local_files(s, data_dir)]
    return []


def check_local_files(task: str, data_dir=None) -> None:
    """An empty local file of `task` (a failed download) is a DataFileError naming it: `rxlt study` checks before any
    run, so that no run hours later reads it (an empty file once made a language vanish from the evaluation)."""
    for split, path in local_files(task, data_dir):
        if is_blank(path):
            raise DataFileError(f"{path}: empty file ({task} {split}); download it again, or delete it to leave it out")


def catalogue() -> pd.DataFrame:
    """Every task by name: role (target | intermediate), kind, domain, source, number of languages, metric and its
    direction."""
    rows = []
    for role, table in (("target", target_tasks()), ("intermediate", intermediate_tasks())):
        for name, spec in table.items():
            source = spec.get("source") or spec.get("suite") or ("hub" if "hub_id" in spec else "xtreme-r")
            langs = spec.get("languages") or (cldr.test_languages(name) if source == "cldr" else ["en"])
            metric = spec.get("metric") or "accuracy"
            rows.append({"task": name, "role": role, "kind": spec.get("kind", "classification"),
                         "domain": spec.get("domain", ""), "source": source, "languages": len(langs), "metric": metric,
                         "higher_is_better": METRICS[metric]["higher_is_better"] if metric in METRICS else None})
    return pd.DataFrame(rows).sort_values(["role", "task"], ascending=[False, True]).reset_index(drop=True)


def summary(task: str, data_dir=None) -> pd.DataFrame:
    """Examples per split x language of a task (columns task, split, language, examples, problem): what the
    loaders find locally (XTREME-R, SIB-200: shipped copy, upstream layout or hub snapshot), the package tasks'
    and the embedded tasks' splits. Nothing is downloaded where a local copy exists."""
    if task in sib200.SIB200_TASKS:
        return sib200.summary(data_dir=data_dir)
    if task in suite_loader.SUITE_TASKS:
        return suite_loader.summary(task, data_dir=data_dir)
    if task in xtreme_tasks.XTREME_TASKS:
        return xtreme_loader.summary(task, data_dir=data_dir)
    cols = ["task", "split", "language", "examples", "problem"]
    if task in package_tasks.PACKAGE_TASKS:
        try:
            frames = {s: package_tasks.load_split(task, s) for s in package_tasks.SPLIT}
        except FileNotFoundError as exc:
            return pd.DataFrame([{"task": task, "split": "-", "language": "-", "examples": 0, "problem": str(exc)}],
                                columns=cols)
        return pd.DataFrame([{"task": task, "split": s, "language": "en", "examples": len(df), "problem": ""}
                             for s, df in frames.items()], columns=cols)
    if task in TASKS:
        df = cldr.load_cldr_task(task)
        return pd.DataFrame([{"task": task, "split": s, "language": lg, "examples": int(n), "problem": ""}
                             for (s, lg), n in df.groupby(["split", "language"]).size().items()], columns=cols)
    if task in hub_tasks.INTERMEDIATE_TASKS:
        raise NotImplementedError(f"{task!r} is read from the hub on first use; `rxlt data summary` lists only "
                                  f"local data")
    raise UnknownNameError(f"unknown task {task!r}: {suggest(task, [*target_tasks(), *intermediate_tasks()])}")


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
    if task in sib200.SIB200_TASKS:
        return sib200.load(split, languages)
    if task in package_tasks.PACKAGE_TASKS:
        return package_tasks.load_split(task, split)
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
    if task in sib200.SIB200_TASKS:
        return list(sib200.LABELS)
    if task in package_tasks.PACKAGE_TASKS:
        return list(package_tasks.PACKAGE_TASKS[task]["labels"])
    return cldr.task_labels(task)


def evaluation_languages(task: str) -> list[str]:
    """Every language with test items (English included): for XTREME tasks, the languages whose test files
    (or, under the dev-split switch, dev files) exist locally, else the task's full list (hub); for SIB-200 the
    varieties of its source (all 205 from the shipped copy; English as `en`)."""
    if task in sib200.SIB200_TASKS:
        return sib200.available_languages("test")
    if task in package_tasks.PACKAGE_TASKS:
        return [SOURCE_LANGUAGE]
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
