"""Robust objectives: they train, stay inside their balls, are deterministic, and smoothing is sound."""
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from rxlt.features.batching import collate, encode
from rxlt.model.checkpoint import EncoderClassifier
from rxlt.scoring.smoothing import certified_radius, smoothed_votes
from rxlt.train.augmentation import augment, perturb_text
from rxlt.train.loop import Stream, predict_logits, train_streams
from rxlt.train.objectives import OBJECTIVES, Adversarial, AdversarialFree, embedding_noise, make_objective, project
from rxlt.train.synonyms import PROTECTED_WORDS, JsonSynonyms

CFG = SimpleNamespace(epochs=6, batch_size=8, lr=1e-3, head_lr=1e-2, weight_decay=0.0, warmup_ratio=0.0,
                      max_grad_norm=1.0, precision="fp32")


def _toy(tok, n=48):
    texts = [" ".join(["x"] * (1 + i % 4)) for i in range(n)]
    return encode(tok, texts, [int(len(t.split()) > 2) for t in texts], max_length=16)


@pytest.mark.parametrize("name", sorted(OBJECTIVES))
def test_each_objective_decreases_the_loss(name, tiny_encoder, e5_tokenizer):
    torch.manual_seed(0)
    model = EncoderClassifier(tiny_encoder, 2, dropout=0.0)
    data = _toy(e5_tokenizer)
    obj = make_objective(name, adv_eps=0.05, adv_alpha=0.02, adv_steps=2, noise_sigma=0.1)
    history = train_streams([Stream("toy", model, data, data)], obj, CFG, seed=0)
    assert history[-1]["train_loss"] < history[0]["train_loss"], history


@pytest.mark.parametrize("norm", ["l2", "linf"])
def test_projection_stays_inside_the_ball(norm):
    torch.manual_seed(1)
    mask = torch.ones(4, 5, 1)
    mask[0, 3:] = 0
    delta = project(torch.randn(4, 5, 8) * 10, 0.3, norm, mask)
    size = delta.flatten(1).norm(dim=1) if norm == "l2" else delta.abs().flatten(1).max(1).values
    assert (size <= 0.3 + 1e-6).all()
    assert delta[0, 3:].abs().sum() == 0  # padding is never perturbed


def test_pgd_perturbation_respects_eps_and_increases_the_loss(tiny_encoder, e5_tokenizer):
    torch.manual_seed(0)
    model = EncoderClassifier(tiny_encoder, 2, dropout=0.0)
    batch = collate(_toy(e5_tokenizer), np.arange(8))
    seen = {}
    orig_forward = model.forward

    def spy(input_ids=None, attention_mask=None, inputs_embeds=None):
        if inputs_embeds is not None:
            seen["last"] = inputs_embeds.detach()
        return orig_forward(input_ids=input_ids, attention_mask=attention_mask, inputs_embeds=inputs_embeds)

    model.forward = spy
    obj = Adversarial(adv_eps=0.5, adv_alpha=0.3, adv_steps=3, adv_norm="l2")
    adv_loss = obj.loss(model, batch)
    clean = model.encoder.get_input_embeddings()(batch["input_ids"]).detach()
    delta = seen["last"] - clean
    assert (delta.flatten(1).norm(dim=1) <= 0.5 + 1e-5).all()
    from rxlt.train.objectives import cross_entropy

    with torch.no_grad():
        clean_loss = cross_entropy(orig_forward(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]), batch["labels"])
    assert adv_loss.item() > clean_loss.item()


def test_free_adversarial_perturbation_is_carried_and_bounded(tiny_encoder, e5_tokenizer):
    torch.manual_seed(0)
    model = EncoderClassifier(tiny_encoder, 2, dropout=0.0)
    obj = AdversarialFree(adv_eps=0.2, adv_alpha=0.1, adv_norm="l2")
    data = _toy(e5_tokenizer)
    for i in range(3):
        loss = obj.loss(model, collate(data, np.arange(8 * i, 8 * i + 8)))
        loss.backward()
    assert obj.delta is not None and obj.delta.detach().norm() <= 0.2 + 1e-5 and obj.delta.detach().norm() > 0


