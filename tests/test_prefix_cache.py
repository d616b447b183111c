"""Frozen lower layers (rxlt.model.frozen_prefix) and their cached output (rxlt.features.prefix_cache): a head reads
the same numbers from the cache as from the whole encoder, training is identical with the cache on or off, the key
changes with anything the states depend on, and the frozen part runs without dropout."""
import copy
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from rxlt.features import prefix_cache
from rxlt.features.batching import encode
from rxlt.features.prefix_cache import PrefixEncoded, encoder_fingerprint, with_prefix
from rxlt.model.frozen_prefix import freeze_prefix, frozen_layers
from rxlt.model.heads import SequenceClassifier
from rxlt.train.loop import Stream, predict_logits, train_streams
from rxlt.train.objectives import ERM, RandomPerturbation

TEXTS = ["Hello world", "Guten Tag, wie geht's?", "東京は日本の首都です", "Habari ya asubuhi", "a b c d e f g",
         "Ọjọ́ dára", "Bonjour à tous", "x"]


@pytest.fixture()
def prefix_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("RXLT_CACHE", str(tmp_path))
    monkeypatch.setenv("RXLT_PREFIX_CACHE", "1")
    prefix_cache.stats.clear()
    return tmp_path / "prefix"


def test_cached_states_give_the_encoders_own_logits(tiny_encoder, e5_tokenizer, prefix_dir):
    freeze_prefix(tiny_encoder, 1)
    torch.manual_seed(0)
    model = SequenceClassifier(tiny_encoder, 3, "mean").eval()
    data = encode(e5_tokenizer, TEXTS, [0, 1, 2, 0, 1, 2, 0, 1], max_length=16)
    whole = predict_logits(model, data, 3, "fp32")
    cached = with_prefix(tiny_encoder, data, 3, "fp32", groups=np.arange(len(TEXTS)) % 3)
    assert isinstance(cached, PrefixEncoded) and prefix_cache.stats["miss"] == 3 and len(list(prefix_dir.rglob("*.npy"))) == 3
    from_cache = predict_logits(model, cached, 3, "fp32")
    np.testing.assert_allclose(from_cache, whole, rtol=0, atol=1e-5)
    assert (from_cache.argmax(1) == whole.argmax(1)).all()
    again = with_prefix(tiny_encoder, data, 5, "fp32", groups=np.arange(len(TEXTS)) % 3)  # another batch size: hits
    assert prefix_cache.stats["hit"] == 3
    for a, b in zip(again.states, cached.states):
        np.testing.assert_array_equal(a, b)
    # a batch with the states gives the same logits as the token rows through the whole encoder
    batch = cached.collate([0, 4, 7])
    with torch.no_grad():
        a = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
        b = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], prefix_states=batch["prefix_states"])
    torch.testing.assert_close(a, b, rtol=0, atol=1e-5)


def test_the_key_follows_the_frozen_weights_layers_and_rows(tiny_encoder, e5_tokenizer, prefix_dir):
    data = encode(e5_tokenizer, TEXTS, None, max_length=16)
    assert with_prefix(tiny_encoder, data, 4, "fp32") is data  # nothing frozen: no states, no cache
    freeze_prefix(tiny_encoder, 1)
    one = encoder_fingerprint(tiny_encoder)
    with_prefix(tiny_encoder, data, 4, "fp32")
    with_prefix(tiny_encoder, encode(e5_tokenizer, TEXTS[:-1], None, max_length=16), 4, "fp32")  # other rows
    assert prefix_cache.stats["miss"] == 2
    other = copy.deepcopy(tiny_encoder)
    with torch.no_grad():
        other.encoder.layer[0].output.dense.bias.add_(1e-3)  # a changed frozen weight
    other._rxlt_prefix_fingerprint = None
    assert encoder_fingerprint(other) != one
    with torch.no_grad():
        other.encoder.layer[0].output.dense.bias.sub_(1e-3)
        other.encoder.layer[1].output.dense.bias.add_(1.0)  # a weight above the frozen part changes no state
    other._rxlt_prefix_fingerprint = None
    assert encoder_fingerprint(other) == one
    deeper = copy.deepcopy(tiny_encoder)
    freeze_prefix(deeper, 2)
    assert encoder_fingerprint(deeper) != one


def test_frozen_part_has_no_gradients_and_no_dropout_in_training(tiny_encoder):
    freeze_prefix(tiny_encoder, 1)
    model = SequenceClassifier(tiny_encoder, 2, "mean")
    model.train()
    assert not tiny_encoder.embeddings.training and not tiny_encoder.encoder.layer[0].training
    assert tiny_encoder.encoder.layer[1].training and model.dropout.training
    assert not any(p.requires_grad for p in tiny_encoder.encoder.layer[0].parameters())
    assert all(p.requires_grad for p in tiny_encoder.encoder.layer[1].parameters())
    with pytest.raises(ValueError, match="frozen_layers=3, but the encoder has 2 layers"):
        freeze_prefix(tiny_encoder, 3)
    freeze_prefix(tiny_encoder, 2)  # the linear probe: the whole encoder
    assert frozen_layers(tiny_encoder) == 2 and not any(p.requires_grad for p in tiny_encoder.parameters())


