"""Robust-XLT's generalized cross-lingual setting on the real XNLI and PAWS-X dev files of ../shared/xtreme-r
(skipped when absent; the files are never copied into the repository).

Upstream (uclanlp/Robust-XLT@175cddb89c4e86c7152d0175db8f824f7f4e6bad): scripts/eval_generalized_xnli.sh lists all
15 x 15 = 225 ordered pairs `l1-l2` (diagonal included), eval_generalized_pawsx.sh all 7 x 7 = 49; the processors
(third_party/processors/{xnli,pawsx}.py) read `test-<l1>-<l2>.tsv` as text_a = column 0, text_b = column 1, label =
column 2. The pair files ship with the paper's data (Google Drive), not with the code, so rxlt builds them from the
parallel items: line i of every XTREME dev-<lang>.tsv is the same item (checked below by the labels)."""
import json

import pandas as pd
import pytest

from conftest import SHARED
from rxlt.data import cldr, xtreme_loader

XTR = SHARED / "xtreme-r"
pytestmark = pytest.mark.skipif(not (XTR / "xnli").is_dir() or not (XTR / "pawsx").is_dir(),
                                reason="../shared/xtreme-r (real XNLI / PAWS-X dev files) is absent")
# PAWS-X: translators marked sentences they could not translate "NS"; those lines (and only those) carry a label
# other than the English item's (counted in ../shared/xtreme-r/pawsx/dev-<lang>.tsv)
PAWSX_NS_LINES = {"de": 68, "es": 38, "fr": 8, "ja": 20, "ko": 35, "zh": 16}


@pytest.mark.parametrize("task,n_lang,n_items", [("xnli", 15, 2490), ("pawsx", 7, 2000)])
def test_every_ordered_pair_of_the_real_files(task, n_lang, n_items, offline):
    dev = xtreme_loader.load(task, "dev", data_dir=XTR)
    langs = sorted(dev.language.unique())
    assert len(langs) == n_lang and (dev.groupby("language").size() == n_items).all()
    by_lang = {lg: g.set_index("key") for lg, g in dev.groupby("language")}
    assert all(set(g.index) == set(by_lang["en"].index) for g in by_lang.values())  # every pair keeps all items
    head = dev[dev.key.astype(int) < 300]  # the texts of every pair are checked on the first 300 items (speed)
    head_by = {lg: g for lg, g in head.groupby("language")}
    pairs = 0
    for a in langs:
        for b in langs:
            both = head_by[a] if a == b else pd.concat([head_by[a], head_by[b]])
            mixed = cldr.generalized_pairs(both, a, b).set_index("key")
            assert len(mixed) == 300 and (mixed.language == f"{a}-{b}").all()
            assert (mixed.text == by_lang[a].text.loc[mixed.index]).all()            # first sentence from A
            assert (mixed.text_pair == by_lang[b].text_pair.loc[mixed.index]).all()  # second sentence from B
            pairs += 1
    assert pairs == n_lang ** 2  # Robust-XLT: 225 XNLI / 49 PAWS-X pairs
    labels = dev.pivot(index="key", columns="language", values="label")
    disagree = labels.ne(labels["en"], axis=0)
    if task == "xnli":
        assert not disagree.any().any()  # the translations share every label: the line is the item
    else:
        text = dev.pivot(index="key", columns="language", values="text")
        pair = dev.pivot(index="key", columns="language", values="text_pair")
        ns = (text == "NS") | (pair == "NS")
        assert not (disagree & ~ns).any().any()  # every label difference is an untranslated "NS" line
        assert {lg: int(ns[lg].sum()) for lg in PAWSX_NS_LINES} == PAWSX_NS_LINES


def test_generalized_all_runs_225_xnli_pairs_through_phase_3(offline, monkeypatch, tmp_path):
    """A tiny XNLI model (our own training sentences) evaluated on the real files with generalized_languages: [all]."""
    from rxlt.data import catalog
    from rxlt.params.phases import EvaluateParams, FinetuneParams
    from rxlt.params.strict import build
    from rxlt.phases.evaluate import run_evaluation
    from rxlt.phases.finetune import run_finetune
    from rxlt.results import read_results, start_run

    train = tmp_path / "train"
    (train / "xnli").mkdir(parents=True)
    labels = ["entailment", "neutral", "contradiction"]
    (train / "xnli" / "dev-en.tsv").write_text("".join(f"Item {i} happens.\tClaim {i % 3}.\t{labels[i % 3]}\n"
                                                       for i in range(12)))
    split = json.dumps({"fractions": {"train": 0.5, "dev": 0.25, "test": 0.25}, "seed": 0})
    (train / catalog.DEV_SPLIT_FILE).write_text(split)
    monkeypatch.setenv("RXLT_DATA_DIR", str(train))
    run_finetune(start_run("02_finetune", build(FinetuneParams, {"task": "xnli", "encoder_layers": 1, "epochs": 1,
                                                                  "run_dir": str(tmp_path / "ft")})))
    real = tmp_path / "real"
    real.mkdir()
    (real / "xnli").symlink_to(XTR / "xnli")  # the shared files, read in place
    (real / catalog.DEV_SPLIT_FILE).write_text(split)
    monkeypatch.setenv("RXLT_DATA_DIR", str(real))
    ev = build(EvaluateParams, {"finetune_run": str(tmp_path / "ft"), "languages": ["all"], "max_test_items": 2,
                                "generalized_languages": ["all"], "bootstrap_samples": 100, "run_dir": str(tmp_path / "ev")})
    run_evaluation(start_run("03_evaluate", ev))
    grid = pd.read_csv(tmp_path / "ev" / "generalized.csv")
    langs = sorted(read_results(tmp_path / "ev")["metrics"]["per_language"])
    assert len(langs) == 15 and len(grid) == 225 and (grid.n == 2).all()
    assert sorted(zip(grid["first"], grid["second"])) == sorted((a, b) for a in langs for b in langs)
    per_lang = pd.read_csv(tmp_path / "ev" / "predictions.csv.gz").groupby("language").correct.mean()
    diagonal = grid[grid["first"] == grid["second"]].set_index("first").accuracy
    assert diagonal.to_dict() == pytest.approx(per_lang.to_dict())  # capped pairs = the per-language test items
