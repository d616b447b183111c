"""Golden numbers for every XTREME-R metric: hand-computed, and seqeval itself where it is installed."""
import random

import pytest

from rxlt.data.metric_directions import METRICS
from rxlt.data.xtreme_tasks import XTREME_TASKS, IncompleteGridError, aggregate, task_score
from rxlt.scoring import metrics


def test_accuracy_golden_and_length_check():
    assert metrics.accuracy(["a", "b", "a", "c"], ["a", "b", "b", "b"]) == 0.5
    with pytest.raises(ValueError, match="3 predictions for 2 gold"):
        metrics.accuracy([1, 2, 3], [1, 2])


def test_seqeval_f1_iob2_by_hand():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    pred = [["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG", "O"]]
    # gold chunks {PER 0-1, LOC 3, ORG 5}; pred {PER 0-1, ORG 3, ORG 5}; 2 correct -> P = R = F1 = 2/3
    assert metrics.seqeval_f1(pred, gold) == pytest.approx(2 / 3)
    # an I- after O opens a chunk (non-strict mode): I-PER alone equals B-PER
    assert metrics.seqeval_f1([["O", "I-PER"]], [["O", "B-PER"]]) == 1.0
    assert metrics.seqeval_f1([["O", "O"]], [["B-PER", "O"]]) == 0.0


def test_seqeval_on_pos_tags_merges_runs_like_evaluate_py():
    # seqeval reads "NOUN" as prefix "N", type "OUN": two adjacent NOUNs form ONE chunk, so a prediction
    # that gets both right still yields 1 chunk; SCONJ/SYM start with "S" (single) and never merge.
    gold = [["DET", "NOUN", "NOUN", "VERB"]]
    pred = [["DET", "NOUN", "ADJ", "VERB"]]
    # gold chunks: DET 0, NOUN 1-2, VERB 3 (3); pred: DET 0, NOUN 1, ADJ 2, VERB 3 (4); correct 2 -> F1 = 4/7
    assert metrics.seqeval_f1(pred, gold) == pytest.approx(4 / 7)
    assert metrics.entities(["SCONJ", "SCONJ"]) == [("CONJ", 0, 0), ("CONJ", 1, 1)]


@pytest.mark.filterwarnings("ignore:.*seems not to be NE tag")
def test_seqeval_f1_matches_seqeval_itself():
    seqeval = pytest.importorskip("seqeval.metrics")
    rng = random.Random(0)
    upos = XTREME_TASKS["udpos"]["labels"]
    ner = XTREME_TASKS["panx"]["labels"]
    for tags in (upos, ner):
        for _ in range(40):
            gold = [[rng.choice(tags) for _ in range(rng.randint(1, 9))] for _ in range(rng.randint(1, 5))]
            pred = [[t if rng.random() < 0.7 else rng.choice(tags) for t in s] for s in gold]
            assert metrics.seqeval_f1(pred, gold) == pytest.approx(seqeval.f1_score(gold, pred)), (gold, pred)


def test_squad_scores_by_hand():
    answers = {"1": ["the Eiffel Tower"], "2": ["in 1889", "1889"], "3": ["Paris"]}
    preds = {"1": "Eiffel Tower!", "2": "built in 1889 by"}  # 3 unanswered -> 0 (evaluate_squad.py)
    s = metrics.squad_scores(preds, answers)
    # EM: q1 1 (articles/punctuation stripped), q2 0, q3 0 -> 1/3. F1: q1 1; q2 max(F1 vs "in 1889" = 2*(2/4*1)/(2/4+1)
    # = 2/3, vs "1889" = 2*(1/4*1)/(1/4+1) = 0.4) = 2/3; q3 0 -> (1 + 2/3) / 3
    assert s["exact_match"] == pytest.approx(1 / 3)
    assert s["f1"] == pytest.approx((1 + 2 / 3) / 3)
    assert metrics.qa_score(s) == pytest.approx((1 / 3 + 5 / 9) / 2)


