"""Formats checked against the upstream sources (rxlt.data.mewslix, rxlt.data.xtreme_loader): Mewsli-X records and query
strings as utils_mewslix builds them, its English training pairs, the LAReQA pool as utils_lareqa.load_data
builds it, XCOPA's English dev (COPA val). Golden strings below are derived by hand from the upstream code
(google-research/xtreme@66367fa third_party/utils_mewslix.py preprocess_mention, whose steps are quoted)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from rxlt.data.xtreme_loader import DataFileError, english_dev_available, load, summary

FIX = Path(__file__).parent / "fixtures"
DL = FIX / "xtreme" / "download"
UP = FIX / "xtreme" / "upstream"
REPO = Path(__file__).resolve().parents[1]


def test_mewslix_queries_are_utils_mewslix_strings_and_candidates_the_whole_set(offline):
    mx = load("mewslix", "test", data_dir=DL)
    q, c = mx[mx.role == "query"], mx[mx.role == "candidate"]
    # one query per mention of each ContextualMentions line, language = context.language
    assert q.key.tolist() == ["m-de-1", "m-de-2", "m-en-1"] and q.language.tolist() == ["de", "de", "en"]
    # preprocess_mention: 1 sentence of context; f"{m}: {left} {{ {m} }} {right}"; "{dpa}" -> "(dpa)";
    # " ".join(splitlines()).replace("  ", " ").strip(). "In Helsinki, ..." drops the title sentence.
    assert q.text.tolist() == ["Berlin: Gestern war der Kanzler in { Berlin } .",
                               "Paris: Laut (dpa) reist er nach { Paris } .",
                               "Helsinki: In { Helsinki } , buses stopped."]
    # every entity of candidate_set_entities.jsonl, in file order; text = the sentence spans joined by a space
    # (the newline between them and the text outside every span are gone; braces in descriptions stay)
    assert c.key.tolist() == ["Q64", "Q90", "Q1757", "Q19675"] and c.language.tolist() == ["en", "fr", "en", "en"]
    assert c.text.iloc[0] == "Berlin is the capital of Germany. It has {many} parks."
    assert "context" not in mx.columns and c.title.tolist()[:2] == ["Berlin", "Paris"]  # upstream encodes descriptions only
    de = load("mewslix", "test", ["de"], data_dir=DL)
    assert set(de[de.role == "query"].language) == {"de"} and (de.role == "candidate").sum() == 4
    assert load("mewslix", "dev", data_dir=DL).query("role == 'query'").key.tolist() == ["m-en-1"]


def test_mewslix_english_training_pairs_and_their_dev_split(offline):
    train = load("mewslix", "train", data_dir=DL)
    q, c = train[train.role == "query"], train[train.role == "candidate"]
    assert q.target.tolist() == ["Q90", "Q19675", "Q90"] and set(train.language) == {"en"}
    assert q.text.tolist()[:2] == ["Paris: The Louvre is in { Paris } .", "Louvre: The { Louvre } is in Paris."]
    # the pairs' entities are the candidates, one per id (Q90 is paired twice)
    assert c.key.tolist() == ["Q90", "Q19675"] and c.text.iloc[0] == "Paris is the capital of France."
    held = load("mewslix", "train_dev", data_dir=DL)
    assert held.query("role == 'query'").target.tolist() == ["Q19675"]
    table = summary("mewslix", DL)
    assert table[["split", "language", "examples"]].values.tolist() == [
        ["train", "en", 3], ["train_dev", "en", 1], ["dev", "en", 1], ["test", "de", 2], ["test", "en", 1]]


def test_mewslix_phase_2_trains_the_dual_encoder_on_its_wikipedia_pairs(offline):
    from rxlt.data.catalog import training_task
    from rxlt.params.phases import FinetuneParams
    from rxlt.params.strict import ParamsError, build

    assert build(FinetuneParams, {"task": "mewslix"}).task == "mewslix" and training_task("mewslix") == "wikipedia-pairs"
    with pytest.raises(ParamsError, match="'rs_da' does not apply to retrieval"):
        build(FinetuneParams, {"task": "mewslix", "objective": "rs_da"})


def _write(tmp_path, name, records):
    path = tmp_path / "mewslix" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def _doc(text, spans, start, end, surface):
    return {"context": {"document_title": "t", "document_url": "u", "document_id": "d", "language": "en",
                        "text": text, "sentence_spans": [{"start": s, "end": e} for s, e in spans]},
            "mentions": [{"example_id": "x", "entity_id": "Q1", "mention_span": {"start": start, "end": end,
                                                                                    "text": surface}}]}


@pytest.mark.parametrize("records, match", [
    # a ContextualMention (singular) line where ContextualMentions is expected
    ([{"context": {"language": "en", "text": "a"}, "mention": {}}], r"wikinews_mentions-test.jsonl:1: expected a ContextualMentions"),
    # wikinews_mentions_no_text-*: the text is empty until get-mewsli-x.sh restores it
    ([_doc("", [(0, 5)], 0, 2, "Hi")], r"wikinews_mentions-test.jsonl:1: sentence span \(0, 5\) is out of bounds .*get-mewsli-x.sh"),
    ([_doc("Hi there. Bye.", [(0, 9), (10, 14)], 0, 3, "Bye")], r":1: mention_span text 'Bye' != context.text\[0:3\]"),
    ([_doc("Hi there. Bye.", [(0, 9), (10, 14)], 3, 13, "there. Bye")], r":1: mention \(3, 13\) lies in no single sentence"),
])
def test_malformed_mewslix_lines_are_named(offline, tmp_path, records, match):
    _write(tmp_path, "wikinews_mentions-test.jsonl", records)
    _write(tmp_path, "candidate_set_entities.jsonl", [{"entity_id": "Q1", "title": "T", "description": "D.",
                                                       "sentence_spans": [{"start": 0, "end": 2}]}])
    with pytest.raises(DataFileError, match=match):
        load("mewslix", "test", ["en"], data_dir=tmp_path)


def test_mewslix_pairs_and_missing_candidates_are_clear(offline, tmp_path):
    _write(tmp_path, "wikipedia_pairs-train.jsonl", [{"context": {}, "mentions": []}])
    with pytest.raises(DataFileError, match=r"wikipedia_pairs-train.jsonl:1: expected a MentionEntityPair"):
        load("mewslix", "train", data_dir=tmp_path)
    _write(tmp_path, "wikinews_mentions-test.jsonl", [_doc("Hi.", [(0, 3)], 0, 2, "Hi")])
    with pytest.raises(FileNotFoundError, match="the candidate set is missing"):
        load("mewslix", "test", ["en"], data_dir=tmp_path)


def test_lareqa_pool_is_every_language_and_follows_utils_lareqa(offline):
    lq = load("lareqa", "test", data_dir=DL)
    q, c = lq[lq.role == "query"], lq[lq.role == "candidate"]
    # q3 (answer start between two sentences) is skipped; paragraph 3 has no question, so none of its sentences
    # enter the pool (candidates are added per question in utils_lareqa.load_data)
    assert sorted(q.key) == ["q1_de", "q1_en", "q2_de", "q2_en"]
    assert sorted(c.key) == ["de_1_0", "de_1_1", "de_2_0", "de_2_1", "en_1_0", "en_1_1", "en_2_0", "en_2_1"]
    assert c.set_index("key").context["en_1_1"] == "Berlin is the capital of Germany. It has many parks."
    # asking for German only keeps the multilingual pool (evaluate_retrieval.py loads every file of xquad-r/)
    de = load("lareqa", "test", ["de"], data_dir=DL)
    assert set(de[de.role == "query"].language) == {"de"} and set(de[de.role == "candidate"].language) == {"de", "en"}
    assert de.set_index("key").target["q2_de"] == "de_2_0;en_2_0"


def _squad_r(paragraphs):
    return {"data": [{"paragraphs": paragraphs}]}


def test_lareqa_gold_is_every_sentence_equal_to_the_answer_sentence(offline, tmp_path):
    ctx = "Yes. Yes. No."
    par = {"context": ctx, "sentence_breaks": [[0, 4], [5, 9], [10, 13]],
           "qas": [{"id": "a", "question": "?", "answers": [{"text": "Yes", "answer_start": 5}]}]}
    (tmp_path / "xquad-r").mkdir()
    (tmp_path / "xquad-r/en.json").write_text(json.dumps(_squad_r([par])))
    lq = load("lareqa", "test", data_dir=tmp_path)
    assert lq.set_index("key").target["a_en"] == "en_1_0;en_1_1"  # `if sentence == answer` marks both
    bad = {**par, "qas": [{"id": "a", "question": "?", "answers": []}]}
    (tmp_path / "xquad-r/en.json").write_text(json.dumps(_squad_r([bad])))
    with pytest.raises(DataFileError, match=r"en.json: data\[0\] paragraph 1: question 'a': expected .* exactly one answer"):
        load("lareqa", "test", data_dir=tmp_path)
    (tmp_path / "xquad-r/en.json").write_text(json.dumps(_squad_r([{"context": ctx, "qas": []}])))
    with pytest.raises(DataFileError, match="has no|expected 'context', 'qas' and 'sentence_breaks'"):
        load("lareqa", "test", data_dir=tmp_path)


def test_xcopa_english_dev_is_copa_val_in_both_layouts(offline, tmp_path, monkeypatch):
    dl = load("xcopa", "dev", ["en"], data_dir=DL)
    up = load("xcopa", "dev", ["en"], data_dir=UP)
    assert dl.choices.tolist() == up.choices.tolist() == [["She used a key.", "She sang a song."]]
    assert sorted(load("xcopa", "dev", data_dir=DL).language) == ["en", "et"]
    assert load("xcopa", "test", data_dir=DL).language.unique().tolist() == ["et"]  # English is no test language
    from rxlt.phases.english_training import has_english_dev

    monkeypatch.setenv("RXLT_DATA_DIR", str(DL))
    assert english_dev_available("xcopa") and has_english_dev("xcopa") and has_english_dev("xnli")
    assert not has_english_dev("tydiqa")  # TyDiQA-GoldP has no dev split
    (tmp_path / "xcopa").mkdir()
    (tmp_path / "xcopa/train.en.jsonl").write_text((DL / "xcopa/train.en.jsonl").read_text())
    monkeypatch.setenv("RXLT_DATA_DIR", str(tmp_path))
    assert not has_english_dev("xcopa")  # no COPA val: phase 2 holds out English train items instead


def test_cli_summary_lists_the_mewslix_training_pairs():
    env = {"PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "rxlt", "data", "summary", "mewslix", "--data-dir", str(DL), "--json"],
                         capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert out.returncode == 0, out.stderr
    records = json.loads(out.stdout)
    assert {"task": "mewslix", "split": "train", "language": "en", "examples": 3, "problem": ""} in records
    assert {"task": "mewslix", "split": "train_dev", "language": "en", "examples": 1, "problem": ""} in records


def test_xcopa_phase_2_selects_on_copa_val(offline, tmp_path, monkeypatch):
    """With COPA val in the data directory, phase 2 selects on it (XTREME-R's English dev) and keeps every
    COPA train item for training; without it, one train item is held out (tests/test_task_phases.py)."""
    from rxlt.params.phases import FinetuneParams
    from rxlt.params.strict import build
    from rxlt.phases.finetune import run_finetune
    from rxlt.results import read_results, start_run

    data = tmp_path / "data" / "xcopa"
    data.mkdir(parents=True)
    rows = [{"idx": i, "premise": p, "question": q, "choice1": a, "choice2": b, "label": lab} for i, (p, q, a, b, lab) in
            enumerate([("The man fell.", "cause", "He slipped on ice.", "He sang a song.", 0),
                       ("It rained all day.", "effect", "The sun was hot.", "The street got wet.", 1)] * 2)]
    (data / "train.en.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (data / "val.en.jsonl").write_text(json.dumps(rows[0]) + "\n")
    monkeypatch.setenv("RXLT_DATA_DIR", str(tmp_path / "data"))
    cfg = build(FinetuneParams, {"task": "xcopa", "model": "e5-small", "encoder_layers": 1, "epochs": 1,
                                 "batch_size": 4, "max_length": 32, "precision": "fp32", "run_dir": str(tmp_path / "ft")})
    run_finetune(start_run("02_finetune", cfg))
    samples = read_results(tmp_path / "ft")["samples"]
    assert samples["train"]["used"] == 4 and "held_out_for_selection" not in samples["train"]
    assert read_results(tmp_path / "ft")["metrics"]["selection_data"] == "English dev"
    assert samples["dev"] == {"original": 1, "used": 1}


def test_conllu_drops_sentences_without_text_like_udpos_preprocess(offline, tmp_path):
    """utils_preprocess.py udpos_preprocess keeps a sentence only if num_empty == 0 or num_empty < len - 1
    (treebanks such as UD_English-ESL ship "_" instead of the words); the release folder layout is found."""
    rows = lambda forms: "".join(f"{i}\t{f}\t_\tNOUN\t_\t_\t0\troot\t_\t_\n" for i, f in enumerate(forms, 1)) + "\n"  # noqa: E731
    path = tmp_path / "ud-treebanks-v2.7" / "UD_English-Fixture" / "en_fixture-ud-test.conllu"
    path.parent.mkdir(parents=True)
    path.write_text(rows(["a", "b", "c"]) + rows(["_", "_"]) + rows(["x", "_"]) + rows(["p", "q", "_"]) + rows(["_"]))
    got = load("udpos", "test", ["en"], data_dir=tmp_path)
    # kept: no "_"; 1 "_" of 3 (1 < 2). Dropped: all "_"; 1 of 2 (1 < 1 is false); a lone "_"
    assert got.tokens.tolist() == [["a", "b", "c"], ["p", "q", "_"]] and got.key.tolist() == ["0", "1"]


def test_tatoeba_lines_are_stripped_as_evaluate_retrieval_reads_them(offline, tmp_path, monkeypatch):
    import pandas as pd

    snap = tmp_path / "google" / "xtreme" / "tatoeba.deu"
    snap.mkdir(parents=True)
    pd.DataFrame({"source_sentence": ["Ich habe Hunger.\n"], "target_sentence": ["I am hungry.\n"],
                  "source_lang": ["deu"], "target_lang": ["eng"]}).to_parquet(snap / "validation-00000-of-00001.parquet")
    monkeypatch.setenv("RXLT_DATA_DIR", str(tmp_path))
    with pytest.warns(UserWarning):
        hub = load("tatoeba", "test", ["de"])
    assert hub.text.tolist() == ["Ich habe Hunger.", "I am hungry."]
    (tmp_path / "tatoeba" / "v1").mkdir(parents=True)
    (tmp_path / "tatoeba/v1/tatoeba.deu-eng.deu").write_text(" Ich habe Hunger. \n")
    (tmp_path / "tatoeba/v1/tatoeba.deu-eng.eng").write_text("I am hungry.\t\n")
    assert load("tatoeba", "test", ["de"], data_dir=tmp_path).text.tolist() == hub.text.tolist()


def test_bad_candidate_lines_are_named(offline, tmp_path):
    _write(tmp_path, "wikinews_mentions-test.jsonl", [_doc("Hi.", [(0, 3)], 0, 2, "Hi")])
    good = {"entity_id": "Q1", "title": "T", "description": "D.", "sentence_spans": [{"start": 0, "end": 2}]}
    _write(tmp_path, "candidate_set_entities.jsonl", [good, {**good, "entity_id": "Q2", "sentence_spans": [{"start": 0, "end": 9}]}])
    with pytest.raises(DataFileError, match=r"candidate_set_entities.jsonl:2: sentence span \(0, 9\) is out of bounds"):
        load("mewslix", "test", ["en"], data_dir=tmp_path)
    _write(tmp_path, "candidate_set_entities.jsonl", [good, {"entity_id": "Q2", "title": "T"}])
    with pytest.raises(DataFileError, match=r"candidate_set_entities.jsonl:2: missing fields \['description'\]"):
        load("mewslix", "test", ["en"], data_dir=tmp_path)


def test_mewslix_evaluation_languages_come_from_the_mentions_file_alone(offline, monkeypatch, tmp_path):
    from rxlt.phases.kind_handlers import evaluation_languages

    monkeypatch.setenv("RXLT_DATA_DIR", str(DL))
    assert evaluation_languages("mewslix") == ["de", "en"]  # the contexts with mentions, in the table's order
    # the candidate set is never read for this: a copy without it answers the same
    (tmp_path / "mewslix").mkdir()
    (tmp_path / "mewslix" / "wikinews_mentions-test.jsonl").write_text(
        (DL / "mewslix" / "wikinews_mentions-test.jsonl").read_text())
    monkeypatch.setenv("RXLT_DATA_DIR", str(tmp_path))
    assert evaluation_languages("mewslix") == ["de", "en"]
