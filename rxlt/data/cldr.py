"""Labelled multilingual classification data derived from CLDR (babel's locale data).

Every item has a language-independent key (a territory code, a unit id, a relative-time field)
and a `group`: all variants of one concept share a group, and splits are cut by group so that no
translation (or near-variant) of a training item reaches any test set. Locale data is read with
`merge_inherited=False`: inherited root fallbacks are untranslated (embedded-pilot.md).
"""
from __future__ import annotations

import functools
import hashlib
import os

import numpy as np
import pandas as pd
from babel import Locale, localedata

from rxlt.data.cldr_tasks import task_spec
from rxlt.data.regions import TERRITORY_CONTINENT

SOURCE_LANGUAGE = "en"
_REL_FIELDS = ("year", "quarter", "month", "week", "day", "hour", "minute", "second",
               "sun", "mon", "tue", "wed", "thu", "fri", "sat")


@functools.lru_cache(maxsize=None)
def base_locales() -> tuple[str, ...]:
    """CLDR base locales (language codes without region/script), root excluded."""
    return tuple(sorted(l for l in localedata.locale_identifiers() if "_" not in l and l != "root"))


@functools.lru_cache(maxsize=512)
def _locale_data(code: str) -> dict:
    return localedata.load(code, merge_inherited=False)


def _plural_sample(code: str, category: str) -> int | None:
    """Smallest integer that `code`'s plural rules put in `category` (None if no integer does)."""
    rule = Locale.parse(code).plural_form
    return next((n for n in range(0, 1000) if rule(n) == category), None)


def _territory_items(code: str) -> list[tuple[str, str, str]]:
    names = _locale_data(code).get("territories", {})
    return [(t, names[t], TERRITORY_CONTINENT[t]) for t in sorted(names) if t in TERRITORY_CONTINENT]


def _unit_items(code: str) -> list[tuple[str, str, str]]:
    names = _locale_data(code).get("unit_display_names", {})
    out = []
    for key in sorted(names):
        long = names[key].get("long") if isinstance(names[key], dict) else None
        if long and "-" in key:
            out.append((key, long, key.split("-", 1)[0]))
    return out


def _reltime_items(code: str) -> list[tuple[str, str, str]]:
    fields = _locale_data(code).get("date_fields", {})
    out = []
    for field in _REL_FIELDS:
        for width in ("", "-short", "-narrow"):
            entry = fields.get(field + width) or {}
            for direction in ("future", "past"):
                for category, pattern in sorted((entry.get(direction) or {}).items()):
                    n = _plural_sample(code, category)
                    if n is not None and "{0}" in pattern:
                        out.append((f"{field}{width}|{direction}|{category}", pattern.replace("{0}", str(n)), direction))
    return out


_EXTRACTORS = {"cldr-territory": _territory_items, "cldr-unit": _unit_items, "cldr-reltime": _reltime_items}


def _group(task: str, key: str) -> str:
    if task == "cldr-reltime":
        return key.split("|")[0].split("-")[0]  # every width, direction and plural of one field
    return key


def _split_of(task: str, group: str, fractions: dict[str, float]) -> str:
    """Deterministic split by hashing the group key (stable across machines and Python versions)."""
    h = int.from_bytes(hashlib.sha256(f"{task}\0{group}".encode()).digest()[:8], "big") / 2**64
    edge = 0.0
    for split in ("train", "dev", "test"):
        edge += fractions[split]
        if h < edge:
            return split
    return "test"


EXTRACTION_VERSION = "1"  # bump when extraction or splitting changes: cached tables are rebuilt


@functools.lru_cache(maxsize=None)
def load_cldr_task(task: str) -> pd.DataFrame:
    """All items of `task` in every CLDR base locale (built once per machine and babel version, then cached)."""
    import babel

    from rxlt.cache import cache_root

    path = cache_root() / "cldr" / f"{task}-babel{babel.__version__}-v{EXTRACTION_VERSION}.pkl"
    if path.is_file():
        return pd.read_pickle(path)
    df = build_pair_task(task) if task_spec(task).get("pairs_of") else build_cldr_task(task)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    df.to_pickle(tmp)
    os.replace(tmp, path)
    return df