def test_mlqa_normalisation_per_language():
    # German articles go only under MLQA normalisation
    assert metrics.squad_scores({"1": "die Hauptstadt"}, {"1": ["Hauptstadt"]}, "de")["exact_match"] == 1.0
    assert metrics.squad_scores({"1": "die Hauptstadt"}, {"1": ["Hauptstadt"]})["exact_match"] == 0.0
    # Chinese: split per character, so partial overlap gets token F1: pred 北京市 vs gold 北京 -> P 2/3, R 1 -> 0.8
    assert metrics.squad_scores({"1": "北京市"}, {"1": ["北京"]}, "zh")["f1"] == pytest.approx(0.8)
    # Unicode punctuation (Arabic comma, CJK full stop) is removed; the Arabic article ال is removed everywhere
    assert metrics.squad_scores({"1": "الكتاب،"}, {"1": ["كتاب"]}, "ar")["exact_match"] == 1.0
    assert metrics.squad_scores({"1": "北京。"}, {"1": ["北京"]}, "zh")["exact_match"] == 1.0
    # Spanish articles
    assert metrics.squad_scores({"1": "la casa"}, {"1": ["casa"]}, "es")["exact_match"] == 1.0
    with pytest.raises(ValueError, match="MLQA normalisation is defined for"):
        metrics.squad_scores({"1": "x"}, {"1": ["x"]}, "fr")


def test_retrieval_metrics_by_hand():
    ranked = [["a", "b", "c"], ["x", "y", "z"], ["q", "r", "s"]]
    assert metrics.retrieval_accuracy(ranked, ["a", "y", "nope"]) == pytest.approx(1 / 3)
    # MRR@k: 1, 1/2, 0 -> 0.5; with k=1 the second query's hit at rank 2 no longer counts -> 1/3
    assert metrics.mrr_at_k(ranked, ["a", "y", "nope"], k=20) == pytest.approx(0.5)
    assert metrics.mrr_at_k(ranked, ["a", "y", "nope"], k=1) == pytest.approx(1 / 3)


def test_average_precision_at_k_matches_utils_lareqa_cases():
    # hits at ranks 2 and 4 of targets {b, d, e}: (1/2 + 2/4) / min(3, 20) = 1/3
    assert metrics.average_precision_at_k({"b", "d", "e"}, ["a", "b", "c", "d"]) == pytest.approx(1 / 3)
    # k=2 cuts to [a, b]: (1/2) / min(3, 2) = 1/4
    assert metrics.average_precision_at_k("b;d;e", ["a", "b", "c", "d"], k=2) == pytest.approx(0.25)
    # repeated predictions count once (utils_lareqa `pred not in ranked_predictions[:i]`)
    assert metrics.average_precision_at_k({1, 2, 3}, [1, 1, 1], k=3) == pytest.approx(1 / 3)
    assert metrics.map_at_k([["a", "b"], ["b", "a"]], ["a", "a"], k=20) == pytest.approx((1 + 0.5) / 2)


def test_metric_table_names_every_task_metric():
    assert {spec["metric"] for spec in XTREME_TASKS.values()} <= set(METRICS)
    assert all(m["higher_is_better"] for m in METRICS.values())


def test_aggregation_refuses_incomplete_grids_and_states_english():
    xnli = {lg: 0.5 for lg in XTREME_TASKS["xnli"]["languages"]}
    assert task_score("xnli", xnli)["english_included"] is True
    with pytest.raises(IncompleteGridError, match=r"xnli: no score for \['sw'\]"):
        task_score("xnli", {k: v for k, v in xnli.items() if k != "sw"})
    xcopa = {lg: 0.7 for lg in XTREME_TASKS["xcopa"]["languages"]}
    out = aggregate({"xnli": xnli, "xcopa": xcopa})
    assert out["groups"] == {"classification": pytest.approx(0.6), "multi_choice": pytest.approx(0.7)}
    assert "overall" not in out and any(s.startswith("tagging") for s in out["incomplete"])
    no_en = aggregate({"xnli": {**xnli, "en": 1.0}}, include_english=False)
    assert no_en["tasks"]["xnli"] == pytest.approx(0.5) and no_en["english_included"] is False


def test_overall_score_only_with_every_task():
    scores = {t: {lg: 0.4 for lg in spec["languages"]} for t, spec in XTREME_TASKS.items() if t != "pawsx"}
    out = aggregate(scores)
    assert out["overall"] == pytest.approx(0.4) and not out["incomplete"] and len(out["groups"]) == 5
