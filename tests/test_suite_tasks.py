"""XGLUE (NC, QADSM, WPR, QAM) and the low-resource suites (Belebele, AfriSenti, MasakhaNER 2.0, AmericasNLI, NusaX):
tables, readers of the upstream layouts and of hub snapshots (tests/fixtures/make_suite_fixtures.py), their route
through rxlt.data.catalog and the task kinds, `rxlt data summary`, and one WPR run through phases 2 and 3."""
import json

import pandas as pd
import pytest

from rxlt.data import catalog, suite_loader
from rxlt.data.kinds import task_kind
from rxlt.data.metric_directions import METRICS
from rxlt.data.readers import DataFileError
from rxlt.lookup import UnknownNameError
from rxlt.scoring.metrics import ndcg

from conftest import REPO

UP = REPO / "tests" / "fixtures" / "suites" / "upstream"
HUB = REPO / "tests" / "fixtures" / "suites" / "hub"
COUNTS = {"xglue-nc": 5, "xglue-qadsm": 3, "xglue-wpr": 7, "xglue-qam": 3, "belebele": 122, "afrisenti": 14,
          "masakhaner2": 20, "americasnli": 10, "nusax": 12}


@pytest.fixture()
def quiet(offline):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def test_tables_are_complete():
    assert {t: len(s["languages"]) for t, s in suite_loader.SUITE_TASKS.items()} == COUNTS
    for task, spec in suite_loader.SUITE_TASKS.items():
        assert spec["metric"] in METRICS and task_kind(task) == spec["kind"]
        assert set(spec["codes"]) == set(spec["languages"]), task
        assert all(set(c) == {"upstream", "iso639_3"} for c in spec["codes"].values())
        assert spec["english_task"] and spec["source"]
    assert suite_loader.SUITE_TASKS["belebele"]["codes"]["en"] == {"upstream": "eng_Latn", "iso639_3": "eng"}
    assert suite_loader.SUITE_TASKS["americasnli"]["codes"]["gn"]["iso639_3"] == "grn"
    with pytest.raises(UnknownNameError, match="did you mean 'xglue-wpr'"):
        suite_loader.suite_task("xglue-wrp")


SUMMARY = {  # task -> {(split, language): examples} from the upstream-layout fixtures
    "xglue-wpr": {("train", "en"): 6, ("dev", "en"): 6, ("test", "de"): 6, ("test", "en"): 6},
    "xglue-nc": {("train", "en"): 2, ("dev", "en"): 2, ("test", "de"): 2, ("test", "en"): 2},
    "belebele": {("train", "en"): 2, ("dev", "en"): 1, ("test", "en"): 3, ("test", "hau_Latn"): 3, ("test", "zho_Hans"): 3},
    "afrisenti": {("train", "en"): 4, ("dev", "en"): 2, ("test", "hau"): 4, ("test", "orm"): 2},
    "masakhaner2": {("train", "en"): 2, ("dev", "en"): 2, ("test", "hau"): 2},
    "americasnli": {("train", "en"): 3, ("dev", "en"): 2, ("test", "aym"): 3},
    "nusax": {("train", "en"): 3, ("dev", "en"): 3, ("test", "bbc"): 3, ("test", "en"): 3, ("test", "jav"): 3},
}


@pytest.mark.parametrize("task", sorted(SUMMARY))
def test_upstream_layout_summary(task, quiet):
    table = suite_loader.summary(task, data_dir=UP)
    assert (table.problem == "").all()
    assert {(r.split, r.language): r.examples for r in table.itertuples()} == SUMMARY[task]


