"""Dual-encoder training features: each example is a (query, positive candidate) pair of token rows.

A batch of B examples collates to 2B padded rows — the B queries, then their B candidates — with
`num_queries` = B (rxlt.model.heads.DualEncoder). The LAReQA training candidate is the (answer sentence, paragraph)
pair, as google-research/xtreme@c168376 third_party/processors/lareqa.py encodes it (encode_plus(sentence_text,
paragraph_text, max_length=max_answer_length)); Mewsli-X candidates are single texts.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from rxlt.features.batching import Encoded, encode, pad_rows


class PairEncoded(Encoded):
    """`input_ids[i]` = [query token ids, candidate token ids] of example i."""

    def lengths(self):
        return np.fromiter((max(len(q), len(c)) for q, c in self.input_ids), dtype=np.int64, count=len(self.input_ids))

    def collate(self, index) -> dict[str, torch.Tensor]:
        index = list(index)
        rows = [self.input_ids[i][0] for i in index] + [self.input_ids[i][1] for i in index]
        starts = None
        if self.segment_starts is not None:  # queries are single texts; a (sentence, paragraph) candidate is a pair
            starts = [len(self.input_ids[i][0]) for i in index] + [self.segment_starts[i] for i in index]
        batch = pad_rows(rows, self.pad_id, starts)
        batch["num_queries"] = torch.tensor(len(index))
        return batch


def encode_pairs(tokenizer, rows: pd.DataFrame, query_length: int, candidate_length: int) -> PairEncoded:
    """Token ids of every (query, candidate[, candidate_context]) row, truncated to the two max lengths."""
    queries = encode(tokenizer, rows["query"].astype(str).tolist(), None, query_length).input_ids
    contexts = rows["candidate_context"] if "candidate_context" in rows else None
    if contexts is not None and contexts.notna().any():
        pairs = contexts.fillna("").astype(str).tolist()
        cands = encode(tokenizer, rows.candidate.astype(str).tolist(), None, candidate_length, text_pairs=pairs)
    else:
        cands = encode(tokenizer, rows.candidate.astype(str).tolist(), None, candidate_length)
    # segment ids of pair candidates for BERT (run_retrieval_qa.py@838c13b passes a_token_type_ids for bert-retrieval)
    return PairEncoded([[q, c] for q, c in zip(queries, cands.input_ids)], None, tokenizer.pad_token_id,
                       segment_starts=cands.segment_starts)
