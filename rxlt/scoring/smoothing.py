"""Smoothed prediction and certified radii (Cohen, Rosenfeld & Kolter 2019) in word-embedding space.

g(x) = the class f predicts most often under Gaussian noise N(0, σ²I) added to x's word embeddings.
With n noisy votes of which n_A for the top class, p_A ≥ the one-sided Clopper-Pearson lower bound
at level 1−α, and g is robust within L2 radius R = σ·Φ⁻¹(p_A) around x's embeddings (R = 0: abstain).
Deviation from Cohen's CERTIFY: one sample set both picks the top class and estimates p_A (CERTIFY
draws n0 separate selection samples), which makes radii slightly optimistic; reported as such.
"""
from __future__ import annotations

import numpy as np
import torch
from scipy.stats import beta, norm

from rxlt.features.batching import Encoded, collate, length_sorted_batches
from rxlt.model.precision import autocast
from rxlt.model.heads import token_mask, word_embeddings


def embedding_rms(model, data: Encoded, batch_size: int = 256) -> float:
    """RMS of the word-embedding entries of `data`'s real tokens: the unit of a relative sigma."""
    emb = model.encoder.get_input_embeddings()  # a lookup, not .weight[ids]: works on trimmed vocabularies too
    ids = torch.from_numpy(np.concatenate([np.asarray(x) for x in data.input_ids])).to(emb.weight.device)
    with torch.no_grad():
        return float(emb(ids).float().pow(2).mean().sqrt())


@torch.no_grad()
def smoothed_votes(model, data: Encoded, n: int, sigma: float, batch_size: int, precision: str, seed: int) -> np.ndarray:
    """[N, C] vote counts over n noisy copies per example (absolute sigma in embedding units)."""
    model.eval()
    device = next(model.parameters()).device
    gen = torch.Generator(device="cpu").manual_seed(seed)
    votes = np.zeros((len(data), model.head.out_features), dtype=np.int64)
    for index in length_sorted_batches(data, batch_size):
        batch = collate(data, index)
        ids, attn = batch["input_ids"].to(device), batch["attention_mask"].to(device)
        embeds = word_embeddings(model, ids)
        mask = token_mask(attn, embeds)
        for _ in range(n):
            noise = torch.randn(embeds.shape, generator=gen).to(device) * sigma * mask
            with autocast(precision):
                segments = {"token_type_ids": batch["token_type_ids"].to(device)} if "token_type_ids" in batch else {}
                pred = model(inputs_embeds=embeds + noise, attention_mask=attn, **segments).argmax(-1).cpu().numpy()
            votes[index, pred] += 1
    return votes


def certified_radius(votes: np.ndarray, sigma: float, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """(prediction, radius) per example; radius 0 where the lower bound on p_A is ≤ 1/2 (abstain)."""
    n = votes.sum(1)
    top = votes.argmax(1)
    n_a = votes[np.arange(len(votes)), top]
    p_lower = np.where(n_a > 0, beta.ppf(alpha, n_a, n - n_a + 1), 0.0)  # one-sided Clopper-Pearson
    radius = np.where(p_lower > 0.5, sigma * norm.ppf(np.clip(p_lower, 0.5, 1 - 1e-12)), 0.0)
    return top, radius
