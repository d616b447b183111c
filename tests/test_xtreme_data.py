"""XTREME-R loaders on tiny fixtures in every layout (tests/fixtures/make_xtreme_fixtures.py): the
download_data.sh directory, upstream release layouts, local hub snapshots; malformed files are named."""
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from rxlt.data import catalog
from rxlt.data.xtreme_loader import DataFileError, load, split_by_item, summary
from rxlt.data.xtreme_tasks import XTREME_TASKS, xtreme_task
from rxlt.lookup import UnknownNameError

FIX = Path(__file__).parent / "fixtures"
DL = FIX / "xtreme" / "download"
UP = FIX / "xtreme" / "upstream"
REPO = Path(__file__).resolve().parents[1]


def test_table_covers_the_ten_tasks_and_pawsx_with_the_50_languages():
    from rxlt.languages.metadata import XTREME_R_LANGUAGES

    assert set(XTREME_TASKS) == {"xnli", "pawsx", "xcopa", "udpos", "panx", "xquad", "mlqa", "tydiqa", "mewslix",
                                 "lareqa", "tatoeba"}
    counts = {t: len(s["languages"]) for t, s in XTREME_TASKS.items()}
    # languages.md per-task counts: XNLI 15, XCOPA 11, UD-POS 38, WikiANN 48, Tatoeba 41, XQuAD 12, MLQA 7,
    # TyDiQA 9, Mewsli-X 11, LAReQA 11
    assert counts == {"xnli": 15, "pawsx": 7, "xcopa": 11, "udpos": 38, "panx": 48, "xquad": 12, "mlqa": 7,
                      "tydiqa": 9, "mewslix": 11, "lareqa": 11, "tatoeba": 41}
    union = {lg for t, s in XTREME_TASKS.items() if t != "pawsx" for lg in s["languages"]}
    assert union == set(XTREME_R_LANGUAGES) and len(union) == 50
    with pytest.raises(UnknownNameError, match="did you mean 'pawsx'"):
        xtreme_task("pawx")


def test_xnli_download_layout_keys_are_line_numbers_and_labels_normalised(offline):
    dev = load("xnli", "dev", data_dir=DL)
    assert list(dev.columns[:5]) == ["language", "key", "text", "text_pair", "label"]
    assert dev.groupby("language").size().to_dict() == {"de": 4, "en": 4}
    en, de = dev[dev.language == "en"], dev[dev.language == "de"]
    assert en.key.tolist() == de.key.tolist() == ["0", "1", "2", "3"] and en.label.tolist() == de.label.tolist()
    assert load("xnli", "train", data_dir=DL).label.tolist() == ["entailment", "neutral", "contradiction"]


def test_xnli_release_layout_uses_pair_ids_and_maps_contradictory(offline):
    dev = load("xnli", "dev", ["de"], data_dir=UP)
    assert dev.key.tolist() == ["100", "101", "102", "103"]
    assert dev.label.tolist() == ["entailment", "neutral", "contradiction", "entailment"]


def test_unlabelled_test_files_of_download_data_sh_are_refused(offline):
    with pytest.raises(DataFileError, match=r"xnli/test-de.tsv:1: 2 columns .* download_data.sh removes test labels"):
        load("xnli", "test", ["de"], data_dir=DL)
    row = summary("xnli", DL).query("split == 'test'").iloc[0]
    assert row.language == "-" and "removes test labels" in row.problem


def test_pawsx_both_layouts(offline):
    xt = load("pawsx", "dev", data_dir=DL)
    up = load("pawsx", "dev", data_dir=UP)
    assert xt.label.tolist() == up.label.tolist() == ["paraphrase", "different", "different"] * 2
    assert up.key.tolist()[:3] == ["7", "8", "9"] and xt.key.tolist()[:3] == ["0", "1", "2"]


def test_tagging_layouts(offline):
    pos = load("udpos", "train", data_dir=DL)
    assert pos.tokens.tolist() == [["The", "dog", "barks", "."], ["Big", "red", "apples"]]
    conllu = load("udpos", "test", data_dir=UP)  # multiword "zum" kept fused (as XTREME), empty node "1.1" skipped
    assert conllu.tokens.tolist() == [["Wir", "gehen", "zum", "Markt", "."], ["Ja", "."]]
    assert conllu.tags.tolist() == [["PRON", "VERB", "ADP", "NOUN", "PUNCT"], ["INTJ", "PUNCT"]]
    assert load("panx", "dev", ["de"], data_dir=DL).tags.tolist() == [["B-PER", "I-PER", "O", "B-LOC", "O"]]
    raw = load("panx", "dev", ["de"], data_dir=UP)  # AmazonPhotos files prefix tokens with "de:"
    assert raw.tokens.iloc[0][0] == "Anna"


