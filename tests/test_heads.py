"""Heads of every kind: features, alignment, spans, choices, retrieval, and every objective × head trains."""
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from rxlt.features.choices import encode_choices
from rxlt.features.qa import best_answers, encode_qa, span_positions
from rxlt.features.tagging import encode_tagging, first_subwords, word_tags
from rxlt.model.heads import IGNORE, build_head
from rxlt.scoring.prediction import predict_outputs
from rxlt.scoring.retrieval import embed, golds, hit_at_1, rank, ranked_keys
from rxlt.train.loop import Stream, train_streams
from rxlt.train.objectives import OBJECTIVE_KINDS, check_objective, make_objective

CFG = SimpleNamespace(epochs=6, batch_size=8, lr=1e-3, head_lr=1e-2, weight_decay=0.0, warmup_ratio=0.0,
                      max_grad_norm=1.0, precision="fp32")
TAGS = ["X", "Y"]


def _tagging(tok, n=32):
    rng = np.random.default_rng(0)
    sents = [[str(w) for w in rng.choice(["x", "y"], size=2 + i % 3)] for i in range(n)]
    return encode_tagging(tok, sents, [[w.upper() for w in s] for s in sents], {"X": 0, "Y": 1}, 16)


def _qa(tok, n=32):
    # The answer is the word "z" placed at different positions among filler words.
    contexts, starts = [], []
    for i in range(n):
        words = ["x"] * (3 + i % 4)
        words.insert(i % len(words), "z")
        c = " ".join(words)
        contexts.append(c)
        starts.append(c.index("z"))
    return encode_qa(tok, ["where ?"] * n, contexts, starts, ["z"] * n, max_length=32, doc_stride=8)


def _choices(tok, n=32):
    rows = pd.DataFrame({"premise": ["x"] * n, "question": ["effect"] * n,
                         "choices": [["x", "y"] if i % 2 else ["y", "x"] for i in range(n)],
                         "label": [1 if i % 2 else 0 for i in range(n)]})
    return encode_choices(tok, rows, 16)


def _classification(tok, n=32):
    from rxlt.features.batching import encode

    texts = [" ".join(["x"] * (1 + i % 4)) for i in range(n)]
    return encode(tok, texts, [int(len(t.split()) > 2) for t in texts], max_length=16)


TOYS = {"classification": (_classification, ["a", "b"]), "tagging": (_tagging, TAGS),
        "qa": (_qa, None), "multiple_choice": (_choices, None)}


def _dev_loss(data):
    def score(model):  # negative mean loss: a selection score that needs no metric library
        model.eval()
        with torch.no_grad():
            return -float(model.task_loss(data.collate(np.arange(len(data)))))
    return score


@pytest.mark.parametrize("kind,objective", [(k, o) for k in TOYS for o in sorted(OBJECTIVE_KINDS) if k in OBJECTIVE_KINDS[o]])
def test_every_objective_trains_every_head_it_applies_to(kind, objective, tiny_encoder, e5_tokenizer):
    make, labels = TOYS[kind]
    data = make(e5_tokenizer)
    torch.manual_seed(0)
    model = build_head(kind, tiny_encoder, labels, dropout=0.0)
    obj = make_objective(objective, adv_eps=0.05, adv_alpha=0.02, adv_steps=2, noise_sigma=0.1)
    history = train_streams([Stream(kind, model, data, data, score=_dev_loss(data))], obj, CFG, seed=0)
    assert history[-1]["train_loss"] < history[0]["train_loss"], history


def test_rs_da_is_refused_for_tagging_and_qa():
    check_objective("rs_da", "multiple_choice")
    for kind in ("tagging", "qa"):
        with pytest.raises(ValueError, match="does not apply to"):
            check_objective("rs_da", kind)
    check_objective("adversarial", "qa")


