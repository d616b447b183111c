"""Token-classification features: words -> sub-word rows, the label on each word's first sub-word.

As in XTREME's run_tag.py / HF token classification: the sentence is given as words
(`is_split_into_words`), the fast tokenizer's `word_ids()` says which word each sub-word comes from,
the first sub-word of a word carries its tag and every other position (continuation pieces, special
tokens) is IGNORE. Prediction reads the tag back at each word's first sub-word, so scripts that split
one word into many pieces (CJK, Thai, …) still get exactly one tag per word. Words cut off by
`max_length` (or that tokenise to nothing) get `fill_tag` and are counted.

With XLM-R's SentencePiece vocabulary a word that does not start with a known "▁word" piece (most CJK and
Thai words) becomes a bare "▁" followed by its pieces, and the label sits on that "▁" — exactly as
XTREME's utils_tag.py does (label on `tokenizer.tokenize(word)[0]`), so scores stay comparable; the
contextual state of the "▁" position is what the head classifies.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import torch

from .batching import Encoded, pad_rows
from .heads import IGNORE


@dataclass
class TaggedEncoded(Encoded):
    """Sub-word rows; `labels[i]` per position (IGNORE except first sub-words); `first[i][w]` = the
    position of word w's first sub-word in row i, or -1 when the word has none (truncated/empty)."""

    first: list[list[int]] = None

    def collate(self, index) -> dict[str, torch.Tensor]:
        batch = pad_rows([self.input_ids[i] for i in index], self.pad_id)
        if self.labels is not None:
            labels = torch.full(batch["input_ids"].shape, IGNORE, dtype=torch.long)
            for j, i in enumerate(index):
                labels[j, : len(self.labels[i])] = torch.tensor(self.labels[i])
            batch["labels"] = labels
        return batch


def first_subwords(word_ids: list[int | None], n_words: int) -> list[int]:
    """Position of each word's first sub-word (-1 if the word has no sub-word in the row)."""
    first = [-1] * n_words
    for pos, w in enumerate(word_ids):
        if w is not None and first[w] == -1:
            first[w] = pos
    return first


def encode_tagging(tokenizer, tokens: list[list[str]], tags: list[list[str]] | None, label_index: dict,
                   max_length: int) -> TaggedEncoded:
    """Encode word-split sentences; with `tags`, label each word's first sub-word."""
    words = [[unicodedata.normalize("NFC", w) for w in sent] for sent in tokens]
    enc = tokenizer(words, is_split_into_words=True, truncation=True, max_length=max_length)
    firsts = [first_subwords(enc.word_ids(i), len(sent)) for i, sent in enumerate(words)]
    labels = None
    if tags is not None:
        labels = []
        for i, (sent_tags, first) in enumerate(zip(tags, firsts)):
            if len(sent_tags) != len(words[i]):
                raise ValueError(f"row {i}: {len(words[i])} tokens but {len(sent_tags)} tags")
            row = [IGNORE] * len(enc["input_ids"][i])
            for w, pos in enumerate(first):
                if pos >= 0:
                    row[pos] = label_index[sent_tags[w]]
            labels.append(row)
    return TaggedEncoded(enc["input_ids"], labels, tokenizer.pad_token_id, first=firsts)


def word_tags(logits: np.ndarray, first: list[int], labels: list[str], fill_tag: str) -> tuple[list[str], int]:
    """(one tag per word from the logits [L, C] at first sub-words, number of words filled with fill_tag)."""
    out, missing = [], 0
    for pos in first:
        if 0 <= pos < len(logits):
            out.append(labels[int(logits[pos].argmax())])
        else:
            out.append(fill_tag)
            missing += 1
    return out, missing
