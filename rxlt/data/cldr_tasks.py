"""The benchmark tasks rxlt runs: one literal table, looked up by name.

The embedded suite is derived mechanically from Unicode CLDR as shipped by babel (rxlt.data.cldr):
real translations made by CLDR's translators, labels from CLDR keys, never hand-written text.
Each task's items are word/phrase level: this is *not* XTREME-R (real XTREME-R tasks arrive with
their own rows). Split fractions are part of a task's definition, not a run parameter.
"""
from __future__ import annotations

from rxlt.lookup import lookup

METRICS: dict[str, dict] = {
    # name -> direction and what the number is
    "accuracy": {"higher_is_better": True, "description": "fraction of test items labelled correctly"},
}

TASKS: dict[str, dict] = {
    "cldr-territory": {
        "source": "cldr",
        "domain": "geography",
        "description": "territory name -> continent (UN M49 via CLDR territoryContainment)",
        "labels": ["Africa", "Americas", "Asia", "Europe", "Oceania"],
        "metric": "accuracy",
        "english_task": "cldr-territory",  # English source task: the same task's English split
        # ~245 English territory keys; 0.30 test -> ~70 test items per locale before filtering.
        "split": {"train": 0.55, "dev": 0.15, "test": 0.30},
        # Below this a locale's accuracy has a 95% CI wider than about ±0.25 (binomial, p≈0.5).
        "min_test_items": 15,
    },
    "cldr-territory-pair": {
        "source": "cldr",
        "domain": "geography",
        "description": "pair of territory names -> same or different continent (sentence-pair task, parallel "
                       "across languages, so generalized mixed-language pairs exist as in Robust-XLT)",
        "pairs_of": "cldr-territory",
        "labels": ["different", "same"],
        "metric": "accuracy",
        "english_task": "cldr-territory-pair",
        "split": {"train": 0.55, "dev": 0.15, "test": 0.30},  # inherited: pairs stay inside cldr-territory's splits
        "min_test_items": 15,
    },
    "cldr-unit": {
        "source": "cldr",
        "domain": "measurement",
        "description": "unit display name (long form) -> unit category (CLDR unit key prefix)",
        # Categories with >= 5 English items (embedded-pilot.md: 13 categories keep >= 5 English keys).
        "labels": None,  # derived from the data: categories with >= min_label_items English items
        "min_label_items": 5,
        "metric": "accuracy",
        "english_task": "cldr-unit",
        "split": {"train": 0.55, "dev": 0.15, "test": 0.30},
        "min_test_items": 10,
    },
    "cldr-reltime": {
        "source": "cldr",
        "domain": "time",
        "description": "relative-time phrase ('in 3 days', '3 days ago') -> future/past",
        "labels": ["future", "past"],
        "metric": "accuracy",
        "english_task": "cldr-reltime",
        "split": {"train": 0.55, "dev": 0.15, "test": 0.30},
        "min_test_items": 10,
    },
}


def task_spec(name: str) -> dict:
    return lookup(TASKS, name, "task")


def metric_spec(name: str) -> dict:
    return lookup(METRICS, name, "metric")
