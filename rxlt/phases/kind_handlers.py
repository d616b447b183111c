"""What each kind of task needs from the training and evaluation phases, one class per kind.

A kind turns a frame in the data contract's schema (CONTRACT: classification `text`/`text_pair`/`label`;
multiple_choice `premise`/`question`/`choices`/`label`; tagging `tokens`/`tags`; qa `question`/`context`/
`answers`/`answer_starts`; retrieval training pairs `query`/`candidate`/`target`) into features for its head
(rxlt.model.heads), scores a model on English dev for model selection, and predicts and scores test items per
language with rxlt.scoring.metrics: accuracy (classification, multiple choice), seqeval F1 over every word of every
sentence (tagging; long sentences split into several rows and put back together, rxlt.features.tagging), SQuAD
exact match and F1 with their mean as the headline score (qa; XTREME-R's avg_metric, protocols.md §2.1).
Retrieval test sets are scored by rxlt.phases.evaluate's `_retrieval` (queries against a candidate pool).

`settings` is any object with max_length, qa_max_length, doc_stride, n_best, max_answer_length,
batch_size, precision and retrieval_lengths (run_settings builds it from a phase config).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from rxlt.data.kinds import normalize_kind
from rxlt.features.batching import encode_frame
from rxlt.features.choices import encode_choices
from rxlt.features.qa import best_answers, encode_qa
from rxlt.features.tagging import encode_tagging, sentence_tags
from rxlt.scoring.prediction import predict_outputs


class ClassificationKind:
    metric = "accuracy"
    headline = "accuracy"  # the key of `score(...)` that model selection and summaries use
    columns = ("text", "label")

    def encode(self, tokenizer, df, labels, settings, train: bool = True):
        return encode_frame(tokenizer, df, {label: i for i, label in enumerate(labels)}, settings.max_length)

    def predict(self, model, tokenizer, df, labels, settings, desc=None) -> pd.DataFrame:
        out = predict_outputs(model, self.encode(tokenizer, df, labels, settings), settings.batch_size, settings.precision, desc)
        pred = [labels[int(o.argmax())] for o in out]
        return df.assign(prediction=pred, correct=(np.asarray(pred, dtype=object) == df.label.to_numpy()).astype(int))

    def score(self, predictions: pd.DataFrame) -> dict:
        return {"accuracy": float(predictions.correct.mean()) if len(predictions) else float("nan")}

    def item_score(self, predictions: pd.DataFrame):
        """Per-item values whose mean is the headline score (for bootstrap intervals), or None."""
        return predictions.correct.to_numpy(dtype=float)


class MultipleChoiceKind(ClassificationKind):
    columns = ("premise", "question", "choices", "label")

    def encode(self, tokenizer, df, labels, settings, train: bool = True):
        return encode_choices(tokenizer, df, settings.max_length, with_labels=train)

    def predict(self, model, tokenizer, df, labels, settings, desc=None) -> pd.DataFrame:
        out = predict_outputs(model, self.encode(tokenizer, df, labels, settings, train=False), settings.batch_size,
                              settings.precision, desc)
        pred = np.array([int(o.argmax()) for o in out], dtype=int)
        return df.assign(prediction=pred, correct=(pred == df.label.astype(int).to_numpy()).astype(int))


class TaggingKind:
    metric = "seqeval_f1"
    headline = "f1"
    columns = ("tokens", "tags")

    def encode(self, tokenizer, df, labels, settings, train: bool = True, position: str | None = None):
        index = {label: i for i, label in enumerate(labels)}
        return encode_tagging(tokenizer, [list(t) for t in df.tokens], [list(t) for t in df.tags] if train else None,
                              index, settings.max_length, position or settings.tag_subword)

    def predict(self, model, tokenizer, df, labels, settings, desc=None) -> pd.DataFrame:
        """One row per sentence: every word's predicted tag (a long sentence's token rows put back together,
        rxlt.features.tagging.sentence_tags) and `token_rows`, how many rows the sentence took."""
        # the position the model was trained with (head.json), whatever the evaluating phase's settings say
        data = self.encode(tokenizer, df, labels, settings, train=False, position=model.tag_subword)
        out = predict_outputs(model, data, settings.batch_size, settings.precision, desc)
        tags = sentence_tags(out, data, labels, [len(t) for t in df.tokens])
        return df.assign(prediction=tags, token_rows=np.bincount(np.asarray(data.sentence, dtype=np.int64),
                                                                 minlength=len(df)).tolist())

    def score(self, predictions: pd.DataFrame) -> dict:
        from rxlt.scoring.metrics import seqeval_f1

        gold = [list(t) for t in predictions.tags]
        pred = [list(t) for t in predictions.prediction]
        words = sum(len(t) for t in gold)
        return {"f1": float(seqeval_f1(pred, gold)) if len(gold) else float("nan"), "words": int(words),
                "sentences_split": int((predictions.token_rows > 1).sum()) if "token_rows" in predictions else 0}

    def item_score(self, predictions: pd.DataFrame):
        return None  # seqeval F1 is a corpus-level score, not a mean over sentences


class QAKind:
    metric = "squad_em_f1_mean"
    headline = "score"
    columns = ("question", "context", "answers", "answer_starts")

    def encode(self, tokenizer, df, labels, settings, train: bool = True):
        answers = [a[0] for a in df.answers] if train else None
        starts = [int(s[0]) for s in df.answer_starts] if train else None
        return encode_qa(tokenizer, df.question.tolist(), df.context.tolist(), starts, answers,
                         settings.qa_max_length, settings.doc_stride)

    def predict(self, model, tokenizer, df, labels, settings, desc=None) -> pd.DataFrame:
        from rxlt.scoring.metrics import squad_scores

        data = self.encode(tokenizer, df, labels, settings, train=False)
        out = predict_outputs(model, data, settings.batch_size, settings.precision, desc)
        pred = best_answers(out, data, df.context.tolist(), settings.n_best, settings.max_answer_length)
        em, f1 = [], []
        # MLQA's per-language normalisation only where the task's metric is "mlqa" (rxlt.scoring.metrics)
        langs = df.language if getattr(settings, "mlqa", False) else [None] * len(df)
        for p, gold, lang in zip(pred, df.answers, langs):
            s = squad_scores({"q": p}, {"q": list(gold)}, language=lang)
            em.append(float(s["exact_match"]))
            f1.append(float(s["f1"]))
        return df.assign(prediction=pred, exact_match=em, f1=f1, score=(np.asarray(em) + np.asarray(f1)) / 2)

    def score(self, predictions: pd.DataFrame) -> dict:
        if not len(predictions):
            return {"exact_match": float("nan"), "f1": float("nan"), "score": float("nan")}
        em, f1 = float(predictions.exact_match.mean()), float(predictions.f1.mean())
        return {"exact_match": em, "f1": f1, "score": (em + f1) / 2}

    def item_score(self, predictions: pd.DataFrame):
        return predictions.score.to_numpy(dtype=float)


class RetrievalKind:
    """Dual-encoder training on (query, positive candidate) pairs (rxlt.features.pairs, rxlt.model.heads.DualEncoder).

    English dev selection: full-candidate retrieval over the dev pairs — every dev query ranks all distinct dev
    candidates (by `target`) by cosine, MRR@20 (= mAP@20 with one gold candidate). Upstream logs the mean in-batch
    loss on wikipedia_pairs-dev (xtreme@66367fa run_retrieval_el.py evaluate: "Current only returning the average
    loss") and chose the learning rate on it; a ranking score over the whole dev pool does not depend on how dev
    pairs fall into batches, and is the test metric's own form. Test-language evaluation is phase 3's `_retrieval`.
    """

    metric = "mrr_at_20"
    headline = "mrr_at_20"
    columns = ("query", "candidate", "target")

    def encode(self, tokenizer, df, labels, settings, train: bool = True):
        from rxlt.features.pairs import encode_pairs

        return encode_pairs(tokenizer, df, *settings.retrieval_lengths)

    def predict(self, model, tokenizer, df, labels, settings, desc=None) -> pd.DataFrame:
        from rxlt.scoring.metrics import mrr_at_k
        from rxlt.scoring.retrieval import embed, ranked_keys

        pool = df.drop_duplicates("target")
        pairs = None
        if "candidate_context" in pool and pool.candidate_context.notna().any():
            pairs = pool.candidate_context.fillna("").astype(str).tolist()
        q = embed(model.encoder, tokenizer, df["query"].astype(str).tolist(), 0, model.pooling, model.query_length,
                  settings.batch_size, settings.precision)
        c = embed(model.encoder, tokenizer, pool.candidate.astype(str).tolist(), 0, model.pooling,
                  model.candidate_length, settings.batch_size, settings.precision, text_pairs=pairs)
        ranked = ranked_keys(q, c, pool.target.astype(str).tolist(), 20)  # TOP_K of utils_mewslix / utils_lareqa
        rr = [mrr_at_k([r], [{str(t)}], 20) for r, t in zip(ranked, df.target)]
        return df.assign(top1=[r[0] if r else "" for r in ranked], rr_at_20=rr)

    def score(self, predictions: pd.DataFrame) -> dict:
        return {"mrr_at_20": float(predictions.rr_at_20.mean()) if len(predictions) else float("nan")}

    def item_score(self, predictions: pd.DataFrame):
        return predictions.rr_at_20.to_numpy(dtype=float)


KIND_HANDLERS = {
    "classification": ClassificationKind(),
    "multiple_choice": MultipleChoiceKind(),
    "tagging": TaggingKind(),
    "qa": QAKind(),
    "retrieval": RetrievalKind(),
}


def handler(kind: str):
    kind = normalize_kind(kind)
    if kind not in KIND_HANDLERS:
        raise ValueError(f"unknown task kind {kind!r}; known: {', '.join(KIND_HANDLERS)}")
    return KIND_HANDLERS[kind]


def headline(kind: str, scores: dict) -> float:
    """The one number model selection and summaries use: accuracy, seqeval F1, (EM+F1)/2 or MRR@20 (retrieval dev)."""
    return scores[handler(kind).headline]


def dev_scorer(kind: str, tokenizer, df: pd.DataFrame, labels, settings):
    """model -> English dev score (higher is better) for train_streams' model selection."""
    h = handler(kind)

    def score(model) -> float:
        return float(headline(kind, h.score(h.predict(model, tokenizer, df, labels, settings))))

    return score


def task_examples(task: str, split: str, languages=None) -> pd.DataFrame:
    """A task's rows in the contract schema: through rxlt.data.catalog where it knows the task, else (XTREME-R
    tasks of other kinds than classification) straight from rxlt.data.xtreme_loader (train/dev = English)."""
    from rxlt.data import catalog
    from rxlt.data.xtreme_tasks import RETRIEVAL_TRAINING_TASKS

    if task in catalog.known_tasks():
        return catalog.examples(task, split, languages)
    if task in RETRIEVAL_TRAINING_TASKS:  # English (query, candidate) pairs of the dual encoder
        from rxlt.data.retrieval_pairs import examples

        return examples(task, split)
    from rxlt.data import xtreme_loader

    return xtreme_loader.load(task, split, [catalog.SOURCE_LANGUAGE] if split == "dev" else languages)


def task_labels(task: str) -> list[str] | None:
    from rxlt.data import catalog

    if task in catalog.known_tasks():
        return catalog.labels(task) or None
    from rxlt.data.xtreme_tasks import RETRIEVAL_TRAINING_TASKS, xtreme_task

    if task in RETRIEVAL_TRAINING_TASKS:
        return None

    return xtreme_task(task)["labels"]


def evaluation_languages(task: str) -> list[str]:
    from rxlt.data import catalog

    if task in catalog.known_tasks():
        return catalog.evaluation_languages(task)
    from rxlt.data import xtreme_loader
    from rxlt.data.xtreme_tasks import xtreme_task

    spec = xtreme_task(task)
    root = xtreme_loader._root(None)
    if root is not None and spec["local"].get("format") == "mewslix":
        # one wikinews_mentions-test.jsonl holds every language: the languages of its contexts that have mentions,
        # read from that file alone (the ~0.5 GB candidate set is not needed to know them)
        from rxlt.data.readers import iter_jsonl

        files = xtreme_loader._find(root, spec["local"]["test"], "en")
        if files:
            present = {obj["context"].get("language") for _, obj in iter_jsonl(files[0], ["context", "mentions"])
                       if isinstance(obj["context"], dict) and obj["mentions"]}
            return [lg for lg in spec["languages"] if lg in present]
    found = xtreme_loader._available_languages(spec, "test", root) if root is not None and "test" in spec["local"] else []
    return found or list(spec["languages"])


def run_settings(cfg, task: str, batch_size: int):
    """The feature and decoding settings of a phase config, for `task` (MLQA normalisation when its metric says so)."""
    from types import SimpleNamespace

    try:
        from rxlt.data.xtreme_tasks import RETRIEVAL_TRAINING_TASKS, XTREME_TASKS
    except ImportError:
        XTREME_TASKS = RETRIEVAL_TRAINING_TASKS = {}
    spec = RETRIEVAL_TRAINING_TASKS.get(task, {})
    return SimpleNamespace(max_length=cfg.max_length, qa_max_length=cfg.qa_max_length, doc_stride=cfg.doc_stride,
                           n_best=cfg.n_best, max_answer_length=cfg.max_answer_length, batch_size=batch_size,
                           tag_subword=getattr(cfg, "tag_subword", "first"),
                           precision=cfg.precision, mlqa=XTREME_TASKS.get(task, {}).get("metric") == "mlqa",
                           # dual encoder: (query, candidate) max tokens of the task (rxlt.data.xtreme_tasks, cited there)
                           # (0 in the config = that default)
                           retrieval_lengths=(getattr(cfg, "retrieval_query_length", 0) or spec.get("query_length", 64),
                                              getattr(cfg, "retrieval_candidate_length", 0)
                                              or spec.get("candidate_length", 64)))


def check_columns(kind: str, df: pd.DataFrame, where: str) -> None:
    missing = [c for c in handler(kind).columns if c not in df]
    if missing:
        raise ValueError(f"{where}: {kind} rows need columns {list(handler(kind).columns)}; missing {missing} "
                         f"(have {list(df.columns)})")