def test_upstream_rows_are_read_as_upstream_defines_them(quiet):
    wpr = suite_loader.load("xglue-wpr", "test", ["de"], data_dir=UP)
    # xglue_evaluate.py load_data: a query id per run of equal consecutive queries; ratings 0..4 -> Bad..Perfect
    assert wpr.group.tolist() == ["0", "0", "0", "1", "1", "2"]
    assert wpr.label.tolist() == ["Perfect", "Fair", "Bad", "Excellent", "Good", "Good"]
    assert wpr.text_pair[0] == "[de] Cheap Flights - Book Now [de] Compare fares to every city."
    assert suite_loader.load("xglue-qam", "train", data_dir=UP).label.tolist() == ["True", "False"]
    nc = suite_loader.load("xglue-nc", "test", ["en"], data_dir=UP)
    assert nc[["text", "label"]].values.tolist()[0] == ["Match report", "sports"]
    mc = suite_loader.load("belebele", "test", ["hau_Latn"], data_dir=UP)
    assert mc.label.tolist() == [1, 0, 2] and len(mc.choices[0]) == 4  # correct_answer_num is one-indexed
    assert mc.key[0] == "https://en.wikibooks.org/wiki/A|1"
    train = suite_loader.load("belebele", "train", data_dir=UP)  # assemble_training_set.py's TSV, split column
    assert train.label.tolist() == [1, 0] and set(train.source_dataset) == {"race", "sciQ"}
    assert suite_loader.load("belebele", "dev", data_dir=UP).premise[0] == "All cats purr.\nMia is a cat."
    orm = suite_loader.load("afrisenti", "test", ["orm"], data_dir=UP)
    assert orm.key.tolist() == ["orm_test_001", "orm_test_002"]
    assert suite_loader.load("afrisenti", "train", data_dir=UP).label.tolist() == \
        ["positive", "negative", "neutral", "positive"]  # TweetEval ids through mapping.txt
    ner = suite_loader.load("masakhaner2", "test", ["hau"], data_dir=UP)
    assert ner.tags[0][-2:] == ["B-DATE", "I-DATE"] and ner.tokens[1] == ["Ya", "Abuja"]
    anli = suite_loader.load("americasnli", "test", ["aym"], data_dir=UP)
    assert anli.label.tolist() == ["contradiction", "entailment", "neutral"] and anli.key[0] == "25051"
    nusax = suite_loader.load("nusax", "test", ["jav", "en"], data_dir=UP)
    assert nusax.text[0] == "[jav] Item 219, said with a comma"  # RFC 4180 quoting
    assert nusax[nusax.language == "en"].key.tolist() == nusax[nusax.language == "jav"].key.tolist()  # parallel ids


def test_hub_snapshots_match_the_upstream_files(quiet):
    hub = suite_loader.load("xglue-wpr", "test", ["de"], data_dir=HUB)
    up = suite_loader.load("xglue-wpr", "test", ["de"], data_dir=UP)
    cols = ["group", "text", "text_pair", "label"]
    assert hub[cols].values.tolist() == up[cols].values.tolist()
    assert len(suite_loader.load("xglue-wpr", "train", data_dir=HUB)) == 6  # split `train`, `validation.en` for dev
    assert suite_loader.load("xglue-wpr", "dev", data_dir=HUB).language.unique().tolist() == ["en"]
    # ClassLabel names read from the parquet file's own metadata (masakhane/masakhaner2's order differs from rxlt's)
    ner = suite_loader.load("masakhaner2", "test", ["yor"], data_dir=HUB)
    assert ner.tags[0] == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER", "O", "O", "B-ORG", "B-DATE", "I-DATE"]
    assert suite_loader.load("nusax", "test", ["sun"], data_dir=HUB).label.tolist() == ["neutral", "positive", "negative"]
    bele = suite_loader.load("belebele", "test", ["hau_Latn", "en"], data_dir=HUB)  # data/<code>.jsonl
    assert bele.groupby("language").size().to_dict() == {"en": 3, "hau_Latn": 3}
    with pytest.raises(DataFileError, match="integer label 0 and no ClassLabel names"):
        suite_loader.load("afrisenti", "test", ["hau"], data_dir=HUB)


def test_bad_input_is_named(quiet, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"xglue-qam test \['fr'\]: no file under .*xglue.qam.fr.test"):
        suite_loader.load("xglue-qam", "test", ["fr"], data_dir=UP)
    with pytest.raises(UnknownNameError, match="did you mean 'hau'"):
        suite_loader.load("afrisenti", "test", ["hua"], data_dir=UP)
    with pytest.raises(FileNotFoundError, match="no English test items"):
        suite_loader.load("americasnli", "test", ["en"], data_dir=UP)
    (tmp_path / "QAM").mkdir()
    (tmp_path / "QAM" / "xglue.qam.de.test").write_text("q\tpassage\t1\nq\tpassage\t7\n")
    with pytest.raises(DataFileError, match=r"xglue.qam.de.test:2: label '7' is not one of \['False', 'True'\]"):
        suite_loader.load("xglue-qam", "test", ["de"], data_dir=tmp_path)
    (tmp_path / "QAM" / "xglue.qam.de.test").write_text("q\tpassage\n")
    with pytest.raises(DataFileError, match="expected 3 tab-separated fields"):
        suite_loader.load("xglue-qam", "test", ["de"], data_dir=tmp_path)


EMPTY_FILES = {  # task: a file of its upstream fixture; emptied, it must be an error naming it, never a lost language
    "xglue-nc": "xglue_full_dataset/NC/xglue.nc.de.test", "belebele": "Belebele/hau_Latn.jsonl",
    "afrisenti": "afrisent-semeval-2023/data/hau/test.tsv", "masakhaner2": "MasakhaNER2.0/data/hau/test.txt",
    "americasnli": "americasnli/data/anli_final/test/aym.tsv", "nusax": "nusax/datasets/sentiment/javanese/test.csv",
}


