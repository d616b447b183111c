"""Training objectives: pure loss functions plus a thin class the training loop calls.

The loop only ever calls `objective.loss(model, batch)`; methods that need extra forward passes
(adversarial training, randomized smoothing — their own issue) own them inside `loss`.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .lookup import lookup


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.float(), labels)


class ERM:
    """Empirical risk minimisation: plain cross-entropy on clean inputs (the baseline)."""

    name = "erm"

    def loss(self, model, batch: dict) -> torch.Tensor:
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
        return cross_entropy(logits, batch["labels"])


OBJECTIVES: dict[str, type] = {"erm": ERM}


def make_objective(name: str):
    return lookup(OBJECTIVES, name, "objective")()
