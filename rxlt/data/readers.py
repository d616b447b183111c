"""Parsers for the XTREME-R file formats; each returns plain row dicts and names file + line on bad input.

Formats (what google-research/xtreme's scripts/download_data.sh + utils_preprocess.py write, and the
upstream releases):
- tsv pairs: `text<TAB>text_pair<TAB>label`, no header (XTREME xnli/ and pawsx/); upstream XNLI-1.0
  `xnli.{dev,test}.tsv` and XNLI-MT `multinli.train.en.tsv`, PAWS-X `x-final/<lang>/*.tsv` have headers.
- token tsv: `token<TAB>tag` per line, blank line between sentences (XTREME udpos/ and panx/; raw PAN-X
  `<lang>-<split>` files prefix tokens with `<lang>:`).
- CoNLL-U: 10 tab-separated columns, UPOS in column 4; as XTREME's conversion, a multiword token (`1-2`)
  is one token with its fused form and its head word's UPOS; empty nodes (`1.1`) are skipped.
- SQuAD v1.1 JSON: data → paragraphs → qas → answers.
- JSON lines (XCOPA, Mewsli-X).
"""
from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path


class DataFileError(ValueError):
    """A data file is malformed: the message names the file, the line and what was expected."""


def not_utf8(path: Path) -> DataFileError:
    """The error for a file that is not UTF-8, naming the line (as the readers count lines) and column of its
    first undecodable byte — not its position inside a read buffer, which is all UnicodeDecodeError knows."""
    line = 1
    with open(path, "rb") as f:
        for raw in f:  # split at b"\n"; a lone "\r" also ends a line in text mode (universal newlines)
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                head = raw[:exc.start]
                line += head.replace(b"\r\n", b"\n").count(b"\r")
                column = exc.start - max(head.rfind(b"\r"), -1)
                return DataFileError(f"{path}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at column "
                                     f"{column}); re-download the file or convert it to UTF-8")
            body = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1] if raw.endswith(b"\n") else raw
            line += 1 + body.count(b"\r")
    return DataFileError(f"{path}: not UTF-8 text (a multi-byte character is cut off at the end of the file)")


def is_blank(path: Path, probe: int = 1 << 16) -> bool:
    """Whether a file holds nothing but whitespace (read up to `probe` bytes: a cheap check before any run)."""
    with open(path, "rb") as f:
        head = f.read(probe)
    return not head.strip() and len(head) < probe


def _empty(path: Path, expected: str) -> DataFileError:
    return DataFileError(f"{path}: empty file (no data line); expected {expected} — download it again, or delete "
                         f"it to leave it out")


def _lines(path: Path):
    try:
        with open(path, encoding="utf-8", newline="") as f:
            for no, line in enumerate(f, start=1):
                yield no, line.rstrip("\r\n")
    except UnicodeDecodeError:
        raise not_utf8(path) from None


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
    if not rows:
        raise _empty(path, "text<TAB>text_pair<TAB>label lines")
    return rows


def headed_tsv(path: Path, columns: dict[str, str], labels: list[str], label_map: dict | None = None,
               key: str | None = None, filter_column: tuple[str, str] | None = None) -> list[dict]:
    """A TSV with a header row (upstream XNLI-1.0, XNLI-MT, PAWS-X x-final). `columns` maps our names to the
    header's; `filter_column` keeps rows whose column equals a value (XNLI's `language`)."""
    try:
        return _headed_tsv(path, columns, labels, label_map, key, filter_column)
    except UnicodeDecodeError:
        raise not_utf8(path) from None


def _headed_tsv(path, columns, labels, label_map, key, filter_column) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if header is None:
            raise _empty(path, "a header row and tab-separated rows")
        need = list(columns.values()) + ([key] if key else []) + ([filter_column[0]] if filter_column else [])
        missing = [c for c in need if c not in header]
        if missing:
            raise DataFileError(f"{path}:1: header lacks columns {missing} (has {header})")
        idx = {c: header.index(c) for c in need}
        rows, data_rows = [], 0
        for cols in reader:
            no = reader.line_num
            if not cols:
                continue
            data_rows += 1
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
    if not data_rows:
        raise DataFileError(f"{path}: a header and no rows; download the file again, or delete it to leave it out")
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
    if not rows:
        raise _empty(path, "token<TAB>tag lines, a blank line between sentences")
    return rows


