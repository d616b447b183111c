"""Examples of the XGLUE and low-resource suite tasks (rxlt.data.xglue_tasks, rxlt.data.lowres_tasks) as frames in the
data contract's schema, from a local copy or the hub — the same rules as rxlt.data.xtreme_loader:

1. `data_dir` (or `$RXLT_DATA_DIR`) holding the task in its upstream layout (the table's `local` patterns);
2. a local hub snapshot `$RXLT_DATA_DIR/<hub id>/<config>/<split>-*.parquet` (or the parquet conversion's
   `<config>/<split>/*.parquet`; Belebele's `data/<code>.jsonl`), as rxlt.data.hub_tasks reads them;
3. `datasets.load_dataset(hub id, config, split=..., revision=...)`.
An explicit `data_dir` without the task's files is an error listing the paths tried.

Splits: `train` and `dev` are English (the task's English source, `english_task` in its table; `dev` with other
languages named reads their dev files where the task has them), `test` is every language of the task.
Integer hub labels are named by the ClassLabel names the parquet file stores in its own metadata (datasets writes
them), else by the table's verified order; a task whose order is unverified refuses integer labels.
"""
from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import pandas as pd

from rxlt.data import hub_tasks, provenance, suite_readers
from rxlt.data.lowres_tasks import ENGLISH_SOURCES, LOWRES_TASKS
from rxlt.data.metric_directions import METRICS
from rxlt.data.readers import DataFileError
from rxlt.data.split_summary import split_summary
from rxlt.data.xglue_tasks import FILE_LABELS, XGLUE_TASKS
from rxlt.lookup import UnknownNameError, lookup, suggest

SUITE_TASKS: dict[str, dict] = {**XGLUE_TASKS, **LOWRES_TASKS}
SPLITS = ("train", "dev", "test")
COLUMNS = {"classification": ["text", "text_pair", "label"], "multiple_choice": ["premise", "question", "choices", "label"],
           "tagging": ["tokens", "tags"]}
ENGLISH = "en"


def suite_task(name: str) -> dict:
    return lookup(SUITE_TASKS, name, "suite task")


def labels(task: str) -> list[str]:
    return list(suite_task(task)["labels"] or [])


def _root(data_dir) -> Path | None:
    if data_dir is not None:
        return Path(data_dir)
    env = os.environ.get("RXLT_DATA_DIR")
    return Path(env) if env else None


def _english_source(task: str) -> dict:
    """The spec whose `local`/`hub` hold the English train/dev rows: the task itself (XGLUE, NusaX) or its source."""
    spec = suite_task(task)
    return ENGLISH_SOURCES.get(spec["english_task"], spec)


def _fill(spec: dict, pattern: str, lang: str) -> str:
    code = spec.get("codes", {}).get(lang, {}).get("upstream", lang)
    return pattern.format(lang=lang, code=code, name=spec.get("names", {}).get(lang, lang))


def _find(root: Path, spec: dict, patterns: list[str], lang: str) -> Path | None:
    for pattern in patterns:
        path = root / _fill(spec, pattern, lang)
        if path.is_file():
            return path
    return None


def _read_local(task: str, source: dict, split: str, lang: str, path: Path) -> list[dict]:
    fmt, spec = source["local"]["format"], suite_task(task)
    provenance.record_files(task, split, [path])
    if fmt.startswith("xglue_"):
        return suite_readers.xglue_tsv(path, task, spec["labels"], FILE_LABELS.get(task))
    if fmt == "belebele":
        return suite_readers.belebele_jsonl(path)
    if fmt == "belebele_train":
        return suite_readers.belebele_train_tsv(path, split)
    if fmt == "afrisenti":
        return suite_readers.afrisenti_tsv(path, spec["labels"])
    if fmt == "tweeteval":
        return suite_readers.tweeteval(path, spec["labels"])
    if fmt == "conll_space":
        return suite_readers.conll_space(path, spec["labels"])
    if fmt == "anli":
        return suite_readers.anli_tsv(path, spec["labels"], spec["codes"][lang]["upstream"])
    if fmt == "nusax":
        return suite_readers.nusax_csv(path, spec["labels"])
    raise NotImplementedError(f"{task}: no reader for local format {fmt!r}")


