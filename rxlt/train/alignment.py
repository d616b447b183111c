"""Alignment fine-tuning on translation pairs: pull each language's sentence representations onto English's while a
regulariser keeps English where it was (Cao, Kitaev & Klein 2020, "Multilingual Alignment of Contextual Word
Representations", ICLR).

Cao et al. align *word* pairs found by fast_align in parallel text: for aligned words (i in sentence s of language
x, j in its English translation t), loss = Σ ||f(i, s) − f(j, t)||² + λ Σ_t Σ_j ||f(j, t) − f₀(j, t)||², where f
is the encoder's last layer being trained and f₀ the initial encoder, so English representations stay in place and
the other languages move to them. Their released code (stevenxcao/multilingual-bert-alignment, read in public
copies; the upstream repository itself was not reachable offline) computes it as
`F.mse_loss(ann_1[idx_1], ann_2_base[idx_2]) + F.mse_loss(ann_2, ann_2_base)` — means over elements, the aligned
vectors pulled to the *initial* encoder's English vectors, λ = 1 — with Adam (β = 0.9, 0.98, ε = 1e-9), lr 5e-5
after a linear warm-up over the first 10 % of steps and constant after, no gradient clipping, one epoch.

rxlt has no word aligner offline, so it aligns *sentences*: the representation is the one the task head reads
(the model's pooling of the last layer: mean over tokens for e5), and a pair is an item and its English
translation (rxlt.data.parallel). Two objectives, each with Cao et al.'s English regulariser (weight λ):
- `l2`: Cao et al.'s loss at the sentence level, `mse(pool(f(x)), pool(f₀(en))) + λ mse(pool(f(en)), pool(f₀(en)))`;
- `contrastive`: in-batch InfoNCE from each x sentence to its translation among the batch's English sentences
  (cosine / τ, the initial encoder's English vectors as candidates; the sentence-level contrastive alignment of
  e.g. Wu & Dredze 2020, "Do Explicit Alignments Robustly Improve Multilingual Encoders?", EMNLP), + the same
  λ regulariser. τ is a key (default 0.05, Gao et al. 2021's SimCSE value; not from an alignment paper).
f₀'s English vectors are computed once before training, with the initial encoder in evaluation mode (as Cao et
al.'s `model_base.eval()`), so no second encoder is held in memory. A batch encodes each of its English sentences
once (pairs of one item in several languages share it; for `contrastive` a translation is then never its own
negative). `l2` batches hold the translations of consecutive items in every language (Cao et al.'s loop steps every
language at once), so the regulariser's English passes cost little; `contrastive` batches are random pairs, for
more in-batch negatives.

Pure loss functions, a thin objective with `loss(model, batch)`, and the fixed-length loop (no model selection:
there is no task to select on, and Cao et al. keep the last state).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rxlt.features.batching import Encoded, pad_rows
from rxlt.model.heads import pool
from rxlt.model.precision import autocast, compute_device, resolve_precision
from rxlt.progress import progress

ALIGNMENT_OBJECTIVES = ("l2", "contrastive")
# stevenxcao/multilingual-bert-alignment (copies): torch.optim.Adam(betas=(0.9, 0.98), eps=1e-9), warm-up then constant
ADAM_BETAS = (0.9, 0.98)
ADAM_EPS = 1e-9


def l2_alignment_loss(aligned: torch.Tensor, english_base: torch.Tensor) -> torch.Tensor:
    """Mean squared difference per element between x sentences and the initial encoder's English translations."""
    return F.mse_loss(aligned.float(), english_base.float())


def contrastive_alignment_loss(aligned: torch.Tensor, english_base: torch.Tensor, temperature: float,
                               target: torch.Tensor | None = None) -> torch.Tensor:
    """Cross-entropy of each x sentence (row i) over the batch's distinct English sentences by cosine / τ; its class
    is its translation's row, target[i] (default i)."""
    a = F.normalize(aligned.float(), dim=-1)
    b = F.normalize(english_base.float(), dim=-1)
    logits = a @ b.T / temperature
    return F.cross_entropy(logits, torch.arange(len(a), device=a.device) if target is None else target)


def english_regulariser(english: torch.Tensor, english_base: torch.Tensor) -> torch.Tensor:
    """Cao et al.'s term keeping English in place: mean squared change of the English sentences' representations."""
    return F.mse_loss(english.float(), english_base.float())


class SentenceEncoder(nn.Module):
    """The encoder with the task head's pooling: one vector per row (what alignment moves)."""

    def __init__(self, encoder: nn.Module, pooling: str):
        super().__init__()
        self.encoder = encoder
        self.pooling = pooling

    def forward(self, input_ids, attention_mask, token_type_ids=None) -> torch.Tensor:
        segments = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask, **segments)
        return pool(out, attention_mask, self.pooling)