# The POS precedence lists XTREME's CoNLL-U conversion breaks ties with when it picks which word of a multiword
# token keeps the fused form: google-research/xtreme third_party/ud-conversion-tools/conllu_to_conll.py
# POSRANKPRECEDENCEDICT, chosen by `--lang <file-name prefix>` (download_data.sh@0918248 download_udpos). That
# file is not in the code index under google-research/xtreme; read from its fork
# Liangtaiwan/xtreme@76e3cdb5d65662ab7bf2c7eb2844dd53f5b7e95b, whose lib.conll import matches
# google-research/xtreme@091824888a60162ad9ea10d7fe67aa561615e4ca third_party/ud-conversion-tools/lib/conll.py.
FUSED_HEAD_PRECEDENCE = {
    "default": ["VERB", "NOUN", "PROPN", "PRON", "ADJ", "NUM", "ADV", "INTJ", "AUX", "ADP", "DET", "PART", "CCONJ",
                "SCONJ", "X", "PUNCT"],  # no SYM: a tie involving SYM stops the conversion (below)
    "es": ["VERB", "AUX", "PRON", "ADP", "DET"],
    "fr": ["VERB", "AUX", "PRON", "NOUN", "ADJ", "ADV", "ADP", "DET", "PART", "SCONJ", "CONJ"],
    "it": ["VERB", "AUX", "ADV", "PRON", "ADP", "DET", "INTJ"],
}


class _Unconvertible(Exception):
    """XTREME's converter raises on this sentence, so download_data.sh writes no .conll file for the treebank."""


def _fused_head(span: list[int], parents: dict, upos: dict, precedence: list[str], no: int) -> int:
    """lib/conll.py DependencyTree._choose_spanhead_from_heuristics: the word of the span with the fewest
    ancestors (nx.ancestors over HEAD and the integer heads of DEPS) wins; a tie goes to the first of the tied
    words whose UPOS ranks best in `precedence` (`list.index`, which raises for a UPOS not in the list)."""
    def ancestors(x):
        seen, todo = set(), [x]
        while todo:
            for h in parents.get(todo.pop(), ()):
                if h not in seen:
                    seen.add(h)
                    todo.append(h)
        return len(seen - {x})

    depth = [ancestors(x) for x in span]
    highest = [x for x, d in zip(span, depth) if d == min(depth)]
    if len(highest) == 1:
        return highest[0]
    missing = [upos[x] for x in highest if upos[x] not in precedence]
    if missing:
        raise _Unconvertible(f"line {no}: the multiword token's words {highest} tie and UPOS {missing[0]!r} is "
                             f"not in the converter's precedence list {precedence}")
    return min(highest, key=lambda x: precedence.index(upos[x]))  # min keeps the first of equal ranks


