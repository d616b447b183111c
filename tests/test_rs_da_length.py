"""RS-DA length matching (rs_da_length_match): augmented texts never get more sub-word pieces than their
originals; seeded; protected words untouched (rs_da_protected_words); without it the draw is the paper's uniform one."""
import json

import numpy as np
import pandas as pd
import pytest

from rxlt.params.phases import FinetuneParams
from rxlt.params.strict import ParamsError, build
from rxlt.train.augmentation import augment, perturb_text, piece_counter
from rxlt.train.synonyms import PROTECTED_WORDS, JsonSynonyms, WordNetSynonyms

TABLE = {"good": ["fine", "great"], "movie": ["film"], "not": ["non"], "big": ["large"],
         "house": ["home", "dwelling", "domicile"]}
SYN = JsonSynonyms.__new__(JsonSynonyms)
SYN.table = TABLE
DF = pd.DataFrame({"text": ["not a good movie", "Good big Movie, not bad", "A big house."],
                   "text_pair": ["the house is big", "GOOD", "movie"], "label": [0, 1, 0]})
SENTENCES = ["The quick brown fox jumps over the lazy dog near the river bank.",
             "Cheap flights to Paris are not easy to find this summer.",
             "A big house stands on the hill, and its owner is a good man.",
             "Students read many books about history, science and art."]


def _wordnet():
    try:
        return WordNetSynonyms()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))


def _n_tokens(tok, texts):
    return [len(ids) for ids in tok(list(texts))["input_ids"]]


def test_draw_golden_raw_and_normalized():
    # the draw is perturb.py's (np.random.RandomState, per row, column, copy, token: tests/test_rs_da_paper.py);
    # golden outputs recomputed when it moved there from rxlt's own generator and order (before: aa7951d's goldens)
    out = augment(DF, SYN, 3, seed=7)  # raw tokens, no protected words: 'Good', 'Movie,', 'GOOD' never change
    assert out.text.tolist() == ["non a good film", "Good big Movie, not bad", "A large house.", "not a good film",
                                 "Good large Movie, non bad", "A large house.", "not a good film",
                                 "Good big Movie, not bad", "A big house."]
    assert out.text_pair.tolist() == ["the dwelling is big", "GOOD", "movie", "the dwelling is big", "GOOD", "film",
                                      "the domicile is big", "GOOD", "movie"]
    old = augment(DF, SYN, 3, seed=7, tokens="normalized", protected=True)  # rxlt's former deviations, as keys
    assert old.text.tolist() == ["not a good film", "Great big Film, not bad", "A big domicile.", "not a great film",
                                 "Great big Movie, not bad", "A large house.", "not a good film",
                                 "Good big Film, not bad", "A big domicile."]
    assert old.text_pair.tolist() == ["the dwelling is large", "GREAT", "film", "the house is large", "GREAT", "movie",
                                      "the dwelling is big", "GOOD", "film"]


def test_wordnet_draw_golden():
    # filtered WordNet (rxlt.train.synonyms.WordNetSynonyms): no proper nouns, one POS, frequent senses
    out = augment(pd.DataFrame({"text": SENTENCES[:2]}), _wordnet(), 2, seed=1)
    assert out.text.tolist() == [
        "The agile brown fox jumps over the lazy dog near the river bank.",
        "Cheap flights to Paris are not easy to find this summer.",
        "The speedy brownish fox jumps over the indolent dog near the river bank.",
        "Cheap flights to Paris are not easy to find this summer."]


def test_length_matched_texts_never_grow(e5_tokenizer):
    wn = _wordnet()
    pieces = piece_counter(e5_tokenizer)
    df = pd.DataFrame({"text": SENTENCES, "text_pair": SENTENCES[::-1], "label": [0, 1, 0, 1]})
    plain = augment(df, wn, 5, seed=0)
    matched = augment(df, wn, 5, seed=0, pieces=pieces)
    for col in ("text", "text_pair"):
        original = _n_tokens(e5_tokenizer, df[col]) * 5
        assert all(m <= o for m, o in zip(_n_tokens(e5_tokenizer, matched[col]), original))
        # the uniform draw does grow texts here, so the test can fail; the matched one still substitutes
        assert any(p > o for p, o in zip(_n_tokens(e5_tokenizer, plain[col]), original))
        assert (matched[col].to_numpy() != np.tile(df[col].to_numpy(), 5)).mean() > 0.5
    for row in zip(df.text.tolist() * 5, matched.text):  # pieces of every space-separated token, too
        assert all(pieces(m) <= pieces(o) for o, m in zip(*(t.split(" ") for t in row)))


