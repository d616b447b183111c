"""Training loop, objective, checkpoints and batching on a tiny random encoder."""
import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from rxlt.features.batching import Encoded, encode, length_sorted_batches
from rxlt.model.checkpoint import EncoderClassifier, load_encoder, save_encoder
from rxlt.train.loop import Stream, predict_logits, train_streams
from rxlt.train.objectives import ERM, make_objective

CFG = SimpleNamespace(epochs=8, batch_size=8, lr=1e-3, head_lr=1e-2, weight_decay=0.0, warmup_ratio=0.0,
                      max_grad_norm=1.0, precision="fp32")


def _toy(tokenizer, n=48):
    # Label = whether the text has more than two words: learnable from token counts alone.
    texts = [" ".join(["x"] * (1 + i % 4)) for i in range(n)]
    labels = [int(len(t.split()) > 2) for t in texts]
    return encode(tokenizer, texts, labels, max_length=16)


def _train(tiny_encoder, tok, seed):
    torch.manual_seed(seed)
    model = EncoderClassifier(tiny_encoder, 2, "mean", dropout=0.0)
    data = _toy(tok)
    return model, train_streams([Stream("toy", model, data, data)], ERM(), CFG, seed)


def test_erm_loss_decreases_and_best_dev_epoch_is_kept(tiny_encoder, e5_tokenizer):
    model, history = _train(tiny_encoder, e5_tokenizer, 0)
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    sel = [h for h in history if h["selected"]]
    assert len(sel) == 1 and sel[0]["dev_score"] == max(h["dev_score"] for h in history)
    data = _toy(e5_tokenizer)
    acc = (predict_logits(model, data, 16, "fp32").argmax(1) == data.labels).mean()
    assert acc == pytest.approx(sel[0]["dev_score"])  # the selected state is what the model holds


def test_same_seed_same_history(e5_tokenizer):
    from transformers import BertConfig, BertModel

    def run():
        torch.manual_seed(0)
        enc = BertModel(BertConfig(vocab_size=len(e5_tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                   intermediate_size=64, max_position_embeddings=64, pad_token_id=1), add_pooling_layer=False)
        return _train(enc, e5_tokenizer, 3)[1]

    assert run() == run()


def test_predictions_come_back_in_input_order(tiny_encoder, e5_tokenizer):
    model = EncoderClassifier(tiny_encoder, 3).eval()
    data = encode(e5_tokenizer, ["a b c d e f", "a", "a b c", "a b"], max_length=16)
    assert [len(length_sorted_batches(data, 2)[0])] == [2]
    batched = predict_logits(model, data, 2, "fp32")
    for i in range(4):
        single = predict_logits(model, Encoded([data.input_ids[i]], None, data.pad_id), 1, "fp32")
        np.testing.assert_allclose(batched[i], single[0], atol=1e-5)


def test_unknown_objective_suggests():
    with pytest.raises(LookupError, match="did you mean 'erm'"):
        make_objective("ermm")


def test_encoder_delta_round_trip(tmp_path, e5_dir):
    encoder, tok, meta = load_encoder("e5-small", encoder_layers=1)
    encoder.get_input_embeddings().weight.requires_grad_(False)
    with torch.no_grad():
        encoder.encoder.layer[0].output.dense.bias.add_(1.0)
    save_encoder(encoder, tmp_path / "enc", meta)
    saved = json.loads((tmp_path / "enc" / "encoder.json").read_text())
    assert saved == {"model": "e5-small", "encoder_layers": 1}
    # the frozen 250k-row embedding matrix is not copied into the delta
    assert (tmp_path / "enc" / "encoder_delta.safetensors").stat().st_size < 20e6
    again, _, _ = load_encoder(str(tmp_path / "enc"))
    for (k, a), (_, b) in zip(encoder.state_dict().items(), again.state_dict().items()):
        assert torch.equal(a, b), k


def test_mixture_schedule_follows_temperature_and_covers_every_task():
    from rxlt.train.loop import epoch_schedule

    rng = np.random.default_rng(0)
    sizes = [800, 200]
    counts = np.zeros(2)
    for _ in range(30):
        for t, idx in epoch_schedule(sizes, 10, rng, temperature=1.0):
            counts[t] += 1
            assert idx.max() < sizes[t]
    assert counts[0] / counts.sum() == pytest.approx(0.8, abs=0.03)  # proportional
    flat = np.zeros(2)
    for _ in range(30):
        for t, _ in epoch_schedule(sizes, 10, rng, temperature=1e6):
            flat[t] += 1
    assert flat[0] / flat.sum() == pytest.approx(0.5, abs=0.03)  # T -> inf: uniform
    assert len(epoch_schedule(sizes, 10, rng)) == 100  # as many steps as all batches together


def test_two_task_mixture_trains_both_heads_on_one_encoder(tiny_encoder, e5_tokenizer):
    from rxlt.train.loop import Stream, train_streams

    torch.manual_seed(0)
    a = EncoderClassifier(tiny_encoder, 2, dropout=0.0)
    b = EncoderClassifier(tiny_encoder, 2, dropout=0.0)
    data = _toy(e5_tokenizer)
    flipped = Encoded(data.input_ids, 1 - data.labels, data.pad_id)
    history = train_streams([Stream("a", a, data, data), Stream("b", b, flipped, flipped)], ERM(), CFG, 0)
    assert a.encoder is b.encoder
    assert {"dev_score[a]", "dev_score[b]"} <= set(history[0])
    assert history[-1]["train_loss"] < history[0]["train_loss"]


def test_sentence_pairs_are_encoded_as_pairs(e5_tokenizer):
    import pandas as pd

    from rxlt.features.batching import encode_frame

    rows = pd.DataFrame({"text": ["Spain"], "text_pair": ["France"], "label": ["same"]})
    ids = encode_frame(e5_tokenizer, rows, {"same": 0}, 32).input_ids[0]
    # XLM-R pair template: <s> A </s></s> B </s>
    assert ids[0] == 0 and ids[-1] == 2 and any(ids[i] == ids[i + 1] == 2 for i in range(len(ids) - 1))
    single = encode_frame(e5_tokenizer, rows.drop(columns="text_pair"), {"same": 0}, 32).input_ids[0]
    assert len(single) < len(ids)