def _frame(spec: dict, rows: list[dict], lang: str) -> pd.DataFrame:
    cols = [c for c in COLUMNS[spec["kind"]] if rows and c in rows[0]]
    df = pd.DataFrame(rows).assign(language=lang)
    return df[["language", "key", *cols] + [c for c in df.columns if c not in {"language", "key", *cols}]]


def _languages(spec: dict, task: str, languages) -> list[str] | None:
    if languages is None:
        return None
    languages = [languages] if isinstance(languages, str) else list(languages)
    bad = [lg for lg in languages if lg not in spec["languages"] and lg != ENGLISH]
    if bad:
        raise UnknownNameError(f"{task} has no language {bad[0]!r}: {suggest(bad[0], spec['languages'])}")
    return languages


def load(task: str, split: str, languages=None, data_dir=None, revision: str | None = None) -> pd.DataFrame:
    """Rows of `task`'s `split` (train | dev | test) with `language` and `key` columns."""
    spec = suite_task(task)
    if split not in SPLITS:
        raise ValueError(f"{task} has no split {split!r}: it has {list(SPLITS)}")
    langs = _languages(spec, task, languages)
    if split == "train" or (split == "dev" and (langs is None or langs == [ENGLISH])):
        return _english(task, split, data_dir, revision)
    if split == "test" and langs is not None and ENGLISH in langs and ENGLISH not in spec["languages"]:
        raise FileNotFoundError(f"{task} has no English test items (its languages: {spec['languages']})")
    root = _root(data_dir)
    frames = []
    local = spec["local"].get(split)
    present = [lg for lg in spec["languages"] if root and local and _find(root, spec, local, lg)] if root else []
    if present or (data_dir is not None and not _snapshot(spec, root)):
        want = langs or present
        missing = [lg for lg in want if lg not in present]
        if missing:
            tried = [str(root / _fill(spec, p, missing[0])) for p in (local or [])]
            raise FileNotFoundError(f"{task} {split} {missing}: no file under {root}; tried {tried} "
                                    f"(layouts: rxlt.data.suite_loader / the task table's 'local')")
        for lg in want:  # a file without rows is a DataFileError naming it (rxlt.data.suite_readers)
            frames.append(_frame(spec, _read_local(task, spec, split, lg, _find(root, spec, local, lg)), lg))
        if not frames:
            raise FileNotFoundError(f"{task} {split}: no file under {root}")
        return pd.concat(frames, ignore_index=True)
    return _load_hub(task, spec, spec["hub"], split, langs or list(spec["languages"]), root, revision)


def _english(task: str, split: str, data_dir, revision) -> pd.DataFrame:
    spec = suite_task(task)
    if spec["english_task"] == "mnli-xnli-dev":  # AmericasNLI: MNLI train, English XNLI dev (anli_default.yaml)
        from rxlt.data import xtreme_loader

        if split == "dev":
            return xtreme_loader.load("xnli", "dev", [ENGLISH], data_dir=data_dir)
        try:
            return xtreme_loader.load("xnli", "train", data_dir=data_dir)
        except FileNotFoundError:
            return hub_tasks.load_split("mnli", "train").assign(key=lambda d: d.index.astype(str))
    source = _english_source(task)
    root = _root(data_dir)
    local = (source.get("local") or {}).get(split)
    path = _find(root, spec, local, ENGLISH) if root and local else None
    if path is not None:
        return _frame(spec, _read_local(task, source, split, ENGLISH, path), ENGLISH)
    if data_dir is not None and not (source.get("hub") and _snapshot(source, root)):
        tried = [str(root / _fill(spec, p, ENGLISH)) for p in (local or [])]
        raise FileNotFoundError(f"{task} {split} (English, {spec['english_task']}): no file under {root}; tried {tried}")
    if not source.get("hub"):
        raise FileNotFoundError(f"{task} {split}: {spec['english_task']} has no hub copy ({source.get('what', '')}); "
                                f"put it under $RXLT_DATA_DIR as {local}")
    return _load_hub(task, spec, source["hub"], split, [ENGLISH], root, revision)


