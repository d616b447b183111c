"""Sentence-pair task and generalized (mixed-language) cross-lingual evaluation."""

import pandas as pd
import pytest

from rxlt.data import cldr


def test_pair_task_is_balanced_parallel_and_split_safe():
    df = cldr.load_cldr_task("cldr-territory-pair")
    en = df[df.language == "en"]
    counts = en.label.value_counts()
    assert abs(counts["same"] - counts["different"]) <= 5
    territory = cldr.load_cldr_task("cldr-territory")
    split_of = dict(zip(territory[territory.language == "en"].key, territory[territory.language == "en"].split))
    for key, split in zip(en.key, en.split):
        a, b = key.split("|")
        assert split_of[a] == split_of[b] == split  # both members in the pair's split
    assert len(cldr.test_languages("cldr-territory-pair")) >= 60


def test_generalized_pairs_align_by_key():
    df = pd.DataFrame({"language": ["en", "en", "de"], "key": ["a|b", "c|d", "a|b"], "text": ["A", "C", "A-de"],
                       "text_pair": ["B", "D", "B-de"], "label": ["same", "different", "same"]})
    out = cldr.generalized_pairs(df, "en", "de")
    assert out[["key", "text", "text_pair", "label", "language"]].values.tolist() == [["a|b", "A", "B-de", "same", "en-de"]]


def test_generalized_grid_end_to_end(tmp_path):
    from rxlt.params.phases import EvaluateParams, FinetuneParams
    from rxlt.params.strict import build
    from rxlt.phases.evaluate import run_evaluation
    from rxlt.phases.finetune import run_finetune
    from rxlt.results import read_results, start_run

    ft = build(FinetuneParams, {"task": "cldr-territory-pair", "encoder_layers": 1, "epochs": 1, "run_dir": str(tmp_path / "ft")})
    run_finetune(start_run("02_finetune", ft))
    langs = ["en", "de", "ja"]
    ev = build(EvaluateParams, {"finetune_run": str(tmp_path / "ft"), "languages": langs, "max_test_items": 10,
                                "generalized_languages": langs, "run_dir": str(tmp_path / "ev")})
    run_evaluation(start_run("03_evaluate", ev))
    res = read_results(tmp_path / "ev")
    grid = res["metrics"]["generalized"]
    assert sorted(grid) == sorted(f"{a}-{b}" for a in langs for b in langs)
    assert all(0 <= v["accuracy"] <= 1 and v["n"] > 0 for v in grid.values())
    table = pd.read_csv(tmp_path / "ev" / "generalized.csv")
    assert len(table) == 9 and table.n.min() > 0


def test_generalized_needs_a_pair_task(tmp_path):
    from rxlt.params.phases import EvaluateParams
    from rxlt.params.strict import ParamsError, build

    with pytest.raises(ParamsError, match="at least two languages"):
        build(EvaluateParams, {"finetune_run": "x", "generalized_languages": ["en"]})
