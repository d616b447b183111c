"""Parsers for the XTREME-R file formats; each returns plain row dicts and names file + line on bad input.

Formats (what google-research/xtreme's scripts/download_data.sh + utils_preprocess.py write, and the
upstream releases):
- tsv pairs: `text<TAB>text_pair<TAB>label`, no header (XTREME xnli/ and pawsx/); upstream XNLI-1.0
  `xnli.{dev,test}.tsv` and XNLI-MT `multinli.train.en.tsv`, PAWS-X `x-final/<lang>/*.tsv` have headers.
- token tsv: `token<TAB>tag` per line, blank line between sentences (XTREME udpos/ and panx/; raw PAN-X
  `<lang>-<split>` files prefix tokens with `<lang>:`).
- CoNLL-U: 10 tab-separated columns, UPOS in column 4; multiword-token ranges (`1-2`) and empty nodes
  (`1.1`) are skipped, so the tokens are the syntactic words.
- SQuAD v1.1 JSON: data → paragraphs → qas → answers.
- JSON lines (XCOPA, Mewsli-X).
"""
from __future__ import annotations

import csv
import json
from pathlib import Path


class DataFileError(ValueError):
    """A data file is malformed: the message names the file, the line and what was expected."""


def _lines(path: Path):
    try:
        with open(path, encoding="utf-8", newline="") as f:
            for no, line in enumerate(f, start=1):
                yield no, line.rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{path}: not UTF-8 text ({exc})") from None


def _normalize_label(label: str) -> str:
    # utils_preprocess.py:xnli_preprocess writes "contradiction" for XNLI's "contradictory"
    return "contradiction" if label == "contradictory" else label


def _unquote(field: str) -> str:
    # utils_preprocess.py writes these files with csv.writer(delimiter="\t"), which quotes a field holding '"'
    if len(field) >= 2 and field[0] == field[-1] == '"':
        return field[1:-1].replace('""', '"')
    return field


def pair_tsv(path: Path, labels: list[str], label_map: dict | None = None) -> list[dict]:
    """Headerless `text<TAB>text_pair<TAB>label` (XTREME layout); key = 0-based line number.

    XTREME writes the translations of one item on the same line of every dev-<lang>.tsv (XNLI/PAWS-X
    dev/test are parallel), so the line number is the cross-language item key."""
    rows = []
    for no, line in _lines(path):
        if not line.strip():
            continue
        cols = line.split("\t")
        if len(cols) == 2:
            raise DataFileError(f"{path}:{no}: 2 columns (text, text_pair) and no label — download_data.sh "
                                f"removes test labels; use the upstream release or the hub for labelled test data")
        if len(cols) != 3:
            raise DataFileError(f"{path}:{no}: expected 3 tab-separated columns (text, text_pair, label), got {len(cols)}")
        label = _normalize_label(cols[2].strip())
        label = (label_map or {}).get(label, label)
        if label not in labels:
            raise DataFileError(f"{path}:{no}: label {cols[2]!r} is not one of {labels}")
        rows.append({"key": str(len(rows)), "text": _unquote(cols[0]), "text_pair": _unquote(cols[1]), "label": label})
    return rows


def headed_tsv(path: Path, columns: dict[str, str], labels: list[str], label_map: dict | None = None,
               key: str | None = None, filter_column: tuple[str, str] | None = None) -> list[dict]:
    """A TSV with a header row (upstream XNLI-1.0, XNLI-MT, PAWS-X x-final). `columns` maps our names to the
    header's; `filter_column` keeps rows whose column equals a value (XNLI's `language`)."""
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if header is None:
            raise DataFileError(f"{path}:1: empty file, expected a header row")
        need = list(columns.values()) + ([key] if key else []) + ([filter_column[0]] if filter_column else [])
        missing = [c for c in need if c not in header]
        if missing:
            raise DataFileError(f"{path}:1: header lacks columns {missing} (has {header})")
        idx = {c: header.index(c) for c in need}
        rows = []
        for no, cols in enumerate(reader, start=2):
            if not cols:
                continue
            if len(cols) < len(header):
                raise DataFileError(f"{path}:{no}: expected {len(header)} tab-separated columns, got {len(cols)}")
            if filter_column and cols[idx[filter_column[0]]] != filter_column[1]:
                continue
            row = {ours: cols[idx[theirs]] for ours, theirs in columns.items()}
            label = _normalize_label(row["label"].strip())
            row["label"] = (label_map or {}).get(label, label)
            if row["label"] not in labels:
                raise DataFileError(f"{path}:{no}: label {label!r} is not one of {labels}")
            row["key"] = cols[idx[key]] if key else str(len(rows))
            rows.append(row)
    return rows


