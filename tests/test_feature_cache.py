"""The token cache for tagging and extractive-QA features: read back exactly what is computed fresh, hit on the
second call, miss when a setting that changes the output changes. Hits are counted (token_cache.stats and the
files on disk), never timed."""
import numpy as np
import pytest

from rxlt.features import token_cache
from rxlt.features.qa import encode_qa
from rxlt.features.tagging import encode_tagging

SENTS = [["Tokyo", "is", "big"], ["東京", "は", "大きい", "です"], ["Ünïcödé", "words", "here", "and", "more", "of", "them"],
         ["x"], ["Ein", "schönes", "Haus", "."]]
TAGS = [["PROPN", "AUX", "ADJ"], ["PROPN", "ADP", "ADJ", "AUX"], ["X", "NOUN", "ADV", "CCONJ", "ADJ", "ADP", "PRON"],
        ["X"], ["DET", "ADJ", "NOUN", "PUNCT"]]
INDEX = {t: i for i, t in enumerate(sorted({t for s in TAGS for t in s}))}
CONTEXTS = ["The castle stands on a hill above the old town, built in 1210 by the counts of the valley, and was "
            "rebuilt twice after fires in 1540 and 1702; today it houses a museum of local history.",
            "Short context: the answer is Paris."]
QUESTIONS = ["When was the castle built?", " Where?"]
ANSWERS = ["1210", "Paris"]
STARTS = [CONTEXTS[0].index("1210"), CONTEXTS[1].index("Paris")]


@pytest.fixture()
def token_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(token_cache, "cache_dir", lambda: tmp_path / "tokens")
    monkeypatch.setenv("RXLT_TOKEN_CACHE", "1")
    token_cache.stats.clear()
    return tmp_path / "tokens"


def _files(root, kind):
    return sorted((root / "features" / kind).glob("*.npz"))


def _same_tagging(a, b):
    assert a.input_ids == b.input_ids and a.labels == b.labels and a.first == b.first and a.pad_id == b.pad_id
    assert a.sentence == b.sentence and a.word_start == b.word_start


def _same_qa(a, b):
    assert a.input_ids == b.input_ids and a.offsets == b.offsets
    assert np.array_equal(a.example, b.example) and a.example.dtype == b.example.dtype
    assert (a.labels is None and b.labels is None) or np.array_equal(a.labels, b.labels)


def test_tagging_features_from_cache_equal_fresh_ones(e5_tokenizer, token_dir, monkeypatch):
    monkeypatch.setenv("RXLT_TOKEN_CACHE", "0")
    fresh = encode_tagging(e5_tokenizer, SENTS, TAGS, INDEX, 6)  # max_length 6 splits sentences 1, 2 and 4
    fresh_content = encode_tagging(e5_tokenizer, SENTS, TAGS, INDEX, 6, position="first_content")
    assert not token_dir.exists() and not token_cache.stats
    assert len(fresh.input_ids) > len(SENTS) and fresh.sentence.count(2) == 2  # the fixture exercises splitting
    assert e5_tokenizer.unk_token_id in fresh.input_ids[3]  # and a word over the budget (the unknown token)
    monkeypatch.setenv("RXLT_TOKEN_CACHE", "1")
    miss = encode_tagging(e5_tokenizer, SENTS, TAGS, INDEX, 6)
    assert token_cache.stats == {"tagging_miss": 1} and len(_files(token_dir, "tagging")) == 1
    hit = encode_tagging(e5_tokenizer, SENTS, TAGS, INDEX, 6)
    assert token_cache.stats == {"tagging_miss": 1, "tagging_hit": 1}
    _same_tagging(fresh, miss)
    _same_tagging(fresh, hit)
    # the label position is applied after tokenisation: same cache entry, same features as computed fresh
    _same_tagging(fresh_content, encode_tagging(e5_tokenizer, SENTS, TAGS, INDEX, 6, position="first_content"))
    unlabelled = encode_tagging(e5_tokenizer, SENTS, None, INDEX, 6)  # prediction reads the same entry
    assert unlabelled.labels is None and unlabelled.input_ids == fresh.input_ids and unlabelled.first == fresh.first
    assert token_cache.stats["tagging_hit"] == 3 and len(_files(token_dir, "tagging")) == 1
    assert not list(token_dir.rglob(".tmp-*"))  # written atomically: no temporary file left