def test_qa_multiple_choice_and_retrieval_layouts(offline):
    xq = load("xquad", "test", data_dir=DL)
    assert set(xq.language) == {"en", "de"} and xq[xq.key == "q2"].answer_starts.tolist() == [[14], [13]]
    row = xq.iloc[0]
    assert row.context[row.answer_starts[0]:].startswith(row.answers[0])
    assert len(load("xquad", "train", data_dir=DL)) == 2 and load("xquad", "dev", data_dir=DL).language.tolist() == ["en"]
    assert load("mlqa", "test", ["de"], data_dir=DL).answers.tolist() == [["Berlin"], ["300 km"]]
    assert load("tydiqa", "test", data_dir=DL).language.tolist() == ["fi"]
    xc = load("xcopa", "test", data_dir=DL)
    assert xc.choices.iloc[0] == ["See purunes.", "See laulis."] and xc.label.tolist() == [0, 0]
    assert load("xcopa", "test", data_dir=UP).key.tolist() == ["1", "2"]
    tat = load("tatoeba", "test", data_dir=DL)
    q, c = tat[tat.role == "query"], tat[tat.role == "candidate"]
    assert q.target.tolist() == c.key.tolist() == ["0", "1", "2"] and c.text.iloc[1] == "The house is old."
    lq = load("lareqa", "test", data_dir=DL)
    assert lq[lq.key == "q1_de"].target.iloc[0] == "de_1_0;en_1_0"
    assert lq[lq.key == "en_1_0"].text.iloc[0] == "Berlin is the capital of Germany."
    mx = load("mewslix", "test", data_dir=DL)
    assert mx[mx.role == "query"].target.tolist() == ["Q64", "Q90", "Q1757"] and "{ Berlin }" in mx.text.iloc[0]


def test_hub_path_reads_local_snapshots_in_the_hub_column_layout(offline, monkeypatch):
    monkeypatch.setenv("RXLT_DATA_DIR", str(FIX / "hub"))
    with pytest.warns(UserWarning, match="no verified revision is pinned"):
        xnli = load("xnli", "test", ["en", "de"])
    assert xnli.groupby("language").size().to_dict() == {"de": 4, "en": 4}
    assert xnli.label.tolist()[:3] == ["entailment", "neutral", "contradiction"]
    with pytest.warns(UserWarning):
        assert load("pawsx", "test", ["de"]).key.tolist() == ["1", "2", "3"]
        xq = load("xquad", "test", ["de"])
        ner = load("panx", "dev", ["de"])
        xc = load("xcopa", "test", ["et"])
    assert xq.answers.tolist() == [["Berlin"], ["300 km"]] and ner.tags.iloc[0][:2] == ["B-PER", "I-PER"]
    assert xc.choices.iloc[1] == ["Ta jooksis võistlusel.", "Ta sõi suppi."]
    with pytest.warns(UserWarning):
        pos = load("udpos", "test", ["de"])
        tydi = load("tydiqa", "test", ["fi"])
        tat = load("tatoeba", "test", ["de"])
        mlqa = load("mlqa", "test", ["de"])
    assert pos.tags.tolist() == [["PRON", "VERB", "PUNCT"]] and tydi.key.tolist() == ["finnish-1"]
    assert tat[tat.role == "candidate"].text.tolist() == ["I am hungry.", "The house is old."]
    assert mlqa.answer_starts.tolist() == [[0], [14]]
    with pytest.warns(UserWarning), pytest.raises(FileNotFoundError, match="facebook/xnli split 'test': not found locally"):
        load("xnli", "test", ["fr"])


def test_missing_and_unknown_inputs_are_clear(offline, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"xnli dev: no file found under .*tried"):
        load("xnli", "dev", data_dir=tmp_path)
    with pytest.raises(FileNotFoundError, match=r"xnli dev fr: none of"):
        load("xnli", "dev", ["fr"], data_dir=DL)
    with pytest.raises(UnknownNameError, match="xnli has no language 'xx'"):
        load("xnli", "dev", ["xx"], data_dir=DL)
    with pytest.raises(ValueError, match=r"lareqa has no split 'train'"):
        load("lareqa", "train", data_dir=DL)