def test_first_subword_alignment_on_hand_examples(e5_tokenizer):
    # "東京都" and the Thai word are split into a bare "▁" and the script's pieces: one label, on the first.
    words = [["I", "love", "東京都", "ภาษาไทย", "unbelievably"]]
    enc = encode_tagging(e5_tokenizer, words, [["PRON", "VERB", "PROPN", "NOUN", "ADV"]],
                         {t: i for i, t in enumerate(["PRON", "VERB", "PROPN", "NOUN", "ADV"])}, 32)
    pieces = e5_tokenizer.convert_ids_to_tokens(enc.input_ids[0])
    first = enc.first[0]
    assert len(first) == 5 and pieces[first[0]] == "▁I" and pieces[first[1]] == "▁love"
    assert first[3] - first[2] >= 2  # the CJK word has at least two pieces
    labels = enc.labels[0]
    assert [labels[p] for p in first] == [0, 1, 2, 3, 4]
    assert sum(x != IGNORE for x in labels) == 5  # continuation pieces and <s>, </s> are ignored
    assert labels[0] == IGNORE and labels[-1] == IGNORE
    # reading tags back: one tag per word, from the first sub-word's logits
    logits = np.zeros((len(labels), 5))
    for w, p in enumerate(first):
        logits[p, (w + 1) % 5] = 1.0
    tags = word_tags(logits, first, ["PRON", "VERB", "PROPN", "NOUN", "ADV"])
    assert tags == ["VERB", "PROPN", "NOUN", "ADV", "PRON"]


def test_first_content_position_skips_a_bare_word_start_piece(e5_tokenizer):
    words = [["I", "love", "東京都", "ภาษาไทย", "unbelievably"]]
    index = {t: i for i, t in enumerate(["PRON", "VERB", "PROPN", "NOUN", "ADV"])}
    plain = encode_tagging(e5_tokenizer, words, [list(index)], index, 32)
    content = encode_tagging(e5_tokenizer, words, [list(index)], index, 32, position="first_content")
    pieces = e5_tokenizer.convert_ids_to_tokens(plain.input_ids[0])
    for w in range(5):
        p, c = plain.first[0][w], content.first[0][w]
        if pieces[p] == "▁":  # the CJK/Thai words: the label moves to the piece with characters
            assert c == p + 1 and pieces[c] != "▁"
        else:  # "▁I", "▁love", "▁un…": unchanged
            assert c == p
    assert any(pieces[p] == "▁" for p in plain.first[0])  # the example really exercises the bare piece
    assert sorted(x for x in content.labels[0] if x != IGNORE) == [0, 1, 2, 3, 4]
    # a word that is nothing but "▁" keeps that piece: there is no other to move to
    assert first_subwords([None, 0, 1, 1, None], 2, [False, True, True, False, False]) == [1, 3]
    assert first_subwords([None, 0, 1, None], 2, [False, True, True, False]) == [1, 2]
    with pytest.raises(ValueError, match="first_content"):
        encode_tagging(e5_tokenizer, words, None, index, 32, position="last")


def test_words_past_max_length_go_to_further_rows_never_a_filler_tag(e5_tokenizer):
    enc = encode_tagging(e5_tokenizer, [["a", "b", "c", "d", "e"]], None, {}, 4)  # <s> a b </s>, <s> c d </s>, …
    assert enc.first == [[1, 2], [1, 2], [1]] and enc.word_start == [0, 2, 4] and enc.sentence == [0, 0, 0]
    assert enc.labels is None
    with pytest.raises(ValueError, match="every word must be tagged"):
        word_tags(np.zeros((4, 2)), [1, -1], ["B", "O"])
    assert first_subwords([None, 0, 0, 1, None], 3) == [1, 3, -1]