def test_tagging_cache_misses_when_max_length_or_words_change(e5_tokenizer, token_dir):
    encode_tagging(e5_tokenizer, SENTS, TAGS, INDEX, 6)
    longer = encode_tagging(e5_tokenizer, SENTS, TAGS, INDEX, 32)
    assert token_cache.stats == {"tagging_miss": 2} and len(_files(token_dir, "tagging")) == 2
    assert max(len(r) for r in longer.input_ids) > 6 and len(longer.input_ids) == len(SENTS)
    # the same characters split into different words are different rows
    encode_tagging(e5_tokenizer, [["Tok", "yo", "is", "big"]] + SENTS[1:], [["X"] * 4] + TAGS[1:], INDEX, 6)
    assert token_cache.stats == {"tagging_miss": 3}


def test_qa_windows_from_cache_equal_fresh_ones(e5_tokenizer, token_dir, monkeypatch):
    monkeypatch.setenv("RXLT_TOKEN_CACHE", "0")
    fresh = encode_qa(e5_tokenizer, QUESTIONS, CONTEXTS, STARTS, ANSWERS, max_length=24, doc_stride=6)
    assert len(fresh.example) > 3 and (fresh.labels[:, 0] > 0).any()  # several windows, an answer inside one
    monkeypatch.setenv("RXLT_TOKEN_CACHE", "1")
    miss = encode_qa(e5_tokenizer, QUESTIONS, CONTEXTS, STARTS, ANSWERS, max_length=24, doc_stride=6)
    hit = encode_qa(e5_tokenizer, QUESTIONS, CONTEXTS, STARTS, ANSWERS, max_length=24, doc_stride=6)
    assert token_cache.stats == {"qa_miss": 1, "qa_hit": 1} and len(_files(token_dir, "qa")) == 1
    _same_qa(fresh, miss)
    _same_qa(fresh, hit)
    assert all(type(o) is tuple for row in hit.offsets for o in row if o is not None)
    unlabelled = encode_qa(e5_tokenizer, QUESTIONS, CONTEXTS, max_length=24, doc_stride=6)  # prediction: a hit
    assert token_cache.stats["qa_hit"] == 2 and unlabelled.labels is None and unlabelled.offsets == fresh.offsets


def test_qa_cache_misses_when_doc_stride_max_length_or_text_change(e5_tokenizer, token_dir):
    base = encode_qa(e5_tokenizer, QUESTIONS, CONTEXTS, STARTS, ANSWERS, max_length=24, doc_stride=6)
    stride = encode_qa(e5_tokenizer, QUESTIONS, CONTEXTS, STARTS, ANSWERS, max_length=24, doc_stride=2)
    assert token_cache.stats == {"qa_miss": 2} and len(stride.example) != len(base.example)
    encode_qa(e5_tokenizer, QUESTIONS, CONTEXTS, STARTS, ANSWERS, max_length=32, doc_stride=6)
    encode_qa(e5_tokenizer, ["When was it built?", " Where?"], CONTEXTS, STARTS, ANSWERS, max_length=24, doc_stride=6)
    assert token_cache.stats == {"qa_miss": 4} and len(_files(token_dir, "qa")) == 4
    # tagging and QA entries never collide with each other or with the plain token-id cache
    assert not list(token_dir.glob("??/*.npz"))


def test_unreadable_entry_is_recomputed(e5_tokenizer, token_dir):
    first = encode_tagging(e5_tokenizer, SENTS, TAGS, INDEX, 6)
    (entry,) = _files(token_dir, "tagging")
    entry.write_bytes(b"not an npz file")
    again = encode_tagging(e5_tokenizer, SENTS, TAGS, INDEX, 6)
    assert token_cache.stats == {"tagging_miss": 2}
    _same_tagging(first, again)
