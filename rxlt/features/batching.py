"""Tokenise once, then batch with dynamic padding (no tokens wasted on fixed-length padding)."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class Encoded:
    """Token ids of a list of texts (unpadded) with optional integer labels."""

    input_ids: list[list[int]]
    labels: np.ndarray | None
    pad_id: int

    def __len__(self) -> int:
        return len(self.input_ids)

    def lengths(self) -> np.ndarray:
        return np.fromiter((len(x) for x in self.input_ids), dtype=np.int64, count=len(self.input_ids))

    def collate(self, index) -> dict[str, torch.Tensor]:
        """Padded tensors of the items `index` (subclasses add their own label layout)."""
        batch = pad_rows([self.input_ids[i] for i in index], self.pad_id)
        if self.labels is not None:
            batch["labels"] = torch.from_numpy(self.labels[np.asarray(index)])
        return batch


def encode(tokenizer, texts, labels=None, max_length: int = 64, text_pairs=None) -> Encoded:
    """Token ids of `texts` (and of sentence pairs when `text_pairs` is given), truncated to max_length."""
    # NFC first: unnormalised real data exists and the tokenizer expects composed forms (encoder pitfall 3).
    from rxlt.features.token_cache import cached_token_ids

    texts = [unicodedata.normalize("NFC", t) for t in texts]
    pairs = None if text_pairs is None else [unicodedata.normalize("NFC", t) for t in text_pairs]

    def tokenize():
        if pairs is not None:
            return tokenizer(texts, pairs, truncation="longest_first", max_length=max_length)["input_ids"]
        return tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]

    # a pure function of (tokenizer, texts, pairs, max_length): cached on disk (rxlt.features.token_cache)
    ids = cached_token_ids(tokenizer, texts, pairs, max_length, tokenize)
    return Encoded(ids, None if labels is None else np.asarray(labels, dtype=np.int64), tokenizer.pad_token_id)


def encode_frame(tokenizer, rows, label_index: dict, max_length: int) -> Encoded:
    """Encode a task's rows: `text` (and `text_pair` for sentence-pair tasks) with integer labels."""
    pairs = rows.text_pair.tolist() if "text_pair" in rows else None
    return encode(tokenizer, rows.text.tolist(), [label_index[l] for l in rows.label], max_length, text_pairs=pairs)


def pad_rows(rows: list[list[int]], pad_id: int) -> dict[str, torch.Tensor]:
    """input_ids padded with pad_id to the longest row, and the attention mask."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for j, r in enumerate(rows):
        ids[j, : len(r)] = torch.tensor(r)
        mask[j, : len(r)] = 1
    return {"input_ids": ids, "attention_mask": mask}


def collate(data: Encoded, index) -> dict[str, torch.Tensor]:
    return data.collate(index)


def shuffled_batches(n: int, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    order = rng.permutation(n)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def length_grouped_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator, group: int) -> list[np.ndarray]:
    """Training batches of similar length, still random: shuffle, cut into mega-batches of
    group × batch_size examples, sort each by length, cut it into batches, shuffle the batch order
    (HF transformers' LengthGroupedSampler, whose mega-batch factor is 50). Every example once per
    epoch; the same rng state gives the same batches. Less padding, so fewer wasted FLOPs per step.
    """
    lengths = np.asarray(lengths)
    order = rng.permutation(len(lengths))
    mega = max(1, group) * batch_size
    # sorted mega-batches end to end, then cut: ceil(n / batch_size) batches like shuffled_batches
    order = np.concatenate([chunk[np.argsort(-lengths[chunk], kind="stable")]
                            for chunk in (order[s : s + mega] for s in range(0, len(order), mega))] or [order])
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    return [batches[k] for k in rng.permutation(len(batches))]


def length_sorted_batches(data: Encoded, batch_size: int) -> list[np.ndarray]:
    """Batches of similar length for inference; callers scatter results back by index."""
    order = np.argsort(data.lengths(), kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
