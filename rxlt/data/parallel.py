"""Parallel items for the alignment methods: translations of one item in every language, never a test item.

Where they come from, per target task (PARALLEL_SOURCES); labels are dropped, alignment reads text only:
- `sib200`: SIB-200's train and dev items — FLORES-200 sentences with the same `index_id` in all 205 varieties
  (701 + 99 = 800 per variety) — never its 204 test items (rxlt.data.sib200).
- `xnli`, `pawsx`: the task's dev files (XNLI: 2,490 sentence pairs in 15 languages; PAWS-X: 2,000 in 7), which the
  published protocol never tests on (test = the test files). Their keys are line numbers, as the test files' are,
  so pool keys carry a `dev:` prefix. Under the development split (`rxlt-dev-split.json`, rxlt.data.catalog) the
  dev files themselves are cut by item: the pool is then the train and dev portions, the test portion never.
A sentence-pair task's parallel item is the pair (`text`, `text_pair`), encoded as the head sees its inputs.

The draw (`draw`): one permutation of every pool key from the seed; each language takes the first N keys of that
order that it has. So the draws are nested (N = 10 ⊂ N = 100 ⊂ all), every language gets the same items where the
pool is parallel, and the English side is the English rows of the keys drawn. `parallel_sentences: all` takes
every item a language has. A language with fewer than N items is refused (`BudgetError`), naming it and its count,
before any model is loaded.
"""
from __future__ import annotations

import functools
import hashlib
import os

import numpy as np
import pandas as pd

from rxlt.data import sib200, xtreme_loader
from rxlt.lookup import suggest

SOURCE_LANGUAGE = "en"
ALL = "all"
DEV_PREFIX = "dev:"

PARALLEL_SOURCES: dict[str, str] = {
    "sib200": "SIB-200 train + dev items (FLORES-200 sentences, 800 per variety), never its test items",
    "xnli": "XNLI dev files (2,490 parallel pairs per language), never the test files; under the development "
            "split, the train + dev portions of the cut",
    "pawsx": "PAWS-X dev files (2,000 parallel pairs per language), never the test files; under the development "
             "split, the train + dev portions of the cut",
}


class BudgetError(ValueError):
    """A language has fewer parallel items than the budget N; the message names each such language and count."""


def check_task(task: str) -> None:
    if task not in PARALLEL_SOURCES:
        raise ValueError(f"task {task!r} has no parallel items rxlt can use for alignment: "
                         f"{suggest(task, PARALLEL_SOURCES)} (tasks with parallel items: {', '.join(PARALLEL_SOURCES)})")


def parse_budget(value, where: str = "parallel_sentences") -> int | str:
    """N per language: a non-negative integer or 'all'; anything else is a ValueError naming `where`."""
    if value == ALL:
        return ALL
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{where}: {value!r} is not a number of parallel sentences: use a non-negative integer "
                         f"or 'all'")
    return value


def budget_order(value) -> float:
    """Sort key of a budget: 'all' after every number."""
    return float("inf") if value == ALL else float(value)


def budget_label(value) -> str:
    return ALL if value == ALL else str(int(value))


def _dev_split() -> dict | None:
    from rxlt.data.catalog import dev_split

    return dev_split()


def pool(task: str, languages) -> pd.DataFrame:
    """Parallel rows (language, key, text[, text_pair]) of `languages` plus English, no labels, no test item."""
    check_task(task)
    wanted = list(dict.fromkeys([SOURCE_LANGUAGE, *languages]))
    if task == "sib200":
        frame = pd.concat([sib200.load(split, wanted) for split in ("train", "dev")], ignore_index=True)
        test = sib200.load("test", wanted)
    else:
        cut = _dev_split()
        if cut:
            full = xtreme_loader.split_by_item(xtreme_loader.load(task, "dev"), cut["fractions"], cut["seed"])
            full = full[full.language.isin(wanted)]
            frame, test = full[full.split != "test"], full[full.split == "test"]
        else:
            frame = xtreme_loader.load(task, "dev", wanted)
            frame = frame.assign(key=DEV_PREFIX + frame.key.astype(str))
            test = frame.iloc[:0]  # the test files: another file set, never read here
    frame = frame.assign(key=frame.key.astype(str))
    _check_disjoint(frame, test.assign(key=test.key.astype(str)), task)
    columns = ["language", "key", "text"] + (["text_pair"] if "text_pair" in frame else [])
    missing = sorted(set(wanted) - set(frame.language))
    if missing:
        raise BudgetError(f"{task}: no parallel items for {missing} ({PARALLEL_SOURCES[task]})")
    return frame[columns].drop_duplicates(["language", "key"]).reset_index(drop=True)


def _check_disjoint(frame: pd.DataFrame, test: pd.DataFrame, task: str) -> None:
    """No parallel item may be a test item of the same language (by key, = SIB-200's index_id)."""
    both = frame.merge(test[["language", "key"]], on=["language", "key"])
    if len(both):
        first = both.iloc[0]
        raise ValueError(f"{task}: {len(both)} parallel items are test items (e.g. {first.language} key {first.key}); "
                         f"the parallel pool must never hold a test item")


