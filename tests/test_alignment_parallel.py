"""rxlt.data.parallel: the parallel pool never holds a test item, the draw is deterministic and nested, and a
budget above a language's count is refused naming the language and its count."""
import json
from pathlib import Path

import pandas as pd
import pytest

from rxlt.data import parallel, sib200

SHARED = Path(__file__).resolve().parents[2] / "shared" / "xtreme-r"


@pytest.fixture(autouse=True)
def shipped_copy(monkeypatch):
    monkeypatch.delenv("RXLT_DATA_DIR", raising=False)
    monkeypatch.delenv("RXLT_SIB200_SOURCE", raising=False)


def test_sib200_pool_never_holds_a_test_item_in_any_variety():
    """All 205 varieties of the shipped copy: pool = train + dev (800 items each), disjoint from test by index_id."""
    languages = sib200.available_languages("test")
    pool = parallel.pool("sib200", languages)
    test = sib200.load("test", languages)
    assert len(languages) == 205 and set(pool.language) == set(languages)
    assert (pool.groupby("language").size() == 800).all()
    for lang, g in pool.groupby("language"):
        assert not set(g.key) & set(test[test.language == lang].index_id.astype(str)), lang
    assert not set(pool.key) & set(test.index_id.astype(str))
    assert "label" not in pool  # alignment reads text only


def test_draw_is_deterministic_nested_and_parallel():
    langs = ["yor_Latn", "deu_Latn", "zho_Hans"]
    pool = parallel.pool("sib200", langs)
    d10 = parallel.draw(pool, langs, 10, seed=3)
    d100 = parallel.draw(pool, langs, 100, seed=3)
    assert d10.equals(parallel.draw(pool, langs, 10, seed=3))
    keys10 = {lg: set(g.key) for lg, g in d10.groupby("language")}
    keys100 = {lg: set(g.key) for lg, g in d100.groupby("language")}
    assert all(len(k) == 10 for k in keys10.values()) and all(len(k) == 100 for k in keys100.values())
    assert all(keys10[lg] <= keys100[lg] for lg in keys10)  # N = 10 is within N = 100
    assert len({frozenset(k) for k in keys10.values()}) == 1  # every language the same items, English too
    assert keys10["en"] == keys10["yor_Latn"]
    assert set(parallel.draw(pool, langs, 10, seed=4).key) != set(d10.key)  # another seed, another draw
    everything = parallel.draw(pool, langs, "all", seed=0)
    assert (everything.groupby("language").size() == 800).all()
    record = parallel.describe(d10, "sib200", 10, 3)
    assert record["parallel_sentences"] == 10 and sorted(record["keys"], key=int) == sorted(keys10["en"], key=int)
    assert record["sentences_per_language"] == {lg: 10 for lg in langs} and len(record["keys_sha256"]) == 64
    json.dumps(record)


def test_a_language_with_fewer_items_than_n_is_refused_naming_it_and_its_count():
    pool = parallel.pool("sib200", ["yor_Latn", "deu_Latn"])
    short = pd.concat([pool[pool.language != "yor_Latn"], pool[pool.language == "yor_Latn"].head(7)])
    with pytest.raises(parallel.BudgetError, match=r"1 language\(s\) have fewer parallel items than N = 10: "
                                                    r"yor_Latn has 7"):
        parallel.draw(short, ["yor_Latn", "deu_Latn"], 10, seed=0)
    with pytest.raises(parallel.BudgetError, match="deu_Latn has 800, yor_Latn has 800"):
        parallel.check_budget(parallel.counts("sib200", ["yor_Latn", "deu_Latn"]), 801, "sib200")
    parallel.check_budget({"yor_Latn": 800}, "all", "sib200")


@pytest.mark.parametrize("bad", [-1, 2.5, "ten", True, None])
def test_budget_values(bad):
    assert parallel.parse_budget(0) == 0 and parallel.parse_budget("all") == "all"
    with pytest.raises(ValueError, match="non-negative integer or 'all'"):
        parallel.parse_budget(bad)


def test_unknown_parallel_task():
    with pytest.raises(ValueError, match="did you mean 'xnli'"):
        parallel.pool("xnl", ["de"])


@pytest.mark.skipif(not (SHARED / "xnli" / "dev-en.tsv").is_file(), reason="../shared/xtreme-r absent")
def test_xnli_pool_is_the_dev_files_and_the_development_split_keeps_its_test_portion_out(tmp_path, monkeypatch):
    monkeypatch.setenv("RXLT_DATA_DIR", str(SHARED))
    pool = parallel.pool("xnli", ["de", "sw"])
    assert (pool.groupby("language").size() == 2490).all() and pool.key.str.startswith("dev:").all()
    assert {"text", "text_pair"} <= set(pool.columns)
    cut = tmp_path / "data"
    cut.mkdir()
    (cut / "xnli").symlink_to(SHARED / "xnli")
    (cut / "rxlt-dev-split.json").write_text('{"fractions": {"train": 0.6, "dev": 0.2, "test": 0.2}, "seed": 0}')
    monkeypatch.setenv("RXLT_DATA_DIR", str(cut))
    from rxlt.data.catalog import examples

    dev_pool = parallel.pool("xnli", ["de"])
    test_keys = set(examples("xnli", "test", ["de"]).key.astype(str))
    assert len(dev_pool[dev_pool.language == "de"]) == 2490 - len(test_keys)
    assert not set(dev_pool.key) & test_keys
