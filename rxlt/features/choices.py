"""Multiple-choice features: one (context, choice) sentence pair per choice, grouped per example.

The first segment is the premise (SIQA/CosmosQA: context, HellaSwag: context, CommonsenseQA: empty),
the second the question followed by the choice. COPA/XCOPA questions are the words "cause"/"effect";
they are spelt out as questions (jiant's COPA formulation) so the model reads which relation is asked.
Rows are flattened to examples × choices when batched; `num_choices` goes with the batch. Where the tokenizer makes
segment ids (mBERT), the two parts are segments 0 and 1 (rxlt.features.batching), as the tokenizer gives them.

Not upstream's layout: google-research/xtreme@838c13b69daafb9328785d16caae2711e4012123 third_party/run_xcopa.py
`preprocess_function` puts the question with the premise in the first segment (XCOPA: f"{premise} What was the
{question}?", SIQA: f"{context} {question}") and the choice alone in the second. XCOPA/SIQA scores are therefore
not claimed to be XTREME's to the input; with mBERT the segment boundary falls elsewhere too.
"""
from __future__ import annotations

import pandas as pd
import torch

from rxlt.features.batching import Encoded, encode, pad_rows

COPA_QUESTIONS = {"cause": "What was the cause?", "effect": "What happened as a result?"}


class ChoiceEncoded(Encoded):
    """`input_ids[i]` is a list of `num_choices` token rows for example i."""

    def __init__(self, input_ids, labels, pad_id, num_choices: int):
        super().__init__(input_ids, labels, pad_id)
        self.num_choices = num_choices

    def lengths(self):
        import numpy as np

        return np.fromiter((max(len(r) for r in x) for x in self.input_ids), dtype=np.int64, count=len(self.input_ids))

    def collate(self, index) -> dict[str, torch.Tensor]:
        starts = None if self.segment_starts is None else [s for i in index for s in self.segment_starts[i]]
        batch = pad_rows([row for i in index for row in self.input_ids[i]], self.pad_id, starts)
        batch["num_choices"] = torch.tensor(self.num_choices)
        if self.labels is not None:
            batch["labels"] = torch.as_tensor(self.labels[list(index)])
        return batch


def encode_choices(tokenizer, rows: pd.DataFrame, max_length: int, with_labels: bool = True) -> ChoiceEncoded:
    """Encode a multiple-choice frame (premise, question, choices, label) — all rows the same number of choices."""
    counts = rows.choices.map(len)
    if counts.nunique() > 1:
        raise ValueError(f"multiple-choice rows must have the same number of choices; got {sorted(counts.unique())}")
    n = int(counts.iloc[0]) if len(rows) else 2
    firsts, seconds = [], []
    for r in rows.itertuples():
        question = COPA_QUESTIONS.get(str(r.question), str(r.question or ""))
        for choice in r.choices:
            firsts.append(str(r.premise or ""))
            seconds.append(f"{question} {choice}".strip())
    flat = encode(tokenizer, firsts, None, max_length, text_pairs=seconds)
    grouped = [flat.input_ids[i * n: (i + 1) * n] for i in range(len(rows))]
    labels = rows.label.astype(int).to_numpy() if with_labels else None
    out = ChoiceEncoded(grouped, labels, tokenizer.pad_token_id, n)
    if flat.segment_starts is not None:  # BERT-family tokenizers: (premise, question + choice) as segments 0 / 1
        out.segment_starts = [flat.segment_starts[i * n: (i + 1) * n] for i in range(len(rows))]
    return out
