"""Phases 1 -> 2 -> 3 through the real entry points for tagging, QA, multiple choice and retrieval, on tiny
files in the XTREME layouts (rxlt.data.xtreme_tasks `local`) and hub-layout fixtures, with the embedded encoder cut to
two layers."""
import json
from pathlib import Path

import pandas as pd
import pytest

from rxlt.params.phases import EvaluateParams, FinetuneParams, IntermediateParams
from rxlt.params.strict import ParamsError, build
from rxlt.phases.evaluate import run_evaluation
from rxlt.phases.finetune import run_finetune
from rxlt.phases.intermediate import run_intermediate
from rxlt.results import read_results, start_run

HUB = Path(__file__).parent / "fixtures" / "hub"
FAST = {"model": "e5-small", "encoder_layers": 2, "epochs": 2, "batch_size": 4, "lr": 1e-4, "head_lr": 1e-2,
        "precision": "fp32"}

POS = [  # (tokens, tags): our own sentences, UPOS tags
    (["The", "cat", "sleeps", "."], ["DET", "NOUN", "VERB", "PUNCT"]),
    (["A", "dog", "runs", "fast", "."], ["DET", "NOUN", "VERB", "ADV", "PUNCT"]),
    (["She", "reads", "books", "."], ["PRON", "VERB", "NOUN", "PUNCT"]),
    (["They", "eat", "rice", "."], ["PRON", "VERB", "NOUN", "PUNCT"]),
]
POS_DE = [(["Die", "Katze", "schläft", "."], ["DET", "NOUN", "VERB", "PUNCT"]),
          (["Er", "liest", "Bücher", "."], ["PRON", "VERB", "NOUN", "PUNCT"])]
POS_ZH = [(["猫", "睡觉", "。"], ["NOUN", "VERB", "PUNCT"]), (["她", "读", "书籍", "。"], ["PRON", "VERB", "NOUN", "PUNCT"])]


def _tsv(path: Path, sents) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n\n".join("\n".join(f"{t}\t{g}" for t, g in zip(*s)) for s in sents) + "\n", encoding="utf-8")


def _squad_json(path: Path, items) -> None:
    """items: (id, context, question, answer) -> SQuAD v1.1 JSON."""
    paragraphs = [{"context": c, "qas": [{"id": i, "question": q, "answers": [{"text": a, "answer_start": c.index(a)}]}]}
                  for i, c, q, a in items]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": "1.1", "data": [{"title": "t", "paragraphs": paragraphs}]}), encoding="utf-8")


CAPITALS = [("France", "Paris"), ("Japan", "Tokyo"), ("Kenya", "Nairobi"), ("Peru", "Lima"), ("Egypt", "Cairo"),
            ("Canada", "Ottawa")]


def _qa_items(prefix, pairs, template="{c} is a country. Its capital is {a}, a large city.", question="What is the capital of {c}?"):
    return [(f"{prefix}{i}", template.format(c=c, a=a), question.format(c=c), a) for i, (c, a) in enumerate(pairs)]


@pytest.fixture()
def data_dir(tmp_path, monkeypatch):
    root = tmp_path / "data"
    _tsv(root / "udpos" / "train-en.tsv", POS * 2)
    _tsv(root / "udpos" / "dev-en.tsv", POS[:2])
    _tsv(root / "udpos" / "test-en.tsv", POS[2:])
    _tsv(root / "udpos" / "test-de.tsv", POS_DE)
    _tsv(root / "udpos" / "test-zh.tsv", POS_ZH)
    _squad_json(root / "squad" / "train-v1.1.json", _qa_items("tr", CAPITALS[:4]))
    _squad_json(root / "squad" / "dev-v1.1.json", _qa_items("dv", CAPITALS[4:]))
    _squad_json(root / "xquad" / "xquad.en.json", _qa_items("x", CAPITALS[:3]))
    _squad_json(root / "xquad" / "xquad.de.json", _qa_items("x", [("Frankreich", "Paris"), ("Japan", "Tokio"), ("Kenia", "Nairobi")],
                                                           "{c} ist ein Land. Seine Hauptstadt ist {a}.", "Was ist die Hauptstadt von {c}?"))
    monkeypatch.setenv("RXLT_DATA_DIR", str(root))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    return root