def test_qa_answer_across_a_window_boundary_is_recovered(e5_tokenizer):
    filler = "The quick brown fox jumps over the lazy dog. " * 6
    context = filler + "The capital of France is Paris and it is large."
    answer = "Paris"
    start = context.index(answer)
    data = encode_qa(e5_tokenizer, ["What is the capital of France?"], [context], [start], [answer],
                     max_length=48, doc_stride=16)
    assert len(data) >= 3 and set(data.example) == {0}
    inside = [i for i in range(len(data)) if data.labels[i, 0] > 0]
    outside = [i for i in range(len(data)) if data.labels[i, 0] == 0]
    assert len(inside) >= 1 and outside  # some windows hold the answer, the others point at position 0
    for i in inside:
        s, e = data.labels[i]
        assert context[data.offsets[i][s][0]: data.offsets[i][e][1]].strip() == answer
    # logits that favour the answer in one window and a wrong, weaker span in another
    logits = []
    for i in range(len(data)):
        lg = np.full((len(data.input_ids[i]), 2), -5.0)
        ctx = [t for t, o in enumerate(data.offsets[i]) if o is not None]
        lg[ctx[0], 0], lg[ctx[0], 1] = 1.0, 1.0  # a distractor everywhere
        if i == inside[-1]:
            s, e = data.labels[i]
            lg[s, 0], lg[e, 1] = 4.0, 4.0
        logits.append(lg)
    assert best_answers(logits, data, [context], n_best=20, max_answer_length=30) == [answer]
    # a max_answer_length shorter than any valid span leaves only single tokens
    long = []
    for i in range(len(data)):
        lg = np.full((len(data.input_ids[i]), 2), -5.0)
        ctx = [t for t, o in enumerate(data.offsets[i]) if o is not None]
        lg[ctx[0], 0], lg[ctx[-1], 1] = 5.0, 5.0  # the highest pair spans the whole window
        lg[ctx[1], 1] = 1.0
        long.append(lg)
    pred = best_answers(long, data, [context], n_best=20, max_answer_length=3)[0]
    assert 0 < len(pred.split()) <= 3


def test_span_positions_outside_the_window():
    offsets = [None, (0, 3), (4, 9), None]
    assert span_positions(offsets, 4, 9) == (2, 2) and span_positions(offsets, 0, 9) == (1, 2)
    assert span_positions(offsets, 10, 12) == (0, 0)


def test_multiple_choice_scores_have_one_column_per_choice(tiny_encoder, e5_tokenizer):
    rows = pd.DataFrame({"premise": ["The man fell.", "It rained."], "question": ["cause", "effect"],
                         "choices": [["He slipped.", "He sang.", "He ate."], ["The street got wet.", "The sun shone.", "x"]],
                         "label": [0, 0]})
    data = encode_choices(e5_tokenizer, rows, 32)
    batch = data.collate([0, 1])
    assert batch["input_ids"].shape[0] == 6 and int(batch["num_choices"]) == 3
    text = e5_tokenizer.decode(data.input_ids[0][0])
    assert "What was the cause? He slipped." in text  # COPA's "cause" spelt out as a question
    model = build_head("multiple_choice", tiny_encoder)
    out = predict_outputs(model, data, 8, "fp32")
    assert [o.shape for o in out] == [(3,), (3,)]
    with pytest.raises(ValueError, match="same number of choices"):
        encode_choices(e5_tokenizer, rows.assign(choices=[["a", "b"], ["a", "b", "c"]]), 32)


def test_token_outputs_come_back_per_item_at_their_own_length(tiny_encoder, e5_tokenizer):
    model = build_head("tagging", tiny_encoder, TAGS)
    data = encode_tagging(e5_tokenizer, [["x"] * 5, ["y"], ["x", "y"]], None, {}, 16)
    out = predict_outputs(model, data, 2, "fp32")
    assert [o.shape for o in out] == [(len(r), 2) for r in data.input_ids]
    single = predict_outputs(model, type(data)([data.input_ids[1]], None, data.pad_id, first=[data.first[1]]), 1, "fp32")
    np.testing.assert_allclose(out[1], single[0], atol=1e-5)


def test_retrieval_ranks_by_cosine_on_a_hand_built_case():
    q = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    c = np.array([[0.0, 1.0], [1.0, 0.0], [0.8, 0.6]])
    assert rank(q, c, 2).tolist() == [[1, 2], [0, 2], [2, 0]]
    ranked = ranked_keys(q, c, ["b", "a", "c"], 2)
    gold = golds(["a", "b;x", "b"])
    assert ranked == [["a", "c"], ["b", "c"], ["c", "b"]] and gold[1] == {"b", "x"}
    assert hit_at_1(ranked, gold).tolist() == [1, 1, 0]


