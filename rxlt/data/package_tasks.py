"""English sentence-level intermediate tasks built offline from data that Debian packages install.

- `wordnet-gloss`: a WordNet 3.0 gloss's definition -> the synset's lexicographer file (45 classes: noun.animal,
  noun.food, verb.motion, adj.all, ...). Data: Debian `wordnet-base` (/usr/share/wordnet, which `make setup`
  installs), files data.{noun,verb,adj,adv} in the format of wndb(5WN): `synset_offset lex_filenum ss_type w_cnt
  word lex_id ... p_cnt ptr... | gloss`, lines of the license header start with two spaces. The gloss holds the
  definition(s), then example sentences in double quotes after "; "; the text is the definition part. Label
  names: lexnames(5WN), the file `lexnames` of the WordNet 3.0 dict/ folder (LEXNAMES below, by number).
  Princeton WordNet 3.0 license (Debian's /usr/share/doc/wordnet-base/copyright).
- `fortune-topic`: a fortune-cookie text (quotations, jokes, aphorisms) -> the topic file it is filed in, for the
  16 topical files of Debian `fortunes` (fortune-mod 1.99.1, /usr/share/games/fortunes; BSD license; topics as
  described in its /usr/share/doc/fortunes/cookie-files.gz). Items are separated by lines holding only "%";
  backspace overstriking (`_\\b`) is removed and whitespace collapsed; texts shorter than 20 or longer than 500
  characters and texts filed under two topics are left out. `make setup` installs the package best-effort.

Both are split by item (a hash of the item's key: same split on every machine and for any subset of the data),
80/10/10 train/dev/test, and capped per label where the spec says so (the first items in hash order). No text
equals a SIB-200 English sentence: any that would is dropped (`exclude_sib200`), and the tests check it.
Where the package is missing, loading raises FileNotFoundError naming it (tests skip; phase 1 refuses the task
before any compute).
"""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pandas as pd

from rxlt.data import provenance
from rxlt.data.readers import DataFileError
from rxlt.lookup import lookup

WORDNET_DIR = "/usr/share/wordnet"
FORTUNES_DIR = "/usr/share/games/fortunes"
WORDNET_FILES = {"noun": "data.noun", "verb": "data.verb", "adj": "data.adj", "adv": "data.adv"}
# lexnames(5WN): lexicographer file number -> name (WordNet 3.0 dict/lexnames)
LEXNAMES: tuple[str, ...] = (
    "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact", "noun.attribute",
    "noun.body", "noun.cognition", "noun.communication", "noun.event", "noun.feeling", "noun.food", "noun.group",
    "noun.location", "noun.motive", "noun.object", "noun.person", "noun.phenomenon", "noun.plant", "noun.possession",
    "noun.process", "noun.quantity", "noun.relation", "noun.shape", "noun.state", "noun.substance", "noun.time",
    "verb.body", "verb.change", "verb.cognition", "verb.communication", "verb.competition", "verb.consumption",
    "verb.contact", "verb.creation", "verb.emotion", "verb.motion", "verb.perception", "verb.possession",
    "verb.social", "verb.stative", "verb.weather", "adj.ppl")
# The topical files of fortunes (cookie-files.gz); the others are by form (riddles, songs-poems, definitions),
# by source (cookie, zippy, startrek, humorists), mixed (miscellaneous, people, platitudes, wisdom, fortunes) or
# not English prose (ascii-art, translate-me).
FORTUNE_TOPICS: tuple[str, ...] = ("art", "computers", "drugs", "education", "food", "kids", "law", "literature",
                                   "love", "medicine", "news", "pets", "politics", "science", "sports", "work")
SPLIT = {"train": 0.8, "dev": 0.1, "test": 0.1}

PACKAGE_TASKS: dict[str, dict] = {
    "wordnet-gloss": {
        "source": "wordnet", "kind": "classification", "labels": list(LEXNAMES), "split": SPLIT,
        "domain": "lexicography: dictionary definitions across all semantic fields (WordNet 3.0 glosses)",
        "description": "definition -> lexicographer file of its synset (45 classes)",
        "package": "Debian wordnet-base (Princeton WordNet 3.0)",
        # 117,659 synsets; capped per label so one epoch stays CPU-sized and the rare files (noun.motive,
        # noun.Tops, verb.weather, adj.ppl) are not swamped by noun.artifact / noun.person
        "max_per_label": {"train": 300, "dev": 40, "test": 40},
    },
    "fortune-topic": {
        "source": "fortunes", "kind": "classification", "labels": list(FORTUNE_TOPICS), "split": SPLIT,
        "domain": "quotations, jokes and aphorisms (BSD fortune cookie files) by topic",
        "description": "fortune text -> topic file (16 topics)", "package": "Debian fortunes (fortune-mod 1.99.1)",
        "max_per_label": None,
    },
}


def task_spec(task: str) -> dict:
    return lookup(PACKAGE_TASKS, task, "package task")


def wordnet_dir() -> Path:
    return Path(os.environ.get("RXLT_WORDNET_DIR") or WORDNET_DIR)


def fortunes_dir() -> Path:
    return Path(os.environ.get("RXLT_FORTUNES_DIR") or FORTUNES_DIR)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def split_of(key: str) -> str:
    """train/dev/test of an item by a hash of its key (stable across machines, orders and subsets)."""
    u = int(_digest(key)[:12], 16) / 16 ** 12
    return "train" if u < SPLIT["train"] else "dev" if u < SPLIT["train"] + SPLIT["dev"] else "test"


def _normalize(text: str) -> str:
    return " ".join(text.split()).casefold()


_EXAMPLES = re.compile(r'(?:^|;\s*)"')  # a gloss's example sentences start with a quote after "; "


