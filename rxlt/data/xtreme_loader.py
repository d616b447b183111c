"""Examples of the XTREME-R tasks as frames (schema: CONTRACT.md), from a local directory or the hub.

Where data comes from, first match wins:
1. `data_dir` (or `$RXLT_DATA_DIR` when `data_dir` is None) holding the task in a layout of
   `rxlt.data.xtreme_tasks.XTREME_TASKS[task]["local"]`: the directory google-research/xtreme's
   scripts/download_data.sh writes, or the upstream release layout;
2. a local hub snapshot `$RXLT_DATA_DIR/<hub id>/<config>/<split>-*.parquet` (rxlt.data.hub_tasks' mechanism);
3. `datasets.load_dataset(hub id, config, split, revision=<the table's pinned revision>)`.
An explicit `data_dir` without the task's files is an error listing the paths tried.

Languages: `languages=None` means every language of the task whose files exist (locally) or all of them
(hub); an explicitly requested language without a file is an error. The `train` split is English.
"""
from __future__ import annotations

import os
import random
import warnings
from pathlib import Path

import pandas as pd

from rxlt.data import hub_tasks, mewslix, provenance, readers
from rxlt.data.readers import DataFileError
from rxlt.data.split_summary import split_summary
from rxlt.data.xtreme_tasks import TATOEBA_LANG3, TYDIQA_NAMES, xtreme_task
from rxlt.languages.metadata import language as language_info
from rxlt.lookup import UnknownNameError, suggest

__all__ = ["DataFileError", "load", "local_files", "summary", "split_by_item", "splits", "english_dev_available",
           "COLUMNS"]

COLUMNS = {  # frame columns per kind besides language and key (CONTRACT.md)
    "classification": ["text", "text_pair", "label"],
    "multiple_choice": ["premise", "question", "choices", "label"],
    "tagging": ["tokens", "tags"],
    "qa": ["question", "context", "answers", "answer_starts"],
    "retrieval": ["role", "text", "target", "context"],
}
_LANG3 = {v: k for k, v in TATOEBA_LANG3.items()}
# train_dev: the held-out part of the English training data where the release has one (Mewsli-X's
# wikipedia_pairs-dev.jsonl, the model-selection set of xtreme's train_mewslix.sh)
SPLITS = ("train", "train_dev", "dev", "test")
ENGLISH_SPLITS = ("train", "train_dev")
_TYDI = {v: k for k, v in TYDIQA_NAMES.items()}


def splits(task: str) -> list[str]:
    spec = xtreme_task(task)
    have = set(spec["local"]) - {"format", "candidates"}
    if spec["hub"]:
        have |= set(spec["hub"]["splits"])
    return [s for s in SPLITS if s in have]


def _root(data_dir) -> Path | None:
    if data_dir is not None:
        return Path(data_dir)
    env = os.environ.get("RXLT_DATA_DIR")
    return Path(env) if env else None


def _check_languages(spec: dict, task: str, languages) -> list[str] | None:
    if languages is None:
        return None
    languages = [languages] if isinstance(languages, str) else list(languages)
    bad = [lg for lg in languages if lg not in spec["languages"] and lg != "en"]
    if bad:
        raise UnknownNameError(f"{task} has no language {bad[0]!r}: {suggest(bad[0], spec['languages'])}")
    return languages


def load(task: str, split: str, languages=None, data_dir=None, revision: str | None = None) -> pd.DataFrame:
    """Rows of `task`'s `split` (train | dev | test) with `language` and `key` columns (CONTRACT.md)."""
    spec = xtreme_task(task)
    if split not in splits(task):
        raise ValueError(f"{task} has no split {split!r}: it has {splits(task)}")
    langs = ["en"] if split in ENGLISH_SPLITS else _check_languages(spec, task, languages)
    root = _root(data_dir)
    if root is not None and split in spec["local"]:
        frame = _load_local(task, spec, split, langs, root, explicit=languages is not None or split in ENGLISH_SPLITS)
        if frame is not None:
            return frame
        if data_dir is not None and not _hub_snapshot_exists(spec, root):
            tried = [str(root / p) for p in spec["local"][split]]
            raise FileNotFoundError(f"{task} {split}: no file found under {root}; tried {tried} "
                                    f"(layouts: see rxlt.data.xtreme_tasks.XTREME_TASKS[{task!r}]['local'])")
    if not spec["hub"] or split not in spec["hub"]["splits"]:
        where = f"under {root}" if root else "($RXLT_DATA_DIR unset)"
        raise FileNotFoundError(f"{task} {split}: no local files {where} and no hub copy of this split; "
                                f"expected {spec['local'].get(split)}")
    return _load_hub(task, spec, split, langs or spec["languages"], root, revision)


