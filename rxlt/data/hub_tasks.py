"""English intermediate tasks from the Hugging Face hub, with a local-directory fallback.

The catalogue follows X-STILTs (Phang et al. 2020; protocols.md §3) and jiant's task set: NLI, paraphrase,
sentiment, QA and commonsense tasks from different domains. Where a local copy exists it wins and
nothing is downloaded: `$RXLT_DATA_DIR/<hub id>/` is a snapshot of the dataset repository as
`huggingface-cli download <hub id> --repo-type dataset --local-dir $RXLT_DATA_DIR/<hub id>` writes it:
`<config>/<split>-*.parquet` (or `.jsonl`), or `default/`/`data/` for datasets without configs
(the hub's parquet conversion, `<config>/<split>/0000.parquet`, works too). Column names are the hub
dataset's own. Revisions are the hub's default branch unless `revision` is set.
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from rxlt.data import provenance
from rxlt.lookup import lookup

# kind: which head a task needs (rxlt.model.heads). `format` names the function that turns the hub's own
# columns into the data contract's frame (CONTRACT.md) for multiple-choice and QA tasks.
INTERMEDIATE_TASKS: dict[str, dict] = {
    "mnli": {"hub_id": "nyu-mll/glue", "config": "mnli", "kind": "pair-classification",
             "domain": "multi-genre: fiction, government, slate, telephone, travel",
             "splits": {"train": ["train"], "dev": ["validation_matched"]},
             "columns": {"text": "premise", "text_pair": "hypothesis", "label": "label"},
             "labels": ["entailment", "neutral", "contradiction"]},
    "anli": {"hub_id": "facebook/anli", "config": "plain_text", "kind": "pair-classification",
             "domain": "adversarial NLI over Wikipedia, news, fiction and more (rounds 1-3)",
             "splits": {"train": ["train_r1", "train_r2", "train_r3"], "dev": ["dev_r1", "dev_r2", "dev_r3"]},
             "columns": {"text": "premise", "text_pair": "hypothesis", "label": "label"},
             "labels": ["entailment", "neutral", "contradiction"]},
    "qqp": {"hub_id": "nyu-mll/glue", "config": "qqp", "kind": "pair-classification",
            "domain": "community question answering (Quora duplicates)",
            "splits": {"train": ["train"], "dev": ["validation"]},
            "columns": {"text": "question1", "text_pair": "question2", "label": "label"},
            "labels": ["not_duplicate", "duplicate"]},
    "sst2": {"hub_id": "nyu-mll/glue", "config": "sst2", "kind": "classification",
             "domain": "movie reviews (sentiment)",
             "splits": {"train": ["train"], "dev": ["validation"]},
             "columns": {"text": "sentence", "label": "label"}, "labels": ["negative", "positive"]},
    "squad": {"hub_id": "rajpurkar/squad", "config": "plain_text", "kind": "extractive-qa",
              "domain": "Wikipedia (reading comprehension)", "splits": {"train": ["train"], "dev": ["validation"]},
              "format": "squad"},
    "hellaswag": {"hub_id": "Rowan/hellaswag", "config": None, "kind": "multiple-choice",
                  "domain": "ActivityNet and WikiHow (commonsense sentence completion)",
                  "splits": {"train": ["train"], "dev": ["validation"]}, "format": "hellaswag"},
    "cosmosqa": {"hub_id": "allenai/cosmos_qa", "config": None, "kind": "multiple-choice",
                 "domain": "personal narratives from blogs (commonsense reading comprehension)",
                 "splits": {"train": ["train"], "dev": ["validation"]}, "format": "cosmosqa"},
    "commonsenseqa": {"hub_id": "tau/commonsense_qa", "config": None, "kind": "multiple-choice",
                      "domain": "ConceptNet-based commonsense questions",
                      "splits": {"train": ["train"], "dev": ["validation"]}, "format": "commonsenseqa"},
    "siqa": {"hub_id": "allenai/social_i_qa", "config": None, "kind": "multiple-choice",
             "domain": "social situations (commonsense)", "splits": {"train": ["train"], "dev": ["validation"]},
             "format": "siqa"},
}

TRAINABLE_KINDS = ("classification", "pair-classification", "multiple-choice", "extractive-qa")


def catalogue() -> pd.DataFrame:
    return pd.DataFrame([{"task": k, "hub_id": v["hub_id"], "kind": v["kind"], "domain": v["domain"]}
                         for k, v in INTERMEDIATE_TASKS.items()])


def data_dir() -> Path | None:
    d = os.environ.get("RXLT_DATA_DIR")
    return Path(d) if d else None


def _local_files(spec: dict, split: str, root: Path) -> list[Path]:
    """Files of one split in a local snapshot: `<config>/<split>-*.parquet|jsonl` as repositories store
    them, or `<config>/<split>/*.parquet` as the hub's parquet conversion does (config `default` or
    folder `data` for datasets without configs)."""
    base = root / spec["hub_id"]
    for folder in ([spec["config"]] if spec["config"] else ["default", "data"]):
        found = sorted(p for ext in ("parquet", "jsonl") for p in (base / folder).glob(f"{split}-*.{ext}"))
        found = found or sorted((base / folder / split).glob("*.parquet"))
        if found:
            return found
    return []


def _read(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_json(path, lines=True)
    except Exception as exc:  # noqa: BLE001 - report which file is bad, whatever the reader raised
        raise ValueError(f"{path}: cannot read as {path.suffix[1:]} ({type(exc).__name__}: {exc})") from None


def load_split(task: str, split: str, revision: str | None = None) -> pd.DataFrame:
    """English rows of a catalogue task's train or dev split in the data contract's schema: text[, text_pair],
    label name (classification); premise, question, choices, label index (multiple choice); question,
    context, answers, answer_starts (extractive QA)."""
    spec = lookup(INTERMEDIATE_TASKS, task, "intermediate task")
    if spec["kind"] not in TRAINABLE_KINDS:
        raise NotImplementedError(f"task {task!r} is {spec['kind']}: it needs a {spec['kind']} head, which this "
                                  f"version does not have; trainable kinds: {TRAINABLE_KINDS}")
    frames = []
    root = data_dir()
    for hub_split in spec["splits"][split]:
        files = _local_files(spec, hub_split, root) if root else []
        if files:
            frames += [_read(f) for f in files]
            provenance.record_snapshot(spec["hub_id"], spec["config"], hub_split, files, root / spec["hub_id"])
            continue
        frames.append(_from_hub(spec, hub_split, revision, root))
    raw = pd.concat(frames, ignore_index=True)
    if "format" in spec:
        out = _contract_frame(task, split, spec["format"], raw)
        return out.assign(language="en").reset_index(drop=True)
    cols = spec["columns"]
    missing = [c for c in cols.values() if c not in raw.columns]
    if missing:
        raise ValueError(f"{task} {split}: columns {missing} missing (have {list(raw.columns)}); expected the hub's own")
    raw = raw[raw[cols["label"]] >= 0]  # GLUE/ANLI mark unlabelled test rows with -1
    out = pd.DataFrame({"text": raw[cols["text"]].astype(str), "label": [spec["labels"][i] for i in raw[cols["label"]]]})
    if "text_pair" in cols:
        out["text_pair"] = raw[cols["text_pair"]].astype(str).values
    return out.assign(language="en").reset_index(drop=True)


def _need(task: str, split: str, raw: pd.DataFrame, cols: list[str]) -> None:
    missing = [c for c in cols if c not in raw.columns]
    if missing:
        raise ValueError(f"{task} {split}: columns {missing} missing (have {list(raw.columns)}); expected the hub's own")


def _squad(raw):  # rajpurkar/squad: id, title, context, question, answers {text: [...], answer_start: [...]}
    return pd.DataFrame({"key": raw["id"].astype(str), "question": raw["question"], "context": raw["context"],
                         "answers": [list(a["text"]) for a in raw["answers"]],
                         "answer_starts": [[int(x) for x in a["answer_start"]] for a in raw["answers"]]})


def _siqa(raw):  # allenai/social_i_qa: context, question, answerA/B/C, label "1".."3"
    return pd.DataFrame({"premise": raw["context"], "question": raw["question"],
                         "choices": raw[["answerA", "answerB", "answerC"]].values.tolist(),
                         "label": raw["label"].astype(int) - 1})


def _hellaswag(raw):  # Rowan/hellaswag: ctx_a, ctx_b, endings[4], label "0".."3" ("" unlabelled)
    raw = raw[raw["label"].astype(str) != ""]
    return pd.DataFrame({"key": raw["ind"].astype(str), "premise": raw["ctx_a"], "question": raw["ctx_b"],
                         "choices": [list(e) for e in raw["endings"]], "label": raw["label"].astype(int)})


def _cosmosqa(raw):  # allenai/cosmos_qa: id, context, question, answer0..3, label 0..3
    raw = raw[raw["label"].astype(int) >= 0]
    return pd.DataFrame({"key": raw["id"].astype(str), "premise": raw["context"], "question": raw["question"],
                         "choices": raw[["answer0", "answer1", "answer2", "answer3"]].values.tolist(),
                         "label": raw["label"].astype(int)})


def _commonsenseqa(raw):  # tau/commonsense_qa: id, question, choices {label: [A..E], text: [...]}, answerKey
    raw = raw[raw["answerKey"].astype(str) != ""]
    return pd.DataFrame({"key": raw["id"].astype(str), "premise": "", "question": raw["question"],
                         "choices": [list(c["text"]) for c in raw["choices"]],
                         "label": [list(c["label"]).index(k) for c, k in zip(raw["choices"], raw["answerKey"])]})


FORMATS = {  # format -> (hub columns it reads, converter)
    "squad": (["id", "question", "context", "answers"], _squad),
    "siqa": (["context", "question", "answerA", "answerB", "answerC", "label"], _siqa),
    "hellaswag": (["ind", "ctx_a", "ctx_b", "endings", "label"], _hellaswag),
    "cosmosqa": (["id", "context", "question", "answer0", "answer1", "answer2", "answer3", "label"], _cosmosqa),
    "commonsenseqa": (["id", "question", "choices", "answerKey"], _commonsenseqa),
}


def _contract_frame(task: str, split: str, fmt: str, raw: pd.DataFrame) -> pd.DataFrame:
    cols, convert = FORMATS[fmt]
    _need(task, split, raw, cols)
    out = convert(raw).reset_index(drop=True)
    if "key" not in out:
        out["key"] = [f"{split}-{i}" for i in range(len(out))]
    return out


def _from_hub(spec: dict, split: str, revision: str | None, root: Path | None) -> pd.DataFrame:
    import datasets

    where = f"{root / spec['hub_id']}" if root else "RXLT_DATA_DIR (unset)"
    try:
        ds = datasets.load_dataset(spec["hub_id"], spec["config"], split=split, revision=revision)
    except Exception as exc:  # noqa: BLE001 - offline, missing, renamed: one clear message
        raise FileNotFoundError(f"{spec['hub_id']} split {split!r}: not found locally in {where} and the hub "
                                f"load failed ({type(exc).__name__}: {str(exc)[:200]})") from None
    # the commit actually read goes into results.json (rxlt.data.provenance), pinned or not
    provenance.record_hub(spec["hub_id"], spec["config"], split, revision, ds)
    return ds.to_pandas()
