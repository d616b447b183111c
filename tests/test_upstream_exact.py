"""What rxlt feeds its encoders and scores, pinned to google-research/xtreme@838c13b69daafb9328785d16caae2711e4012123:
Tatoeba's direction (evaluate_retrieval.py + utils_retrieve.py similarity_search) and layer (run_tatoeba.sh,
extract_embeddings), long tagging sentences split as utils_preprocess.py does and put back together as run_tag.py's
save_predictions does, and BERT segment ids and pooler (run_classify.py, run_squad.py, run_xcopa.py, bert.py).
Tiny models and tokenizers are built here; nothing is downloaded."""
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from rxlt.features.batching import encode, encode_frame
from rxlt.features.choices import encode_choices
from rxlt.features.qa import encode_qa
from rxlt.model.heads import IGNORE, build_head
from rxlt.scoring.prediction import predict_outputs

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "on", "a", "mat", "dog", "ran", "where",
         "is", "it", "?", ".", "##s", "house", "big"]


# ---------------------------------------------------------------- Tatoeba direction
def _upstream_tatoeba_accuracy(x: np.ndarray, y: np.ndarray) -> float:
    """evaluate_retrieval.py (task tatoeba) with utils_retrieve.similarity_search re-expressed: normalise, index the
    non-English x (`idx.add(x)`), search it with every English y (`idx.search(y, 1)`, L2 = cosine order), and score
    evaluate.py `accuracy` against the gold: English line i translates x line i."""
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    y = y / np.linalg.norm(y, axis=1, keepdims=True)
    prediction = ((y[:, None, :] - x[None, :, :]) ** 2).sum(-1).argmin(1)
    return float((prediction == np.arange(len(y))).mean())