# ---------------- hub ----------------

def _snapshot(spec: dict, root: Path | None) -> bool:
    return bool(root) and bool(spec.get("hub")) and (root / spec["hub"]["id"]).is_dir()


def _config(spec: dict, hub: dict, lang: str) -> str:
    return _fill(spec, hub["config"], lang)


def class_names(path: Path, column: str) -> list[str] | None:
    """ClassLabel names of `column` as datasets stores them in a parquet file's `huggingface` schema metadata."""
    if path.suffix != ".parquet":
        return None
    import pyarrow.parquet as pq

    meta = (pq.read_schema(path).metadata or {}).get(b"huggingface")
    if not meta:
        return None
    feature = json.loads(meta).get("info", {}).get("features", {}).get(column)
    while isinstance(feature, dict):  # Sequence / List of ClassLabel nest the label feature
        if "names" in feature:
            return list(feature["names"])
        feature = feature.get("feature")
    return None


def _hub_rows(hub: dict, cfg: str, split: str, revision, root) -> tuple[pd.DataFrame, list[str] | None]:
    one = {"hub_id": hub["id"], "config": cfg}
    files = hub_tasks._local_files(one, split, root) if root else []
    if root and not files and hub.get("snapshot_files"):
        path = root / hub["id"] / hub["snapshot_files"].format(code=cfg)
        files = [path] if path.is_file() else []
    if files:
        provenance.record_snapshot(hub["id"], cfg, split, files, root / hub["id"])
        names = class_names(files[0], hub.get("label_column", ""))
        return pd.concat([hub_tasks._read(f) for f in files], ignore_index=True), names
    import datasets

    try:
        ds = datasets.load_dataset(hub["id"], cfg, split=split, revision=revision)
    except Exception as exc:  # noqa: BLE001 - offline, missing, renamed: one clear message
        where = root / hub["id"] if root else "RXLT_DATA_DIR (unset)"
        raise FileNotFoundError(f"{hub['id']} {cfg} split {split!r}: not found locally in {where} and the hub load "
                                f"failed ({type(exc).__name__}: {str(exc)[:200]})") from None
    provenance.record_hub(hub["id"], cfg, split, revision, ds)
    feature = ds.features.get(hub.get("label_column", ""))
    names = getattr(feature, "names", None) or getattr(getattr(feature, "feature", None), "names", None)
    return ds.to_pandas(), names


def _load_hub(task, spec, hub, split, langs, root, revision) -> pd.DataFrame:
    if split not in hub["splits"]:
        raise FileNotFoundError(f"{task} {split}: no local files and the hub copy {hub['id']} has no such split")
    revision = revision or hub.get("revision")
    if revision is None:
        warnings.warn(f"{task}: loading {hub['id']} at the hub's default branch (no verified revision pinned); the "
                      f"commit actually read is recorded in results.json (provenance.data_sources)", stacklevel=3)
    frames = []
    for lg in langs:
        cfg = _config(spec, hub, lg)
        raw, names = _hub_rows(hub, cfg, hub["splits"][split].format(lang=lg), revision, root)
        rows = _from_hub(task, spec, hub, raw, names or hub.get("labels"), f"{hub['id']} {cfg} ({task}, {lg})")
        frames.append(_frame(spec, rows, lg))
    return pd.concat(frames, ignore_index=True)


def _name(value, names, labels, where: str, tag_map=None) -> str:
    if isinstance(value, str):
        name = value
    elif names is None:
        raise DataFileError(f"{where}: integer label {value} and no ClassLabel names (none in the file's metadata, "
                            f"none verified in the task table); use the upstream files or a parquet export with features")
    elif 0 <= int(value) < len(names):
        name = names[int(value)]
    else:
        raise DataFileError(f"{where}: label id {value} outside 0..{len(names) - 1} ({names})")
    name = (tag_map or {}).get(name, name)
    if name not in labels:
        raise DataFileError(f"{where}: label {name!r} is not one of {labels}")
    return name