def token_tsv(path: Path, tags: list[str], strip_prefix: str | None = None) -> list[dict]:
    """`token<TAB>tag` lines, sentences separated by blank lines; key = sentence number."""
    rows, tokens, seq = [], [], []
    for no, line in list(_lines(path)) + [(None, "")]:  # a final blank line closes the last sentence
        if not line.strip():
            if tokens:
                rows.append({"key": str(len(rows)), "tokens": tokens, "tags": seq})
                tokens, seq = [], []
            continue
        cols = line.split("\t")
        if len(cols) == 1:
            raise DataFileError(f"{path}:{no}: a token without a tag — download_data.sh removes test tags; "
                                f"expected token<TAB>tag")
        if len(cols) != 2:
            raise DataFileError(f"{path}:{no}: expected token<TAB>tag, got {len(cols)} tab-separated columns")
        token, tag = cols[0], cols[1].strip()
        if strip_prefix and token.startswith(strip_prefix):
            token = token[len(strip_prefix):]
        if tag not in tags:
            raise DataFileError(f"{path}:{no}: tag {tag!r} is not one of {tags}")
        tokens.append(token)
        seq.append(tag)
    return rows


def conllu(path: Path, tags: list[str]) -> list[dict]:
    """Sentences of a CoNLL-U file: FORM (col 2) and UPOS (col 4) of the syntactic words.

    As google-research/xtreme@091824888a60162ad9ea10d7fe67aa561615e4ca utils_preprocess.py:udpos_preprocess
    does, zero-width non-joiners are removed, spaces inside a form are dropped, and a sentence whose forms are
    withheld ("_", as in treebanks distributed without text) is dropped: it keeps a sentence only when
    `num_empty == 0 or num_empty < len(sent) - 1`. Unlike XTREME's conllu_to_conll conversion
    (--replace_subtokens_with_fused_forms), multiword tokens stay split into their words."""
    rows, tokens, seq = [], [], []

    def close():
        empty = sum(t == "_" for t in tokens)
        if tokens and (empty == 0 or empty < len(tokens) - 1):
            rows.append({"key": str(len(rows)), "tokens": ["".join(t.replace("\u200c", "").split(" ")) for t in tokens],
                         "tags": list(seq)})
        tokens.clear()
        seq.clear()

    for no, line in _lines(path):
        if not line.strip():
            close()
            continue
        if line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 10:
            raise DataFileError(f"{path}:{no}: expected 10 tab-separated CoNLL-U columns, got {len(cols)}")
        if "-" in cols[0] or "." in cols[0]:
            continue  # multiword-token range or empty node
        if not cols[0].isdigit():
            raise DataFileError(f"{path}:{no}: ID {cols[0]!r} is not a word index")
        if cols[3] not in tags:
            raise DataFileError(f"{path}:{no}: UPOS {cols[3]!r} is not one of {tags}")
        tokens.append(cols[1])
        seq.append(cols[3])
    close()
    return rows


def json_file(path: Path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None


def squad_json(path: Path, require_answers: bool = True) -> list[dict]:
    """SQuAD v1.1 questions: key = question id (shared by translations in XQuAD/MLQA)."""
    data = json_file(path)
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise DataFileError(f"{path}:1: expected SQuAD v1.1 JSON, an object with a 'data' list")
    rows = []
    for a, article in enumerate(data["data"]):
        for p, par in enumerate(article.get("paragraphs", [])):
            where = f"{path}: data[{a}].paragraphs[{p}]"
            if "context" not in par or "qas" not in par:
                raise DataFileError(f"{where}: expected 'context' and 'qas'")
            for qa in par["qas"]:
                try:
                    answers = [x["text"] for x in qa["answers"]]
                    starts = [int(x["answer_start"]) for x in qa["answers"]]
                    rows.append({"key": str(qa["id"]), "question": qa["question"], "context": par["context"],
                                 "answers": answers, "answer_starts": starts})
                except (KeyError, TypeError, ValueError) as exc:
                    raise DataFileError(f"{where}.qas id {qa.get('id')!r}: expected id, question and answers "
                                        f"with text and answer_start ({type(exc).__name__}: {exc})") from None
    if require_answers and rows and all(r["answers"] == [""] for r in rows):
        raise DataFileError(f"{path}: every answer is empty — download_data.sh removes test answers "
                            f"(remove_qa_test_annotations); use the upstream release or the hub")
    return rows


def iter_jsonl(path: Path, required: list[str]):
    """(line number, object) per non-blank line, streamed (Mewsli-X's candidate set is ~0.5 GB)."""
    for no, line in _lines(path):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataFileError(f"{path}:{no}: not a JSON object ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise DataFileError(f"{path}:{no}: expected a JSON object, got {type(obj).__name__}")
        missing = [k for k in required if k not in obj]
        if missing:
            raise DataFileError(f"{path}:{no}: missing fields {missing}; expected {required}")
        yield no, obj


def jsonl(path: Path, required: list[str]) -> list[dict]:
    return [obj for _, obj in iter_jsonl(path, required)]


def plain_lines(path: Path) -> list[str]:
    return [line for _, line in _lines(path)]