def test_tatoeba_headline_is_upstreams_en_to_x_where_the_directions_differ(monkeypatch):
    from rxlt.phases import evaluate

    # x0..x2 (German) and e0..e2 (English) at these angles on a circle, line i translating line i. e1 (30°) lies
    # nearer x2 (50°) than x1 (0°), but x1's and x2's nearest English lines are their own: x->en gets 3 of 3
    # right, en->x (upstream's direction) 2 of 3.
    angles = {"x0": 180, "e0": 175, "x1": 0, "e1": 30, "x2": 50, "e2": 65}
    vectors = {k: [np.cos(np.radians(a)), np.sin(np.radians(a))] for k, a in angles.items()}
    frame = pd.DataFrame({"language": "de", "key": [str(i) for i in range(3)] * 2,
                          "role": ["query"] * 3 + ["candidate"] * 3,
                          "text": ["x0", "x1", "x2", "e0", "e1", "e2"], "target": ["0", "1", "2", None, None, None]})

    def fake_embed(encoder, tokenizer, rows, cfg, how):
        v = np.array([vectors[t] for t in rows.text], dtype=np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    monkeypatch.setattr(evaluate, "_embed", fake_embed)
    cfg = SimpleNamespace(max_test_items=0, retrieval_layer=0, retrieval_pooling="mean", retrieval_max_length=0,
                          batch_size=4, precision="fp32", bootstrap_samples=100, seed=0)
    encoder = SimpleNamespace(config=SimpleNamespace(num_hidden_layers=12))
    preds, table, metric = evaluate._retrieval(encoder, None, "tatoeba", frame, cfg)
    row = table.iloc[0]
    x = np.array([vectors[f"x{i}"] for i in range(3)])
    y = np.array([vectors[f"e{i}"] for i in range(3)])
    assert _upstream_tatoeba_accuracy(x, y) == pytest.approx(2 / 3)
    assert row["accuracy"] == row["score"] == pytest.approx(2 / 3)  # the headline: upstream's direction
    assert row["accuracy_x_to_en"] == pytest.approx(1.0)  # the other direction, under its own name
    en_x = preds[preds.direction == "en->x"]
    assert en_x.top1.tolist() == ["0", "2", "2"] and row["n"] == 3 and metric == "retrieval_accuracy"
    assert evaluate.retrieval_max_length(cfg, "tatoeba") == 512  # run_tatoeba.sh MAXL=512


# ---------------------------------------------------------------- Tatoeba layer
def test_the_xtreme_layer_is_upstreams_index_of_the_layer_outputs_without_the_embeddings(bert_dir):
    from transformers import BertConfig, BertModel, BertTokenizer

    from rxlt.model.heads import mean_pool
    from rxlt.phases.evaluate import resolve_layer
    from rxlt.scoring.retrieval import embed

    tok = BertTokenizer.from_pretrained(bert_dir)
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=len(WORDS), hidden_size=16, num_hidden_layers=12, num_attention_heads=2,
                     intermediate_size=32, max_position_embeddings=32)
    encoder = BertModel(cfg, add_pooling_layer=False).eval()
    texts = ["the cat sat on a mat .", "where is the big house ?"]
    layer = resolve_layer(-1, encoder)
    assert layer == 8 and resolve_layer(-1, SimpleNamespace(config=SimpleNamespace(num_hidden_layers=24))) == 14
    assert resolve_layer(3, encoder) == 3
    batch = tok(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        states = encoder(**batch, output_hidden_states=True).hidden_states  # 13: the embedding output, then layers
    # run_tatoeba.sh --num_layers 12 --specific_layer 7; extract_embeddings: all_layer_outputs[-num_layers:][7],
    # mean over the attention mask ([CLS] and [SEP] included)
    upstream = mean_pool(states[-12:][7], batch["attention_mask"])
    upstream = torch.nn.functional.normalize(upstream, dim=-1).numpy()
    ours = embed(encoder, tok, texts, layer=layer, max_length=32, batch_size=2)
    np.testing.assert_allclose(ours, upstream, atol=1e-5)
    assert not np.allclose(embed(encoder, tok, texts, layer=7, max_length=32), upstream, atol=1e-3)


# ---------------------------------------------------------------- long tagging sentences
def _upstream_split(tokenizer, words, max_len):
    """utils_preprocess.py@838c13b udpos_tokenize_preprocess's loop re-expressed: (word index spans, unk words)."""
    from transformers import XLMRobertaTokenizer

    max_seq_len = max_len - (3 if isinstance(tokenizer, XLMRobertaTokenizer) else 2)
    spans, unk, counter, start = [], [], 0, 0
    for w, token in enumerate(words):
        current = len(tokenizer.tokenize(token))
        if (current == 0 or current > max_seq_len) and len(token) != 0:
            unk.append(w)
            current = 1
        if counter + current > max_seq_len:
            spans.append((start, w))
            start, counter = w, current
        else:
            counter += current
    spans.append((start, len(words)))
    return spans, unk


def test_split_rule_on_a_worked_example():
    from rxlt.features.tagging import split_words

    # budget 4: [2] | [3 1] | [4] | [0->unk 1, 9->unk 1]; and a sentence that fits stays whole
    assert split_words([2, 3, 1, 4, 0, 9], 4) == ([(0, 1), (1, 3), (3, 4), (4, 6)], [4, 5])
    assert split_words([1, 1, 2], 4) == ([(0, 3)], []) and split_words([], 4) == ([], [])


def test_a_sentence_longer_than_max_length_is_split_and_every_word_tagged(tiny_encoder, e5_tokenizer):
    from rxlt.features.tagging import encode_tagging, sentence_tags, split_budget
    from rxlt.phases.kind_handlers import handler

    long = ("Yesterday the remarkably talkative neighbours gathered beneath ancient chestnut trees , discussing "
            "unbelievably complicated municipal regulations Ünïcödé-heavy supercalifragilisticexpialidocious").split()
    sents = [long, ["a", "cat"]]
    tags = [["X" if i % 2 else "Y" for i in range(len(s))] for s in sents]
    max_length = 10
    assert len(e5_tokenizer(long, is_split_into_words=True)["input_ids"]) > 2 * max_length  # really long
    data = encode_tagging(e5_tokenizer, sents, tags, {"X": 0, "Y": 1}, max_length)
    spans, unk = _upstream_split(e5_tokenizer, long, max_length)
    assert len(spans) >= 3 and unk  # the example splits several times and has a word over the budget
    assert [data.word_start[r] for r in range(len(data.sentence)) if data.sentence[r] == 0] == [a for a, _ in spans]
    assert max(len(r) for r in data.input_ids) <= max_length and split_budget(e5_tokenizer, max_length) == 8
    for w in unk:  # a word longer than the budget is the unknown token, still tagged
        r = max(r for r in range(len(data.sentence)) if data.sentence[r] == 0 and data.word_start[r] <= w)
        assert data.input_ids[r][data.first[r][w - data.word_start[r]]] == e5_tokenizer.unk_token_id
    # training labels: every word of every sentence labelled once, with its own tag
    labelled = [x for row in data.labels for x in row if x != IGNORE]
    assert len(labelled) == sum(len(s) for s in sents)
    # prediction: one tag per word, read at each word's first sub-word of its own row, rows put back in order
    model = build_head("tagging", tiny_encoder, ["X", "Y"])
    settings = SimpleNamespace(max_length=max_length, batch_size=4, precision="fp32", tag_subword="first")
    df = pd.DataFrame({"tokens": sents, "tags": tags, "language": "en"})
    out = handler("tagging").predict(model, e5_tokenizer, df, ["X", "Y"], settings)
    assert [len(p) for p in out.prediction] == [len(s) for s in sents] and out.token_rows.tolist() == [len(spans), 1]
    logits = predict_outputs(model, data, 4, "fp32")
    expected = [["XY"[int(logits[r][p].argmax())] for p in data.first[r]] for r in range(len(logits))]
    assert out.prediction[0] == [t for r, e in enumerate(expected) if data.sentence[r] == 0 for t in e]
    assert handler("tagging").score(out)["sentences_split"] == 1
    with pytest.raises(ValueError, match="predicted tags"):  # never a filler tag: a missing word is an error
        sentence_tags(logits, data, ["X", "Y"], [len(long) + 1, 2])


# ---------------------------------------------------------------- BERT segment ids and pooler
@pytest.fixture()
def bert_dir(tmp_path):
    """A tiny random BERT (2 token types, with a pooler) and a WordPiece tokenizer, saved as a checkpoint."""
    from transformers import BertConfig, BertModel, BertTokenizer

    (tmp_path / "vocab.txt").write_text("\n".join(WORDS) + "\n")
    tok = BertTokenizer(str(tmp_path / "vocab.txt"))
    torch.manual_seed(0)
    model = BertModel(BertConfig(vocab_size=len(WORDS), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                                 intermediate_size=32, max_position_embeddings=64, type_vocab_size=2))
    with torch.no_grad():
        model.embeddings.token_type_embeddings.weight[1] += 1.0  # segment 1 visibly different
    model.save_pretrained(tmp_path / "bert")
    tok.save_pretrained(tmp_path / "bert")
    return tmp_path / "bert"


def _spy(encoder):
    seen = []
    encoder.register_forward_pre_hook(lambda m, args, kwargs: seen.append(kwargs.get("token_type_ids")), with_kwargs=True)
    return seen


def test_bert_pairs_reach_the_encoder_with_segment_ids_and_the_pretrained_pooler(bert_dir):
    from transformers import BertModel

    from rxlt.model.checkpoint import default_pooling, load_base_encoder

    encoder, tok = load_base_encoder(str(bert_dir))
    saved = BertModel.from_pretrained(bert_dir)
    assert encoder.pooler is not None and default_pooling("mbert") == "pooler"
    torch.testing.assert_close(encoder.pooler.dense.weight, saved.pooler.dense.weight)  # pretrained, not re-drawn
    texts, pairs = ["the cat sat", "where is it ?"], ["on a mat .", "the dog ran"]
    rows = pd.DataFrame({"text": texts, "text_pair": pairs, "label": ["a", "b"]})
    data = encode_frame(tok, rows, {"a": 0, "b": 1}, 16)
    reference = tok(texts, pairs, truncation="longest_first", max_length=16, padding=True, return_tensors="pt")
    batch = data.collate([0, 1])
    assert torch.equal(batch["token_type_ids"], reference["token_type_ids"]) and batch["token_type_ids"].max() == 1
    model = build_head("classification", encoder, ["a", "b"], pooling="pooler").eval()
    seen = _spy(encoder)
    logits = np.stack(predict_outputs(model, data, 2, "fp32"))
    assert seen and torch.equal(seen[-1], reference["token_type_ids"])  # what reached the encoder
    with torch.no_grad():  # BertForSequenceClassification: classifier(dropout(pooler_output)), segments given
        out = saved(**{k: reference[k] for k in ("input_ids", "attention_mask", "token_type_ids")})
        np.testing.assert_allclose(logits, model.head(out.pooler_output).numpy(), atol=1e-5)
        unsegmented = model.head(saved(input_ids=reference["input_ids"], attention_mask=reference["attention_mask"]).pooler_output)
    assert not np.allclose(logits, unsegmented.numpy(), atol=1e-4)  # the segment ids change the result
    # training passes them too (task_loss, used by every objective)
    seen.clear()
    model.task_loss({k: v for k, v in batch.items()})
    assert torch.equal(seen[-1], batch["token_type_ids"])
    # multiple choice: (premise, question + choice) as segments 0 / 1
    choice = encode_choices(tok, pd.DataFrame({"premise": ["the cat sat"], "question": ["where is it ?"],
                                               "choices": [["on a mat", "the dog"]], "label": [0]}), 16)
    ref = tok(["the cat sat"] * 2, ["where is it ? on a mat", "where is it ? the dog"], padding=True, return_tensors="pt")
    assert torch.equal(choice.collate([0])["token_type_ids"], ref["token_type_ids"])
    # QA windows: question 0, context 1, as the tokenizer's own overflowing windows
    qa = encode_qa(tok, ["where is it ?"], ["the cat sat on a mat . the dog ran on a mat ."], max_length=12, doc_stride=4)
    windows = tok(["where is it ?"], ["the cat sat on a mat . the dog ran on a mat ."], truncation="only_second",
                  max_length=12, stride=4, return_overflowing_tokens=True)
    got = qa.collate(list(range(len(qa))))["token_type_ids"]
    assert len(qa) > 1 and [got[i, : len(r)].tolist() for i, r in enumerate(qa.input_ids)] == windows["token_type_ids"]


def test_xlmr_style_tokenizers_and_e5_get_no_segment_ids_and_no_made_up_pooler(e5_dir, e5_tokenizer, tmp_path):
    from safetensors import safe_open
    from transformers import BertConfig, BertModel, BertTokenizer

    from rxlt.model.checkpoint import load_base_encoder
    from rxlt.model.heads import check_pooling

    assert "token_type_ids" not in encode(e5_tokenizer, ["a b"], [0], 16, text_pairs=["c d"]).collate([0])
    with safe_open(str(e5_dir / "model.safetensors"), framework="pt") as f:
        assert not [k for k in f.keys() if k.startswith("pooler")]  # e5 has no pretrained pooler
    # a BERT checkpoint without pooler weights (as e5's) loads without one: none is made up
    BertModel(BertConfig(vocab_size=len(WORDS), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=32), add_pooling_layer=False).save_pretrained(tmp_path / "nopool")
    (tmp_path / "vocab.txt").write_text("\n".join(WORDS) + "\n")
    BertTokenizer(str(tmp_path / "vocab.txt")).save_pretrained(tmp_path / "nopool")
    torch.manual_seed(0)
    state = torch.random.get_rng_state()
    encoder, _ = load_base_encoder(str(tmp_path / "nopool"))
    assert encoder.pooler is None
    assert torch.equal(torch.random.get_rng_state(), state)  # loading leaves the seeded RNG as it was
    with pytest.raises(ValueError, match="pretrained pooler"):
        check_pooling("pooler", encoder)
