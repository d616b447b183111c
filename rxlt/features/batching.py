"""Tokenise once, then batch with dynamic padding (no tokens wasted on fixed-length padding).

Segment ids: where the tokenizer makes `token_type_ids` (BERT's WordPiece tokenizers such as mBERT's; not XLM-R's
or the embedded e5's, whose `model_input_names` lack them), a sentence pair's rows carry where the second segment
begins, and batches get `token_type_ids` = 0 for the first segment (and padding), 1 from the second segment's
first token to the row's final separator — the tokenizer's own ids, which upstream passes to BERT
(rxlt.model.heads). Single texts have segment 0 only, the encoder's default, and carry none.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import torch


def uses_segments(tokenizer) -> bool:
    """Whether the tokenizer makes segment ids for sentence pairs (and the encoder is meant to get them)."""
    return "token_type_ids" in (getattr(tokenizer, "model_input_names", None) or ())


def second_segment_start(token_type_ids: list[int]) -> int:
    """Position of a row's first segment-1 token (the row's length when it has none)."""
    return token_type_ids.index(1) if 1 in token_type_ids else len(token_type_ids)


@dataclass
class Encoded:
    """Token ids of a list of texts (unpadded) with optional integer labels; `segment_starts[i]`, where the
    tokenizer makes segment ids and row i is a pair, the position its second segment begins (else None)."""

    input_ids: list[list[int]]
    labels: np.ndarray | None
    pad_id: int
    segment_starts: list | None = None

    def __len__(self) -> int:
        return len(self.input_ids)

    def lengths(self) -> np.ndarray:
        return np.fromiter((len(x) for x in self.input_ids), dtype=np.int64, count=len(self.input_ids))

    def collate(self, index) -> dict[str, torch.Tensor]:
        """Padded tensors of the items `index` (subclasses add their own label layout)."""
        batch = pad_rows([self.input_ids[i] for i in index], self.pad_id,
                         None if self.segment_starts is None else [self.segment_starts[i] for i in index])
        if self.labels is not None:
            batch["labels"] = torch.from_numpy(self.labels[np.asarray(index)])
        return batch


def encode(tokenizer, texts, labels=None, max_length: int = 64, text_pairs=None) -> Encoded:
    """Token ids of `texts` (and of sentence pairs when `text_pairs` is given), truncated to max_length."""
    # NFC first: unnormalised real data exists and the tokenizer expects composed forms (encoder pitfall 3).
    from rxlt.features.token_cache import cached_token_ids

    texts = [unicodedata.normalize("NFC", t) for t in texts]
    pairs = None if text_pairs is None else [unicodedata.normalize("NFC", t) for t in text_pairs]

    labels = None if labels is None else np.asarray(labels, dtype=np.int64)
    if pairs is not None and uses_segments(tokenizer):
        from rxlt.features.token_cache import cached_features

        def tokenize_pairs():
            enc = tokenizer(texts, pairs, truncation="longest_first", max_length=max_length)
            return {"input_ids": enc["input_ids"], "second": [[second_segment_start(t)] for t in enc["token_type_ids"]]}

        f = cached_features("segment_pairs", tokenizer, {"max_length": max_length, "truncation": "longest_first"},
                            list(zip(texts, pairs)), ("input_ids", "second"), tokenize_pairs)
        return Encoded(f["input_ids"], labels, tokenizer.pad_token_id, segment_starts=[s[0] for s in f["second"]])

    def tokenize():
        if pairs is not None:
            return tokenizer(texts, pairs, truncation="longest_first", max_length=max_length)["input_ids"]
        return tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]

    # a pure function of (tokenizer, texts, pairs, max_length): cached on disk (rxlt.features.token_cache)
    ids = cached_token_ids(tokenizer, texts, pairs, max_length, tokenize)
    return Encoded(ids, labels, tokenizer.pad_token_id)


def encode_frame(tokenizer, rows, label_index: dict, max_length: int) -> Encoded:
    """Encode a task's rows: `text` (and `text_pair` for sentence-pair tasks) with integer labels."""
    pairs = rows.text_pair.tolist() if "text_pair" in rows else None
    return encode(tokenizer, rows.text.tolist(), [label_index[l] for l in rows.label], max_length, text_pairs=pairs)


def pad_rows(rows: list[list[int]], pad_id: int, segment_starts: list[int] | None = None) -> dict[str, torch.Tensor]:
    """input_ids padded with pad_id to the longest row, the attention mask, and — with `segment_starts` (where
    each row's second segment begins) — token_type_ids: 1 from there to the row's end, 0 elsewhere and on padding."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for j, r in enumerate(rows):
        ids[j, : len(r)] = torch.tensor(r)
        mask[j, : len(r)] = 1
    batch = {"input_ids": ids, "attention_mask": mask}
    if segment_starts is not None:
        types = torch.zeros((len(rows), width), dtype=torch.long)
        for j, (r, start) in enumerate(zip(rows, segment_starts)):
            types[j, start: len(r)] = 1
        batch["token_type_ids"] = types
    return batch


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
