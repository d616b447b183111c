"""The embedded task suite: real CLDR translations, mechanical labels, splits cut by item."""
import pytest

from rxlt.data import cldr
from rxlt.data.cldr_tasks import TASKS
from rxlt.languages.metadata import LANGUAGES
from rxlt.languages.tier_schemes import assign_tiers

TASK_NAMES = sorted(TASKS)


@pytest.mark.parametrize("task", TASK_NAMES)
def test_no_group_crosses_splits_in_any_language(task):
    df = cldr.load_cldr_task(task)
    splits_per_group = df.groupby("group").split.nunique()
    assert (splits_per_group == 1).all()
    en_train = set(df[(df.language == "en") & (df.split == "train")].group)
    test_groups = set(df[df.split == "test"].group)
    assert en_train and not (en_train & test_groups)


@pytest.mark.parametrize("task", TASK_NAMES)
def test_splits_are_deterministic_and_close_to_the_fractions(task):
    df = cldr.load_cldr_task(task)
    base = TASKS[task].get("pairs_of", task)  # pair tasks keep their base task's splits
    again = cldr._split_of(base, df.group.iloc[0], TASKS[base]["split"])
    assert again == df.split.iloc[0]
    groups = df.drop_duplicates("group")
    frac = groups.split.value_counts(normalize=True)
    for split, want in TASKS[task]["split"].items():
        assert abs(frac.get(split, 0) - want) < 0.2, (split, frac.to_dict())


def test_three_domains_and_labels():
    assert len({TASKS[t]["domain"] for t in TASK_NAMES}) >= 3
    assert cldr.task_labels("cldr-territory") == ["Africa", "Americas", "Asia", "Europe", "Oceania"]
    assert len(cldr.task_labels("cldr-unit")) >= 10
    assert cldr.task_labels("cldr-reltime") == ["future", "past"]


def test_untranslated_items_are_dropped():
    df = cldr.load_cldr_task("cldr-territory")
    en = df[df.language == "en"].set_index("key").text
    other = df[df.language != "en"]
    assert not (other.text.values == en.reindex(other.key).values).any()


def test_target_task_covers_many_languages_over_every_tier():
    langs = cldr.test_languages("cldr-territory")
    assert len(langs) >= 60
    df = cldr.load_cldr_task("cldr-territory")
    counts = df[df.split == "test"].language.value_counts()
    assert counts[langs].min() >= TASKS["cldr-territory"]["min_test_items"]
    assert all(l in LANGUAGES for l in langs)
    tiers = set(assign_tiers(langs).values())
    assert {"unseen", "low", "mid", "high"} <= tiers


def test_relative_time_numbers_follow_each_locales_plural_rules():
    df = cldr.load_cldr_task("cldr-reltime")
    en = df[df.language == "en"].set_index("key").text
    assert en["day|future|one"] == "in 1 day" and en["day|past|other"] == "0 days ago"