def _finetune(tmp_path, task, **extra):
    cfg = build(FinetuneParams, {**FAST, "task": task, "run_dir": str(tmp_path / f"ft-{task}"), **extra})
    run_finetune(start_run("02_finetune", cfg))
    return tmp_path / f"ft-{task}"


def _evaluate(tmp_path, ft, **extra):
    cfg = build(EvaluateParams, {"finetune_run": str(ft), "bootstrap_samples": 100, "precision": "fp32",
                                 "run_dir": str(tmp_path / "ev"), **extra})
    table = run_evaluation(start_run("03_evaluate", cfg))
    return table, read_results(tmp_path / "ev")


def test_tagging_phase_2_to_3(data_dir, tmp_path):
    from rxlt.scoring.metrics import seqeval_f1

    ft = _finetune(tmp_path, "udpos", max_length=5)  # 3 sub-words per row: sentences of 4-5 words are split
    res2 = read_results(ft)
    assert res2["kind"] == "tagging" and res2["metrics"]["dev_metric"] == "seqeval_f1"
    assert res2["samples"]["train"]["used"] == 8 and 0 <= res2["metrics"]["english_test_score"] <= 1
    assert res2["samples"]["train"]["features"] > 8  # split sentences: more token rows than sentences
    head = json.loads((ft / "model" / "head.json").read_text())
    assert head["kind"] == "tagging" and "PROPN" in head["labels"]
    table, res = _evaluate(tmp_path, ft)
    assert set(res["metrics"]["per_language"]) == {"de", "en", "zh"} and res["metrics"]["metric"] == "seqeval_f1"
    assert res["samples"]["test"]["zh"] == {"original": 2, "used": 2}
    preds = pd.read_csv(tmp_path / "ev" / "predictions.csv.gz", converters={"tags": eval, "prediction": eval})
    assert (preds.token_rows > 1).any() and res["metrics"]["per_language"]["de"]["sentences_split"] >= 1
    for lang, g in preds.groupby("language"):
        assert [len(p) for p in g.prediction] == [len(t) for t in g.tags]  # one tag per word, CJK and split ones
        assert res["metrics"]["per_language"][lang]["f1"] == pytest.approx(seqeval_f1(list(g.prediction), list(g.tags)))
        assert res["metrics"]["per_language"][lang]["score"] == res["metrics"]["per_language"][lang]["f1"]
    assert res["metrics"]["average"]["english_in_grid"] is True
    # the report's tidy table and phase 4 read the headline key of any metric (phase 4: no item pairing for F1)
    from rxlt.phases.tiers import load_evaluations
    from rxlt.reporting.tidy import tidy_results

    tidy = tidy_results([tmp_path / "ev"])
    assert set(tidy.metric) == {"seqeval_f1"}
    assert tidy.set_index("language").value.to_dict() == {k: v["f1"] for k, v in res["metrics"]["per_language"].items()}
    scores, preds = load_evaluations([tmp_path / "ev"])
    assert scores.set_index("language").seqeval_f1.to_dict() == tidy.set_index("language").value.to_dict()
    assert set(scores.metric) == {"seqeval_f1"} and preds.empty


def test_tagging_tag_subword_travels_from_phase_2_to_3(data_dir, tmp_path):
    ft = _finetune(tmp_path, "udpos", tag_subword="first_content")
    assert json.loads((ft / "model" / "head.json").read_text())["tag_subword"] == "first_content"
    from rxlt.model.checkpoint import load_model

    assert load_model(ft / "model")[0].tag_subword == "first_content"
    table, res = _evaluate(tmp_path, ft)
    assert set(res["metrics"]["per_language"]) == {"de", "en", "zh"}
    with pytest.raises(ParamsError, match="tag_subword"):
        build(FinetuneParams, {**FAST, "task": "udpos", "tag_subword": "last"})


