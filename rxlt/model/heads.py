"""Task heads on a shared encoder, one per kind of task, all with the same interface.

Every head is an `nn.Module` with
- `forward(input_ids=None, attention_mask=None, inputs_embeds=None, token_type_ids=None, **extra)` -> logits
  tensor, where `extra` are the batch keys named in `forward_keys` (e.g. `num_choices`) and `token_type_ids`
  the segment ids of sentence pairs where the tokenizer makes them (rxlt.features.batching.uses_segments);
- `loss(outputs, batch)` -> scalar training loss;
- `task_loss(batch, inputs_embeds=None)` -> the loss on a collated batch, optionally with the word
  embeddings replaced by `inputs_embeds` (what the robust objectives perturb).
Inputs are always token rows [N, L] (multiple choice flattens examples × choices, QA uses one row per
context window), so embedding-space objectives work unchanged for every head.

Segment ids and the pooler, as google-research/xtreme@838c13b69daafb9328785d16caae2711e4012123 uses them for BERT:
- third_party/run_classify.py, run_squad.py and run_tag.py pass `token_type_ids` (the tokenizer's: 0 for the first
  segment, 1 for the second) for `model_type` bert and None for xlmr / xlm-roberta; run_xcopa.py passes what its
  tokenizer returns (AutoModelForMultipleChoice through HF's Trainer); run_retrieval_qa.py / run_retrieval_el.py
  pass `q_token_type_ids` / `a_token_type_ids` for bert-retrieval, None for xlmr-retrieval. rxlt passes segment
  ids exactly when the tokenizer makes them: mBERT's does, XLM-R's and the embedded e5's (XLM-R's SentencePiece
  vocabulary and template) do not — which is also how multilingual-e5 is used: its model card's usage
  (huggingface.co/intfloat/multilingual-e5-small, "Usage") encodes single "query: "/"passage: " texts and calls
  `model(**batch_dict)` on its XLM-R tokenizer's output, which has no token_type_ids, so e5 always sees type 0.
- run_classify.py's BertForSequenceClassification, run_xcopa.py's BertForMultipleChoice and third_party/bert.py's
  BertForRetrieval read `pooler_output` (the [CLS] state through BERT's pretrained dense+tanh pooler): pooling
  "pooler" here (mBERT's default, rxlt.model.aliases). Token-level heads (tagging, QA) read the token states.

Which objectives apply to which kind is rxlt.train.objectives.OBJECTIVE_KINDS.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from rxlt.data.kinds import TRAINABLE, normalize_kind

IGNORE = -100  # label of sub-word pieces and special tokens (ignored by the loss), as in HF token classification


POOLINGS = ("mean", "cls", "pooler")  # mean over real tokens; the first token's state; BERT's pooler_output


def check_pooling(pooling: str, encoder: nn.Module | None = None) -> None:
    if pooling not in POOLINGS:
        raise ValueError(f"pooling {pooling!r}: expected one of {', '.join(POOLINGS)}")
    if pooling == "pooler" and encoder is not None and getattr(encoder, "pooler", None) is None:
        raise ValueError("pooling 'pooler' needs an encoder with a pretrained pooler (BERT checkpoints such as mBERT); "
                         "this one has none (e5 is mean-pooled): use 'mean' or 'cls'")


def pool(outputs, attention_mask: torch.Tensor, pooling: str) -> torch.Tensor:
    """One vector per row from an encoder's outputs: mean over real tokens, the first token, or pooler_output."""
    if pooling == "pooler":
        return outputs.pooler_output
    hidden = outputs.last_hidden_state
    return hidden[:, 0] if pooling == "cls" else mean_pool(hidden, attention_mask)


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)