def build_cldr_task(task: str) -> pd.DataFrame:
    """All items of `task` in every CLDR base locale.

    Columns: language, key, group, split, text, label. Non-English items whose text equals the
    English text of the same key are dropped (untranslated names would score like English for free);
    duplicate texts within a language keep their first key.
    """
    spec = task_spec(task)
    extract = _EXTRACTORS[task]
    english = {k: text for k, text, _ in extract(SOURCE_LANGUAGE)}
    rows = []
    for code in base_locales():
        seen = set()
        for key, text, label in extract(code):
            text = " ".join(text.split())
            if not text or text in seen or (code != SOURCE_LANGUAGE and english.get(key) == text):
                continue
            seen.add(text)
            group = _group(task, key)
            rows.append((code, key, group, _split_of(task, group, spec["split"]), text, label))
    df = pd.DataFrame(rows, columns=["language", "key", "group", "split", "text", "label"])
    labels = spec["labels"]
    if labels is None:  # keep label classes with enough English items to learn from
        en_counts = df[df.language == SOURCE_LANGUAGE].label.value_counts()
        labels = sorted(en_counts[en_counts >= spec["min_label_items"]].index)
    return df[df.label.isin(labels)].reset_index(drop=True)


def build_pair_task(task: str) -> pd.DataFrame:
    """Sentence pairs from a single-text task: (name A, name B) -> same / different label of A and B.

    For every English item A, one partner with the same label and one with another label, drawn
    deterministically from A's own split (so no test pair shares an item with English training
    data); the pair exists in every language that has both names. Columns as `build_cldr_task`,
    plus text_pair. Parallel across languages, so generalized (mixed-language) pairs can be built.
    """
    spec = task_spec(task)
    base = load_cldr_task(spec["pairs_of"])
    en = base[base.language == SOURCE_LANGUAGE]
    pairs = []
    for split, g in en.groupby("split"):
        label_of = dict(zip(g.key, g.label))
        keys = sorted(label_of)
        for a in keys:
            rng = np.random.default_rng(int.from_bytes(hashlib.sha256(f"{task}\0{a}".encode()).digest()[:8], "big"))
            same = [k for k in keys if k != a and label_of[k] == label_of[a]]
            other = [k for k in keys if label_of[k] != label_of[a]]
            for pool, label in ((same, "same"), (other, "different")):
                if pool:
                    pairs.append((a, pool[int(rng.integers(len(pool)))], split, label))
    rows = []
    for code, g in base.groupby("language", sort=True):
        name = dict(zip(g.key, g.text))
        rows += [(code, f"{a}|{b}", a, split, name[a], name[b], label) for a, b, split, label in pairs if a in name and b in name]
    return pd.DataFrame(rows, columns=["language", "key", "group", "split", "text", "text_pair", "label"])


def generalized_pairs(df: pd.DataFrame, first: str, second: str) -> pd.DataFrame:
    """Mixed-language pairs from a parallel pair dataset: text in `first`, text_pair in `second`, same keys."""
    a = df[df.language == first].set_index("key")
    b = df[df.language == second].set_index("key")
    keys = a.index.intersection(b.index)
    out = a.loc[keys, ["text", "label"]].assign(text_pair=b.loc[keys, "text_pair"].values)
    return out.reset_index().assign(language=f"{first}-{second}")


def task_labels(task: str) -> list[str]:
    spec = task_spec(task)
    return list(spec["labels"]) if spec["labels"] is not None else sorted(load_cldr_task(task).label.unique())


def test_languages(task: str) -> list[str]:
    """Languages whose test split has at least the task's `min_test_items` items."""
    df = load_cldr_task(task)
    counts = df[df.split == "test"].language.value_counts()
    return sorted(counts[counts >= task_spec(task)["min_test_items"]].index)
