"""One readable training loop: AdamW, linear warm-up/decay, English-dev model selection."""
from __future__ import annotations

import contextlib
import random

import numpy as np
import torch

from .batching import Encoded, collate, length_sorted_batches, shuffled_batches
from .progress import progress


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


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


@torch.no_grad()
def predict_logits(model, data: Encoded, batch_size: int, precision: str, desc: str | None = None) -> np.ndarray:
    """Logits for every item of `data`, in the original order (batches are length-sorted)."""
    model.eval()
    device = next(model.parameters()).device
    out = np.zeros((len(data), model.head.out_features), dtype=np.float32)
    batches = length_sorted_batches(data, batch_size)
    for index in progress(batches, desc=desc, total=len(batches)) if desc else batches:
        batch = collate(data, index)
        with autocast(precision):
            logits = model(input_ids=batch["input_ids"].to(device), attention_mask=batch["attention_mask"].to(device))
        out[index] = logits.float().cpu().numpy()
    return out


def accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    return float((logits.argmax(-1) == labels).mean()) if len(labels) else float("nan")


def train_classifier(model, objective, train: Encoded, dev: Encoded, cfg, seed: int, desc: str = "train") -> list[dict]:
    """Train `model` with `objective`; keep the epoch with the best English-dev accuracy.

    `cfg` provides epochs, batch_size, lr (encoder), head_lr, weight_decay, warmup_ratio,
    max_grad_norm and precision. Returns the per-epoch history.
    """
    device = next(model.parameters()).device
    head = [p for p in model.head.parameters()]
    body = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("head.")]
    optimizer = torch.optim.AdamW(
        [{"params": body, "lr": cfg.lr}, {"params": head, "lr": cfg.head_lr}], weight_decay=cfg.weight_decay
    )
    steps_per_epoch = -(-len(train) // cfg.batch_size)
    total = max(1, steps_per_epoch * cfg.epochs)
    warmup = int(cfg.warmup_ratio * total)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: (s + 1) / max(1, warmup) if s < warmup else max(0.0, (total - s) / max(1, total - warmup))
    )
    rng = np.random.default_rng(seed)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    history, best, best_epoch, best_state = [], -1.0, 0, None
    bar = progress(range(total), desc=desc, total=total)
    step_iter = iter(bar)
    for epoch in range(cfg.epochs):
        model.train()
        losses = []
        for index in shuffled_batches(len(train), cfg.batch_size, rng):
            batch = {k: v.to(device) for k, v in collate(train, index).items()}
            with autocast(cfg.precision):
                loss = objective.loss(model, batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(body + head, cfg.max_grad_norm)
            optimizer.step()
            schedule.step()
            losses.append(loss.item())
            next(step_iter, None)
        dev_acc = accuracy(predict_logits(model, dev, cfg.batch_size * 2, cfg.precision), dev.labels)
        history.append({"epoch": epoch + 1, "train_loss": float(np.mean(losses)), "dev_accuracy": dev_acc})
        if dev_acc > best:  # ties keep the earlier epoch
            best, best_epoch = dev_acc, epoch + 1
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items() if k in trainable}
    next(step_iter, None)
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state, strict=False)
    for h in history:
        h["selected"] = h["epoch"] == best_epoch
    return history