def conllu(path: Path, tags: list[str]) -> list[dict]:
    """Sentences of a CoNLL-U file as XTREME's udpos files hold them: FORM (col 2) and UPOS (col 4).

    download_data.sh@0918248 converts each file with `conllu_to_conll.py --lang <prefix>
    --replace_subtokens_with_fused_forms` (google-research/xtreme@091824888a60162ad9ea10d7fe67aa561615e4ca
    third_party/ud-conversion-tools/lib/conll.py `_keep_fused_form`): a multiword token (`3-4 zum`) becomes ONE
    token, its fused surface form, tagged with the UPOS of the span's head word (fewest ancestors; ties by
    FUSED_HEAD_PRECEDENCE), e.g. German "zum" = zu/ADP + dem/DET -> "zum"/ADP; the other words are removed.
    Empty nodes (`1.1`) are skipped. Then utils_preprocess.py:udpos_preprocess (same commit) removes zero-width
    non-joiners and spaces inside a form, and drops a sentence whose forms are withheld ("_", treebanks
    distributed without text) unless `num_empty == 0 or num_empty < len(sent) - 1`, counted on the fused tokens.
    A sentence on which the converter raises (a tie with a UPOS missing from the precedence list) means XTREME
    has no file for this treebank: the file gives no rows and a warning names it. Unlike the converter, a last
    sentence without a closing blank line is kept (UD files always end with one).
    Note: the hub's google/xtreme `udpos.*` configs are built differently (huggingface datasets xtreme.py keeps
    the syntactic words and skips range lines), so hub and download/ data differ where treebanks fuse tokens."""
    precedence = FUSED_HEAD_PRECEDENCE.get(path.name.split("_")[0], FUSED_HEAD_PRECEDENCE["default"])
    rows = []
    words, spans, parents = [], [], {}  # words: (id, form, upos); spans: (start, end, form, line)

    def close():
        heads = {}
        upos = {i: t for i, _, t in words}
        for start, end, form, no in spans:
            span = list(range(start, end + 1))
            if not set(span) <= set(upos):
                raise DataFileError(f"{path}:{no}: multiword token {start}-{end} covers words that are not in "
                                    f"the sentence")
            heads[_fused_head(span, parents, upos, precedence, no)] = form
        removed = {i for s, e, _, _ in spans for i in range(s, e + 1)} - set(heads)
        kept = [(heads.get(i, f), t) for i, f, t in words if i not in removed]
        forms = [f for f, _ in kept]
        empty = sum(f == "_" for f in forms)
        if kept and (empty == 0 or empty < len(forms) - 1):
            rows.append({"key": str(len(rows)), "tokens": ["".join(f.replace("\u200c", "").split(" ")) for f in forms],
                         "tags": [t for _, t in kept]})
        words.clear()
        spans.clear()
        parents.clear()

    words_seen = 0
    try:
        for no, line in _lines(path):
            if not line.strip():
                close()
                continue
            if line.startswith("#"):
                continue
            words_seen += 1
            cols = line.split("\t")
            if len(cols) != 10:
                raise DataFileError(f"{path}:{no}: expected 10 tab-separated CoNLL-U columns, got {len(cols)}")
            if "." in cols[0]:
                continue  # empty node
            if "-" in cols[0]:
                start, _, end = cols[0].partition("-")
                if not (start.isdigit() and end.isdigit()):
                    raise DataFileError(f"{path}:{no}: ID {cols[0]!r} is not a word range")
                spans.append((int(start), int(end), cols[1], no))
                continue
            if not cols[0].isdigit():
                raise DataFileError(f"{path}:{no}: ID {cols[0]!r} is not a word index")
            if cols[3] not in tags:
                raise DataFileError(f"{path}:{no}: UPOS {cols[3]!r} is not one of {tags}")
            i = int(cols[0])
            words.append((i, cols[1], cols[3]))
            # lib/conll.py read_conll_u: an edge from HEAD and from every DEPS head that is a digit string
            deps = [] if cols[8] == "_" else [d.split(":")[0] for d in cols[8].split("|")]
            parents[i] = {int(h) for h in [cols[6], *deps] if h.isdigit()}
        close()
        if not words_seen:
            raise _empty(path, "CoNLL-U word lines (10 tab-separated columns)")
    except _Unconvertible as exc:
        warnings.warn(f"{path}: XTREME's conllu_to_conll.py stops on this file ({exc}), so download_data.sh's "
                      f"udpos files hold none of it; rxlt leaves it out too")
        return []
    return rows


def json_file(path: Path):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError:
        raise not_utf8(path) from None
    if not text.strip():
        raise _empty(path, "a JSON document")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}, column {exc.colno})") from None


def squad_json(path: Path, require_answers: bool = True) -> list[dict]:
    """SQuAD v1.1 questions: key = question id (shared by translations in XQuAD/MLQA)."""
    data = json_file(path)
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise DataFileError(f"{path}:1: expected SQuAD v1.1 JSON, an object with a 'data' list")
    rows = []
    for a, article in enumerate(data["data"]):
        paragraphs = article.get("paragraphs", []) if isinstance(article, dict) else None
        if not isinstance(paragraphs, list):
            raise DataFileError(f"{path}: data[{a}]: expected an object with a 'paragraphs' list, got "
                                f"{_kind(article if paragraphs is None else paragraphs)}")
        for p, par in enumerate(paragraphs):
            where = f"{path}: data[{a}].paragraphs[{p}]"
            if not isinstance(par, dict) or "context" not in par or "qas" not in par:
                raise DataFileError(f"{where}: expected an object with 'context' and 'qas', got {_kind(par)}")
            if not isinstance(par["qas"], list):
                raise DataFileError(f"{where}.qas: expected a list of questions, got {_kind(par['qas'])}")
            for q, qa in enumerate(par["qas"]):
                if not isinstance(qa, dict):
                    raise DataFileError(f"{where}.qas[{q}]: expected an object with id, question and answers, got "
                                        f"{_kind(qa)}")
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


def _kind(value) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60] + '…' if len(text) > 60 else text}"


def iter_jsonl(path: Path, required: list[str]):
    """(line number, object) per non-blank line, streamed (Mewsli-X's candidate set is ~0.5 GB)."""
    seen = False
    for no, line in _lines(path):
        if not line.strip():
            continue
        seen = True
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
    if not seen:
        raise _empty(path, "one JSON object per line")


def jsonl(path: Path, required: list[str]) -> list[dict]:
    return [obj for _, obj in iter_jsonl(path, required)]


def plain_lines(path: Path) -> list[str]:
    lines = [line for _, line in _lines(path)]
    if not any(line.strip() for line in lines):
        raise _empty(path, "one sentence per line")
    return lines