def test_embeddings_of_a_chosen_layer_are_normalised_and_layer_checked(tiny_encoder, e5_tokenizer):
    texts = ["hello world", "hello world", "a completely different sentence"]
    for layer in (0, 1, 2):
        e = embed(tiny_encoder, e5_tokenizer, texts, layer=layer, max_length=16, batch_size=2)
        np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)
        np.testing.assert_allclose(e[0], e[1], atol=1e-5)
    assert not np.allclose(embed(tiny_encoder, e5_tokenizer, texts, layer=1), embed(tiny_encoder, e5_tokenizer, texts, layer=2))
    with pytest.raises(ValueError, match="has 2 layers"):
        embed(tiny_encoder, e5_tokenizer, texts, layer=3)


def test_rs_da_substitutes_premise_and_every_choice_of_multiple_choice_rows():
    from rxlt.train.augmentation import augment
    from rxlt.train.synonyms import JsonSynonyms

    syn = JsonSynonyms.__new__(JsonSynonyms)
    syn.table = {"good": ["fine"], "movie": ["film"]}
    rows = pd.DataFrame({"premise": ["a good movie"], "question": ["effect"], "choices": [["good", "a movie"]], "label": [1]})
    out = augment(rows, syn, 40, seed=0, columns=("premise", "choices"))
    assert set(out.premise) == {f"a {g} {m}" for g in ("good", "fine") for m in ("movie", "film")}
    assert {c[0] for c in out.choices} == {"good", "fine"} and {c[1] for c in out.choices} == {"a movie", "a film"}
    assert set(out.question) == {"effect"} and set(out.label) == {1}  # labels and the question are kept


def test_reverse_direction_and_pooled_retrieval_scores(tiny_encoder, e5_tokenizer):
    from rxlt.phases.evaluate import _retrieval, reverse_targets, score_queries
    from rxlt.scoring.metrics import map_at_k, mrr_at_k

    queries = pd.DataFrame({"key": ["q1", "q2"], "target": ["a;b", "c"]})
    cands = pd.DataFrame({"key": ["a", "b", "c", "d"], "text": ["x"] * 4})
    rev, targets = reverse_targets(queries, cands)
    assert rev.key.tolist() == ["a", "b", "c"] and targets == ["q1", "q1", "q2"]  # "d" was never a gold answer
    s = score_queries([["b", "c"], ["a", "d"]], ["a;b", "c"])
    assert s.correct.tolist() == [1, 0] and s.ap_at_20.tolist() == [0.5, 0.0]  # AP@20 = (1/1) / min(2, 20)
    assert s.rr_at_20.tolist() == [1.0, 0.0]
    # LAReQA-style pooled candidates across languages: per-language scores are the metrics of its own queries
    frame = pd.DataFrame({
        "language": ["de", "de", "en", "en", "de", "en"],
        "key": ["q-de", "q2-de", "q-en", "q2-en", "c-de", "c-en"],
        "role": ["query", "query", "query", "query", "candidate", "candidate"],
        "text": ["Hallo Welt", "Guten Morgen", "hello world", "good morning", "Hallo Welt", "good morning"],
        "target": ["c-de;c-en", "c-en", "c-de;c-en", "c-en", None, None],
        "context": [None, None, None, None, "Hallo Welt.", "good morning."]})
    cfg = SimpleNamespace(max_test_items=0, retrieval_layer=-1, retrieval_pooling="mean", retrieval_max_length=16,
                          batch_size=4, precision="fp32", bootstrap_samples=100, seed=0)
    preds, table, metric = _retrieval(tiny_encoder, e5_tokenizer, "lareqa", frame, cfg)
    assert metric == "map_at_20" and set(preds.direction) == {"x->en"} and table.language.tolist() == ["de", "en"]
    for lang, g in preds.groupby("language"):
        row = table.set_index("language").loc[lang]
        ranked = [[t, next(c for c in ("c-de", "c-en") if c != t)] for t in g.top1]  # 2 candidates: the rest is implied
        assert row["score"] == pytest.approx(map_at_k(ranked, g.target.tolist())) == row["map_at_20"]
        assert row["mrr_at_20"] == pytest.approx(mrr_at_k(ranked, g.target.tolist()))