# ---------------- local layouts ----------------

def _fill(pattern: str, lang: str) -> str:
    return pattern.format(lang=lang, lang3=_LANG3.get(lang, lang), name=_TYDI.get(lang, lang))


# Files without a language placeholder hold English only (SQuAD, COPA train, MNLI), except the XNLI-1.0
# release files, which hold every language with a `language` column.
MULTILINGUAL_FILES = ("XNLI-1.0/",)


def _find(root: Path, patterns: list[str], lang: str) -> list[Path]:
    for pattern in patterns:
        if "{" not in pattern and lang != "en" and not pattern.startswith(MULTILINGUAL_FILES):
            continue
        filled = _fill(pattern, lang)
        found = sorted(root.glob(filled)) if "*" in filled else ([root / filled] if (root / filled).is_file() else [])
        if found:
            return found
    return []


def _candidate_languages(spec: dict, split: str) -> list[str]:
    """The task's languages, plus English for dev where the task's English source has a dev set among its
    files although English is not a test language (XCOPA: COPA val, xcopa/val.en.jsonl)."""
    extra = ["en"] if split == "dev" and spec.get("english_dev") and "en" not in spec["languages"] else []
    return list(spec["languages"]) + extra


def _available_languages(spec: dict, split: str, root: Path) -> list[str]:
    return [lg for lg in _candidate_languages(spec, split) if _find(root, spec["local"][split], lg)]


def english_dev_available(task: str, data_dir=None) -> bool:
    """Whether the English dev set of `task` can be read: English is a test language with a dev split, or the
    task table marks an English dev file (XCOPA's COPA val) and it exists under the data directory."""
    spec = xtreme_task(task)
    if "dev" not in splits(task):
        return False
    if "en" in spec["languages"]:
        return True
    root = _root(data_dir)
    return bool(spec.get("english_dev")) and root is not None and bool(_find(root, spec["local"]["dev"], "en"))


def local_files(task: str, split: str, data_dir=None) -> list[Path]:
    """The files of the data directory that `load(task, split)` would read, for checks before any run."""
    spec, root = xtreme_task(task), _root(data_dir)
    if root is None or split not in spec["local"]:
        return []
    langs = ["en"] if split in ENGLISH_SPLITS or spec["local"]["format"] == "mewslix" else _candidate_languages(spec, split)
    return sorted({f for lg in langs for f in _find(root, spec["local"][split], lg)})


def _load_local(task, spec, split, langs, root, explicit) -> pd.DataFrame | None:
    fmt = spec["local"]["format"]
    if fmt == "mewslix" or split in ENGLISH_SPLITS:  # one file for every language / English only
        present = (spec["languages"] if fmt == "mewslix" else ["en"]) if _find(root, spec["local"][split], "en") else []
    else:
        present = _available_languages(spec, split, root)
    if not present and task == "tatoeba" and any(root.glob("tatoeba/*-en.en")):
        raise DataFileError(f"{next(root.glob('tatoeba/*-en.en'))}: download_data.sh sorts the English side of "
                            f"Tatoeba, so the gold alignment is lost; use LASER's data/tatoeba/v1 files")
    if not present:
        return None  # the task is not in this directory: the caller falls back to the hub
    langs = present if langs is None else langs
    if fmt == "lareqa":
        return _lareqa(spec, split, langs, root)
    if fmt == "mewslix":
        return _mewslix(spec, split, langs, root)
    frames = []
    for lg in langs:
        files = _find(root, spec["local"][split], lg)
        if not files:
            if explicit:
                raise FileNotFoundError(f"{task} {split} {lg}: none of {[str(root / _fill(p, lg)) for p in spec['local'][split]]} exists")
            continue
        rows = []
        provenance.record_files(task, split, files)
        for path in files:
            got = _READERS[fmt](path, lg, spec, split)
            prefix = f"{path.parent.name}/" if len(files) > 1 else ""
            rows += [{**r, "key": prefix + r["key"]} for r in got]
        if not rows and explicit:
            raise FileNotFoundError(f"{task} {split} {lg}: no {lg} rows in {[str(f) for f in files]}")
        if rows:
            frames.append(pd.DataFrame(rows).assign(language=lg))
    if not frames:
        return None
    return _finish(spec, pd.concat(frames, ignore_index=True))


