"""Token-classification features: words -> sub-word rows, the label on each word's first sub-word.

As in XTREME's run_tag.py / HF token classification: the sentence is given as words
(`is_split_into_words`), the fast tokenizer's `word_ids()` says which word each sub-word comes from,
the first sub-word of a word carries its tag and every other position (continuation pieces, special
tokens) is IGNORE. Prediction reads the tag back at each word's first sub-word, so scripts that split
one word into many pieces (CJK, Thai, …) still get exactly one tag per word. Words cut off by
`max_length` (or that tokenise to nothing) get `fill_tag` and are counted.

With XLM-R's SentencePiece vocabulary a word that does not start with a known "▁word" piece (most CJK and
Thai words) becomes a bare "▁" followed by its pieces. Position "first" puts the label on that "▁" —
exactly as XTREME's utils_tag.py does (label on `tokenizer.tokenize(word)[0]`), so scores stay
comparable; "first_content" puts it on the word's first piece with characters, which is the label
alignment that carries across scripts (on real UD ja/zh, 93%/85% of words start with a bare "▁").
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import torch

from rxlt.features.batching import Encoded, pad_rows
from rxlt.model.heads import IGNORE

SUBWORD_POSITIONS = ("first", "first_content")  # which sub-word of a word carries its tag
BARE_PIECE = "▁"  # SentencePiece's word-start marker alone: a piece with no characters of the word


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


def first_subwords(word_ids: list[int | None], n_words: int, bare: list[bool] | None = None) -> list[int]:
    """Position of each word's first sub-word (-1 if the word has no sub-word in the row). With `bare`
    (per position: the piece is a bare "▁"), a bare first piece is skipped when the word has another."""
    first = [-1] * n_words
    for pos, w in enumerate(word_ids):
        if w is None:
            continue
        if first[w] == -1:
            first[w] = pos
        elif bare is not None and bare[first[w]] and first[w] == pos - 1:
            first[w] = pos
    return first


def subword_rows(tokenizer, words: list[list[str]], max_length: int) -> tuple[list[list[int]], list[list[int | None]]]:
    """(sub-word ids, word index of every position or None) of word-split sentences, truncated to max_length —
    a pure function of (tokenizer, words, max_length), so cached on disk (rxlt.features.token_cache)."""
    from rxlt.features import token_cache

    def tokenize():
        enc = tokenizer(words, is_split_into_words=True, truncation=True, max_length=max_length)
        return {"input_ids": enc["input_ids"],
                "word_ids": [[-1 if w is None else w for w in enc.word_ids(i)] for i in range(len(words))]}

    f = token_cache.cached_features("tagging", tokenizer, {"max_length": max_length, "truncation": True}, words,
                                    ("input_ids", "word_ids"), tokenize)
    return f["input_ids"], [[None if w < 0 else w for w in row] for row in f["word_ids"]]


def encode_tagging(tokenizer, tokens: list[list[str]], tags: list[list[str]] | None, label_index: dict,
                   max_length: int, position: str = "first") -> TaggedEncoded:
    """Encode word-split sentences; with `tags`, label each word's first (or first_content) sub-word."""
    if position not in SUBWORD_POSITIONS:
        raise ValueError(f"tag sub-word position {position!r}: expected one of {', '.join(SUBWORD_POSITIONS)}")
    words = [[unicodedata.normalize("NFC", w) for w in sent] for sent in tokens]
    input_ids, word_ids = subword_rows(tokenizer, words, max_length)
    bare_id = tokenizer.convert_tokens_to_ids(BARE_PIECE) if position == "first_content" else None

    def bare(i):
        return None if bare_id is None else [t == bare_id for t in input_ids[i]]

    firsts = [first_subwords(word_ids[i], len(sent), bare(i)) for i, sent in enumerate(words)]
    labels = None
    if tags is not None:
        labels = []
        for i, (sent_tags, first) in enumerate(zip(tags, firsts)):
            if len(sent_tags) != len(words[i]):
                raise ValueError(f"row {i}: {len(words[i])} tokens but {len(sent_tags)} tags")
            row = [IGNORE] * len(input_ids[i])
            for w, pos in enumerate(first):
                if pos >= 0:
                    row[pos] = label_index[sent_tags[w]]
            labels.append(row)
    return TaggedEncoded(input_ids, labels, tokenizer.pad_token_id, first=firsts)


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
