"""Extractive-QA features: question + context windows, answer spans as token positions, and back.

Contexts longer than `max_length` are cut into overlapping windows by the fast tokenizer
(`truncation="only_second"`, `return_overflowing_tokens`, `stride=doc_stride`, offsets mapping) as HF's
run_qa.py does. Note the meaning of doc_stride: here (as in HF run_qa) it is the number of context tokens
consecutive windows share; BERT's original run_squad.py advanced windows by doc_stride instead. Both use
128 with max length 384 (protocols.md §2.2 for 384; 128 is the run_squad/run_qa default).

Training windows label the answer's first and last token, or (0, 0) — the first token — when the answer is
not wholly inside the window. Prediction takes the `n_best` highest start and end logits of every window,
keeps spans inside the context with end ≥ start and at most `max_answer_length` tokens, picks the best
start+end score over all windows of a question and maps it back to the original context's characters
(n-best 20, max answer length 30: the run_squad defaults XTREME keeps, protocols.md §2.2).
Where the tokenizer makes segment ids (mBERT), windows carry them: question 0, context 1 (rxlt.features.batching).
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

from rxlt.features.batching import Encoded, uses_segments


@dataclass
class QAEncoded(Encoded):
    """One row per window; `labels` [N, 2] (start, end) token positions for training; `example[i]` the
    question row a window comes from; `offsets[i][t]` the (start, end) characters of context token t, or
    None for question/special tokens."""

    example: np.ndarray = None
    offsets: list[list[tuple[int, int] | None]] = None


def windows(tokenizer, questions: list[str], contexts: list[str], max_length: int, doc_stride: int):
    """(ids per window, question row per window, context-token character offsets per window — None for question
    and special tokens): a pure function of (tokenizer, questions, contexts, max_length, doc_stride), so cached
    on disk (rxlt.features.token_cache)."""
    from rxlt.features import token_cache

    def tokenize():
        enc = tokenizer(questions, contexts, truncation="only_second", max_length=max_length, stride=doc_stride,
                        return_overflowing_tokens=True, return_offsets_mapping=True)
        seqs = [enc.sequence_ids(i) for i in range(len(enc["input_ids"]))]
        # character offsets are >= 0, so -1 marks a position outside the context
        return {"input_ids": enc["input_ids"], "example": [[e] for e in enc["overflow_to_sample_mapping"]],
                "start": [[o[0] if s == 1 else -1 for o, s in zip(om, seq)] for om, seq in zip(enc["offset_mapping"], seqs)],
                "end": [[o[1] if s == 1 else -1 for o, s in zip(om, seq)] for om, seq in zip(enc["offset_mapping"], seqs)]}

    settings = {"max_length": max_length, "doc_stride": doc_stride, "truncation": "only_second"}
    f = token_cache.cached_features("qa", tokenizer, settings, list(zip(questions, contexts)),
                                    ("input_ids", "example", "start", "end"), tokenize)
    example = np.asarray([e[0] for e in f["example"]], dtype=np.int64)
    offsets = [[None if s < 0 else (s, e) for s, e in zip(starts, ends)] for starts, ends in zip(f["start"], f["end"])]
    return f["input_ids"], example, offsets


def encode_qa(tokenizer, questions: list[str], contexts: list[str], answer_starts: list[int] | None = None,
              answers: list[str] | None = None, max_length: int = 384, doc_stride: int = 128) -> QAEncoded:
    """Windows of every (question, context); with answers (first gold answer per question), span labels."""
    questions = [unicodedata.normalize("NFC", q).lstrip() for q in questions]
    contexts = [unicodedata.normalize("NFC", c) for c in contexts]
    input_ids, example, offsets = windows(tokenizer, questions, contexts, max_length, doc_stride)
    labels = None
    if answers is not None:
        labels = np.zeros((len(example), 2), dtype=np.int64)
        for i, ex in enumerate(example):
            start = answer_starts[ex]
            end = start + len(answers[ex])
            labels[i] = span_positions(offsets[i], start, end)
    # BERT-family tokenizers: question = segment 0, context (from its first token to the final separator) = 1, the
    # tokenizer's own token_type_ids (third_party/processors/squad.py@838c13b encode_plus(..., return_token_type_ids=True))
    starts = None
    if uses_segments(tokenizer):
        starts = [next((t for t, o in enumerate(row) if o is not None), len(row)) for row in offsets]
    return QAEncoded(input_ids, labels, tokenizer.pad_token_id, segment_starts=starts, example=example, offsets=offsets)


def span_positions(offsets: list, start_char: int, end_char: int) -> tuple[int, int]:
    """Token positions of the first and last token covering [start_char, end_char), or (0, 0) when the
    span is not wholly inside this window's context tokens."""
    ctx = [t for t, o in enumerate(offsets) if o is not None]
    if not ctx or offsets[ctx[0]][0] > start_char or offsets[ctx[-1]][1] < end_char:
        return 0, 0
    first = next(t for t in ctx if offsets[t][1] > start_char)
    last = next(t for t in reversed(ctx) if offsets[t][0] < end_char)
    return first, last


def best_answers(logits: list[np.ndarray], data: QAEncoded, contexts: list[str], n_best: int = 20,
                 max_answer_length: int = 30) -> list[str]:
    """Best answer text per question from per-window [L, 2] start/end logits (see the module docstring)."""
    contexts = [unicodedata.normalize("NFC", c) for c in contexts]
    best: dict[int, tuple[float, str]] = {}
    for i, lg in enumerate(logits):
        offsets = data.offsets[i][: len(lg)]
        starts = np.argsort(lg[:, 0])[::-1][:n_best]
        ends = np.argsort(lg[:, 1])[::-1][:n_best]
        ex = int(data.example[i])
        for s in starts:
            if offsets[s] is None:
                continue
            for e in ends:
                if offsets[e] is None or e < s or e - s + 1 > max_answer_length:
                    continue
                score = float(lg[s, 0] + lg[e, 1])
                if ex not in best or score > best[ex][0]:
                    best[ex] = (score, contexts[ex][offsets[s][0]: offsets[e][1]].strip())
    return [best.get(ex, (0.0, ""))[1] for ex in range(len(contexts))]