def _finish(spec: dict, df: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in COLUMNS[spec["kind"]] if c in df.columns]
    return df[["language", "key", *cols] + [c for c in df.columns if c not in {"language", "key", *cols}]] \
        .reset_index(drop=True)


def _xnli(path: Path, lang: str, spec: dict, split: str) -> list[dict]:
    labels = spec["labels"]
    if path.name.startswith("xnli."):  # XNLI-1.0 release: all languages in one headed file, pairID shared
        return readers.headed_tsv(path, {"text": "sentence1", "text_pair": "sentence2", "label": "gold_label"},
                                  labels, key="pairID", filter_column=("language", lang))
    if path.name.startswith("multinli."):  # XNLI-MT-1.0 English train
        return readers.headed_tsv(path, {"text": "premise", "text_pair": "hypo", "label": "label"}, labels)
    return readers.pair_tsv(path, labels)


_PAWSX_LABELS = {"0": "different", "1": "paraphrase"}


def _pawsx(path: Path, lang: str, spec: dict, split: str) -> list[dict]:
    if path.parent.parent.name == "x-final":  # upstream PAWS-X release: header id sentence1 sentence2 label
        return readers.headed_tsv(path, {"text": "sentence1", "text_pair": "sentence2", "label": "label"},
                                  spec["labels"], label_map=_PAWSX_LABELS, key="id")
    return readers.pair_tsv(path, spec["labels"], label_map=_PAWSX_LABELS)


def _udpos(path: Path, lang: str, spec: dict, split: str) -> list[dict]:
    if path.suffix == ".conllu":
        return readers.conllu(path, spec["labels"])
    return readers.token_tsv(path, spec["labels"])


def _panx(path: Path, lang: str, spec: dict, split: str) -> list[dict]:
    strip = f"{lang}:" if path.parent.name == "panx_dataset" else None  # raw AmazonPhotos files: "en:token"
    return readers.token_tsv(path, spec["labels"], strip_prefix=strip)


def _squad(path: Path, lang: str, spec: dict, split: str) -> list[dict]:
    rows = readers.squad_json(path)
    if path.name == "tydiqa-goldp-v1.1-train.json":  # upstream train file: every language, id "<name>-<n>"
        rows = [r for r in rows if r["key"].startswith(f"{_TYDI[lang]}-")]
    return rows


def _xcopa(path: Path, lang: str, spec: dict, split: str) -> list[dict]:
    rows = readers.jsonl(path, ["premise", "choice1", "choice2", "question", "label", "idx"])
    for no, r in enumerate(rows, start=1):
        if r["label"] not in (0, 1) or r["question"] not in ("cause", "effect"):
            raise DataFileError(f"{path}:{no}: expected label 0 or 1 and question cause/effect, got "
                                f"{r['label']!r} and {r['question']!r}")
    return [{"key": str(r["idx"]), "premise": r["premise"], "question": r["question"],
             "choices": [r["choice1"], r["choice2"]], "label": int(r["label"])} for r in rows]


def _tatoeba(path: Path, lang: str, spec: dict, split: str) -> list[dict]:
    eng = path.with_name(path.name.rsplit(".", 1)[0] + ".eng")
    if not eng.is_file():
        raise DataFileError(f"{eng}: missing; LASER Tatoeba needs both {path.name} and {eng.name}")
    # evaluate_retrieval.py@66367fa tokenize_text reads `[l.strip() for l in open(text_file)]`
    src, tgt = [x.strip() for x in readers.plain_lines(path)], [x.strip() for x in readers.plain_lines(eng)]
    if len(src) != len(tgt):
        raise DataFileError(f"{eng}:{min(len(src), len(tgt)) + 1}: {len(tgt)} English lines for {len(src)} in "
                            f"{path.name}; expected line-aligned translations")
    queries = [{"key": str(i), "role": "query", "text": s, "target": str(i)} for i, s in enumerate(src)]
    cands = [{"key": str(i), "role": "candidate", "text": t, "text_language": "en"} for i, t in enumerate(tgt)]
    return queries + cands


