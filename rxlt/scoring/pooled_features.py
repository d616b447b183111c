"""Sentence representations of a classification model, in input order: what its head reads, and every layer.

`head_input` is exactly what `rxlt.model.heads.SequenceClassifier.forward` hands its dropout and linear layer (the
model's pooling of the last layer: mean for e5, `<s>` for XLM-R, BERT's pooler for mBERT); `layers` are the mean
over real tokens of every hidden state (0 = embedding output, k = output of layer k), one forward pass for both.
`head_logits` runs the head on given (e.g. rotated) inputs, in evaluation mode (dropout off).
"""
from __future__ import annotations

import numpy as np
import torch

from rxlt.features.batching import Encoded, length_sorted_batches
from rxlt.model.heads import mean_pool, pool
from rxlt.model.precision import autocast
from rxlt.progress import progress


@torch.no_grad()
def pooled_features(model, data: Encoded, batch_size: int, precision: str, layers: bool = False,
                    desc: str | None = None) -> dict[str, np.ndarray]:
    """{"head_input": [N, d]} and, with `layers`, {"layers": [L + 1, N, d]} as float32, rows in `data`'s order."""
    model.eval()
    device = next(model.parameters()).device
    n = len(data)
    head, per_layer = None, None
    batches = length_sorted_batches(data, batch_size)
    for index in progress(batches, desc=desc, total=len(batches)) if desc else batches:
        batch = {k: v.to(device) for k, v in data.collate(index).items() if k != "labels"}
        segments = {"token_type_ids": batch["token_type_ids"]} if "token_type_ids" in batch else {}
        with autocast(precision):
            out = model.encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                                output_hidden_states=layers, **segments)
            pooled = pool(out, batch["attention_mask"], model.pooling).float().cpu().numpy()
            hidden = ([mean_pool(h, batch["attention_mask"]).float().cpu().numpy() for h in out.hidden_states]
                      if layers else None)
        if head is None:
            head = np.zeros((n, pooled.shape[1]), dtype=np.float32)
            if layers:
                per_layer = np.zeros((len(hidden), n, hidden[0].shape[1]), dtype=np.float32)
        head[index] = pooled
        if layers:
            for k, h in enumerate(hidden):
                per_layer[k, index] = h
    if head is None:
        width = model.head.in_features
        head = np.zeros((0, width), dtype=np.float32)
        per_layer = np.zeros((0, 0, width), dtype=np.float32) if layers else None
    return {"head_input": head, **({"layers": per_layer} if layers else {})}


@torch.no_grad()
def head_logits(model, head_input: np.ndarray, batch_size: int = 4096) -> np.ndarray:
    """[N, C] logits of the model's linear head on the given pooled inputs (float32, evaluation mode)."""
    model.eval()
    weight = next(model.head.parameters())
    parts = [model.head(torch.from_numpy(np.ascontiguousarray(head_input[i:i + batch_size])).to(weight))
             .float().cpu().numpy() for i in range(0, len(head_input), batch_size)]
    return np.concatenate(parts) if parts else np.zeros((0, model.head.out_features), dtype=np.float32)
