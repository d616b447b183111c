"""Training objectives: pure functions plus thin classes the training loop calls.

The loop only ever calls `objective.loss(model, batch)` and back-propagates what it returns;
methods that need extra passes own them inside `loss`. Perturbations act on the *input word
embeddings* (the encoder adds position/type embeddings itself), as in Huang et al. 2021, where
robustness is trained in the embedding space (protocols.md §1.1-1.2).

Every head (rxlt.model.heads) computes its own loss through `model.task_loss(batch, inputs_embeds=...)`, so
the objectives are head-agnostic: erm, adversarial, adversarial_free and rs_rp work for classification,
multiple choice, tagging, extractive QA and the retrieval dual encoder (whose batches put queries and
candidates in one set of token rows); rs_da (synonym substitution in English text) only where
labels survive it — classification and multiple choice (`OBJECTIVE_KINDS`, checked when the
parameters are built). Labels do not survive synonym substitution for tagging (a substituted word's tag may change)
or extractive QA (answer spans are character offsets into the original context), nor for the retrieval
dual encoder (its training pairs are not labelled sentences; synonyms for entity mentions/descriptions
would change what is retrieved). The dual encoder puts queries and candidates in one batch of token rows
(queries first), so the embedding-space objectives perturb both towers' inputs — as upstream's
BertForRetrieval passes the same `inputs_embeds` argument to both towers.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from rxlt.data.kinds import TRAINABLE
from rxlt.model.heads import token_mask, word_embeddings
from rxlt.lookup import lookup


# ---------------------------------------------------------------- pure functions
def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.float(), labels)


def project(delta: torch.Tensor, eps: float, norm: str, mask: torch.Tensor) -> torch.Tensor:
    """Project a [B, L, H] perturbation into the per-example eps-ball (L2 over tokens×dims, or L∞)."""
    delta = delta * mask
    if norm == "linf":
        return delta.clamp(-eps, eps)
    flat = delta.flatten(1).norm(dim=1).clamp(min=1e-12)
    return delta * (eps / flat).clamp(max=1.0).view(-1, 1, 1)


def ascent_step(delta: torch.Tensor, grad: torch.Tensor, alpha: float, norm: str) -> torch.Tensor:
    """One steepest-ascent step of size alpha for the given norm (sign for L∞, normalised for L2)."""
    if norm == "linf":
        return delta + alpha * grad.sign()
    g = grad.flatten(1).norm(dim=1).clamp(min=1e-12).view(-1, 1, 1)
    return delta + alpha * grad / g


def embedding_noise(embeds: torch.Tensor, sigma: float, kind: str, scale: str, mask: torch.Tensor) -> torch.Tensor:
    """RS-RP noise for [B, L, H] embeddings. scale='relative': sigma × RMS of the batch's real-token
    embedding entries (so one sigma suits any model); 'absolute': sigma in embedding units."""
    unit = sigma
    if scale == "relative":
        unit = sigma * float(((embeds.detach() ** 2) * mask).sum().div(mask.sum() * embeds.shape[-1]).sqrt())
    noise = torch.randn_like(embeds) if kind == "gaussian" else (torch.rand_like(embeds) * 2 - 1) * math.sqrt(3)
    return noise * unit * mask  # uniform scaled to the same standard deviation as the Gaussian


# ---------------------------------------------------------------- objectives
class ERM:
    """Empirical risk minimisation: cross-entropy on clean inputs (the baseline)."""

    name = "erm"

    def __init__(self, **_):
        pass

    def loss(self, model, batch: dict) -> torch.Tensor:
        return model.task_loss(batch)


class Adversarial:
    """PGD-K adversarial training in the word-embedding space (Madry et al. 2018; as applied to
    cross-lingual transfer by Huang et al. 2021), loss = CE(clean) + CE(adversarial).

    Cost ≈ K+1 forward/backward passes: the clean backward (run here, adding its parameter
    gradients) also yields ∇_embeddings, the first ascent direction; K-1 further ascent steps
    back-propagate to the perturbation only; the loop back-propagates the returned adversarial loss.
    Suggested: L2, adv_eps 1.0 (relative to an embedding-vector norm ≈ 1 for e5/XLM-R), adv_alpha
    = adv_eps/adv_steps·1.25, adv_steps 2-3; L∞ adv_eps ≈ 1e-2.
    """

    name = "adversarial"

    def __init__(self, adv_eps=1.0, adv_alpha=0.5, adv_steps=2, adv_norm="l2", **_):
        self.eps, self.alpha, self.steps, self.norm = adv_eps, adv_alpha, adv_steps, adv_norm

    def loss(self, model, batch: dict) -> torch.Tensor:
        ids, attn = batch["input_ids"], batch["attention_mask"]
        embeds = word_embeddings(model, ids)
        if embeds.requires_grad:
            embeds.retain_grad()  # trainable word embeddings keep their clean-loss gradient
        else:
            embeds = embeds.detach().requires_grad_(True)
        mask = token_mask(attn, embeds)
        clean = model.task_loss(batch, inputs_embeds=embeds)
        clean.backward()  # parameter gradients of the clean loss, and ∇ wrt the embeddings
        delta = project(ascent_step(torch.zeros_like(embeds), embeds.grad, self.alpha, self.norm), self.eps, self.norm, mask)
        base = embeds.detach()
        for _ in range(self.steps - 1):
            delta = delta.detach().requires_grad_(True)
            adv = model.task_loss(batch, inputs_embeds=base + delta)
            (grad,) = torch.autograd.grad(adv, delta)
            delta = project(ascent_step(delta, grad, self.alpha, self.norm), self.eps, self.norm, mask)
        return model.task_loss(batch, inputs_embeds=word_embeddings(model, ids) + delta.detach())


class AdversarialFree:
    """"Free" adversarial training (Shafahi et al. 2019): one forward/backward per step updates both
    the parameters and the perturbation, which carries over to the next minibatch. Minibatches differ
    in size and length, so the carried perturbation is universal — one [max_length, hidden] tensor
    shared by the batch (Shafahi et al. 2020, universal adversarial training). Cost ≈ 1 pass + a
    projection; weaker per step than PGD. loss = CE(clean) + CE(perturbed) when free_clean is set
    (2 passes), else CE(perturbed) only. Suggested: L2 adv_eps 1.0, adv_alpha 0.3.
    """

    name = "adversarial_free"

    def __init__(self, adv_eps=1.0, adv_alpha=0.3, adv_norm="l2", free_clean=False, **_):
        self.eps, self.alpha, self.norm, self.clean = adv_eps, adv_alpha, adv_norm, free_clean
        self.delta: torch.Tensor | None = None

    def _advance(self) -> None:
        """Ascent on the gradient the last backward left in the perturbation."""
        if self.delta is not None and self.delta.grad is not None:
            d = ascent_step(self.delta.detach()[None], self.delta.grad[None], self.alpha, self.norm)[0]
            d = project(d[None], self.eps, self.norm, torch.ones_like(d[None, :, :1]))[0]
            self.delta = d.requires_grad_(True)

    def loss(self, model, batch: dict) -> torch.Tensor:
        embeds = word_embeddings(model, batch["input_ids"])
        self._advance()
        B, L, H = embeds.shape
        if self.delta is None or self.delta.shape[0] < L:
            old = self.delta.detach() if self.delta is not None else torch.zeros(0, H, device=embeds.device)
            grown = torch.zeros(max(L, old.shape[0]), H, device=embeds.device)
            grown[: old.shape[0]] = old
            self.delta = grown.requires_grad_(True)
        mask = token_mask(batch["attention_mask"], embeds)
        loss = model.task_loss(batch, inputs_embeds=embeds + self.delta[:L][None] * mask)
        if self.clean:
            loss = loss + model.task_loss(batch)
        return loss


class RandomPerturbation:
    """RS-RP: randomized smoothing by random perturbation — Gaussian (or uniform, same std) noise on
    the input word embeddings of every training example (Huang et al. 2021; Cohen et al. 2019).
    noise_scale='relative' (default): noise_sigma × the RMS of the embedding entries (model-free);
    'absolute': noise_sigma in embedding units. One pass per step. Suggested: noise_sigma 0.5-1.0
    relative; evaluate with smoothing_samples > 0 and the same sigma to get certified radii.
    """

    name = "rs_rp"

    def __init__(self, noise_sigma=0.5, noise_kind="gaussian", noise_scale="relative", **_):
        self.sigma, self.kind, self.scale = noise_sigma, noise_kind, noise_scale

    def loss(self, model, batch: dict) -> torch.Tensor:
        embeds = word_embeddings(model, batch["input_ids"])
        noise = embedding_noise(embeds, self.sigma, self.kind, self.scale, token_mask(batch["attention_mask"], embeds))
        return model.task_loss(batch, inputs_embeds=embeds + noise)


class SynonymAugmentation(ERM):
    """RS-DA: randomized smoothing by data augmentation (Huang et al. 2021, `perturb.py`): training
    data are rs_da_copies copies of every English example with each word that has synonyms replaced
    by a uniform draw from itself and its synonyms; the original is dropped unless
    rs_da_keep_original. The loss is plain cross-entropy — the work is in rxlt.train.augmentation, which
    the fine-tuning phase applies before tokenising. Paper settings: 10 copies (PAWS-X), 3 (XNLI).