def _lareqa(spec, split, langs, root) -> pd.DataFrame:
    """XQuAD-R exactly as google-research/xtreme@e23cf42f44512fd62ad6a890d8b6bbaabeda9957
    third_party/utils_lareqa.py `load_data` / `generate_examples` and evaluate_retrieval.py (task lareqa) build it:

    - every file of the directory is read and pooled: questions AND candidates of all languages present, so a
      question ranks the candidates of every language (asking for fewer languages only drops their queries);
    - per paragraph (numbered from 1 per file), candidates are its sentences `context[start:end]` of
      `sentence_breaks`, key "<lang>_<paragraph>_<position>"; they enter the pool only through a question of
      that paragraph whose answer lies in a sentence (answers outside every sentence are skipped, as upstream);
    - a question (key "<id>_<lang>") is answered by every candidate, in any language, whose sentence equals the
      answer sentence of a question with the same id (`candidate_set.by_xling_id`).
    Upstream encodes a candidate as sentence + context concatenated; the frame keeps both (`text`, `context`)."""
    pool = _available_languages(spec, split, root)
    absent = [lg for lg in langs if lg not in pool]
    if absent:
        raise FileNotFoundError(f"lareqa {split} {absent}: none of "
                                f"{[str(root / _fill(p, absent[0])) for p in spec['local'][split]]} exists")
    queries, cands, gold, seen = [], {}, {}, set()
    for lg in pool:
        path = _find(root, spec["local"][split], lg)[0]
        provenance.record_files("lareqa", split, [path])
        data = readers.json_file(path)
        if not isinstance(data, dict) or not isinstance(data.get("data"), list):
            raise DataFileError(f"{path}:1: expected XQuAD-R JSON, an object with a 'data' list")
        n_par = 0
        for a, article in enumerate(data["data"]):
            for par in article.get("paragraphs", []):
                n_par += 1
                where = f"{path}: data[{a}] paragraph {n_par}"
                if "sentence_breaks" not in par or "context" not in par or "qas" not in par:
                    raise DataFileError(f"{where}: expected 'context', 'qas' and 'sentence_breaks' (XQuAD-R JSON)")
                ctx, breaks = par["context"], par["sentence_breaks"]
                sentences = [ctx[s:e] for s, e in breaks]
                for qa in par["qas"]:
                    answers = qa.get("answers") or []
                    if len(answers) != 1 or "id" not in qa or "question" not in qa:
                        raise DataFileError(f"{where}: question {qa.get('id')!r}: expected id, question and exactly "
                                            f"one answer (utils_lareqa asserts one), got {len(answers)} answers")
                    start = answers[0]["answer_start"]
                    answer = next((ctx[s:e] for s, e in breaks if s <= start < e), None)
                    if not answer:
                        continue  # "Skipped an example where the answer start was not contained within any sentence"
                    uid = f"{qa['id']}_{lg}"
                    if uid in seen:
                        raise DataFileError(f"{where}: question id {qa['id']!r} occurs twice in {lg}")
                    seen.add(uid)
                    for pos, sentence in enumerate(sentences):
                        key = f"{lg}_{n_par}_{pos}"
                        cands.setdefault(key, {"language": lg, "key": key, "role": "candidate", "text": sentence,
                                               "context": ctx})
                        if sentence == answer and key not in gold.setdefault(qa["id"], []):
                            gold[qa["id"]].append(key)
                    if lg in langs:
                        queries.append({"language": lg, "key": uid, "role": "query", "text": qa["question"],
                                        "xling_id": qa["id"]})
    for q in queries:
        q["target"] = ";".join(gold[q.pop("xling_id")])
    return _finish(spec, pd.DataFrame(queries + list(cands.values())))