def test_qa_phase_2_to_3(data_dir, tmp_path):
    from rxlt.scoring.metrics import squad_scores

    ft = _finetune(tmp_path, "xquad", qa_max_length=48, doc_stride=8, epochs=3)
    res2 = read_results(ft)
    assert res2["kind"] == "qa" and res2["trained_task"] == "xquad" and res2["samples"]["train"]["used"] == 4
    table, res = _evaluate(tmp_path, ft, max_answer_length=5)
    per = res["metrics"]["per_language"]
    assert set(per) == {"de", "en"} and per["de"]["n"] == 3
    preds = pd.read_csv(tmp_path / "ev" / "predictions.csv.gz", keep_default_na=False, converters={"answers": eval})
    for lang, g in preds.groupby("language"):
        gold = dict(zip(g.key, g.answers))
        s = squad_scores(dict(zip(g.key, g.prediction)), gold)
        assert per[lang]["exact_match"] == pytest.approx(s["exact_match"]) and per[lang]["f1"] == pytest.approx(s["f1"])
        assert per[lang]["score"] == pytest.approx((s["exact_match"] + s["f1"]) / 2)
        assert all(len(p.split()) <= 5 for p in g.prediction)  # spans come from the context, within max length
        assert all(p in c for p, c in zip(g.prediction, g.context))


def test_retrieval_and_robust_objectives_are_checked_before_compute(data_dir, tmp_path):
    from rxlt.params.strict import ParamsError

    with pytest.raises(ParamsError, match="rs_da' does not apply to tagging"):
        build(FinetuneParams, {**FAST, "task": "udpos", "objective": "rs_da"})
    with pytest.raises(ParamsError, match="'rs_da' does not apply to retrieval"):
        build(FinetuneParams, {**FAST, "task": "mewslix", "objective": "rs_da"})
    with pytest.raises(ParamsError, match="no trained head in phase 1"):
        build(IntermediateParams, {**FAST, "tasks": ["mewslix"]})
    assert build(FinetuneParams, {**FAST, "task": "udpos", "objective": "adversarial"}).objective == "adversarial"


def test_mc_and_qa_intermediate_tasks_train_in_phase_1(tmp_path, monkeypatch):
    monkeypatch.setenv("RXLT_DATA_DIR", str(HUB))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    for mixing in ("sequence", "mixture"):
        cfg = build(IntermediateParams, {**FAST, "tasks": ["siqa", "squad", "mnli"], "mixing": mixing, "epochs": 1,
                                         "qa_max_length": 48, "doc_stride": 8, "run_dir": str(tmp_path / mixing)})
        history = run_intermediate(start_run("01_intermediate", cfg))
        res = read_results(tmp_path / mixing)
        assert set(res["metrics"]) == {"siqa", "squad", "mnli"} and set(history.task) == {"siqa", "squad", "mnli"}
        assert res["metrics"]["squad"]["dev_metric"] == "squad_em_f1_mean" and res["metrics"]["siqa"]["dev_metric"] == "accuracy"
        assert res["samples"]["siqa"]["train"]["used"] == 4 and res["samples"]["squad"]["train"]["used"] == 6
        assert (tmp_path / mixing / "encoder" / "encoder_delta.safetensors").is_file()


