"""Model outputs for every item of a feature set, in input order, whatever the head."""
from __future__ import annotations

import numpy as np
import torch

from rxlt.features.batching import Encoded, length_sorted_batches
from rxlt.model.precision import autocast
from rxlt.progress import progress


@torch.no_grad()
def predict_outputs(model, data: Encoded, batch_size: int, precision: str, desc: str | None = None) -> list[np.ndarray]:
    """One float32 array per item: [C] for classification and multiple choice, [L_i, C] for token-level
    heads (cut to the item's own length). Batches are length-sorted; results are scattered back."""
    model.eval()
    device = next(model.parameters()).device
    out: list[np.ndarray] = [None] * len(data)
    lengths = data.lengths()
    batches = length_sorted_batches(data, batch_size)
    for index in progress(batches, desc=desc, total=len(batches)) if desc else batches:
        batch = {k: v.to(device) for k, v in data.collate(index).items() if k != "labels"}
        extra = {k: batch[k] for k in model.forward_keys}
        if "token_type_ids" in batch:  # sentence pairs of BERT-family tokenizers (rxlt.features.batching)
            extra["token_type_ids"] = batch["token_type_ids"]
        if "prefix_states" in batch:  # the frozen lower layers' cached output (rxlt.features.prefix_cache)
            extra["prefix_states"] = batch["prefix_states"]
        with autocast(precision):
            logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], **extra).float().cpu().numpy()
        for j, i in enumerate(index):
            out[i] = logits[j, : lengths[i]] if logits.ndim == 3 else logits[j]
    return out