class SentenceAlignment:
    """Thin objective: `loss(model, batch)` on a batch of pairs — `x` and `en` token rows, `en_base` the initial
    encoder's English vectors. `last` holds the batch's two terms (for the history)."""

    def __init__(self, kind: str = "l2", weight: float = 1.0, temperature: float = 0.05):
        if kind not in ALIGNMENT_OBJECTIVES:
            raise ValueError(f"alignment objective {kind!r}: expected one of {ALIGNMENT_OBJECTIVES}")
        self.kind, self.weight, self.temperature = kind, weight, temperature
        self.last: dict[str, float] = {}

    @property
    def grouped(self) -> bool:
        """Batches of whole items (every language of an item together): l2 needs no in-batch negatives."""
        return self.kind == "l2"

    def loss(self, model: SentenceEncoder, batch: dict) -> torch.Tensor:
        """`x` and `en` token rows, `en_base` the initial vectors of the (distinct) English rows, `target[i]` the
        English row of x row i."""
        x = model(**batch["x"])
        en = model(**batch["en"])
        if self.kind == "l2":
            align = l2_alignment_loss(x, batch["en_base"][batch["target"]])
        else:
            align = contrastive_alignment_loss(x, batch["en_base"], self.temperature, batch["target"])
        keep = english_regulariser(en, batch["en_base"])
        self.last = {"alignment_loss": float(align.detach()), "english_regulariser": float(keep.detach())}
        return align + self.weight * keep


def _rows(data: Encoded, index, device) -> dict:
    starts = None if data.segment_starts is None else [data.segment_starts[i] for i in index]
    return {k: v.to(device) for k, v in pad_rows([data.input_ids[i] for i in index], data.pad_id, starts).items()}


@torch.no_grad()
def base_vectors(model: SentenceEncoder, data: Encoded, batch_size: int, precision: str) -> torch.Tensor:
    """The initial encoder's vectors of every row of `data` (evaluation mode), float32 on the CPU."""
    model.eval()
    device = next(model.parameters()).device
    out = []
    for i in range(0, len(data), batch_size):
        with autocast(precision):
            out.append(model(**_rows(data, range(i, min(i + batch_size, len(data))), device)).float().cpu())
    return torch.cat(out) if out else torch.zeros((0, model.encoder.config.hidden_size))


def pair_batches(pair_en: np.ndarray, batch_size: int, rng: np.random.Generator, grouped: bool) -> list[np.ndarray]:
    """One epoch of batches of pair indices: random, or (grouped) the pairs of items in a random item order, the
    languages of an item in random order, cut every batch_size pairs."""
    if not grouped:
        order = rng.permutation(len(pair_en))
    else:
        items = rng.permutation(np.unique(pair_en))
        rank = np.zeros(int(pair_en.max()) + 1 if len(pair_en) else 0, dtype=np.int64)
        rank[items] = np.arange(len(items))
        order = np.lexsort((rng.permutation(len(pair_en)), rank[pair_en]))
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def train_alignment(model: SentenceEncoder, x: Encoded, en: Encoded, pair_en: np.ndarray, objective: SentenceAlignment,
                    cfg, seed: int, desc: str = "alignment") -> list[dict]:
    """Train on the pairs (x row i, English row pair_en[i]) for cfg.epochs passes of cfg.batch_size pairs (pair_batches);
    Adam as Cao et al. (betas 0.9/0.98, eps 1e-9, lr cfg.lr, weight decay cfg.weight_decay), linear warm-up over
    cfg.warmup_ratio of the steps then constant, no clipping. Returns one history row per epoch; the last state is
    kept."""
    device = compute_device()
    model.to(device)
    precision = resolve_precision(cfg.precision)
    base = base_vectors(model, en, cfg.batch_size * 2, precision)  # f₀ before any step
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.lr, betas=ADAM_BETAS, eps=ADAM_EPS, weight_decay=cfg.weight_decay)
    steps_per_epoch = -(-len(x) // cfg.batch_size)
    total = max(1, steps_per_epoch * cfg.epochs)
    warmup = int(cfg.warmup_ratio * total)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: (s + 1) / warmup if s < warmup else 1.0)
    rng = np.random.default_rng(seed)
    history = []
    bar = progress(range(total), desc=desc, total=total)
    steps = iter(bar)
    for epoch in range(cfg.epochs):
        model.train()
        terms = {"train_loss": [], "alignment_loss": [], "english_regulariser": []}
        for index in pair_batches(pair_en, cfg.batch_size, rng, objective.grouped):
            english, target = np.unique(pair_en[index], return_inverse=True)  # each English sentence once
            batch = {"x": _rows(x, index, device), "en": _rows(en, english, device),
                     "en_base": base[english].to(device), "target": torch.from_numpy(target.ravel()).to(device)}
            optimizer.zero_grad(set_to_none=True)
            with autocast(precision):
                loss = objective.loss(model, batch)
            loss.backward()
            optimizer.step()
            schedule.step()
            terms["train_loss"].append(float(loss.detach()))
            for k, v in objective.last.items():
                terms[k].append(v)
            next(steps, None)
        history.append({"epoch": epoch + 1, **{k: float(np.mean(v)) for k, v in terms.items() if v},
                        "selected": epoch + 1 == cfg.epochs})
    next(steps, None)
    bar.close()
    model.eval()
    return history
