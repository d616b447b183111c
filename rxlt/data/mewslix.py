"""Mewsli-X records and the query / candidate strings XTREME-R builds from them.

Sources (read through the code index; cite with these commits):
- google-research/xtreme@66367fa3275ada6b285950f6dac4ccdaa2ff1649 `third_party/utils_mewslix.py` (the schema
  dataclasses, `preprocess_mention`, `preprocess_entity_description`, `evaluate` = MRR@20) and
  `third_party/evaluate_retrieval.py` (task `mewslix`: candidates = every line of
  candidate_set_entities.jsonl, queries = the unnested mentions of wikinews_mentions-*.jsonl per
  `context.language`) and `third_party/processors/mewslix.py` (training on wikipedia_pairs-{train,dev}.jsonl,
  one MentionEntityPair per line).
- google-research/google-research@47071fbe61ad850e4ea27b269e55c5a9b9378cb3
  `dense_representations_for_entity_retrieval/mel/mewsli-x.md` (file list, field names; the Wikipedia pairs
  are English, the WikiNews mentions cover ar de en es fa ja pl ro ta tr uk).

File formats (one JSON object per line):
- candidate_set_entities.jsonl: Entity {entity_id, title, description, sentence_spans [{start, end}],
  description_language, description_url}.
- wikinews_mentions-{dev,test}.jsonl: ContextualMentions {context {document_id, document_url, document_title,
  language, text, sentence_spans}, mentions [{example_id, entity_id, mention_span {start, end, text}}]}.
  The released `wikinews_mentions_no_text-*` files have an empty `context.text`; get-mewsli-x.sh restores it.
- wikipedia_pairs-{train,dev}.jsonl: MentionEntityPair {contextual_mention {context, mention}, entity}.
"""
from __future__ import annotations

import re

from rxlt.data.readers import DataFileError

# utils_mewslix: marker symbols around the mention; pre-existing "{...}" in the context become "(...)"
_MARKED = re.compile(r"\{(.*?)\}")
TOP_K = 20  # utils_mewslix.TOP_K: "capped at evaluating the top-K retrieved entities"


def _normalize(text: str) -> str:
    # utils_mewslix: `" ".join(s.splitlines()).replace("  ", " ").strip()` — one pass, not a full collapse
    return " ".join(text.splitlines()).replace("  ", " ").strip()


def _spans(obj: dict, where: str, text: str) -> list[tuple[int, int]]:
    """Span.from_json + validate_offsets_relative_to_context: 0 <= start < end, start < len, end <= len."""
    out = []
    for sp in obj.get("sentence_spans", []):
        try:
            s, e = int(sp["start"]), int(sp["end"])
        except (KeyError, TypeError, ValueError):
            raise DataFileError(f"{where}: sentence span {sp!r} is not {{'start': int, 'end': int}}") from None
        if not (0 <= s < e) or s >= len(text) or e > len(text):
            raise DataFileError(f"{where}: sentence span ({s}, {e}) is out of bounds for a text of {len(text)} "
                                f"characters" + (" (empty text: run get-mewsli-x.sh to restore the WikiNews text)"
                                                 if not text else ""))
        out.append((s, e))
    return out


def mention_query(context: dict, mention: dict, where: str) -> str:
    """utils_mewslix.preprocess_mention: the sentence holding the mention (truncate(window_size=0)), the mention
    wrapped in " { ... } " and prepended as "mention: ", escaped and normalised exactly as upstream."""
    try:
        text = context["text"]
        span = mention["mention_span"]
        start, end, surface = int(span["start"]), int(span["end"]), span["text"]
    except (KeyError, TypeError, ValueError) as exc:
        raise DataFileError(f"{where}: expected context.text and mention.mention_span {{start, end, text}} "
                            f"({type(exc).__name__}: {exc})") from None
    spans = _spans(context, where, text)
    if text[start:end] != surface:  # TextSpan.validate_relative_to_context
        hint = " (empty context.text: run get-mewsli-x.sh to restore the WikiNews text)" if not text else ""
        raise DataFileError(f"{where}: mention_span text {surface!r} != context.text[{start}:{end}] "
                            f"{text[start:end]!r}{hint}")
    # Span.locate_in: the first sentence that fully contains the mention
    focus = next(((s, e) for s, e in spans if s <= start < e and s < end <= e), None)
    if focus is None:
        raise DataFileError(f"{where}: mention ({start}, {end}) lies in no single sentence span; utils_mewslix "
                            f"cannot build its query (preprocess_mention asserts one)")
    left = _MARKED.sub(r"(\1)", text[focus[0]:start])
    right = _MARKED.sub(r"(\1)", text[end:focus[1]])
    return _normalize(f"{surface}: {left} {{ {surface} }} {right}")


