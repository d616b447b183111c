"""Training objectives: pure functions plus thin classes the training loop calls.

The loop only ever calls `objective.loss(model, batch)` and back-propagates what it returns;
methods that need extra passes own them inside `loss`. An objective with a `replays` attribute (free adversarial
training) has each minibatch replayed that many times, one optimiser step each, and the epoch budget divided by
it (rxlt.train.loop.train_streams); its state between replays (the perturbation) is its own. Perturbations act on the *input word
embeddings* (the encoder adds position/type embeddings itself), as in Huang et al. 2021, where
robustness is trained in the embedding space (protocols.md §1.1-1.2).

Every head (rxlt.model.heads) computes its own loss through `model.task_loss(batch, inputs_embeds=...)`, so
the objectives are head-agnostic: erm, adversarial, adversarial_free, adversarial_universal and rs_rp work for
classification, multiple choice, tagging, extractive QA and the retrieval dual encoder (whose batches put queries and
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


EPS_SCALES = ("absolute", "relative")


def _per_example(value, like: torch.Tensor) -> torch.Tensor:
    """A scalar or [B] radius/step as a [B, 1, 1] tensor broadcastable over [B, L, H]."""
    return torch.as_tensor(value, dtype=like.dtype, device=like.device).reshape(-1, 1, 1)


def project(delta: torch.Tensor, eps, norm: str, mask: torch.Tensor) -> torch.Tensor:
    """Project a [B, L, H] perturbation into the per-example eps-ball (L2 over tokens×dims, or L∞); `eps` is a
    number or a [B] tensor of per-example radii (adv_eps_scale: relative)."""
    delta = delta * mask
    eps = _per_example(eps, delta)
    if norm == "linf":
        return torch.maximum(torch.minimum(delta, eps), -eps)
    flat = delta.flatten(1).norm(dim=1).clamp(min=1e-12).view(-1, 1, 1)
    return delta * (eps / flat).clamp(max=1.0)


def ascent_step(delta: torch.Tensor, grad: torch.Tensor, alpha, norm: str) -> torch.Tensor:
    """One steepest-ascent step of size alpha (a number or [B]) for the norm (sign for L∞, normalised for L2)."""
    alpha = _per_example(alpha, delta)
    if norm == "linf":
        return delta + alpha * grad.sign()
    g = grad.flatten(1).norm(dim=1).clamp(min=1e-12).view(-1, 1, 1)
    return delta + alpha * grad / g


def embedding_entry_rms(embeds: torch.Tensor, mask: torch.Tensor) -> float:
    """RMS of the real-token word-embedding entries of a [B, L, H] batch (padding excluded)."""
    return float(((embeds.detach().float() ** 2) * mask).sum().div(mask.sum() * embeds.shape[-1]).sqrt())


def perturbation_scale(embeds: torch.Tensor, mask: torch.Tensor, norm: str, scale: str) -> torch.Tensor:
    """[B] factor by which adv_eps and adv_alpha are multiplied.

    absolute: 1 — adv_eps is an L2 radius over the whole sequence (tokens×dims) in embedding units, so the
    strength per token falls as 1/sqrt(tokens): on e5-small, whose English word-embedding rows have norm ≈ 1.65
    (RMS entry 0.085 × sqrt(384); measured on cldr-territory's English training tokens), ε = 1 is 19 % of the
    norm of a 10-token item's embeddings and 5 % of a 128-token pair's. relative: adv_eps is relative to
    the batch's embedding RMS, per token — for L2 the radius is adv_eps × RMS × sqrt(real tokens × H), i.e.
    adv_eps × the RMS norm of the example's embedding matrix, the same share of any item whatever its length
    (as rs_rp's noise_scale: relative); for L∞ the bound is adv_eps × RMS per entry.
    """
    ones = torch.ones(embeds.shape[0], device=embeds.device, dtype=embeds.dtype)
    if scale == "absolute":
        return ones
    rms = embedding_entry_rms(embeds, mask)
    if norm == "linf":
        return ones * rms
    tokens = mask.flatten(1).sum(1).clamp(min=1).to(embeds.dtype)
    return rms * torch.sqrt(tokens * embeds.shape[-1])


def embedding_noise(embeds: torch.Tensor, sigma: float, kind: str, scale: str, mask: torch.Tensor) -> torch.Tensor:
    """RS-RP noise for [B, L, H] embeddings. scale='relative': sigma × RMS of the batch's real-token
    embedding entries (so one sigma suits any model); 'absolute': sigma in embedding units."""
    unit = sigma * embedding_entry_rms(embeds, mask) if scale == "relative" else sigma
    noise = torch.randn_like(embeds) if kind == "gaussian" else (torch.rand_like(embeds) * 2 - 1) * math.sqrt(3)
    return noise * unit * mask  # uniform scaled to the same standard deviation as the Gaussian


# ---------------------------------------------------------------- objectives
class ERM:
    """Empirical risk minimisation: cross-entropy on clean inputs (the baseline)."""

    name = "erm"
    # reads the clean token rows only: cached outputs of frozen lower layers can stand in for them
    # (rxlt.features.prefix_cache); objectives that perturb the input embeddings recompute those layers
    clean_inputs = True

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
    adv_eps_scale (see `perturbation_scale`): absolute (the default, so existing run ids and results hold) —
    adv_eps is an L2 radius over the whole sequence in embedding units, weaker per token on longer inputs;
    relative — adv_eps × the RMS norm of the example's embeddings, length-independent. Suggested: absolute L2
    adv_eps 1.0 (e5-small's word-embedding rows have norm ≈ 1.65, so that is ≈ 30 % of a 4-token CLDR item,
    5 % of a 128-token pair), adv_alpha = adv_eps/adv_steps·1.25, adv_steps 2-3; relative L2 adv_eps ≈ 0.1-0.3;
    L∞ absolute adv_eps ≈ 1e-2 (≈ 0.1 of e5's RMS entry 0.085).
    """

    name = "adversarial"

    def __init__(self, adv_eps=1.0, adv_alpha=0.5, adv_steps=2, adv_norm="l2", adv_eps_scale="absolute", **_):
        self.eps, self.alpha, self.steps, self.norm, self.scale = adv_eps, adv_alpha, adv_steps, adv_norm, adv_eps_scale

    def loss(self, model, batch: dict) -> torch.Tensor:
        ids, attn = batch["input_ids"], batch["attention_mask"]
        embeds = word_embeddings(model, ids)
        if embeds.requires_grad:
            embeds.retain_grad()  # trainable word embeddings keep their clean-loss gradient
        else:
            embeds = embeds.detach().requires_grad_(True)
        mask = token_mask(attn, embeds)
        unit = perturbation_scale(embeds, mask, self.norm, self.scale)
        eps, alpha = self.eps * unit, self.alpha * unit
        clean = model.task_loss(batch, inputs_embeds=embeds)
        clean.backward()  # parameter gradients of the clean loss, and ∇ wrt the embeddings
        delta = project(ascent_step(torch.zeros_like(embeds), embeds.grad, alpha, self.norm), eps, self.norm, mask)
        base = embeds.detach()
        for _ in range(self.steps - 1):
            delta = delta.detach().requires_grad_(True)
            adv = model.task_loss(batch, inputs_embeds=base + delta)
            (grad,) = torch.autograd.grad(adv, delta)
            delta = project(ascent_step(delta, grad, alpha, self.norm), eps, self.norm, mask)
        return model.task_loss(batch, inputs_embeds=word_embeddings(model, ids) + delta.detach())


class FreeAdversarial:
    """Free adversarial training (Shafahi et al. 2019, "Adversarial Training for Free!", Algorithm 1): every
    minibatch is replayed `free_replays` (m) times; each replay's one forward/backward on x + δ gives both the
    parameter gradient (the loop's optimiser step) and ∇_δ, from which δ ← Π_ε(δ + α·step(∇_δ)) before the
    next replay. δ is per example — a [B, L, H] tensor in the word-embedding space, one row per batch slot —
    and is carried on to the next minibatch (warm start), as the official code keeps one global noise tensor
    of the batch's shape (mahyarnajibi/FreeAdversarialTraining@e185c84 main_free.py `global_noise_data`,
    sliced to the batch size; ashafahi/free_adv_train@c42cac2 free_train.py). Text batches vary in size and
    length, so the carried δ is cut or zero-padded to the batch's [B, L] and padding is never perturbed.
    The loop replays each batch m times and runs ceil(epochs / m) passes, so the number of optimiser steps
    matches `epochs` passes of plain training (main_free.py: `epochs = ceil(epochs / n_repeats)`). Loss =
    CE(x + δ) only. Paper settings: L∞, step α = ε (configs.yml `fgsm_step` = `clip_eps`), m = 4 on ImageNet
    (configs.yml `n_repeats: 4`); here adv_norm l2 (per example) or linf, adv_eps_scale as for PGD.
    Cost per optimiser step ≈ 1 forward/backward (the replays are the steps).
    """

    name = "adversarial_free"

    def __init__(self, adv_eps=1.0, adv_alpha=0.5, adv_norm="l2", adv_eps_scale="absolute", free_replays=4, **_):
        self.eps, self.alpha, self.norm, self.scale = adv_eps, adv_alpha, adv_norm, adv_eps_scale
        self.replays = int(free_replays)  # read by rxlt.train.loop.train_streams
        self.delta: torch.Tensor | None = None  # the carried [B_max, L_max, H] buffer
        self._last: tuple | None = None  # (leaf δ of the last forward, its per-example ε and α, mask)

    def _advance(self) -> None:
        """δ ← Π_ε(δ + α·step(∇_δ)) from the gradient the loop's last backward left in δ."""
        if self._last is None:
            return
        leaf, eps, alpha, mask = self._last
        self._last = None
        if leaf.grad is None:
            return
        B, L = leaf.shape[:2]
        d = project(ascent_step(leaf.detach(), leaf.grad, alpha, self.norm), eps, self.norm, mask)
        self.delta[:B, :L] = d

    def loss(self, model, batch: dict) -> torch.Tensor:
        self._advance()
        embeds = word_embeddings(model, batch["input_ids"])
        B, L, H = embeds.shape
        if self.delta is None or self.delta.shape[0] < B or self.delta.shape[1] < L:
            old = self.delta
            self.delta = torch.zeros(max(B, 0 if old is None else old.shape[0]), max(L, 0 if old is None else old.shape[1]),
                                     H, device=embeds.device)
            if old is not None:
                self.delta[: old.shape[0], : old.shape[1]] = old
        mask = token_mask(batch["attention_mask"], embeds)
        unit = perturbation_scale(embeds, mask, self.norm, self.scale)
        eps = self.eps * unit
        leaf = project(self.delta[:B, :L].to(embeds.dtype), eps, self.norm, mask).detach().requires_grad_(True)
        self._last = (leaf, eps.detach(), (self.alpha * unit).detach(), mask.detach())
        return model.task_loss(batch, inputs_embeds=embeds + leaf)


class UniversalAdversarial:
    """A universal, position-indexed perturbation trained "for free" (in the spirit of Shafahi et al. 2020,
    "Universal adversarial training"; not their algorithm either): one [max_length, hidden] tensor δ shared by
    every example of every batch, added at each token position; each step's backward also gives ∇_δ, and δ takes
    one ascent step on it before the next batch, projected to the eps-ball. No replay: one pass per step, weaker
    per step than PGD. This was rxlt's `adversarial_free` before that name became Shafahi et al.'s per-example
    free AT (FreeAdversarial). loss = CE(perturbed), + CE(clean) with free_clean (2 passes). adv_eps is absolute
    (a universal δ has no per-example scale). Suggested: L2 adv_eps 1.0, adv_alpha 0.3.
    """

    name = "adversarial_universal"

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
    """Synonym data augmentation before training; plain cross-entropy on the augmented rows. The work is in
    rxlt.train.augmentation, which the fine-tuning phase applies before tokenising: rs_da_copies copies of every
    English example, each word with candidates replaced by a uniform draw from itself and its candidates, the
    original dropped unless rs_da_keep_original.

    With the paper's synonym list (synonyms_file = Robust-XLT's counterfitted_neighbors.json) and the faithful
    draw (rs_da_tokens: raw, rs_da_protected_words: false — the defaults) this is RS-DA, randomized smoothing by
    data augmentation, exactly as Robust-XLT's perturb.py (Huang et al. 2021; uclanlp/Robust-XLT@175cddb);
    paper settings: 10 copies (PAWS-X), 3 (XNLI). With WordNet it is "WordNet synonym augmentation", rxlt's
    offline stand-in, not the paper's RS-DA (rxlt.train.augmentation.describe says which a run was).
    Classification and multiple choice only: substitutions would move tags and answer spans.
    """

    name = "rs_da"
    augments_data = True


OBJECTIVES: dict[str, type] = {
    "erm": ERM,
    "adversarial": Adversarial,
    "adversarial_free": FreeAdversarial,
    "adversarial_universal": UniversalAdversarial,
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
    "adversarial_universal": TRAINABLE,
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