def test_relative_noise_has_the_requested_scale():
    torch.manual_seed(0)
    embeds = torch.randn(64, 10, 32) * 3.0
    mask = torch.ones(64, 10, 1)
    for kind in ("gaussian", "uniform"):
        noise = embedding_noise(embeds, 0.5, kind, "relative", mask)
        assert noise.std().item() == pytest.approx(1.5, rel=0.05)
    assert embedding_noise(embeds, 0.0, "gaussian", "absolute", mask).abs().sum() == 0


SYN = JsonSynonyms.__new__(JsonSynonyms)
SYN.table = {"good": ["fine", "great"], "movie": ["film"], "not": ["non"], "big": ["large"]}


def test_rs_da_never_touches_protected_words_and_is_seeded():
    assert "not" in PROTECTED_WORDS
    texts = ["not a good movie", "Good big Movie, not bad"]
    for seed in range(20):
        for t in texts:
            out = perturb_text(t, SYN, np.random.default_rng(seed))
            assert out.split(" ")[texts[0].split(" ").index("not") if t == texts[0] else 3].startswith("not")
    df = pd.DataFrame({"text": texts, "label": [0, 1]})
    a, b = augment(df, SYN, 5, seed=3), augment(df, SYN, 5, seed=3)
    assert a.equals(b) and len(a) == 10 and "copy" in a
    assert not augment(df, SYN, 5, seed=4).text.equals(a.text)
    kept = augment(df, SYN, 2, seed=0, keep_original=True)
    assert len(kept) == 6 and kept.text.iloc[:2].tolist() == texts
    changed = {perturb_text("Good movie", SYN, np.random.default_rng(s)) for s in range(50)}
    assert changed == {f"{a} {b}" for a in ("Good", "Fine", "Great") for b in ("movie", "film")}  # case kept


def test_json_synonyms_reads_the_safer_format(tmp_path):
    p = tmp_path / "counterfitted_neighbors.json"
    p.write_text('{"movie": ["film", "films"], "the": []}')
    assert JsonSynonyms(p)("movie") == ["film", "films"] and JsonSynonyms(p)("zzz") == []
    p.write_text('["not a dict"]')
    with pytest.raises(ValueError, match="expected"):
        JsonSynonyms(p)


def test_wordnet_synonyms_when_installed():
    from rxlt.train.synonyms import WordNetSynonyms

    try:
        wn = WordNetSynonyms()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    assert "large" in wn("big") and "nation" in wn("country") and wn("zzzz") == []


def test_smoothing_at_zero_noise_equals_plain_prediction(tiny_encoder, e5_tokenizer):
    model = EncoderClassifier(tiny_encoder, 3).eval()
    data = _toy(e5_tokenizer, 20)
    votes = smoothed_votes(model, data, 5, 0.0, 8, "fp32", seed=0)
    assert (votes.sum(1) == 5).all()
    np.testing.assert_array_equal(votes.argmax(1), predict_logits(model, data, 8, "fp32").argmax(1))


def test_certified_radius_golden():
    # n_A = 990 of 1000, alpha = 0.001: Clopper-Pearson lower bound via scipy, R = sigma * Phi^-1(p)
    from scipy.stats import beta, norm

    votes = np.array([[990, 10], [500, 500], [0, 1000]])
    top, radius = certified_radius(votes, sigma=0.5, alpha=0.001)
    p = beta.ppf(0.001, 990, 11)
    assert top.tolist() == [0, 0, 1]
    assert radius[0] == pytest.approx(0.5 * norm.ppf(p)) and radius[1] == 0.0 and radius[2] > radius[0]


def test_rs_da_perturbs_both_sentences_of_a_pair_independently():
    df = pd.DataFrame({"text": ["good movie"] * 40, "text_pair": ["good movie"] * 40, "label": [0] * 40})
    out = augment(df, SYN, 1, seed=0)
    assert out.text_pair.ne("good movie").any() and out.text.ne("good movie").any()
    assert out.text.ne(out.text_pair).any()  # independent draws, not one copy of the other
    assert out.label.tolist() == df.label.tolist()