def wordnet_glosses(root: Path | None = None) -> list[dict]:
    """One row per synset: key (`n02084071`: part of speech + offset), text (the gloss's definition), label."""
    root = root or wordnet_dir()
    missing = [f for f in WORDNET_FILES.values() if not (root / f).is_file()]
    if missing:
        raise FileNotFoundError(f"wordnet-gloss: WordNet 3.0 files {missing} missing in {root}; install Debian's "
                                f"wordnet-base (apt-get install wordnet-base) or set $RXLT_WORDNET_DIR")
    rows = []
    for pos, name in WORDNET_FILES.items():
        path = root / name
        provenance.record_files("wordnet-gloss", "all", [path])
        with open(path, encoding="utf-8", errors="strict") as f:
            for no, line in enumerate(f, start=1):
                if line.startswith("  ") or not line.strip():
                    continue  # the license header
                head, bar, gloss = line.partition(" | ")
                fields = head.split()
                if not bar or len(fields) < 4 or not fields[0].isdigit() or not fields[1].isdigit():
                    raise DataFileError(f"{path}:{no}: expected `synset_offset lex_filenum ss_type w_cnt ... | gloss` "
                                        f"(wndb(5WN))")
                lex = int(fields[1])
                if lex >= len(LEXNAMES):
                    raise DataFileError(f"{path}:{no}: lex_filenum {lex} is not in lexnames(5WN) "
                                        f"(0-{len(LEXNAMES) - 1})")
                definition = _EXAMPLES.split(gloss.strip(), maxsplit=1)[0].strip().rstrip(";").strip()
                if definition:
                    rows.append({"key": f"{fields[2][0]}{fields[0]}", "text": definition, "label": LEXNAMES[lex]})
    return rows


def fortune_items(root: Path | None = None) -> list[dict]:
    """One row per fortune of the topical files: key (`<topic>:<n>`), text, label (the topic)."""
    root = root or fortunes_dir()
    missing = [t for t in FORTUNE_TOPICS if not (root / t).is_file()]
    if missing:
        raise FileNotFoundError(f"fortune-topic: fortune files {missing} missing in {root}; install Debian's "
                                f"fortunes (apt-get install fortunes) or set $RXLT_FORTUNES_DIR")
    rows = []
    for topic in FORTUNE_TOPICS:
        path = root / topic
        provenance.record_files("fortune-topic", "all", [path])
        raw = path.read_bytes().decode("utf-8", errors="replace")
        for n, item in enumerate(re.split(r"\n%\n", raw.replace("\r\n", "\n"))):
            text = " ".join(re.sub(r".\x08", "", item).split())
            if 20 <= len(text) <= 500:
                rows.append({"key": f"{topic}:{n}", "text": text, "label": topic})
    return rows


def sib200_english() -> set[str]:
    """Normalized English SIB-200 sentences of all splits (the shipped copy): texts no package task may hold."""
    from rxlt.data import sib200

    return {_normalize(t) for split in sib200.SPLITS for t in sib200.load(split, ["en"], source="shipped").text}


def build(task: str) -> pd.DataFrame:
    """All items of a package task with their split: language, key, text, label, split. Texts are unique (a text
    filed under two labels is dropped, a repeated one kept once) and none is a SIB-200 English sentence."""
    spec = task_spec(task)
    rows = wordnet_glosses() if spec["source"] == "wordnet" else fortune_items()
    norm = [_normalize(r["text"]) for r in rows]
    labels_of: dict[str, set] = {}
    for n, r in zip(norm, rows):
        labels_of.setdefault(n, set()).add(r["label"])
    banned, seen, kept = sib200_english(), set(), []
    for n, r in zip(norm, rows):
        if n in seen or n in banned or len(labels_of[n]) > 1:
            continue
        seen.add(n)
        kept.append({**r, "split": split_of(r["key"])})
    cap = spec.get("max_per_label")
    if cap:  # the first items of each (split, label) in an order fixed by the keys' hashes
        counts: dict[tuple, int] = {}
        ordered = sorted(kept, key=lambda r: _digest("order:" + r["key"]))
        kept = []
        for r in ordered:
            n = counts.get((r["split"], r["label"]), 0)
            if n < cap[r["split"]]:
                counts[(r["split"], r["label"])] = n + 1
                kept.append(r)
    df = pd.DataFrame(sorted(kept, key=lambda r: r["key"]), columns=["key", "text", "label", "split"])
    return df.assign(language="en")[["language", "key", "text", "label", "split"]]


_BUILT: dict[tuple, pd.DataFrame] = {}


def load_split(task: str, split: str) -> pd.DataFrame:
    """Rows (language, key, text, label) of one split; the built task is kept per source directory."""
    if split not in SPLIT:
        raise ValueError(f"{task} has no split {split!r}: it has {list(SPLIT)}")
    spec = task_spec(task)
    root = wordnet_dir() if spec["source"] == "wordnet" else fortunes_dir()
    cache_key = (task, str(root))
    if cache_key not in _BUILT:
        _BUILT[cache_key] = build(task)
    else:  # a cached build still counts as reading its files, for this run's provenance
        files = WORDNET_FILES.values() if spec["source"] == "wordnet" else FORTUNE_TOPICS
        provenance.record_files(task, "all", [root / f for f in files])
    df = _BUILT[cache_key]
    return df[df.split == split].drop(columns="split").reset_index(drop=True)


def available(task: str) -> bool:
    spec = task_spec(task)
    if spec["source"] == "wordnet":
        return all((wordnet_dir() / f).is_file() for f in WORDNET_FILES.values())
    return all((fortunes_dir() / t).is_file() for t in FORTUNE_TOPICS)
