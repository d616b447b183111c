"""One readable training loop: AdamW, linear warm-up/decay, English-dev model selection."""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from rxlt.features.batching import Encoded, collate, length_grouped_batches, shuffled_batches
from rxlt.model.precision import autocast, compute_device, resolve_precision
from rxlt.progress import progress
from rxlt.scoring.prediction import predict_outputs
from rxlt.train import distributed


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def predict_logits(model, data: Encoded, batch_size: int, precision: str, desc: str | None = None) -> np.ndarray:
    """[N, C] logits of a sequence-level head for every item of `data`, in the original order."""
    outputs = predict_outputs(model, data, batch_size, precision, desc)
    return np.stack(outputs) if outputs else np.zeros((0, model.head.out_features), dtype=np.float32)


def accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    return float((logits.argmax(-1) == labels).mean()) if len(labels) else float("nan")


@dataclass
class Stream:
    """One task being trained: its classifier (sharing the encoder with other streams) and data."""

    name: str
    model: torch.nn.Module
    train: Encoded
    dev: Encoded
    # model -> English dev score, higher is better (rxlt.phases.kind_handlers.dev_scorer); None = accuracy of the logits
    score: Callable | None = None

    def dev_score(self, batch_size: int, precision: str) -> float:
        if self.score is not None:
            return float(self.score(self.model))
        return accuracy(predict_logits(self.model, self.dev, batch_size, precision), self.dev.labels)


def epoch_schedule(sizes: list[int], batch_size: int, rng: np.random.Generator, temperature: float = 1.0,
                   lengths: list[np.ndarray] | None = None, length_grouping: int = 0):
    """One epoch as (stream, example indices) batches.

    One stream: its shuffled batches. Several (a multi-task mixture): as many steps as all their
    batches together, each step's task drawn with probability ∝ n_t^(1/T) — T=1 proportional to size,
    larger T flatter (temperature sampling as in multilingual/multi-task training, e.g. Arivazhagan et
    al. 2019) — cycling through each task's own shuffled batches.
    length_grouping > 0 (with each stream's `lengths`): batches of similar length inside mega-batches
    of that many batches (rxlt.features.batching.length_grouped_batches); 0 = plain shuffled batches.
    """
    def batches(t: int):
        if length_grouping and lengths is not None:
            return length_grouped_batches(lengths[t], batch_size, rng, length_grouping)
        return shuffled_batches(sizes[t], batch_size, rng)

    per = [batches(t) for t in range(len(sizes))]
    if len(sizes) == 1:
        return [(0, b) for b in per[0]]
    p = np.asarray(sizes, dtype=np.float64) ** (1.0 / temperature)
    picks = rng.choice(len(sizes), size=sum(len(b) for b in per), p=p / p.sum())
    pos, out = [0] * len(sizes), []
    for t in picks:
        if pos[t] == len(per[t]):
            per[t], pos[t] = batches(t), 0
        out.append((int(t), per[t][pos[t]]))
        pos[t] += 1
    return out


