"""Parsers for the upstream file layouts of the XGLUE and low-resource suites (rxlt.data.xglue_tasks,
rxlt.data.lowres_tasks); each returns row dicts in the data contract's schema and names file + line on bad input.

Formats (sources cited in the task tables):
- XGLUE `xglue.<task>.<lang>.<split>`: tab-separated, no header, fields in the order of microsoft/XGLUE
  Data_Format.txt; the label is the last field (xglue_evaluate.py reads `split("\\t")[-1]`).
- Belebele `<code>.jsonl`: link, question_number, flores_passage, question, mc_answer1..4, correct_answer_num
  (one-indexed, a string), dialect, ds; the assembled English training set: pandas TSV with an index column.
- AfriSenti `data/<lang>/<split>.tsv`: header `tweet<TAB>label` (some files add an ID column).
- TweetEval `<split>_text.txt` + `<split>_labels.txt`: one tweet / one label id per line.
- MasakhaNER 2.0 `<split>.txt`: `token TAG` (one space), blank line between sentences.
- AmericasNLI `anli_final/<split>/<lang>.tsv`: header id, language, premise, hypothesis, label.
- NusaX `<split>.csv`: header id,text,label (RFC 4180 quoting).
A file that holds no example (empty, or a header alone: a failed download) is an error naming it, as the XTREME-R
readers' are (rxlt.data.readers): a language never vanishes from an evaluation silently.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

from rxlt.data.readers import DataFileError, _empty, _lines, not_utf8


def _label(value: str, labels: list[str], where: str, mapping: dict | None = None) -> str:
    value = (mapping or {}).get(value.strip(), value.strip())
    if value not in labels:
        raise DataFileError(f"{where}: label {value!r} is not one of {labels}")
    return value


XGLUE_FIELDS = {  # Data_Format.txt: fields before the label (NC: the last three of title, body, category)
    "xglue-nc": 2, "xglue-qadsm": 3, "xglue-wpr": 3, "xglue-qam": 2,
}


def xglue_tsv(path: Path, task: str, labels: list[str], file_labels: dict | None = None) -> list[dict]:
    """One pair per line; WPR rows carry `group`, the query number as xglue_evaluate.py load_data counts it (a new
    query whenever the query differs from the previous line's)."""
    n = XGLUE_FIELDS[task]
    rows, group, last = [], -1, None
    for no, line in _lines(path):
        if not line.strip():
            continue
        cols = line.split("\t")
        if len(cols) < n + 1:
            raise DataFileError(f"{path}:{no}: expected {n + 1} tab-separated fields ({n} texts and a label), got "
                                f"{len(cols)}; XGLUE's test files before 2020-11-26 had no labels")
        cols = cols[-(n + 1):]
        label = _label(cols[-1], labels, f"{path}:{no}", file_labels)
        row = {"key": str(len(rows)), "text": cols[0], "label": label}
        row["text_pair"] = cols[1] if n == 2 else f"{cols[1]} {cols[2]}"
        if task == "xglue-wpr":
            if cols[0] != last:
                group += 1
            last = cols[0]
            row["group"] = str(group)
        rows.append(row)
    if not rows:
        raise _empty(path, f"{n + 1} tab-separated fields per line ({n} texts and a label; microsoft/XGLUE Data_Format.txt)")
    return rows


def belebele_jsonl(path: Path) -> list[dict]:
    rows, seen = [], {}
    need = ["link", "question_number", "flores_passage", "question", "mc_answer1", "mc_answer2", "mc_answer3",
            "mc_answer4", "correct_answer_num"]
    for no, line in _lines(path):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise DataFileError(f"{path}:{no}: not a JSON object ({exc})") from None
        missing = [k for k in need if k not in obj]
        if missing:
            raise DataFileError(f"{path}:{no}: fields {missing} missing (Belebele jsonl has {need}, dialect, ds)")
        rows.append(belebele_row(obj, f"{path}:{no}", seen))
    if not rows:
        raise _empty(path, "one Belebele question per line (JSON)")
    return rows


def belebele_row(obj: dict, where: str, seen: dict) -> dict:
    """Contract row of one Belebele question; key = link|question_number (README: they identify a question),
    with a running suffix should a pair repeat."""
    answer = str(obj["correct_answer_num"]).strip()
    if answer not in ("1", "2", "3", "4"):
        raise DataFileError(f"{where}: correct_answer_num {obj['correct_answer_num']!r}: expected 1..4 (one-indexed)")
    base = f"{obj['link']}|{obj['question_number']}"
    seen[base] = seen.get(base, -1) + 1
    return {"key": base if not seen[base] else f"{base}#{seen[base]}", "premise": str(obj["flores_passage"]),
            "question": str(obj["question"]), "choices": [str(obj[f"mc_answer{i}"]) for i in range(1, 5)],
            "label": int(answer) - 1}


def belebele_train_tsv(path: Path, split: str) -> list[dict]:
    """assemble_training_set.py's output: rows of `split` (train | dev)."""
    import pandas as pd

    try:
        df = pd.read_csv(path, sep="\t", index_col=0, dtype=str, keep_default_na=False)
    except Exception as exc:  # noqa: BLE001 - name the file whatever pandas raised
        raise DataFileError(f"{path}: cannot read as the Belebele training TSV ({type(exc).__name__}: {exc})") from None
    need = ["dataset", "split", "passage_id", "question_id", "passage", "question", "answer1", "answer2", "answer3",
            "answer4", "correct_answer_num"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise DataFileError(f"{path}:1: columns {missing} missing (assemble_training_set.py writes {need})")
    df = df[df.split == split]
    if df.empty:
        raise DataFileError(f"{path}: no row of split {split!r} (assemble_training_set.py writes train and dev rows); "
                            f"assemble it again, or delete it to leave it out")
    bad = df[~df.correct_answer_num.isin(["1", "2", "3", "4"])]
    if len(bad):
        raise DataFileError(f"{path}: row {bad.index[0]}: correct_answer_num {bad.correct_answer_num.iloc[0]!r}, "
                            f"expected 1..4")
    return [{"key": f"{r.dataset}|{r.passage_id}|{r.question_id}", "premise": r.passage, "question": r.question,
             "choices": [r.answer1, r.answer2, r.answer3, r.answer4], "label": int(r.correct_answer_num) - 1,
             "source_dataset": r.dataset} for r in df.itertuples()]


def afrisenti_tsv(path: Path, labels: list[str]) -> list[dict]:
    rows, header = [], None
    for no, line in _lines(path):
        if not line.strip():
            continue
        cols = line.split("\t")
        if header is None:
            header = cols
            if "tweet" not in header or "label" not in header:
                raise DataFileError(f"{path}:1: expected a header with tweet and label (AfriSenti), got {cols}")
            continue
        if len(cols) != len(header):
            raise DataFileError(f"{path}:{no}: {len(cols)} fields for the header's {len(header)} ({header})")
        row = dict(zip(header, cols))
        key = row.get("ID") or str(len(rows))
        rows.append({"key": key, "text": row["tweet"], "label": _label(row["label"], labels, f"{path}:{no}")})
    if not rows:
        raise _empty(path, "a header with tweet and label, then one tweet per line (AfriSenti)")
    return rows


def tweeteval(path: Path, labels: list[str]) -> list[dict]:
    """<split>_text.txt with its <split>_labels.txt (label ids into mapping.txt's order)."""
    lab_path = path.with_name(path.name.replace("_text.txt", "_labels.txt"))
    if not lab_path.is_file():
        raise DataFileError(f"{lab_path}: missing; TweetEval keeps labels next to the texts ({path.name})")
    texts = [line for _, line in _lines(path)]
    ids = [line.strip() for _, line in _lines(lab_path)]
    if not texts:
        raise _empty(path, "one tweet per line (TweetEval)")
    if len(texts) != len(ids):
        raise DataFileError(f"{lab_path}: {len(ids)} labels for {len(texts)} lines of {path.name}")
    out = []
    for no, (text, lab) in enumerate(zip(texts, ids), start=1):
        if lab not in {str(i) for i in range(len(labels))}:
            raise DataFileError(f"{lab_path}:{no}: label id {lab!r}, expected 0..{len(labels) - 1} ({labels})")
        out.append({"key": str(no - 1), "text": text, "label": labels[int(lab)]})
    return out


def conll_space(path: Path, tags: list[str], tag_map: dict | None = None) -> list[dict]:
    """`token TAG` lines (MasakhaNER utils_ner.py splits on one space; -DOCSTART- lines are skipped)."""
    rows, tokens, seq = [], [], []
    for no, line in list(_lines(path)) + [(None, "")]:
        if not line.strip() or line.startswith("-DOCSTART-"):
            if tokens:
                rows.append({"key": str(len(rows)), "tokens": tokens, "tags": seq})
                tokens, seq = [], []
            continue
        cols = line.split(" ")
        if len(cols) < 2:
            raise DataFileError(f"{path}:{no}: expected 'token TAG' (one space), got {line!r}")
        tag = (tag_map or {}).get(cols[-1].strip(), cols[-1].strip())
        if tag not in tags:
            raise DataFileError(f"{path}:{no}: tag {tag!r} is not one of {tags}")
        tokens.append(cols[0])
        seq.append(tag)
    if not rows:
        raise _empty(path, "'token TAG' lines, a blank line between sentences (MasakhaNER)")
    return rows


def anli_tsv(path: Path, labels: list[str], language: str) -> list[dict]:
    rows, header = [], None
    for no, line in _lines(path):
        if not line.strip():
            continue
        cols = line.split("\t")
        if header is None:
            header = cols
            if header[:5] != ["id", "language", "premise", "hypothesis", "label"]:
                raise DataFileError(f"{path}:1: expected header id, language, premise, hypothesis, label; got {cols}")
            continue
        if len(cols) != 5:
            raise DataFileError(f"{path}:{no}: expected 5 tab-separated fields, got {len(cols)}")
        if cols[1] != language:  # anli.dev.tsv / anli.test.tsv hold every language
            continue
        label = _label(cols[4], labels, f"{path}:{no}", {"contradictory": "contradiction"})
        rows.append({"key": cols[0], "text": cols[2], "text_pair": cols[3], "label": label})
    if header is None:
        raise _empty(path, "a header id, language, premise, hypothesis, label and one pair per line (AmericasNLI)")
    if not rows:
        raise DataFileError(f"{path}: no row of language {language!r} (AmericasNLI files name each row's language); "
                            f"download it again, or delete it to leave it out")
    return rows


def nusax_csv(path: Path, labels: list[str]) -> list[dict]:
    try:
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames is None:
                raise _empty(path, "a header id,text,label and one row per text (NusaX)")
            if not {"id", "text", "label"} <= set(reader.fieldnames):
                raise DataFileError(f"{path}:1: expected header id,text,label (NusaX), got {reader.fieldnames}")
            rows = [{"key": str(r["id"]), "text": r["text"],
                     "label": _label(r["label"], labels, f"{path}:{reader.line_num}")} for r in reader]
    except UnicodeDecodeError:
        raise not_utf8(path) from None
    if not rows:
        raise _empty(path, "a header id,text,label and one row per text (NusaX)")
    return rows