@pytest.mark.parametrize("task", sorted(EMPTY_FILES))
def test_an_empty_local_file_is_named_not_skipped(task, quiet, tmp_path):
    import shutil

    root = tmp_path / "data"
    shutil.copytree(UP, root)
    path = root / EMPTY_FILES[task]
    assert path in [p for split, p in catalog.local_files(task, root) if split == "test"]
    catalog.check_local_files(task, root)  # every file of the fixture holds rows
    path.write_text("")
    with pytest.raises(DataFileError, match=rf"{path}: empty file \({task} test\)"):
        catalog.check_local_files(task, root)
    with pytest.raises(DataFileError, match=rf"{path}: empty file \(no data line\)"):
        suite_loader.load(task, "test", data_dir=root)
    assert "empty file" in suite_loader.summary(task, data_dir=root).set_index("split").loc["test", "problem"]


def test_local_files_include_the_english_source_and_every_language(quiet):
    files = catalog.local_files("afrisenti", UP)
    assert ("train", UP / "tweeteval/datasets/sentiment/train_text.txt") in files
    assert {p.parent.name for s, p in files if s == "test"} == {"hau", "orm"}
    assert ("train", UP / "xnli/train-en.tsv") in catalog.local_files("americasnli", UP)  # MNLI via XNLI's layout


def test_catalog_kinds_and_phase_columns(quiet, monkeypatch):
    from rxlt.phases.kind_handlers import check_columns, evaluation_languages, task_examples, task_labels

    monkeypatch.setenv("RXLT_DATA_DIR", str(UP))
    assert {"xglue-wpr", "belebele", "masakhaner2", "nusax"} <= set(catalog.known_tasks())
    catalog.check_task("afrisenti")
    assert catalog.labels("xglue-wpr") == ["Bad", "Fair", "Good", "Excellent", "Perfect"]
    assert catalog.evaluation_languages("nusax") == ["en", "bbc", "jav"]  # what the data directory holds
    assert evaluation_languages("masakhaner2") == ["hau"] and task_labels("belebele") is None
    for task in suite_loader.SUITE_TASKS:
        for split in ("train", "dev"):
            df = task_examples(task, split, [catalog.SOURCE_LANGUAGE])
            assert set(df.language) == {"en"}, (task, split)
            check_columns(task_kind(task), df, f"{task} {split}")
    monkeypatch.delenv("RXLT_DATA_DIR")
    assert catalog.evaluation_languages("belebele")[:3] == ["acm_Arab", "afr_Latn", "als_Latn"]  # the hub's full list


def test_cli_data_summary_lists_and_counts(quiet, capsys):
    from rxlt.cli import main

    assert main(["data", "summary"]) == 0
    listed = capsys.readouterr().out
    assert all(t in listed for t in suite_loader.SUITE_TASKS) and "weighted_f1" in listed
    assert main(["data", "summary", "nusax", "--data-dir", str(UP), "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {"task": "nusax", "split": "test", "language": "bbc", "examples": 3, "problem": ""} in records


def test_wpr_through_phases_2_and_3_scores_ndcg_by_query(quiet, monkeypatch, tmp_path):
    from rxlt.params.phases import EvaluateParams, FinetuneParams
    from rxlt.params.strict import build
    from rxlt.phases.evaluate import run_evaluation
    from rxlt.phases.finetune import run_finetune
    from rxlt.results import read_results, start_run

    monkeypatch.setenv("RXLT_DATA_DIR", str(UP))
    ft = build(FinetuneParams, {"task": "xglue-wpr", "encoder_layers": 1, "epochs": 1, "run_dir": str(tmp_path / "ft")})
    run_finetune(start_run("02_finetune", ft))
    ev = build(EvaluateParams, {"finetune_run": str(tmp_path / "ft"), "languages": ["de", "en"], "bootstrap_samples": 100,
                                "run_dir": str(tmp_path / "ev")})
    run_evaluation(start_run("03_evaluate", ev))
    res = read_results(tmp_path / "ev")
    assert res["metrics"]["metric"] == "ndcg" and res["metrics"]["headline"] == "ndcg"
    preds = pd.read_csv(tmp_path / "ev" / "predictions.csv.gz", dtype={"group": str})
    rel = ["Bad", "Fair", "Good", "Excellent", "Perfect"]
    for lang, g in preds.groupby("language"):
        want = ndcg(g.group, [rel.index(x) for x in g.label], [rel.index(x) for x in g.prediction])
        row = res["metrics"]["per_language"][lang]
        assert row["ndcg"] == pytest.approx(want["ndcg"]) and row["score"] == row["ndcg"]
        assert row["queries"] == 2 and row["single_document_queries"] == 1  # "single doc query" is skipped
    assert res["metrics"]["score_average"]["english_in_grid"] is True