@pytest.mark.parametrize("objective", [ERM(), RandomPerturbation(noise_sigma=0.5)], ids=["erm", "rs_rp"])
def test_training_is_identical_with_the_cache_on_or_off(tiny_encoder, e5_tokenizer, prefix_dir, monkeypatch, objective):
    """Frozen layers without dropout are one function, cached or not: every epoch's loss and dev score match (rs_rp
    perturbs the embeddings, so it recomputes the frozen layers on its training rows; its dev rows are cached)."""
    texts = [" ".join(["x"] * (1 + i % 4)) + f" {i}" for i in range(24)]
    labels = [int(len(t.split()) > 3) for t in texts]
    cfg = SimpleNamespace(epochs=3, batch_size=8, lr=1e-3, head_lr=1e-2, weight_decay=0.0, warmup_ratio=0.0,
                          max_grad_norm=1.0, precision="fp32")
    state = copy.deepcopy(tiny_encoder.state_dict())

    def run(flag):
        monkeypatch.setenv("RXLT_PREFIX_CACHE", flag)
        encoder = copy.deepcopy(tiny_encoder)
        encoder.load_state_dict(state)
        freeze_prefix(encoder, 1)
        torch.manual_seed(0)
        model = SequenceClassifier(encoder, 2, "mean")
        data = encode(e5_tokenizer, texts, labels, max_length=16)
        train = with_prefix(encoder, data, 8, "fp32") if getattr(objective, "clean_inputs", False) else data
        return train_streams([Stream("toy", model, train, with_prefix(encoder, data, 8, "fp32"))], objective, cfg, 0)

    off, miss, hit = run("0"), run("1"), run("1")
    for a, b, c in zip(off, miss, hit):
        assert a["train_loss"] == pytest.approx(b["train_loss"], abs=1e-5) == pytest.approx(c["train_loss"], abs=1e-5)
        assert a["dev_score"] == b["dev_score"] == c["dev_score"]


def test_a_probe_shares_the_cache_of_the_studys_frozen_layers(tiny_encoder, e5_tokenizer, prefix_dir):
    """The linear probe freezes every layer but reads the study's cached layer K and runs the frozen layers above it:
    one cache for every run, and the same logits as the whole frozen encoder."""
    data = encode(e5_tokenizer, TEXTS, None, max_length=16)
    other = copy.deepcopy(tiny_encoder)
    freeze_prefix(other, 1)
    with_prefix(other, data, 4, "fp32")
    freeze_prefix(tiny_encoder, 2, cached=1)
    assert encoder_fingerprint(tiny_encoder) == encoder_fingerprint(other)
    torch.manual_seed(0)
    probe = SequenceClassifier(tiny_encoder, 3, "mean").eval()
    cached = with_prefix(tiny_encoder, data, 4, "fp32")
    assert prefix_cache.stats["hit"] == 1 and prefix_cache.stats["miss"] == 1
    np.testing.assert_allclose(predict_logits(probe, cached, 4, "fp32"), predict_logits(probe, data, 4, "fp32"),
                               rtol=0, atol=1e-5)
    with pytest.raises(ValueError, match="cached layer 3 must be one of the frozen layers"):
        freeze_prefix(tiny_encoder, 2, cached=3)



def test_a_group_is_computed_in_batches_of_at_most_prefix_batch_rows(tiny_encoder, e5_tokenizer, prefix_dir,
                                                                     monkeypatch):
    """One language's items are not padded to one batch's longest row: the inference batch size is capped (the
    padding this saves: benchmarks/results/prefix_batching.md), and the states do not depend on it."""
    data = encode(e5_tokenizer, TEXTS, None, max_length=16)
    freeze_prefix(tiny_encoder, 1)
    monkeypatch.setenv("RXLT_PREFIX_CACHE", "0")
    whole = with_prefix(tiny_encoder, data, len(TEXTS), "fp32")
    seen = []
    original = prefix_cache._compute
    monkeypatch.setattr(prefix_cache, "PREFIX_BATCH_ROWS", 3)

    def recording(encoder, data, rows, size, precision):
        seen.append(size)
        return original(encoder, data, rows, size, precision)

    monkeypatch.setattr(prefix_cache, "_compute", recording)
    capped = with_prefix(tiny_encoder, data, len(TEXTS), "fp32")
    assert seen == [3]
    for a, b in zip(capped.states, whole.states):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)
