"""rxlt.train.alignment: the loss terms against numpy, and the fixed-length loop moving a language onto English
while the regulariser keeps English near where it started (a tiny random encoder, no download)."""
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from rxlt.features.batching import Encoded
from rxlt.train.alignment import (SentenceAlignment, SentenceEncoder, base_vectors, contrastive_alignment_loss,
                                  english_regulariser, l2_alignment_loss, pair_batches, train_alignment)


def test_loss_terms_equal_numpy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    ta, tb = torch.tensor(a, dtype=torch.float32), torch.tensor(b, dtype=torch.float32)
    assert float(l2_alignment_loss(ta, tb)) == pytest.approx(((a - b) ** 2).mean(), rel=1e-6)
    assert float(english_regulariser(ta, tb)) == pytest.approx(((a - b) ** 2).mean(), rel=1e-6)
    an = a / np.linalg.norm(a, axis=1, keepdims=True)
    bn = b / np.linalg.norm(b, axis=1, keepdims=True)
    logits = an @ bn.T / 0.1
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    assert float(contrastive_alignment_loss(ta, tb, 0.1)) == pytest.approx(-np.mean(np.diag(logp)), rel=1e-5)
    target = torch.tensor([1, 0, 0, 2, 4])  # two x sentences of one English sentence: one class, never a negative
    want = -np.mean(logp[np.arange(5), target.numpy()])
    assert float(contrastive_alignment_loss(ta, tb, 0.1, target)) == pytest.approx(want, rel=1e-5)


def test_pair_batches_cover_every_pair_once_and_grouped_batches_keep_items_together():
    pair_en = np.repeat(np.arange(10), 3)  # 10 items in 3 languages
    for grouped in (False, True):
        batches = pair_batches(pair_en, 6, np.random.default_rng(0), grouped)
        assert sorted(np.concatenate(batches)) == list(range(30)) and all(len(b) == 6 for b in batches)
    grouped = np.concatenate(pair_batches(pair_en, 6, np.random.default_rng(0), True))
    assert all(len(set(pair_en[grouped[i:i + 3]])) == 1 for i in range(0, 30, 3))  # an item's languages together


def tiny_encoder():
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=16)
    return BertModel(config, add_pooling_layer=False)


def retrieval(x, en, target) -> float:
    """Share of x rows whose most cosine-similar English row is their translation, en[target[i]]."""
    a = torch.nn.functional.normalize(x, dim=-1)
    b = torch.nn.functional.normalize(en, dim=-1)
    return float(((a @ b.T).argmax(1) == torch.as_tensor(target)).float().mean())


@pytest.mark.parametrize("kind", ["l2", "contrastive"])
def test_training_pulls_the_language_onto_english_and_keeps_english_in_place(kind):
    rng = np.random.default_rng(1)
    en_ids = [[1, *rng.integers(5, 25, size=6).tolist(), 2] for _ in range(12)]
    x_ids = [[1, *rng.integers(25, 50, size=6).tolist(), 2] for _ in range(12)]  # another "script": other ids
    x_ids += [[1, *rng.integers(25, 50, size=6).tolist(), 2] for _ in range(12)]  # and a second such language
    x, en = Encoded(x_ids, None, 0), Encoded(en_ids, None, 0)
    pair_en = np.tile(np.arange(12), 2)
    model = SentenceEncoder(tiny_encoder(), "mean")
    start = base_vectors(model, en, 8, "fp32").clone()
    x_before = base_vectors(model, x, 8, "fp32")
    cfg = SimpleNamespace(epochs=12, batch_size=6, lr=3e-3, weight_decay=0.0, warmup_ratio=0.1, precision="fp32")
    objective = SentenceAlignment(kind, weight=1.0, temperature=0.1)
    history = train_alignment(model, x, en, pair_en, objective, cfg, seed=0)
    x_after, en_after = base_vectors(model, x, 8, "fp32"), base_vectors(model, en, 8, "fp32")
    assert len(history) == 12 and history[-1]["selected"] and not history[0]["selected"]
    assert history[-1]["alignment_loss"] < 0.7 * history[0]["alignment_loss"]
    if kind == "l2":  # x moved towards the initial English vectors, English stayed closer to them than x got
        after = float(((x_after - start[pair_en]) ** 2).mean())
        assert after < 0.5 * float(((x_before - start[pair_en]) ** 2).mean())
        assert float(((en_after - start) ** 2).mean()) < after
    else:  # each x sentence now finds its translation among the initial English vectors
        assert retrieval(x_after, start, pair_en) > max(0.5, retrieval(x_before, start, pair_en))


def test_unknown_alignment_objective():
    with pytest.raises(ValueError, match="expected one of"):
        SentenceAlignment("cosine")
