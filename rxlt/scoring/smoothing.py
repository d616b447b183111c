"""Smoothed prediction and certified radii (Cohen, Rosenfeld & Kolter 2019) in the word-embedding space.

g(x) = the class f predicts most often under Gaussian noise N(0, σ²I) added to the word embeddings of x's real
tokens (special tokens included; none on padding; position/segment embeddings and the tokens themselves fixed).
`certify` is Cohen et al.'s CERTIFY (locuslab/smoothing@78a4d94 code/core.py `Smooth.certify`): n0 *selection*
samples pick the class ĉ_A, n separate *estimation* samples give n_A votes for it, p_A ≥ the one-sided (1−α)
Clopper-Pearson lower bound p̲_A (core.py: `proportion_confint(NA, N, alpha=2*alpha, method="beta")[0]`), and
g is certified within L2 radius R = σ·Φ⁻¹(p̲_A) if p̲_A ≥ 1/2, else it abstains.

What the guarantee says (GUARANTEE): for each item separately, with probability ≥ 1−α over the noise, a returned
class is g(x) and g returns it for every word-embedding matrix within L2 distance R of the item's. Over K items
the expected number of false certificates is ≤ K·α (and by a union bound the chance that any is false is ≤ K·α).
R lives in the item's own space ℝ^(L×H), L its token count: radii of items of different lengths — hence of
different languages, whose tokenisations differ — measure different things, and no radius covers a translation,
a paraphrase or any other token sequence: it is not a cross-lingual guarantee.

σ is absolute: `smoothing_sigma` × the RMS of the English training inputs' word-embedding entries, computed when
the model is fine-tuned and stored beside it (EMBEDDING_SCALE_FILE), so σ does not depend on which languages a
run evaluates. Reported per language (Cohen et al.'s code/analyze.py `ApproximateAccuracy`): certified accuracy
at radius r — the share of items whose certified class is right with R ≥ r (abstentions count as wrong) — on a
grid of r in units of σ, and E[R·1(correct)], the mean radius counting wrong or abstained items as 0.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from scipy.stats import beta, norm

from rxlt.features.batching import Encoded, collate, length_sorted_batches
from rxlt.model.heads import token_mask, word_embeddings
from rxlt.model.precision import autocast

ABSTAIN = -1  # core.py `Smooth.ABSTAIN`
EMBEDDING_SCALE_FILE = "embedding_scale.json"  # in a phase-2 model/ directory
GUARANTEE = ("per item, with probability >= 1 - alpha over the noise: a non-abstaining prediction equals the "
             "smoothed classifier's, which is constant within L2 radius R of the item's own word-embedding matrix "
             "(real tokens x hidden); expected false certificates over K items <= K*alpha. Radii of items with "
             "different token counts are not comparable; not a cross-lingual guarantee. Selection (n0) and "
             "estimation (n) use separate noise samples, as Cohen et al.'s CERTIFY.")


def embedding_rms(model, data: Encoded, batch_size: int = 4096) -> tuple[float, int]:
    """(RMS of the word-embedding entries of `data`'s real tokens, number of tokens): the unit of a relative sigma.
    A lookup, not .weight[ids]: works on trimmed vocabularies too; summed in chunks."""
    emb = model.encoder.get_input_embeddings()
    ids = np.concatenate([np.asarray(x, dtype=np.int64) for x in data.input_ids]) if len(data) else np.zeros(0, np.int64)
    if not len(ids):
        raise ValueError("embedding_rms: no tokens")
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(ids), batch_size):
            chunk = torch.from_numpy(ids[start: start + batch_size]).to(emb.weight.device)
            total += float(emb(chunk).double().pow(2).sum())
    return float(np.sqrt(total / (len(ids) * emb.weight.shape[1]))), int(len(ids))


def write_embedding_scale(model_dir: str | Path, rms: float, tokens: int, source: str) -> None:
    """Store the English training embedding RMS with a fine-tuned model (phase 2)."""
    (Path(model_dir) / EMBEDDING_SCALE_FILE).write_text(json.dumps(
        {"embedding_rms": rms, "tokens": tokens, "source": source,
         "definition": "RMS of the word-embedding entries of the real tokens (special tokens included) of the "
                       "English training inputs, after fine-tuning; smoothing sigma = smoothing_sigma x this"}, indent=2))


def read_embedding_scale(model_dir: str | Path) -> dict | None:
    path = Path(model_dir) / EMBEDDING_SCALE_FILE
    return json.loads(path.read_text()) if path.is_file() else None


@torch.no_grad()
def smoothed_votes(model, data: Encoded, n: int, sigma: float, batch_size: int, precision: str,
                   generator: torch.Generator) -> np.ndarray:
    """[N, C] vote counts over n noisy copies per example (absolute sigma in embedding units), the noise drawn
    from `generator` (CPU) so selection and estimation draws are separate parts of one seeded stream."""
    model.eval()
    device = next(model.parameters()).device
    votes = np.zeros((len(data), model.head.out_features), dtype=np.int64)
    for index in length_sorted_batches(data, batch_size):
        batch = {k: v.to(device) for k, v in collate(data, index).items() if k != "labels"}
        extra = {k: batch[k] for k in model.forward_keys}  # e.g. segment ids, where the head takes them
        embeds = word_embeddings(model, batch["input_ids"])
        mask = token_mask(batch["attention_mask"], embeds)
        for _ in range(n):
            noise = torch.randn(embeds.shape, generator=generator).to(device) * sigma * mask
            with autocast(precision):
                segments = {"token_type_ids": batch["token_type_ids"]} if "token_type_ids" in batch and "token_type_ids" not in extra else {}
                logits = model(inputs_embeds=embeds + noise, attention_mask=batch["attention_mask"], **extra, **segments)
            votes[index, logits.argmax(-1).cpu().numpy()] += 1
    return votes


def lower_confidence_bound(n_a: np.ndarray, n: np.ndarray, alpha: float) -> np.ndarray:
    """One-sided (1−α) Clopper-Pearson lower bound on a binomial proportion (0 where n_a = 0)."""
    n_a, n = np.asarray(n_a), np.asarray(n)
    return np.where(n_a > 0, beta.ppf(alpha, np.maximum(n_a, 1), n - n_a + 1), 0.0)


def certify(selection: np.ndarray, estimation: np.ndarray, sigma: float, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Cohen et al.'s CERTIFY from [N, C] selection and estimation vote counts: (class or ABSTAIN, radius)."""
    top = selection.argmax(1)
    n_a = estimation[np.arange(len(estimation)), top]
    p_lower = lower_confidence_bound(n_a, estimation.sum(1), alpha)
    certified = p_lower >= 0.5
    radius = np.where(certified, sigma * norm.ppf(np.clip(p_lower, 0.5, 1.0)), 0.0)
    return np.where(certified, top, ABSTAIN), radius


def certified_accuracy(correct: np.ndarray, radius: np.ndarray, sigma: float, radii_in_sigma) -> dict[str, float]:
    """Certified accuracy at each radius r·σ: mean of correct & (R ≥ rσ) (Cohen et al.'s analyze.py
    ApproximateAccuracy; `correct` is False for abstentions)."""
    correct = np.asarray(correct, dtype=bool)
    return {f"{r:g}": float((correct & (radius >= r * sigma - 1e-12)).mean()) for r in radii_in_sigma}


def mean_correct_radius(correct: np.ndarray, radius: np.ndarray) -> float:
    """E[R·1(correct)]: the average certified radius, wrong and abstained items counting 0."""
    return float((np.asarray(radius) * np.asarray(correct, dtype=bool)).mean())
