"""Robust objectives: they train, stay inside their balls, are deterministic, and smoothing is sound."""
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from rxlt.features.batching import collate, encode
from rxlt.model.checkpoint import EncoderClassifier
from rxlt.train.augmentation import augment, perturb_text
from rxlt.train.loop import Stream, train_streams
from rxlt.train.objectives import (OBJECTIVES, Adversarial, FreeAdversarial, UniversalAdversarial, ascent_step,
                                   embedding_noise, make_objective, perturbation_scale, project)
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
    # free_replays 2: 3 passes × 2 replays = the 6 epochs' steps of the others
    obj = make_objective(name, adv_eps=0.05, adv_alpha=0.02, adv_steps=2, noise_sigma=0.1, free_replays=2)
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


def _spy_inputs(model):
    """Record every inputs_embeds the model is called with."""
    seen, forward = [], model.forward

    def spy(input_ids=None, attention_mask=None, inputs_embeds=None):
        if inputs_embeds is not None:
            seen.append(inputs_embeds.detach().clone())
        return forward(input_ids=input_ids, attention_mask=attention_mask, inputs_embeds=inputs_embeds)

    model.forward = spy
    return seen


def test_relative_pgd_radius_is_the_same_share_of_short_and_long_items(tiny_encoder, e5_tokenizer):
    """adv_eps_scale: relative — ||δ|| = adv_eps × RMS × sqrt(tokens × H) per example, so ||δ|| / ||E(x)|| is the
    same for a 3-token and a 14-token item; absolute (the default, the old behaviour) gives both the same ||δ||."""
    torch.manual_seed(0)
    model = EncoderClassifier(tiny_encoder, 2, dropout=0.0)
    data = encode(e5_tokenizer, ["x", " ".join(["word"] * 12)], [0, 1], max_length=16)
    batch = collate(data, np.arange(2))
    tokens = batch["attention_mask"].sum(1).double()
    assert tokens.tolist()[0] < tokens.tolist()[1] / 3
    clean = model.encoder.get_input_embeddings()(batch["input_ids"]).detach()
    mask = batch["attention_mask"].unsqueeze(-1).float()
    rms = float(((clean ** 2) * mask).sum().div(mask.sum() * clean.shape[-1]).sqrt())
    unit = perturbation_scale(clean, mask, "l2", "relative")
    assert torch.allclose(unit.double(), rms * torch.sqrt(tokens * clean.shape[-1]), rtol=1e-5)
    norms = {}
    for scale in ("absolute", "relative"):
        seen = _spy_inputs(model)
        Adversarial(adv_eps=0.2, adv_alpha=0.2, adv_steps=1, adv_eps_scale=scale).loss(model, batch)
        model.forward = type(model).forward.__get__(model)
        norms[scale] = (seen[-1] - clean).flatten(1).norm(dim=1)
    assert torch.allclose(norms["absolute"], torch.tensor([0.2, 0.2]), atol=1e-4)  # one step of 0.2 on the ball edge
    assert torch.allclose(norms["relative"].double(), 0.2 * unit.double(), rtol=1e-4)
    share = norms["relative"] / (rms * torch.sqrt(tokens.float() * clean.shape[-1]))
    assert torch.allclose(share, torch.tensor([0.2, 0.2]), atol=1e-4)


def test_free_adversarial_training_replays_each_minibatch_m_times_over_epochs_over_m_passes(tiny_encoder, e5_tokenizer):
    """Shafahi et al. 2019 Algorithm 1: the loop replays a batch m times, one optimiser step each, and runs
    ceil(epochs / m) passes — the same number of steps as `epochs` plain passes."""
    torch.manual_seed(0)
    model = EncoderClassifier(tiny_encoder, 2, dropout=0.0)
    data = _toy(e5_tokenizer, 24)  # 3 batches of 8
    obj = FreeAdversarial(adv_eps=0.1, adv_alpha=0.05, free_replays=3)
    calls = []
    loss = obj.loss
    obj.loss = lambda m, b: (calls.append(b["input_ids"].clone()), loss(m, b))[1]
    steps = []
    step = torch.optim.AdamW.step
    torch.optim.AdamW.step = lambda self, *a, **k: (steps.append(1), step(self, *a, **k))[1]
    try:
        history = train_streams([Stream("toy", model, data, data)], obj, CFG, seed=0)  # CFG.epochs = 6
    finally:
        torch.optim.AdamW.step = step
    assert len(history) == 2 and all(h["replays"] == 3 for h in history)  # ceil(6 / 3) passes
    assert len(calls) == len(steps) == 2 * 3 * 3 == 6 * 3  # = 6 epochs × 3 batches of plain training
    for k in range(0, len(calls), 3):  # each batch three times in a row, then the next
        assert all(torch.equal(calls[k], calls[k + j]) for j in (1, 2))
    assert not torch.equal(calls[0], calls[3]) or not torch.equal(calls[3], calls[6])