def test_length_matched_draw_is_seeded_and_keeps_protected_words(e5_tokenizer):
    pieces = piece_counter(e5_tokenizer)
    a = augment(DF, SYN, 6, seed=3, pieces=pieces)
    assert a.equals(augment(DF, SYN, 6, seed=3, pieces=pieces))
    assert not a.text.equals(augment(DF, SYN, 6, seed=4, pieces=pieces).text)
    for seed in range(30):
        out = perturb_text("not a good movie , not bad", SYN, np.random.RandomState(seed), protected=True, pieces=pieces)
        words = out.split(" ")
        assert words[0] == "not" and words[5] == "not" and words[1] == "a"
    assert "not" in PROTECTED_WORDS
    # only candidates with no more pieces than the word are ever drawn
    seen = {perturb_text("house", SYN, np.random.RandomState(s), pieces=pieces) for s in range(60)}
    allowed = {"house"} | {w for w in TABLE["house"] if pieces(w) <= pieces("house")}
    assert seen == allowed and len(allowed) < 4  # at least one longer synonym was excluded


def test_piece_counts_are_computed_once_per_distinct_token():
    calls = []

    def pieces(text):
        calls.append(text)
        return len(text)

    augment(pd.DataFrame({"text": ["good movie good movie"] * 20}), SYN, 4, seed=0, pieces=pieces)
    assert len(calls) == len(set(calls)) and set(calls) <= {"good", "fine", "great", "movie", "film"}


def test_length_match_option_validates_and_reaches_the_training_data(tmp_path, e5_tokenizer):
    from rxlt.phases.english_training import english
    from rxlt.phases.finetune import training_data
    from rxlt.train.objectives import make_objective

    with pytest.raises(ParamsError, match="key 'rs_da_length_match'.*objective 'rs_da' only.*'erm'"):
        build(FinetuneParams, {"objective": "erm", "rs_da_length_match": True})
    syn = tmp_path / "neighbours.json"  # longer and shorter substitutes for words of English territory names
    syn.write_text(json.dumps({"united": ["joined", "amalgamated", "unified"], "islands": ["isles", "archipelagos"],
                               "republic": ["commonwealth", "democracy"], "south": ["s", "southward"],
                               "states": ["nations", "commonwealths"], "north": ["northward", "n"]}))
    # territory names are capitalised: only rs_da_tokens normalized looks them up in this lower-case table
    cfg = build(FinetuneParams, {"objective": "rs_da", "rs_da_length_match": True, "synonyms_file": str(syn),
                                 "rs_da_copies": 4, "rs_da_tokens": "normalized"})
    rows, counts = training_data(cfg, make_objective("rs_da"))
    assert counts["length_matched"] is True and counts["fraction_of_texts_changed"] > 0
    original = _n_tokens(e5_tokenizer, english(cfg.task, "train").text) * 4
    assert all(m <= o for m, o in zip(_n_tokens(e5_tokenizer, rows.text), original))
    plain, plain_counts = training_data(build(FinetuneParams, {"objective": "rs_da", "synonyms_file": str(syn),
                                                               "rs_da_copies": 4, "rs_da_tokens": "normalized"}),
                                        make_objective("rs_da"))
    assert plain_counts["length_matched"] is False
    assert plain_counts["deviations_from_perturb_py"] == ["rs_da_tokens: normalized"]
    assert "not the paper's RS-DA" in plain_counts["method"]
    raw, raw_counts = training_data(build(FinetuneParams, {"objective": "rs_da", "synonyms_file": str(syn)}),
                                    make_objective("rs_da"))
    assert raw_counts["fraction_of_texts_changed"] == 0.0  # perturb.py's raw tokens: 'United' is not 'united'
    assert "no text changed" in raw_counts["note"]
    assert sum(_n_tokens(e5_tokenizer, plain.text)) > sum(_n_tokens(e5_tokenizer, rows.text))
