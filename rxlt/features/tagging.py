"""Token-classification features: words -> sub-word rows, the label on each word's first sub-word.

As in XTREME's run_tag.py / HF token classification: the sentence is given as words
(`is_split_into_words`), the fast tokenizer's `word_ids()` says which word each sub-word comes from,
the first sub-word of a word carries its tag and every other position (continuation pieces, special
tokens) is IGNORE. Prediction reads the tag back at each word's first sub-word, so scripts that split
one word into many pieces (CJK, Thai, …) still get exactly one tag per word.

Long sentences are split, never truncated, so every word is tagged — google-research/xtreme@838c13b69daafb9328785d16caae2711e4012123
utils_preprocess.py `udpos_tokenize_preprocess` / `panx_tokenize_preprocess` (run by scripts/preprocess_udpos.sh
and preprocess_panx.sh with `--max_len 128` on train, dev and test), re-expressed:
- a word's sub-word count is that of the word alone (`len(tokenizer.tokenize(word))`; here the word's pieces
  under `is_split_into_words`, which tokenises each word on its own);
- the budget per example is max_length − special_tokens_count, 3 for XLM-R's tokenizer class
  (`isinstance(tokenizer, XLMRobertaTokenizer)`: run_tag.py's `sep_token_extra` rows end in two `</s>`) and 2
  otherwise (split_budget);
- a word with no sub-word, or with more than the budget, is replaced by the tokenizer's unknown token (one
  sub-word), so it is still tagged;
- greedily, words join the current example while its sub-words stay within the budget; the word that would
  overflow it starts a new example (split_words).
Each example is one token row here; prediction puts the rows of a sentence back together in order, as run_tag.py
`save_predictions` does with its `.idx` file, so the metric sees one tag per word of every original sentence
(sentence_tags; a word without a prediction is an error, never a filler tag). Differences from upstream, stated:
rxlt's XLM-R rows end in one `</s>` (the tokenizer's template), not two, so they have one unused position; and
English dev F1 for model selection is computed on the re-assembled sentences (run_tag.py's dev F1 is over the
split examples; its test predictions are re-assembled).

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
SPLIT_RULE = "xtreme-utils_preprocess@838c13b"  # names the splitting rule in the feature cache key


@dataclass
class TaggedEncoded(Encoded):
    """Sub-word rows (one per example; a long sentence gives several); `labels[i]` per position (IGNORE except
    first sub-words); `first[i][k]` = the position in row i of the first sub-word of the row's k-th word;
    `sentence[i]` = the sentence row i comes from and `word_start[i]` = the index of its first word there
    (None: one row per sentence, starting at word 0)."""

    first: list[list[int]] = None
    sentence: list[int] = None
    word_start: list[int] = None

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


def split_budget(tokenizer, max_length: int) -> int:
    """Sub-words per example: max_length − special_tokens_count of utils_preprocess.py@838c13b (3 for
    XLMRobertaTokenizer, else 2)."""
    from transformers import XLMRobertaTokenizer

    budget = max_length - (3 if isinstance(tokenizer, XLMRobertaTokenizer) else 2)
    if budget < 1:
        raise ValueError(f"max_length {max_length}: leaves no room for a sub-word next to the special tokens")
    return budget


def split_words(counts: list[int], budget: int) -> tuple[list[tuple[int, int]], list[int]]:
    """(word spans [start, end) of the examples, indices of words replaced by the unknown token) of one sentence
    whose words have `counts` sub-words — utils_preprocess.py@838c13b's rule: a word with 0 or > budget sub-words
    counts as one (the unknown token); a word that would take the example past `budget` starts the next one."""
    spans, unk, start, used = [], [], 0, 0
    for w, c in enumerate(counts):
        if c == 0 or c > budget:
            unk.append(w)
            c = 1
        if used + c > budget:
            spans.append((start, w))
            start, used = w, 0
        used += c
    if counts:
        spans.append((start, len(counts)))
    return spans, unk


def subword_rows(tokenizer, words: list[list[str]], max_length: int) -> dict[str, list]:
    """{input_ids, word_ids (the word's index in its sentence, or None), sentence, word_start} per example of
    word-split sentences, long ones split (split_words) — a pure function of (tokenizer, words, max_length), so
    cached on disk (rxlt.features.token_cache)."""
    from rxlt.features import token_cache

    budget = split_budget(tokenizer, max_length)

    def tokenize():
        whole = tokenizer(words, is_split_into_words=True) if words else None
        ids, wids, sentence, start = [], [], [], []
        pending = []  # (sentence, first word, the example's words): examples tokenised in a second call
        for i, sent in enumerate(words):
            counts = np.bincount(np.asarray([w for w in whole.word_ids(i) if w is not None], dtype=np.int64),
                                 minlength=len(sent)).tolist()
            spans, unk = split_words(counts, budget)
            if len(spans) == 1 and not unk:  # fits as it is: the whole-sentence row
                ids.append(whole["input_ids"][i])
                wids.append([-1 if w is None else w for w in whole.word_ids(i)])
                sentence.append(i)
                start.append(0)
                continue
            unk = set(unk)
            replaced = [tokenizer.unk_token if w in unk else word for w, word in enumerate(sent)]
            pending += [(i, a, replaced[a:b]) for a, b in spans]
        if pending:
            parts = tokenizer([p[2] for p in pending], is_split_into_words=True)
            for j, (i, a, _) in enumerate(pending):
                ids.append(parts["input_ids"][j])
                wids.append([-1 if w is None else w + a for w in parts.word_ids(j)])
                sentence.append(i)
                start.append(a)
        order = sorted(range(len(ids)), key=lambda r: (sentence[r], start[r]))  # sentence order, then word order
        return {"input_ids": [ids[r] for r in order], "word_ids": [wids[r] for r in order],
                "sentence": [[sentence[r]] for r in order], "word_start": [[start[r]] for r in order]}

    f = token_cache.cached_features("tagging", tokenizer, {"max_length": max_length, "split": SPLIT_RULE,
                                                           "budget": budget}, words,
                                    ("input_ids", "word_ids", "sentence", "word_start"), tokenize)
    return {"input_ids": f["input_ids"], "word_ids": [[None if w < 0 else w for w in row] for row in f["word_ids"]],
            "sentence": [s[0] for s in f["sentence"]], "word_start": [s[0] for s in f["word_start"]]}


def encode_tagging(tokenizer, tokens: list[list[str]], tags: list[list[str]] | None, label_index: dict,
                   max_length: int, position: str = "first") -> TaggedEncoded:
    """Encode word-split sentences (long ones as several rows); with `tags`, label each word's first (or
    first_content) sub-word."""
    if position not in SUBWORD_POSITIONS:
        raise ValueError(f"tag sub-word position {position!r}: expected one of {', '.join(SUBWORD_POSITIONS)}")
    words = [[unicodedata.normalize("NFC", w) for w in sent] for sent in tokens]
    if tags is not None:
        for i, sent_tags in enumerate(tags):
            if len(sent_tags) != len(words[i]):
                raise ValueError(f"row {i}: {len(words[i])} tokens but {len(sent_tags)} tags")
    rows = subword_rows(tokenizer, words, max_length)
    input_ids, sentence, word_start = rows["input_ids"], rows["sentence"], rows["word_start"]
    bare_id = tokenizer.convert_tokens_to_ids(BARE_PIECE) if position == "first_content" else None
    firsts = []
    for r, wids in enumerate(rows["word_ids"]):
        a = word_start[r]
        last = r + 1 == len(input_ids) or sentence[r + 1] != sentence[r]
        n = (len(words[sentence[r]]) if last else word_start[r + 1]) - a  # the row's words: up to the next row's first
        local = [None if w is None else w - a for w in wids]
        firsts.append(first_subwords(local, n, None if bare_id is None else [t == bare_id for t in input_ids[r]]))
    labels = None
    if tags is not None:
        labels = []
        for r, first in enumerate(firsts):
            row = [IGNORE] * len(input_ids[r])
            sent_tags = tags[sentence[r]]
            for k, pos in enumerate(first):
                if pos >= 0:
                    row[pos] = label_index[sent_tags[word_start[r] + k]]
            labels.append(row)
    return TaggedEncoded(input_ids, labels, tokenizer.pad_token_id, first=firsts, sentence=sentence,
                         word_start=word_start)


def word_tags(logits: np.ndarray, first: list[int], labels: list[str]) -> list[str]:
    """One tag per word of a row from its logits [L, C] at the words' first sub-words."""
    out = []
    for k, pos in enumerate(first):
        if not 0 <= pos < len(logits):
            raise ValueError(f"word {k} of a tagging row has no sub-word position ({pos}); every word must be tagged")
        out.append(labels[int(logits[pos].argmax())])
    return out


def sentence_tags(outputs: list[np.ndarray], data: TaggedEncoded, labels: list[str], lengths: list[int]) -> list[list[str]]:
    """Every sentence's predicted tags (sentences of `lengths` words) from its rows' logits, rows in word order
    (run_tag.py@838c13b save_predictions re-assembles split examples the same way). Raises where a sentence's
    words and its predicted tags differ in number, so no word is ever scored with a filler tag."""
    sentence = data.sentence or list(range(len(outputs)))
    tags: list[list[str]] = [[] for _ in lengths]
    for out, first, i in zip(outputs, data.first, sentence):
        tags[i].extend(word_tags(out, first, labels))
    for i, (t, n) in enumerate(zip(tags, lengths)):
        if len(t) != n:
            raise ValueError(f"sentence {i}: {n} words but {len(t)} predicted tags")
    return tags
