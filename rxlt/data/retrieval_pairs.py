"""English (query, positive candidate) pairs the retrieval dual encoder trains on (rxlt.model.heads.DualEncoder).

Two training sets, named in rxlt.data.xtreme_tasks.RETRIEVAL_TRAINING_TASKS:
- `wikipedia-pairs` (Mewsli-X): one pair per MentionEntityPair line of wikipedia_pairs-{train,dev}.jsonl; the
  query is utils_mewslix's mention string, the candidate the entity description's sentences (rxlt.data.mewslix, as
  google-research/xtreme@66367fa third_party/processors/mewslix.py wikipedia_el_convert_example_to_features).
- `squad-retrieval` (LAReQA): SQuAD v1.1 questions paired with the sentence holding their first answer, in the
  context of its paragraph (xtreme@c168376 third_party/processors/lareqa.py RetrievalSquadProcessor
  ._create_examples: first answer only; a question whose answer starts in no sentence is skipped; the candidate
  is encoded as the pair (sentence, paragraph) with encode_plus — `candidate_context` here).

Frame columns: language, key (the query's id), query, candidate, candidate_context (or None), target (the
candidate's key: entity id, or `<paragraph>_<sentence>`; equal candidates share one key, so full-candidate dev
retrieval ranks each distinct candidate once).
"""
from __future__ import annotations

import re

import pandas as pd

COLUMNS = ["language", "key", "query", "candidate", "candidate_context", "target"]

# Upstream splits SQuAD paragraphs with processors/sb_sed.py infer_sentence_breaks (a sed-style breaker, F1 .9961
# on SQuAD per its docstring). Only its main rule is re-expressed here — a cut after [.?!] (plus closing quotes or
# brackets) and whitespace when the next sentence starts with an optional opening quote/bracket and an upper-case
# letter or digit; its abbreviation/initials re-joins and SQuAD-specific rules are not reproduced, so a few
# sentences (after "Dr.", "U.S." …) are cut where upstream keeps them whole.
_BREAK = re.compile(r"""[.?!][)'"\u201d]*\s+(?=\s*[\['"(\u201c]?[A-Z0-9])""")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the sentences of `text`, stripped of surrounding whitespace."""
    cuts, start = [], 0
    for m in _BREAK.finditer(text):
        cuts.append((start, m.end()))
        start = m.end()
    cuts.append((start, len(text)))
    spans = []
    for s, e in cuts:
        piece = text[s:e]
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        if e - trail > s + lead:
            spans.append((s + lead, e - trail))
    return spans


def squad_pairs(df: pd.DataFrame) -> pd.DataFrame:
    """SQuAD rows (question, context, answers, answer_starts, key) -> retrieval pairs (see the module docstring)."""
    rows, paragraph_ids = [], {}
    for r in df.itertuples(index=False):
        context = str(r.context)
        pid = paragraph_ids.setdefault(context, len(paragraph_ids) + 1)  # paragraph_id += 1 per paragraph upstream
        start = int(list(r.answer_starts)[0])  # "If a question has multiple answers, we only use the first."
        spans = sentence_spans(context)
        hit = next(((i, s, e) for i, (s, e) in enumerate(spans) if s <= start < e), None)
        if hit is None:  # "the sentence might break around the answer fragment. In that case, we skip the example."
            continue
        i, s, e = hit
        rows.append({"language": getattr(r, "language", "en"), "key": str(r.key), "query": str(r.question),
                     "candidate": context[s:e], "candidate_context": context, "target": f"{pid}_{i}"})
    return pd.DataFrame(rows, columns=COLUMNS)


def mention_pairs(df: pd.DataFrame) -> pd.DataFrame:
    """rxlt.data.xtreme_loader's Mewsli-X pair frame (query rows with `target` = entity id + candidate rows) -> pairs."""
    cands = df[df.role == "candidate"]
    text = dict(zip(cands.key.astype(str), cands.text))
    q = df[df.role == "query"]
    missing = sorted(set(q.target.astype(str)) - set(text))
    if missing:
        raise ValueError(f"Mewsli-X pairs: entities {missing[:5]} have no description row")
    return pd.DataFrame({"language": q.language.to_numpy(), "key": q.key.astype(str).to_numpy(),
                         "query": q.text.to_numpy(), "candidate": [text[str(t)] for t in q.target],
                         "candidate_context": None, "target": q.target.astype(str).to_numpy()}, columns=COLUMNS)


def examples(task: str, split: str) -> pd.DataFrame:
    """The English pairs of a retrieval training task's `split` (train | dev)."""
    from rxlt.data import xtreme_loader
    from rxlt.data.xtreme_tasks import RETRIEVAL_TRAINING_TASKS
    from rxlt.lookup import lookup

    spec = lookup(RETRIEVAL_TRAINING_TASKS, task, "retrieval training task")
    if split not in spec["splits"]:
        raise ValueError(f"{task} has no split {split!r}: it has {sorted(spec['splits'])} (English training pairs only)")
    rows = xtreme_loader.load(spec["source"], spec["splits"][split], ["en"])
    pairs = mention_pairs(rows) if spec["source"] == "mewslix" else squad_pairs(rows)
    return pairs.reset_index(drop=True)


def candidate_strings(rows: pd.DataFrame) -> list[str]:
    """The one string a retrieval candidate is encoded as at evaluation: LAReQA joins the answer sentence and its
    context with no separator, newlines removed — xtreme@66367fa third_party/evaluate_retrieval.py (task lareqa):
    `(candidate.sentence + candidate.context).replace("\\n", "")`, written one per line and read back with
    `.strip()` (tokenize_text); every other candidate is its text."""
    if "context" not in rows:
        return rows.text.astype(str).tolist()
    return [str(t) if c is None or (isinstance(c, float) and c != c) else (str(t) + str(c)).replace("\n", "").strip()
            for t, c in zip(rows.text, rows.context)]
