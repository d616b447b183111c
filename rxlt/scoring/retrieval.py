"""Sentence embeddings from a chosen encoder layer, cosine ranking, and retrieval scores.

XTREME(-R) retrieval without a trained head: Tatoeba mean-pools one hidden layer (the output of layer 8 of 12,
14 of 24: rxlt.phases.evaluate.resolve_layer, cited there) of an encoder (XTREME-R: one fine-tuned on SQuAD) over
every real token, [CLS]/[SEP] included (evaluate_retrieval.py's pool mask is the attention mask unless
--pool_skip_special_token), and ranks by cosine similarity. XTREME-R's Tatoeba score is en→x (each English
sentence queries the other language's sentences); rxlt reports x→en beside it. LAReQA and Mewsli-X rank
candidate answers / entity descriptions for each query the same way (mAP@20 and MRR@20 in XTREME-R).
`layer` counts hidden states as HF returns them: 0 = the last layer, k ≥ 1 = the output of layer k
(`hidden_states[k]`; hidden_states[0], the embedding output, is never pooled).
"""
from __future__ import annotations

import numpy as np
import torch

from rxlt.features.batching import encode, length_sorted_batches
from rxlt.model.heads import check_pooling, mean_pool
from rxlt.model.precision import autocast


@torch.no_grad()
def embed(encoder, tokenizer, texts: list[str], layer: int = 0, pooling: str = "mean", max_length: int = 128,
          batch_size: int = 64, precision: str = "fp32", text_pairs: list[str] | None = None) -> np.ndarray:
    """[N, H] L2-normalised embeddings of `texts` (optionally with a second segment, e.g. an answer's context;
    segment ids where the tokenizer makes them). pooling: mean, cls, or pooler (BERT's pooler_output: last layer only)."""
    check_pooling(pooling, encoder)
    n_layers = encoder.config.num_hidden_layers
    if not 0 <= layer <= n_layers:
        raise ValueError(f"layer {layer}: the encoder has {n_layers} layers (0 = last, 1..{n_layers})")
    if pooling == "pooler" and layer not in (0, n_layers):
        raise ValueError(f"pooling 'pooler' reads the last layer; layer {layer} was asked for")
    encoder.eval()
    device = next(encoder.parameters()).device
    data = encode(tokenizer, texts, None, max_length, text_pairs=text_pairs)
    out = np.zeros((len(data), encoder.config.hidden_size), dtype=np.float32)
    for index in length_sorted_batches(data, batch_size):
        batch = {k: v.to(device) for k, v in data.collate(index).items()}
        with autocast(precision):
            outputs = encoder(**batch, output_hidden_states=True)
        if pooling == "pooler":
            pooled = outputs.pooler_output.float()
        else:
            hidden = outputs.hidden_states[layer if layer else -1].float()
            pooled = hidden[:, 0] if pooling == "cls" else mean_pool(hidden, batch["attention_mask"])
        out[index] = torch.nn.functional.normalize(pooled, dim=-1).cpu().numpy()
    return out


def rank(queries: np.ndarray, candidates: np.ndarray, k: int) -> np.ndarray:
    """[Q, k] candidate indices by decreasing cosine similarity (inputs L2-normalised); ties by index."""
    sims = queries @ candidates.T
    k = min(k, candidates.shape[0])
    return np.argsort(-sims, axis=1, kind="stable")[:, :k]


def ranked_keys(queries: np.ndarray, candidates: np.ndarray, candidate_keys: list[str], k: int) -> list[list[str]]:
    """The keys of each query's top-k candidates."""
    keys = np.asarray(candidate_keys, dtype=object)
    return [list(keys[row]) for row in rank(queries, candidates, k)]


def golds(targets) -> list[set[str]]:
    """A query's correct candidate keys from its `target` cell (`;`-joined, per the data contract)."""
    return [set(str(t).split(";")) for t in targets]


def hit_at_1(ranked: list[list[str]], gold: list[set[str]]) -> np.ndarray:
    """1 where the top candidate is correct (Tatoeba accuracy = P@1), per query."""
    return np.array([int(bool(r) and r[0] in g) for r, g in zip(ranked, gold)])