def _jsonl(path: Path, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


COPA = [("The man fell.", "cause", "He slipped on ice.", "He sang a song.", 0),
        ("It rained all day.", "effect", "The sun was hot.", "The street got wet.", 1),
        ("She was hungry.", "effect", "She ate lunch.", "She painted a wall.", 0),
        ("The glass broke.", "cause", "It was full of water.", "It fell on the floor.", 1)]


def _copa_rows(items):
    return [{"idx": i, "premise": p, "question": q, "choice1": a, "choice2": b, "label": l}
            for i, (p, q, a, b, l) in enumerate(items)]


def test_xcopa_multiple_choice_phase_2_to_3(data_dir, tmp_path):
    _jsonl(data_dir / "xcopa" / "train.en.jsonl", _copa_rows(COPA * 2))
    _jsonl(data_dir / "xcopa" / "test.et.jsonl", _copa_rows([("Mees kukkus.", "cause", "Ta libises jääl.", "Ta laulis.", 0)] * 3))
    _jsonl(data_dir / "xcopa" / "test.zh.jsonl", _copa_rows([("下了一整天雨。", "effect", "太阳很热。", "街道湿了。", 1)] * 2))
    ft = _finetune(tmp_path, "xcopa", max_length=32)
    res2 = read_results(ft)
    assert res2["kind"] == "multiple_choice" and res2["metrics"]["english_test_score"] is None
    assert res2["samples"]["train"]["held_out_for_selection"] == 1  # XCOPA has no English dev: COPA train item held out
    assert res2["metrics"]["selection_data"] == "1 English training items held out (10%)"
    table, res = _evaluate(tmp_path, ft)
    per = res["metrics"]["per_language"]
    assert set(per) == {"et", "zh"} and per["et"]["n"] == 3 and res["metrics"]["metric"] == "accuracy"
    preds = pd.read_csv(tmp_path / "ev" / "predictions.csv.gz")
    for lang, g in preds.groupby("language"):
        assert per[lang]["accuracy"] == pytest.approx((g.prediction == g.label).mean()) == per[lang]["score"]
    assert res["metrics"]["average"]["english_in_grid"] is False


def test_tatoeba_retrieval_from_a_squad_encoder(data_dir, tmp_path):
    import shutil

    shutil.copytree(HUB / "rajpurkar", data_dir / "rajpurkar")
    de = ["Ich habe Hunger.", "Das Haus ist groß.", "Wo ist der Bahnhof?"]
    en = ["I am hungry.", "The house is big.", "Where is the station?"]
    (data_dir / "tatoeba" / "v1").mkdir(parents=True)
    (data_dir / "tatoeba" / "v1" / "tatoeba.deu-eng.deu").write_text("\n".join(de) + "\n", encoding="utf-8")
    (data_dir / "tatoeba" / "v1" / "tatoeba.deu-eng.eng").write_text("\n".join(en) + "\n", encoding="utf-8")
    ft = _finetune(tmp_path, "tatoeba", epochs=1, qa_max_length=48, doc_stride=8)
    assert read_results(ft)["trained_task"] == "squad" and read_results(ft)["kind"] == "qa"
    table, res = _evaluate(tmp_path, ft, languages=["de"], retrieval_layer=1)
    per = res["metrics"]["per_language"]["de"]
    preds = pd.read_csv(tmp_path / "ev" / "predictions.csv.gz", dtype={"key": str, "target": str, "top1": str})
    fwd, rev = preds[preds.direction == "x->en"], preds[preds.direction == "en->x"]
    assert len(fwd) == len(rev) == 3 and res["metrics"]["metric"] == "retrieval_accuracy"
    # the headline is XTREME-R's en->x (each English sentence retrieves among the German ones); x->en beside it
    assert per["accuracy"] == pytest.approx((rev.top1 == rev.target).mean()) == per["score"]
    assert per["accuracy_x_to_en"] == pytest.approx((fwd.top1 == fwd.target).mean())
    how = res["retrieval_embedding"]
    assert how["headline_direction"] == "en->x" and how["query_length"] == how["candidate_length"] == 512
    assert how["layer"] == 1  # as asked; -1 would be XTREME's layer (8 of 12; at most the 2 layers kept here)
    assert 1 / 3 <= per["mrr_at_20"] <= 1  # 3 candidates: the gold one is at worst third
    assert res["samples"]["test"]["de"] == {"original": 3, "used": 3}


def test_tydiqa_without_english_dev_selects_on_held_out_training_items(data_dir, tmp_path):
    items = _qa_items("ty", CAPITALS * 2)
    _squad_json(data_dir / "tydiqa" / "tydiqa-goldp-v1.1-train" / "tydiqa.goldp.en.train.json",
                [(f"{i}-{k}", c, q, a) for k, (i, c, q, a) in enumerate(items)])
    ft = _finetune(tmp_path, "tydiqa", epochs=1, qa_max_length=48, doc_stride=8)
    train = read_results(ft)["samples"]["train"]
    dev = read_results(ft)["samples"]["dev"]
    assert train["original"] == 12 and train["held_out_for_selection"] == dev["used"] == 1 and train["used"] == 11