@functools.lru_cache(maxsize=32)
def _counts(task: str, languages: tuple[str, ...], sources: tuple) -> tuple[tuple[str, int], ...]:
    frame = pool(task, languages)
    n = frame.groupby("language").size()
    return tuple((lg, int(n.get(lg, 0))) for lg in languages)


def counts(task: str, languages) -> dict[str, int]:
    """Parallel items per language (those of `languages`); cached per data source (a study expands twice)."""
    sources = tuple(os.environ.get(k) for k in ("RXLT_DATA_DIR", "RXLT_SIB200_SOURCE"))
    return dict(_counts(task, tuple(languages), sources))


def counts_if_local(task: str, languages) -> dict[str, int] | None:
    """Parallel items per language where the data is on this machine without the network (SIB-200: always, the
    shipped copy; XNLI / PAWS-X: their dev files under $RXLT_DATA_DIR), else None (counted when the run starts)."""
    if task in PARALLEL_SOURCES and task != "sib200" and not xtreme_loader.local_files(task, "dev"):
        return None
    return counts(task, languages)


def check_budget(available: dict[str, int], n, task: str) -> None:
    """Refuse a budget N above some language's count, naming every such language and its count."""
    n = parse_budget(n)
    if n == ALL:
        short = {lg: c for lg, c in available.items() if c == 0}
        want = "at least 1"
    else:
        short = {lg: c for lg, c in available.items() if c < n}
        want = f"N = {n}"
    if short:
        listed = ", ".join(f"{lg} has {c}" for lg, c in sorted(short.items(), key=lambda kv: (kv[1], kv[0])))
        source = f" ({PARALLEL_SOURCES[task]})" if task in PARALLEL_SOURCES else ""
        raise BudgetError(f"{len(short)} language(s) have fewer {task + ' ' if task else ''}parallel items than "
                          f"{want}: {listed}{source}; lower N or leave those languages out")


def draw(frame: pd.DataFrame, languages, n, seed: int, task: str = "") -> pd.DataFrame:
    """The first `n` keys (or all) of one seeded permutation of the pool's keys, per language of `languages`, plus
    the English rows of every key drawn. Columns as `frame` (language, key, text[, text_pair])."""
    n = parse_budget(n)
    languages = [lg for lg in dict.fromkeys(languages) if lg != SOURCE_LANGUAGE]
    check_budget({lg: int((frame.language == lg).sum()) for lg in languages}, n, task)
    keys = np.array(sorted(frame.key.unique()))
    order = {k: i for i, k in enumerate(keys[np.random.default_rng(seed).permutation(len(keys))])}
    rank = frame.key.map(order)
    picked = []
    for lg in languages:
        mine = frame[frame.language == lg].assign(_rank=rank).sort_values("_rank")
        picked.append(mine if n == ALL else mine.head(n))
    drawn = pd.concat(picked, ignore_index=True) if picked else frame.iloc[:0].assign(_rank=0)
    english = frame[(frame.language == SOURCE_LANGUAGE) & frame.key.isin(set(drawn.key))].assign(_rank=rank)
    missing = sorted(set(drawn.key) - set(english.key))
    if missing:
        raise BudgetError(f"parallel items {missing[:5]} have no English side in the pool")
    return pd.concat([drawn, english.sort_values("_rank")], ignore_index=True).drop(columns="_rank")


def describe(drawn: pd.DataFrame, task: str, n, seed: int) -> dict:
    """What results.json records of a draw: N, the seed, the source, per-language counts, and the keys (one list
    when every language drew the same keys, else per language) with their sha256."""
    per = {lg: list(g.key) for lg, g in drawn.groupby("language", sort=True) if lg != SOURCE_LANGUAGE}
    same = len({tuple(sorted(k)) for k in per.values()}) <= 1
    blob = "\n".join(f"{lg}\t{k}" for lg, keys in sorted(per.items()) for k in sorted(keys)).encode()
    return {"parallel_sentences": budget_label(n) if n == ALL else int(n), "draw_seed": int(seed), "task": task,
            "source": PARALLEL_SOURCES[task], "languages": len(per),
            "sentences_per_language": {lg: len(k) for lg, k in per.items()},
            **({"keys": sorted(next(iter(per.values()), []), key=_natural)} if same
               else {"keys_per_language": {lg: sorted(k, key=_natural) for lg, k in per.items()}}),
            "keys_sha256": hashlib.sha256(blob).hexdigest()}


def _natural(key: str):
    digits = key.removeprefix(DEV_PREFIX)
    return (0, int(digits), key) if digits.isdigit() else (1, 0, key)


def parallel_languages(task: str) -> list[str]:
    """Every language with parallel items (English first) where known without the network; else the task's list."""
    if task == "sib200":
        return sib200.available_languages("train")
    from rxlt.data.xtreme_tasks import XTREME_TASKS

    return list(XTREME_TASKS[task]["languages"])