def entity_text(entity: dict, where: str) -> str:
    """utils_mewslix.preprocess_entity_description: the description's sentences joined by one space."""
    try:
        description = entity["description"]
    except (KeyError, TypeError):
        raise DataFileError(f"{where}: expected an Entity with a 'description'") from None
    return _normalize(" ".join(description[s:e] for s, e in _spans(entity, where, description)))


ENTITY_FIELDS = ["entity_id", "title", "description", "sentence_spans", "description_language", "description_url"]


def candidate_rows(entities, path) -> list[dict]:
    """Candidate rows in file order (evaluate_retrieval.py indexes candidates by position); an entity id that
    occurs twice keeps its first description (Mewsli-X 20220518_6 ensures a 1:1 mapping). `entities`: Entity
    dicts, or (line number, Entity) pairs as rxlt.data.readers.iter_jsonl streams them."""
    rows, seen = [], set()
    for no, ent in (entities if not isinstance(entities, list) else enumerate(entities, start=1)):
        if ent["entity_id"] in seen:
            continue
        seen.add(ent["entity_id"])
        rows.append({"language": ent.get("description_language", ""), "key": str(ent["entity_id"]),
                     "role": "candidate", "text": entity_text(ent, f"{path}:{no}"), "title": ent.get("title", "")})
    return rows


def wikinews_queries(records: list[dict], path, languages) -> list[dict]:
    """ContextualMentions.unnest_to_single_mention_per_context: one query per mention, in file order."""
    rows = []
    for no, rec in enumerate(records, start=1):
        where = f"{path}:{no}"
        if "mentions" not in rec or not isinstance(rec.get("context"), dict):
            raise DataFileError(f"{where}: expected a ContextualMentions object {{context, mentions: [...]}} "
                                f"(wikinews_mentions-*.jsonl); got keys {sorted(rec)}")
        ctx = rec["context"]
        if languages is not None and ctx.get("language") not in languages:
            continue
        for m in rec["mentions"]:
            rows.append(_query_row(ctx, m, where))
    return rows


def pair_rows(records: list[dict], path) -> list[dict]:
    """MentionEntityPair lines (wikipedia_pairs-*.jsonl): a query per mention, its entity as the candidate."""
    rows, entities = [], []
    for no, rec in enumerate(records, start=1):
        where = f"{path}:{no}"
        cm, ent = rec.get("contextual_mention"), rec.get("entity")
        if not isinstance(cm, dict) or not isinstance(ent, dict) or "mention" not in cm or "context" not in cm:
            raise DataFileError(f"{where}: expected a MentionEntityPair {{contextual_mention: {{context, mention}}, "
                                f"entity}} (wikipedia_pairs-*.jsonl); got keys {sorted(rec)}")
        if cm["mention"].get("entity_id") != ent.get("entity_id"):
            raise DataFileError(f"{where}: mention entity_id {cm['mention'].get('entity_id')!r} differs from the "
                                f"paired entity's {ent.get('entity_id')!r}")
        rows.append(_query_row(cm["context"], cm["mention"], where))
        entities.append(ent)
    missing = [k for k in ENTITY_FIELDS[:3] if any(k not in e for e in entities)]
    if missing:
        raise DataFileError(f"{path}: entities lack {missing}; expected Entity fields {ENTITY_FIELDS}")
    return rows + candidate_rows(entities, path)


def _query_row(ctx: dict, m: dict, where: str) -> dict:
    for k in ("example_id", "entity_id", "mention_span"):
        if k not in m:
            raise DataFileError(f"{where}: mention lacks {k!r}; expected example_id, entity_id, mention_span")
    return {"language": ctx.get("language", ""), "key": str(m["example_id"]), "role": "query",
            "text": mention_query(ctx, m, where), "target": str(m["entity_id"])}