def _mewslix(spec, split, langs, root) -> pd.DataFrame:
    """Mewsli-X (rxlt.data.mewslix): test/dev = WikiNews mentions of `langs` against the whole candidate set;
    train/train_dev = the English Wikipedia mention-entity pairs (their entities are the candidates)."""
    found = _find(root, spec["local"][split], "en")
    if not found:
        raise FileNotFoundError(f"mewslix {split}: none of {[str(root / p) for p in spec['local'][split]]} exists")
    path = found[0]
    provenance.record_files("mewslix", split, [path])
    records = readers.jsonl(path, [])
    if split in ("train", "train_dev"):
        return _finish(spec, pd.DataFrame(mewslix.pair_rows(records, path)))
    ent_files = _find(root, spec["local"]["candidates"], "en")
    if not ent_files:
        raise FileNotFoundError(f"mewslix {split}: the candidate set is missing; tried "
                                f"{[str(root / p) for p in spec['local']['candidates']]}")
    provenance.record_files("mewslix", split, ent_files[:1])
    rows = mewslix.wikinews_queries(records, path, langs)
    rows += mewslix.candidate_rows(readers.iter_jsonl(ent_files[0], mewslix.ENTITY_FIELDS[:3]), ent_files[0])
    return _finish(spec, pd.DataFrame(rows))


_READERS = {"xnli": _xnli, "pawsx": _pawsx, "udpos": _udpos, "panx": _panx, "squad": _squad,
            "xcopa": _xcopa, "tatoeba": _tatoeba}


# ---------------- hub ----------------

def _hub_snapshot_exists(spec: dict, root: Path) -> bool:
    return bool(spec["hub"]) and (root / spec["hub"]["id"]).is_dir()


def _hub_config(spec: dict, lang: str) -> str:
    name = language_info(lang)["name"] if "{name}" in spec["hub"]["config"] else ""
    return spec["hub"]["config"].format(lang=lang, lang3=_LANG3.get(lang, lang), name=name)


def _load_hub(task, spec, split, langs, root, revision) -> pd.DataFrame:
    hub = spec["hub"]
    revision = revision or hub["revision"]
    if revision is None:
        warnings.warn(f"{task}: loading {hub['id']} at the hub's default branch: no verified revision is pinned "
                      f"in rxlt.data.xtreme_tasks.XTREME_TASKS[{task!r}]['hub']['revision']; the commit actually read is "
                      f"recorded in results.json (provenance.data_sources) where it can be told", stacklevel=3)
    frames = []
    configs = {lg: _hub_config(spec, lg) for lg in langs}
    cache: dict[str, pd.DataFrame] = {}
    for lg in langs:
        cfg = configs[lg]
        if cfg not in cache:
            one = {"hub_id": hub["id"], "config": cfg}
            files = hub_tasks._local_files(one, hub["splits"][split], root) if root else []
            if files:
                provenance.record_snapshot(hub["id"], cfg, hub["splits"][split], files, root / hub["id"])
            cache[cfg] = (pd.concat([hub_tasks._read(f) for f in files], ignore_index=True) if files
                          else hub_tasks._from_hub(one, hub["splits"][split], revision, root))
        frames.append(_from_hub_columns(task, spec, cache[cfg], lg))
    return _finish(spec, pd.concat(frames, ignore_index=True))


def _names(values, labels: list[str], what: str) -> list[str]:
    out = []
    for v in values:
        if isinstance(v, str):
            out.append(v)
        elif 0 <= int(v) < len(labels):
            out.append(labels[int(v)])
        else:
            raise DataFileError(f"{what}: label id {v} outside 0..{len(labels) - 1} ({labels})")
    return out