def _text(raw: pd.DataFrame, col, where: str) -> list[str]:
    cols = [col] if isinstance(col, str) else list(col)
    missing = [c for c in cols if c not in raw.columns]
    if missing:
        raise DataFileError(f"{where}: columns {missing} missing (have {list(raw.columns)}); expected the hub's own")
    return [" ".join(str(v) for v in vals) for vals in zip(*(raw[c] for c in cols))]


def _from_hub(task: str, spec: dict, hub: dict, raw: pd.DataFrame, names, where: str) -> list[dict]:
    if spec["kind"] == "multiple_choice":  # Belebele
        seen: dict = {}
        return [suite_readers.belebele_row(obj, f"{where} row {i}", seen) for i, obj in enumerate(raw.to_dict("records"))]
    label_col = hub["label_column"]
    if label_col not in raw.columns:
        raise DataFileError(f"{where}: column {label_col!r} missing (have {list(raw.columns)}); expected the hub's own")
    keys = raw["id"].astype(str).tolist() if "id" in raw.columns else [str(i) for i in range(len(raw))]
    if spec["kind"] == "tagging":
        tokens = raw[hub["columns"]["tokens"]]
        return [{"key": k, "tokens": list(t), "tags": [_name(v, names, spec["labels"], where, hub.get("tag_map"))
                                                       for v in tags]}
                for k, t, tags in zip(keys, tokens, raw[label_col])]
    text = _text(raw, hub["columns"]["text"], where)
    pair = _text(raw, hub["columns"]["text_pair"], where) if "text_pair" in hub["columns"] else None
    rows = []
    group, last = -1, None
    for i, (k, t, v) in enumerate(zip(keys, text, raw[label_col])):
        row = {"key": k, "text": t, "label": _name(v, names, spec["labels"], where)}
        if pair is not None:
            row["text_pair"] = pair[i]
        if spec.get("groups") == "consecutive_query":  # xglue_evaluate.py load_data, on the file's row order
            group, last = (group + 1 if t != last else group), t
            row["group"] = str(group)
        rows.append(row)
    return rows


# ---------------- languages and summaries ----------------

def available_languages(task: str, split: str = "test", data_dir=None) -> list[str]:
    """Languages whose `split` files exist under the data directory ([] without one)."""
    spec = suite_task(task)
    root = _root(data_dir)
    local = spec["local"].get(split)
    if root is None or not local:
        return []
    return [lg for lg in spec["languages"] if _find(root, spec, local, lg)]


def local_files(task: str, split: str, data_dir=None) -> list[Path]:
    """The files of the data directory that `load(task, split)` reads (English train/dev, every language's dev and
    test), for checks before any run; AmericasNLI's English rows are XNLI's (rxlt.data.xtreme_loader.local_files)."""
    spec, root = suite_task(task), _root(data_dir)
    if root is None:
        return []
    if spec["english_task"] == "mnli-xnli-dev" and split in ("train", "dev"):
        from rxlt.data import xtreme_loader

        english = xtreme_loader.local_files("xnli", split, data_dir=root)
    else:
        patterns = (_english_source(task).get("local") or {}).get(split) if split != "test" else None
        english = [_find(root, spec, patterns, ENGLISH)] if patterns else []
    local = spec["local"].get(split) if spec["local"] and split != "train" else None
    others = [_find(root, spec, local, lg) for lg in spec["languages"]] if local else []
    return sorted({p for p in [*english, *others] if p is not None})


def evaluation_languages(task: str, data_dir=None) -> list[str]:
    """Test languages present locally, else the task's full list (hub)."""
    return available_languages(task, "test", data_dir) or list(suite_task(task)["languages"])


def summary(task: str, data_dir=None) -> pd.DataFrame:
    """Examples per split × language that `load` finds, as rxlt.data.xtreme_loader.summary."""
    return split_summary(task, SPLITS, lambda split: load(task, split, data_dir=data_dir))


def catalogue() -> pd.DataFrame:
    """One row per suite task: suite, kind, metric and its direction, languages, English training source."""
    return pd.DataFrame([{"task": t, "suite": s["suite"], "kind": s["kind"], "metric": s["metric"],
                          "higher_is_better": METRICS[s["metric"]]["higher_is_better"],
                          "languages": len(s["languages"]), "english_task": s["english_task"]}
                         for t, s in SUITE_TASKS.items()])