@pytest.mark.parametrize("path, text, match", [
    ("xnli/dev-en.tsv", "a\tb\tentailment\nonly one column\n", r"dev-en.tsv:2: expected 3 tab-separated columns"),
    ("xnli/dev-en.tsv", "a\tb\tmaybe\n", r"dev-en.tsv:1: label 'maybe' is not one of"),
    ("panx/dev-en.tsv", "Anna\tB-PER\n\nParis\tB-CITY\n", r"dev-en.tsv:3: tag 'B-CITY' is not one of"),
    ("panx/dev-en.tsv", "Anna\tB-PER\nParis\n", r"dev-en.tsv:2: a token without a tag"),
    ("udpos/UD_X-Y/en_x-ud-dev.conllu", "1\tHi\thi\tINTJ\t_\t_\t0\troot\t_\t_\n2\tthere\n",
     r"en_x-ud-dev.conllu:2: expected 10 tab-separated CoNLL-U columns, got 2"),
    ("udpos/UD_X-Y/en_x-ud-dev.conllu", "1\tHi\thi\tGREETING\t_\t_\t0\troot\t_\t_\n", r"en_x-ud-dev.conllu:1: UPOS 'GREETING'"),
    ("xquad/xquad.en.json", '{"data": [\n{"paragraphs": [}\n]}', r"xquad.en.json:2: not valid JSON"),
    ("xquad/xquad.en.json", '{"data": [{"paragraphs": [{"context": "c", "qas": [{"id": "1", "question": "q"}]}]}]}',
     r"xquad.en.json: data\[0\].paragraphs\[0\].qas id '1': expected id, question and answers"),
    ("xquad/xquad.en.json", json.dumps({"data": [{"paragraphs": [{"context": "c", "qas": [
        {"id": "1", "question": "q", "answers": [{"text": "", "answer_start": 0}]}]}]}]}), r"every answer is empty"),
    ("xcopa/test.et.jsonl", '{"premise": "p", "choice1": "a", "choice2": "b", "question": "cause", "idx": 1}\n',
     r"test.et.jsonl:1: missing fields \['label'\]"),
    ("tatoeba/v1/tatoeba.deu-eng.deu", "eins\nzwei\n", r"tatoeba.deu-eng.eng: missing"),
])
def test_malformed_files_name_file_line_and_expectation(offline, tmp_path, path, text, match):
    target = tmp_path / path
    target.parent.mkdir(parents=True)
    target.write_text(text, encoding="utf-8")
    task = {"xnli": "xnli", "panx": "panx", "udpos": "udpos", "xquad": "xquad", "xcopa": "xcopa",
            "tatoeba": "tatoeba"}[path.split("/")[0]]
    split = "test" if task in ("xquad", "xcopa", "tatoeba") else "dev"
    lang = {"xcopa": "et", "tatoeba": "de"}.get(task, "en")
    with pytest.raises(DataFileError, match=match):
        load(task, split, [lang], data_dir=tmp_path)


def test_tatoeba_from_download_data_sh_is_refused_because_english_is_sorted(offline, tmp_path):
    (tmp_path / "tatoeba").mkdir()
    (tmp_path / "tatoeba/de-en.de").write_text("b\na\n")
    (tmp_path / "tatoeba/de-en.en").write_text("a\nb\n")
    with pytest.raises(DataFileError, match="sorts the English side"):
        load("tatoeba", "test", ["de"], data_dir=tmp_path)


def test_split_by_item_keeps_translations_together(offline):
    dev = load("xnli", "dev", data_dir=DL)
    cut = split_by_item(dev, {"train": 0.5, "dev": 0.25, "test": 0.25}, seed=3)
    assert cut.groupby("key").split.nunique().max() == 1  # no item in two portions
    assert cut.groupby("split").key.nunique().to_dict() == {"dev": 1, "test": 1, "train": 2}
    with pytest.raises(ValueError, match="sum to 1"):
        split_by_item(dev, {"train": 0.5}, seed=0)


def test_taskdata_dispatches_xtreme_classification(offline, monkeypatch, tmp_path):
    monkeypatch.setenv("RXLT_DATA_DIR", str(DL))
    catalog.check_task("xnli")
    assert {"xnli", "pawsx"} <= set(catalog.known_tasks())
    assert catalog.labels("pawsx") == ["different", "paraphrase"]
    assert len(catalog.examples("xnli", "train")) == 3
    assert catalog.examples("xnli", "dev", ["en"]).language.unique().tolist() == ["en"]
    assert catalog.evaluation_languages("xnli") == ["de"]  # only test-de.tsv is there (unlabelled)
    # the dev-split switch: dev files cut by item, English train/dev, other languages' test
    root = tmp_path / "data"
    (root / "xnli").mkdir(parents=True)
    for f in (DL / "xnli").glob("dev-*.tsv"):
        (root / "xnli" / f.name).write_text(f.read_text())
    (root / catalog.DEV_SPLIT_FILE).write_text(json.dumps({"fractions": {"train": 0.5, "dev": 0.25, "test": 0.25}}))
    monkeypatch.setenv("RXLT_DATA_DIR", str(root))
    train, dev = catalog.examples("xnli", "train"), catalog.examples("xnli", "dev")
    test = catalog.examples("xnli", "test", ["de"])
    assert set(train.language) == set(dev.language) == {"en"} and set(test.language) == {"de"}
    assert not set(test.key) & (set(train.key) | set(dev.key))
    assert catalog.evaluation_languages("xnli") == ["de", "en"]