def _from_hub_columns(task: str, spec: dict, raw: pd.DataFrame, lang: str) -> pd.DataFrame:
    kind, where = spec["kind"], f"{spec['hub']['id']} ({task}, {lang})"

    def need(*cols):
        missing = [c for c in cols if c not in raw.columns]
        if missing:
            raise DataFileError(f"{where}: columns {missing} missing (have {list(raw.columns)}); expected the hub's own")

    if task == "xnli":
        need("premise", "hypothesis", "label")
        # facebook/xnli per-language configs list the translations of one item on the same row
        df = raw[raw.label >= 0]
        return pd.DataFrame({"key": df.index.astype(str), "text": df.premise.values, "text_pair": df.hypothesis.values,
                             "label": _names(df.label, spec["labels"], where), "language": lang})
    if task == "pawsx":
        need("id", "sentence1", "sentence2", "label")
        return pd.DataFrame({"key": raw.id.astype(str).values, "text": raw.sentence1.values,
                             "text_pair": raw.sentence2.values, "label": _names(raw.label, spec["labels"], where),
                             "language": lang})
    if kind == "multiple_choice":
        need("premise", "choice1", "choice2", "question", "label", "idx")
        return pd.DataFrame({"key": raw.idx.astype(str).values, "premise": raw.premise.values,
                             "question": raw.question.values,
                             "choices": [[a, b] for a, b in zip(raw.choice1, raw.choice2)],
                             "label": raw.label.astype(int).values, "language": lang})
    if kind == "tagging":
        tok, tag = spec["hub"]["columns"]["tokens"], spec["hub"]["columns"]["tags"]
        need(tok, tag)
        return pd.DataFrame({"key": raw.index.astype(str), "tokens": [list(t) for t in raw[tok]],
                             "tags": [_names(t, spec["labels"], where) for t in raw[tag]], "language": lang})
    if kind == "qa":
        need("id", "context", "question", "answers")
        df = raw
        if task == "tydiqa":  # one config for all languages; the id starts with the language name
            df = raw[raw.id.astype(str).str.startswith(f"{_TYDI[lang]}-")]
        return pd.DataFrame({"key": df.id.astype(str).values, "question": df.question.values,
                             "context": df.context.values,
                             "answers": [list(a["text"]) for a in df.answers],
                             "answer_starts": [[int(x) for x in a["answer_start"]] for a in df.answers],
                             "language": lang})
    if task == "tatoeba":
        need("source_sentence", "target_sentence")
        n = len(raw)
        # huggingface/datasets@02bb18c datasets/xtreme/xtreme.py yields the LASER lines unstripped ("...\n");
        # stripped as evaluate_retrieval.py strips them
        q = pd.DataFrame({"key": [str(i) for i in range(n)], "role": "query",
                          "text": raw.source_sentence.astype(str).str.strip().values, "target": [str(i) for i in range(n)]})
        c = pd.DataFrame({"key": [str(i) for i in range(n)], "role": "candidate",
                          "text": raw.target_sentence.astype(str).str.strip().values, "text_language": "en"})
        return pd.concat([q, c], ignore_index=True).assign(language=lang)
    raise NotImplementedError(f"{task}: no hub reader")


# ---------------- summaries and development splits ----------------

def summary(task: str, data_dir=None) -> pd.DataFrame:
    """Examples per split × language that `load` finds (retrieval: queries). Missing splits or languages are
    absent; a split whose files are unusable (e.g. test labels removed by download_data.sh) gets one row
    with language "-", 0 examples and the reason in `problem`. Nothing is downloaded when a local copy exists."""
    spec = xtreme_task(task)
    queries = (lambda df: df[df.role == "query"]) if spec["kind"] == "retrieval" else None
    return split_summary(task, splits(task), lambda split: load(task, split, data_dir=data_dir), queries)


def split_by_item(frame: pd.DataFrame, fractions: dict[str, float], seed: int = 0) -> pd.DataFrame:
    """Cut a parallel frame into portions by item `key` (all translations of an item land in the same
    portion), adding a `split` column. For development with dev files only: train on the English rows of
    one portion, test on other languages' rows of another — no translation of a training item is tested.

    `fractions` e.g. {"train": 0.6, "dev": 0.2, "test": 0.2}, must sum to 1."""
    if abs(sum(fractions.values()) - 1.0) > 1e-9 or any(f < 0 for f in fractions.values()):
        raise ValueError(f"fractions {fractions} must be non-negative and sum to 1")
    keys = sorted(frame.key.unique())
    random.Random(seed).shuffle(keys)
    out, start = {}, 0
    names = list(fractions)
    for i, name in enumerate(names):
        end = len(keys) if i == len(names) - 1 else start + round(fractions[name] * len(keys))
        out.update({k: name for k in keys[start:end]})
        start = end
    return frame.assign(split=frame.key.map(out)).reset_index(drop=True)