Classification and multiple choice only: substitutions would move tags and answer spans.
    """

    name = "rs_da"
    augments_data = True


OBJECTIVES: dict[str, type] = {
    "erm": ERM,
    "adversarial": Adversarial,
    "adversarial_free": AdversarialFree,
    "rs_rp": RandomPerturbation,
    "rs_da": SynonymAugmentation,
}


def make_objective(name: str, **settings):
    """An objective by name; `settings` are the phase's objective parameters (unused ones ignored)."""
    return lookup(OBJECTIVES, name, "objective")(**settings)


OBJECTIVE_KINDS: dict[str, tuple[str, ...]] = {
    "erm": TRAINABLE,
    "adversarial": TRAINABLE,
    "adversarial_free": TRAINABLE,
    "rs_rp": TRAINABLE,
    "rs_da": ("classification", "multiple_choice"),  # labels must survive synonym substitution
}


def check_objective(objective: str, kind: str) -> None:
    """Raise if `objective` makes no sense for a head of `kind` (see the module docstring)."""
    allowed = OBJECTIVE_KINDS.get(objective, TRAINABLE)
    if kind not in allowed:
        raise ValueError(f"objective {objective!r} does not apply to {kind} tasks (it works for: {', '.join(allowed)})"
                         + ("; synonym substitution would change tags, answer spans or retrieval targets"
                            if objective == "rs_da" else ""))