def test_cli_data_summary_table_and_json():
    env = {"PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    run = lambda *a: subprocess.run([sys.executable, "-m", "rxlt", "data", "summary", *a], capture_output=True,  # noqa: E731
                                    text=True, env=env, cwd=REPO, timeout=300)
    out = run("pawsx", "--data-dir", str(DL))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["split", "dev", "train"] and lines[2].split() == ["de", "3", "0"]
    js = run("xnli", "--data-dir", str(DL), "--json")
    records = json.loads(js.stdout)
    assert {"task": "xnli", "split": "dev", "language": "en", "examples": 4, "problem": ""} in records
    assert any(r["split"] == "test" and "removes test labels" in r["problem"] for r in records)
    bad = run("xnlii", "--data-dir", str(DL))
    assert bad.returncode == 2 and "did you mean 'xnli'" in bad.stderr


def test_xnli_runs_through_phases_2_and_3_on_dev_files_cut_by_item(offline, monkeypatch, tmp_path):
    """Phase 2 trains on English items of one portion, phase 3 tests other items in de/fr (dev-split switch)."""
    from rxlt.params.phases import EvaluateParams, FinetuneParams
    from rxlt.params.strict import build
    from rxlt.phases.evaluate import run_evaluation
    from rxlt.phases.finetune import run_finetune
    from rxlt.results import read_results, start_run

    data = tmp_path / "data"
    (data / "xnli").mkdir(parents=True)
    labels = ["entailment", "neutral", "contradiction"]
    for lg in ("en", "de", "fr"):  # 24 parallel items of our own, aligned by line
        rows = [f"[{lg}] Item {i} happens.\t[{lg}] Claim {i % 3}.\t{labels[i % 3]}\n" for i in range(24)]
        (data / "xnli" / f"dev-{lg}.tsv").write_text("".join(rows))
    (data / catalog.DEV_SPLIT_FILE).write_text(json.dumps({"fractions": {"train": 0.5, "dev": 0.25, "test": 0.25},
                                                            "seed": 1}))
    monkeypatch.setenv("RXLT_DATA_DIR", str(data))
    ft = build(FinetuneParams, {"task": "xnli", "encoder_layers": 1, "epochs": 1, "run_dir": str(tmp_path / "ft")})
    run_finetune(start_run("02_finetune", ft))
    ev = build(EvaluateParams, {"finetune_run": str(tmp_path / "ft"), "languages": ["de", "fr"],
                                "generalized_languages": ["de", "fr"], "run_dir": str(tmp_path / "ev")})
    run_evaluation(start_run("03_evaluate", ev))
    res = read_results(tmp_path / "ev")
    preds = pd.read_csv(tmp_path / "ev" / "predictions.csv.gz")
    assert set(preds.language) == {"de", "fr"} and preds.groupby("language").size().tolist() == [6, 6]
    train_keys = set(catalog.examples("xnli", "train").key) | set(catalog.examples("xnli", "dev").key)
    assert not set(preds.key.astype(str)) & train_keys
    assert read_results(tmp_path / "ft")["samples"]["train"]["used"] == 12
    assert res["config"]["languages"] == ["de", "fr"]
    # Robust-XLT's generalized setting on XNLI: premise in one language, hypothesis in another, same items
    grid = pd.read_csv(tmp_path / "ev" / "generalized.csv")
    assert sorted(zip(grid["first"], grid["second"])) == [("de", "de"), ("de", "fr"), ("fr", "de"), ("fr", "fr")]
    assert grid.n.tolist() == [6, 6, 6, 6] and grid.accuracy.between(0, 1).all()
    same = preds.groupby("language").correct.mean()  # the diagonal is the plain per-language test
    for lg in ("de", "fr"):
        assert grid[(grid["first"] == lg) & (grid["second"] == lg)].accuracy.item() == pytest.approx(same[lg])


def test_xcopa_label_out_of_range_is_named(offline, tmp_path):
    (tmp_path / "xcopa").mkdir()
    (tmp_path / "xcopa/test.et.jsonl").write_text(
        '{"premise": "p", "choice1": "a", "choice2": "b", "question": "cause", "label": 0, "idx": 1}\n'
        '{"premise": "p", "choice1": "a", "choice2": "b", "question": "cause", "label": 2, "idx": 2}\n')
    with pytest.raises(DataFileError, match=r"test.et.jsonl:2: expected label 0 or 1"):
        load("xcopa", "test", ["et"], data_dir=tmp_path)
