"""One readable training loop: AdamW, linear warm-up/decay, English-dev model selection."""
from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from . import distributed
from .batching import Encoded, collate, shuffled_batches
from .progress import progress


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def compute_device() -> torch.device:
    """The GPU when there is one (this rank's, under torchrun), else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def resolve_precision(precision: str) -> str:
    """'auto' -> 'bf16' where the hardware has fast bf16 matrix units, else 'fp32'.

    On CPUs without AVX512-BF16/AMX, bf16 autocast is emulated: measured 8x slower than fp32 on
    this project's AMD EPYC CI machines, while embedded-encoder.md saw 2.4x faster with AMX.
    """
    if precision != "auto":
        return precision
    if torch.cuda.is_available():
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return "bf16" if (torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()) else "fp32"


def autocast(precision: str):
    """bf16 autocast on CPU/GPU, or nothing for fp32."""
    precision = resolve_precision(precision)
    if precision == "fp32":
        return contextlib.nullcontext()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.autocast(device, dtype=torch.bfloat16)


def predict_logits(model, data: Encoded, batch_size: int, precision: str, desc: str | None = None) -> np.ndarray:
    """[N, C] logits of a sequence-level head for every item of `data`, in the original order."""
    from .prediction import predict_outputs  # rxlt.prediction uses this module's autocast

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
    # model -> English dev score, higher is better (rxlt.task_kinds.dev_scorer); None = accuracy of the logits
    score: Callable | None = None

    def dev_score(self, batch_size: int, precision: str) -> float:
        if self.score is not None:
            return float(self.score(self.model))
        return accuracy(predict_logits(self.model, self.dev, batch_size, precision), self.dev.labels)


def epoch_schedule(sizes: list[int], batch_size: int, rng: np.random.Generator, temperature: float = 1.0):
    """One epoch as (stream, example indices) batches.

    One stream: its shuffled batches. Several (a multi-task mixture): as many steps as all their
    batches together, each step's task drawn with probability ∝ n_t^(1/T) — T=1 proportional to size,
    larger T flatter (temperature sampling as in multilingual/multi-task training, e.g. Arivazhagan et
    al. 2019) — cycling through each task's own shuffled batches.
    """
    per = [shuffled_batches(n, batch_size, rng) for n in sizes]
    if len(sizes) == 1:
        return [(0, b) for b in per[0]]
    p = np.asarray(sizes, dtype=np.float64) ** (1.0 / temperature)
    picks = rng.choice(len(sizes), size=sum(len(b) for b in per), p=p / p.sum())
    pos, out = [0] * len(sizes), []
    for t in picks:
        if pos[t] == len(per[t]):
            per[t], pos[t] = shuffled_batches(sizes[t], batch_size, rng), 0
        out.append((int(t), per[t][pos[t]]))
        pos[t] += 1
    return out


def train_streams(streams: list[Stream], objective, cfg, seed: int, desc: str = "train", temperature: float = 1.0) -> list[dict]:
    """Train on one or several tasks; keep the epoch with the best (mean) English-dev score (accuracy for
    classification; each stream's `score` otherwise — the history keeps the column name `dev_accuracy`).

    `cfg` provides epochs, batch_size, lr (encoder), head_lr, weight_decay, warmup_ratio,
    max_grad_norm and precision. Returns the per-epoch history.
    Under torchrun each rank trains on its slice of every batch (rxlt.distributed).
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
    steps_per_epoch = sum(-(-n // cfg.batch_size) for n in sizes)
    total = max(1, steps_per_epoch * cfg.epochs)
    warmup = int(cfg.warmup_ratio * total)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: (s + 1) / max(1, warmup) if s < warmup else max(0.0, (total - s) / max(1, total - warmup))
    )
    history, best, best_epoch, best_state = [], -1.0, 0, None
    bar = progress(range(total), desc=desc, total=total)
    step_iter = iter(bar)
    for epoch in range(cfg.epochs):
        for s in streams:
            s.model.train()
        losses = []
        for t, index in epoch_schedule(sizes, cfg.batch_size, rng, temperature):
            stream = streams[t]
            local = distributed.shard(index)  # the whole batch in a single process
            optimizer.zero_grad(set_to_none=True)  # before the objective: it may back-propagate extra passes
            loss = 0.0
            if len(local):
                batch = {k: v.to(device) for k, v in collate(stream.train, local).items()}
                with autocast(cfg.precision):
                    step_loss = objective.loss(stream.model, batch)
                step_loss.backward()
                loss = step_loss.item()
            loss = distributed.sync_gradients(body + head, loss, len(local), len(index))
            torch.nn.utils.clip_grad_norm_(body + head, cfg.max_grad_norm)
            optimizer.step()
            schedule.step()
            losses.append(loss)
            next(step_iter, None)
        devs = {s.name: s.dev_score(cfg.batch_size * 2, cfg.precision) for s in streams}
        dev_acc = float(np.mean(list(devs.values())))
        row = {"epoch": epoch + 1, "train_loss": float(np.mean(losses)), "dev_accuracy": dev_acc}
        if len(streams) > 1:
            row.update({f"dev_accuracy[{k}]": v for k, v in devs.items()})
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