def test_free_adversarial_delta_is_per_example_and_updated_by_the_same_backward(tiny_encoder, e5_tokenizer):
    torch.manual_seed(0)
    model = EncoderClassifier(tiny_encoder, 2, dropout=0.0)
    data = _toy(e5_tokenizer)
    batch = collate(data, np.arange(8))
    mask = batch["attention_mask"].unsqueeze(-1).float()
    obj = FreeAdversarial(adv_eps=0.3, adv_alpha=0.2, adv_norm="l2", free_replays=2)
    seen = _spy_inputs(model)
    obj.loss(model, batch).backward()  # replay 1: δ = 0, its gradient from this backward
    leaf = obj._last[0]
    expected = project(ascent_step(leaf.detach(), leaf.grad, 0.2, "l2"), 0.3, "l2", mask)
    obj.loss(model, batch).backward()  # replay 2 uses δ ← Π(δ + α ∇δ/||∇δ||)
    clean = model.encoder.get_input_embeddings()(batch["input_ids"]).detach()
    applied = seen[-1] - clean
    assert torch.allclose(applied, expected, atol=1e-6)
    norms = applied.flatten(1).norm(dim=1)
    assert (norms <= 0.3 + 1e-5).all() and (norms > 0).all()
    assert not torch.allclose(applied[0], applied[1], atol=1e-4)  # one δ per example, not one shared
    assert applied[0, batch["attention_mask"][0] == 0].abs().sum() == 0  # padding never perturbed
    # carried on to the next minibatch (warm start), cut to its shape
    obj.loss(model, collate(data, np.arange(8, 12))).backward()
    assert torch.allclose(seen[-1] - model.encoder.get_input_embeddings()(collate(data, np.arange(8, 12))["input_ids"]),
                          project(obj.delta[:4, : seen[-1].shape[1]], 0.3, "l2",
                                  collate(data, np.arange(8, 12))["attention_mask"].unsqueeze(-1).float()), atol=1e-6)


def test_universal_perturbation_is_one_tensor_shared_by_every_example(tiny_encoder, e5_tokenizer):
    """The method rxlt used to call adversarial_free, now under its own name: no replays, one [L, H] δ."""
    torch.manual_seed(0)
    model = EncoderClassifier(tiny_encoder, 2, dropout=0.0)
    data = _toy(e5_tokenizer)
    obj = UniversalAdversarial(adv_eps=0.2, adv_alpha=0.1, adv_norm="l2")
    assert getattr(obj, "replays", 1) == 1 and make_objective("adversarial_universal").name == "adversarial_universal"
    seen = _spy_inputs(model)
    for i in range(3):
        obj.loss(model, collate(data, np.arange(8 * i, 8 * i + 8))).backward()
    batch = collate(data, np.arange(16, 24))
    applied = seen[-1] - model.encoder.get_input_embeddings()(batch["input_ids"]).detach()
    full = batch["attention_mask"].bool().all(0)  # positions every example fills
    assert torch.allclose(applied[0, full], applied[1, full]) and applied.abs().sum() > 0
    assert obj.delta.detach().norm() <= 0.2 + 1e-5


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


def test_rs_da_protected_words_are_a_key_and_the_draw_is_seeded():
    assert "not" in PROTECTED_WORDS
    texts = ["not a good movie", "Good big Movie, not bad"]
    for seed in range(20):
        for t in texts:
            out = perturb_text(t, SYN, np.random.RandomState(seed), tokens="normalized", protected=True)
            assert out.split(" ")[texts[0].split(" ").index("not") if t == texts[0] else 3].startswith("not")
    # perturb.py (the default) has no protected list: "not" is in this table, so it changes
    assert {perturb_text("not", SYN, np.random.RandomState(s)) for s in range(30)} == {"not", "non"}
    df = pd.DataFrame({"text": texts, "label": [0, 1]})
    a, b = augment(df, SYN, 5, seed=3), augment(df, SYN, 5, seed=3)
    assert a.equals(b) and len(a) == 10 and "copy" in a
    assert not augment(df, SYN, 5, seed=4).text.equals(a.text)
    kept = augment(df, SYN, 2, seed=0, keep_original=True)
    assert len(kept) == 6 and kept.text.iloc[:2].tolist() == texts
    changed = {perturb_text("Good movie", SYN, np.random.RandomState(s), tokens="normalized") for s in range(50)}
    assert changed == {f"{a} {b}" for a in ("Good", "Fine", "Great") for b in ("movie", "film")}  # case kept
    raw = {perturb_text("Good movie,", SYN, np.random.RandomState(s)) for s in range(50)}
    assert raw == {"Good movie,"}  # perturb.py matches raw tokens: neither 'Good' nor 'movie,' is a key


def test_json_synonyms_reads_the_safer_format(tmp_path):
    p = tmp_path / "counterfitted_neighbors.json"
    p.write_text('{"movie": ["film", "films"], "the": []}')
    assert JsonSynonyms(p)("movie") == ["film", "films"] and JsonSynonyms(p)("zzz") == []
    p.write_text('["not a dict"]')
    with pytest.raises(ValueError, match="expected"):
        JsonSynonyms(p)


def test_rs_da_perturbs_both_sentences_of_a_pair_independently():
    df = pd.DataFrame({"text": ["good movie"] * 40, "text_pair": ["good movie"] * 40, "label": [0] * 40})
    out = augment(df, SYN, 1, seed=0)
    assert out.text_pair.ne("good movie").any() and out.text.ne("good movie").any()
    assert out.text.ne(out.text_pair).any()  # independent draws, not one copy of the other
    assert out.label.tolist() == df.label.tolist()