def train_streams(streams: list[Stream], objective, cfg, seed: int, desc: str = "train", temperature: float = 1.0) -> list[dict]:
    """Train on one or several tasks; keep the epoch with the best (mean) English-dev score (accuracy for
    classification; each stream's `score` otherwise: seqeval F1, (EM+F1)/2 — the history column `dev_score`).

    `cfg` provides epochs, batch_size, lr (encoder), head_lr, weight_decay, warmup_ratio,
    max_grad_norm and precision (and optionally length_grouping). Returns the per-epoch history.
    An objective with `replays` = m > 1 (free adversarial training) sees each batch m times in a row, one
    optimiser step each, over ceil(epochs / m) passes (each pass is one history row, with dev selection after it).
    fp16 (GPUs without bf16) scales the loss (torch.amp.GradScaler) so small gradients survive.
    Under torchrun each rank trains on its slice of every batch (rxlt.train.distributed).
    """
    distributed.init_from_env(teardown_at_exit=True)  # a rank of a data-parallel run (else nothing)
    device = compute_device()
    for s in streams:
        s.model.to(device)
    params = {}
    for s in streams:  # shared encoder parameters appear once
        for n, p in s.model.named_parameters():
            if p.requires_grad:
                params.setdefault(id(p), (f"{s.name}.{n}", p))
    head = [p for n, p in params.values() if ".head." in n]
    body = [p for n, p in params.values() if ".head." not in n]
    distributed.broadcast_parameters(body + head)
    optimizer = torch.optim.AdamW(
        [{"params": body, "lr": cfg.lr}, {"params": head, "lr": cfg.head_lr}], weight_decay=cfg.weight_decay
    )
    rng = np.random.default_rng(seed)
    sizes = [len(s.train) for s in streams]
    # free adversarial training replays every minibatch m times (one optimiser step each) over ceil(epochs / m)
    # passes, so its optimiser steps match `epochs` passes of plain training (Shafahi et al. 2019, Algorithm 1)
    replays = int(getattr(objective, "replays", 1))
    passes = -(-cfg.epochs // replays)
    steps_per_epoch = sum(-(-n // cfg.batch_size) for n in sizes) * replays
    total = max(1, steps_per_epoch * passes)
    warmup = int(cfg.warmup_ratio * total)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: (s + 1) / max(1, warmup) if s < warmup else max(0.0, (total - s) / max(1, total - warmup))
    )
    precision = resolve_precision(cfg.precision)
    if precision == "fp16" and getattr(objective, "name", "") in ("adversarial", "adversarial_free", "adversarial_universal"):
        # these back-propagate inside the objective, or step their perturbation on gradients, outside the scaler's reach
        raise ValueError(f"precision fp16 is not supported with objective {objective.name!r}: use bf16 or fp32")
    scaler = torch.amp.GradScaler("cuda", enabled=precision == "fp16")
    grouping = getattr(cfg, "length_grouping", 0)
    lengths = [s.train.lengths() for s in streams] if grouping else None
    history, best, best_epoch, best_state = [], -1.0, 0, None
    bar = progress(range(total), desc=desc, total=total)
    step_iter = iter(bar)
    for epoch in range(passes):
        for s in streams:
            s.model.train()
        losses = []
        for t, index in epoch_schedule(sizes, cfg.batch_size, rng, temperature, lengths, grouping):
            stream = streams[t]
            local = distributed.shard(index)  # the whole batch in a single process
            batch = {k: v.to(device) for k, v in collate(stream.train, local).items()} if len(local) else None
            for _ in range(replays):
                optimizer.zero_grad(set_to_none=True)  # before the objective: it may back-propagate extra passes
                loss = 0.0
                if batch is not None:
                    with autocast(precision):
                        step_loss = objective.loss(stream.model, batch)
                    scaler.scale(step_loss).backward()
                    loss = step_loss.item()
                loss = distributed.sync_gradients(body + head, loss, len(local), len(index))
                scaler.unscale_(optimizer)  # clip the true gradients (a no-op unless fp16)
                torch.nn.utils.clip_grad_norm_(body + head, cfg.max_grad_norm)
                scaler.step(optimizer)
                scaler.update()
                schedule.step()
                losses.append(loss)
                next(step_iter, None)
        devs = {s.name: s.dev_score(cfg.batch_size * 2, precision) for s in streams}
        dev_acc = float(np.mean(list(devs.values())))
        row = {"epoch": epoch + 1, "train_loss": float(np.mean(losses)), "dev_score": dev_acc}
        if replays > 1:  # one row per pass over the data, each batch replayed
            row["replays"] = replays
        if len(streams) > 1:
            row.update({f"dev_score[{k}]": v for k, v in devs.items()})
        history.append(row)
        if dev_acc > best:  # ties keep the earlier epoch
            best, best_epoch = dev_acc, epoch + 1
            # trainable tensors only: the frozen 250k-row embedding matrix would cost ~400 MB a copy
            best_state = [{k: p.detach().clone() for k, p in s.model.named_parameters() if p.requires_grad} for s in streams]
    next(step_iter, None)
    bar.close()
    if best_state is not None:
        for s, state in zip(streams, best_state):
            s.model.load_state_dict(state, strict=False)
    for h in history:
        h["selected"] = h["epoch"] == best_epoch
    return history
