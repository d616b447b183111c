"""How many examples of a task a machine has, per split and language: the table behind `rxlt data summary`."""
from __future__ import annotations

from typing import Callable

import pandas as pd

from rxlt.data.readers import DataFileError

COLUMNS = ["task", "split", "language", "examples", "problem"]


def split_summary(task: str, splits, load_split: Callable[[str], pd.DataFrame],
                  keep: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> pd.DataFrame:
    """One row per split × language that `load_split(split)` finds (`keep` filters the rows counted, e.g. retrieval
    queries); a split with no local copy is absent; one whose files are unusable gets a row with language "-",
    0 examples and the reason in `problem`."""
    rows = []
    for split in splits:
        try:
            df = load_split(split)
        except (FileNotFoundError, NotImplementedError):
            continue
        except DataFileError as exc:
            rows.append({"task": task, "split": split, "language": "-", "examples": 0, "problem": str(exc)})
            continue
        df = keep(df) if keep else df
        for lg, n in df.groupby("language").size().items():
            rows.append({"task": task, "split": split, "language": lg, "examples": int(n), "problem": ""})
    return pd.DataFrame(rows, columns=COLUMNS)