def token_mask(attention_mask: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """[B, L, 1] mask so perturbations never touch padding."""
    return attention_mask.unsqueeze(-1).to(like.dtype)


def word_embeddings(model, input_ids: torch.Tensor) -> torch.Tensor:
    return model.encoder.get_input_embeddings()(input_ids)


class TaskHead(nn.Module):
    """Encoder + dropout + one linear layer; subclasses say how logits are read and scored."""

    kind = ""
    forward_keys: tuple[str, ...] = ()

    def __init__(self, encoder: nn.Module, out_features: int, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.config.hidden_size, out_features)

    def encode(self, input_ids, attention_mask, inputs_embeds, token_type_ids=None, prefix_states=None):
        """The encoder's outputs; segment ids only where the batch has them (BERT-family tokenizers' pairs).
        `prefix_states`: the cached output of the encoder's frozen lower layers (rxlt.features.prefix_cache), from
        which only the layers above them run (rxlt.model.frozen_prefix)."""
        if prefix_states is not None:
            from rxlt.model.frozen_prefix import top_outputs

            return top_outputs(self.encoder, prefix_states, attention_mask)
        segments = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
        return self.encoder(input_ids=input_ids, attention_mask=attention_mask, inputs_embeds=inputs_embeds, **segments)

    def hidden(self, input_ids, attention_mask, inputs_embeds, token_type_ids=None) -> torch.Tensor:
        return self.encode(input_ids, attention_mask, inputs_embeds, token_type_ids).last_hidden_state

    def task_loss(self, batch: dict, inputs_embeds: torch.Tensor | None = None) -> torch.Tensor:
        extra = {k: batch[k] for k in self.forward_keys}
        if "token_type_ids" in batch:  # sentence pairs of BERT-family tokenizers (rxlt.features.batching)
            extra["token_type_ids"] = batch["token_type_ids"]
        if "prefix_states" in batch and inputs_embeds is None:  # cached frozen layers (perturbed inputs recompute them)
            extra["prefix_states"] = batch["prefix_states"]
        outputs = self(input_ids=None if inputs_embeds is not None else batch["input_ids"],
                       attention_mask=batch["attention_mask"], inputs_embeds=inputs_embeds, **extra)
        return self.loss(outputs, batch)

    def config(self) -> dict:
        """What `rxlt.model.checkpoint.load_model` needs to rebuild this head."""
        return {"kind": self.kind}


class SequenceClassifier(TaskHead):
    """Sentence / sentence-pair classification: pool (mean over real tokens for e5, which was trained that way;
    BERT's pretrained pooler for mBERT, as BertForSequenceClassification; the first token's state for other
    cls-pooled models), dropout, linear -> [N, labels]."""

    kind = "classification"

    def __init__(self, encoder: nn.Module, num_labels: int, pooling: str = "mean", dropout: float = 0.1):
        check_pooling(pooling, encoder)
        super().__init__(encoder, num_labels, dropout)
        self.pooling = pooling

    def forward(self, input_ids=None, attention_mask=None, inputs_embeds=None, token_type_ids=None,
                prefix_states=None) -> torch.Tensor:
        outputs = self.encode(input_ids, attention_mask, inputs_embeds, token_type_ids, prefix_states)
        return self.head(self.dropout(pool(outputs, attention_mask, self.pooling)))

    def loss(self, outputs, batch):
        return F.cross_entropy(outputs.float(), batch["labels"])

    def config(self) -> dict:
        return {"kind": self.kind, "pooling": self.pooling}


class ChoiceScorer(SequenceClassifier):
    """Multiple choice: one row per (premise/question, choice), pooled, a linear scorer -> one score per
    row, reshaped to [N, num_choices]; softmax over the choices (as HF's *ForMultipleChoice)."""

    kind = "multiple_choice"
    forward_keys = ("num_choices",)

    def __init__(self, encoder: nn.Module, pooling: str = "mean", dropout: float = 0.1):
        super().__init__(encoder, 1, pooling, dropout)

    def forward(self, input_ids=None, attention_mask=None, inputs_embeds=None, token_type_ids=None,
                num_choices=None) -> torch.Tensor:
        if num_choices is None:
            raise ValueError("multiple choice needs num_choices (rows are examples × choices)")
        return super().forward(input_ids, attention_mask, inputs_embeds, token_type_ids).view(-1, int(num_choices))


class TokenTagger(TaskHead):
    """Token classification: a label per token row position -> [N, L, labels]; only each word's first
    sub-word carries a label (the others are IGNORE), as in XTREME's run_tag / HF token classification."""

    kind = "tagging"

    def __init__(self, encoder: nn.Module, out_features: int, dropout: float = 0.1, tag_subword: str = "first"):
        super().__init__(encoder, out_features, dropout)
        self.tag_subword = tag_subword  # which sub-word carries a word's tag (rxlt.features.tagging)

    def config(self) -> dict:
        return {"kind": self.kind, "tag_subword": self.tag_subword}

    def forward(self, input_ids=None, attention_mask=None, inputs_embeds=None, token_type_ids=None) -> torch.Tensor:
        return self.head(self.dropout(self.hidden(input_ids, attention_mask, inputs_embeds, token_type_ids)))

    def loss(self, outputs, batch):
        return F.cross_entropy(outputs.float().flatten(0, 1), batch["labels"].flatten(), ignore_index=IGNORE)


class SpanExtractor(TaskHead):
    """Extractive QA: start and end logits per token -> [N, L, 2]; the loss averages the start and end
    cross-entropies (BERT/XTREME run_squad). Windows without the answer point both at position 0."""

    kind = "qa"

    def __init__(self, encoder: nn.Module, dropout: float = 0.1):
        super().__init__(encoder, 2, dropout)

    def forward(self, input_ids=None, attention_mask=None, inputs_embeds=None, token_type_ids=None) -> torch.Tensor:
        return self.head(self.dropout(self.hidden(input_ids, attention_mask, inputs_embeds, token_type_ids)))

    def loss(self, outputs, batch):
        logits = outputs.float()
        return (F.cross_entropy(logits[..., 0], batch["labels"][:, 0]) + F.cross_entropy(logits[..., 1], batch["labels"][:, 1])) / 2


def in_batch_softmax_loss(queries: torch.Tensor, candidates: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """In-batch sampled softmax of a dual encoder: row i's positive is candidate i, the other B-1 candidates of
    the batch are its negatives. logits = scale · cos(q_i, c_j) (inputs L2-normalised here), cross-entropy
    with targets 0..B-1 — google-research/xtreme@4fd68dc third_party/bert.py BertForRetrieval.forward."""
    q = F.normalize(queries.float(), p=2, dim=1)
    c = F.normalize(candidates.float(), p=2, dim=1)
    logits = (q @ c.T) * scale.float()
    return F.cross_entropy(logits, torch.arange(len(q), device=logits.device))


class LogitScale(nn.Module):
    """The dual encoder's one head parameter: the softmax scale on cosine similarities. xtreme@4fd68dc bert.py
    initialises `logit_scale` to 100.0 and trains it (upstream at the encoder's lr; here the head group's
    head_lr, rxlt.train.loop). Kept as `model.head` so save_model/load_model store it like any head."""

    def __init__(self, value: float = 100.0):
        super().__init__()
        self.logit_scale = nn.Parameter(torch.full((1,), float(value)))


class DualEncoder(TaskHead):
    """Retrieval dual encoder: ONE shared tower encodes queries and candidates (xtreme@4fd68dc bert.py calls the
    same `self.model()` for both), pooled (the model's `default_pooling`), L2-normalised;
    `forward` -> [B, B] scaled cosine logits, `loss` = in-batch softmax (in_batch_softmax_loss).

    Batches hold 2B token rows, the B queries first, then their B positive candidates (`num_queries` = B),
    so robust objectives perturb every row's word embeddings like any other head's.
    Upstream pools `outputs[1]`, BERT's `pooler_output` (the [CLS] state through the pretrained dense+tanh
    pooler): pooling "pooler" for mBERT, loaded with its pretrained pooler (rxlt.model.checkpoint). XLM-R's
    `cls` is the raw <s> state, e5's `mean` its own pooling (it has no pooler).
    `query_length` / `candidate_length`: max tokens per query / candidate, saved with the model so phase 3
    embeds with the lengths it was trained with.
    """

    kind = "retrieval"
    forward_keys = ("num_queries",)

    def __init__(self, encoder: nn.Module, pooling: str = "cls", query_length: int = 64, candidate_length: int = 64,
                 logit_scale: float = 100.0):
        check_pooling(pooling, encoder)
        nn.Module.__init__(self)  # no dropout/linear layer: upstream scores the pooled tower outputs directly
        self.encoder = encoder
        self.head = LogitScale(logit_scale)
        self.pooling, self.query_length, self.candidate_length = pooling, int(query_length), int(candidate_length)

    def embed(self, input_ids=None, attention_mask=None, inputs_embeds=None, token_type_ids=None) -> torch.Tensor:
        pooled = pool(self.encode(input_ids, attention_mask, inputs_embeds, token_type_ids), attention_mask, self.pooling)
        return F.normalize(pooled.float(), p=2, dim=1)

    def forward(self, input_ids=None, attention_mask=None, inputs_embeds=None, token_type_ids=None,
                num_queries=None) -> torch.Tensor:
        if num_queries is None:
            raise ValueError("the dual encoder needs num_queries (rows are B queries then their B candidates)")
        n = int(num_queries)
        emb = self.embed(input_ids, attention_mask, inputs_embeds, token_type_ids)
        if emb.shape[0] != 2 * n:
            raise ValueError(f"dual-encoder batch has {emb.shape[0]} rows; expected 2 × num_queries = {2 * n}")
        return (emb[:n] @ emb[n:].T) * self.head.logit_scale.float()

    def loss(self, outputs, batch):
        return F.cross_entropy(outputs.float(), torch.arange(outputs.shape[0], device=outputs.device))

    def config(self) -> dict:
        return {"kind": self.kind, "pooling": self.pooling, "query_length": self.query_length,
                "candidate_length": self.candidate_length}


def build_head(kind: str, encoder: nn.Module, labels: list[str] | None = None, pooling: str = "mean",
               dropout: float = 0.1, tag_subword: str = "first", lengths: tuple[int, int] | None = None) -> TaskHead:
    """A freshly initialised head of `kind` on `encoder` (labels for classification and tagging; `lengths` =
    (query, candidate) max tokens for the retrieval dual encoder)."""
    kind = normalize_kind(kind)
    if kind == "retrieval":
        return DualEncoder(encoder, pooling, *(lengths or (64, 64)))
    if kind == "classification":
        return SequenceClassifier(encoder, len(labels), pooling, dropout)
    if kind == "tagging":
        return TokenTagger(encoder, len(labels), dropout, tag_subword)
    if kind == "multiple_choice":
        return ChoiceScorer(encoder, pooling, dropout)
    if kind == "qa":
        return SpanExtractor(encoder, dropout)
    raise ValueError(f"unknown head kind {kind!r}; trainable kinds: {', '.join(TRAINABLE)}")
