"""Slicing a finished study's tidy results (the explore notebook's logic)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from rxlt.phases.tiers import TIDY, per_language_means, score_column
from rxlt.results import is_complete, read_results, repo_root


def latest_tiers_run(study: str, runs_dir: str | Path = "") -> Path:
    """The most recently finished phase-4 run of `study`."""
    root = Path(runs_dir) if runs_dir else repo_root() / "runs"
    runs = [p for p in (root / study / "04_tiers").glob("*") if is_complete(p)]
    if not runs:
        studies = sorted(p.name for p in root.glob("*") if (p / "04_tiers").is_dir())
        raise FileNotFoundError(f"no finished 04_tiers run for study {study!r} under {root}; "
                                f"studies with one: {', '.join(studies) or 'none (run `make study` first)'}")
    return max(runs, key=lambda p: read_results(p)["provenance"]["finished"])


def load_tidy(study: str, runs_dir: str | Path = "") -> pd.DataFrame:
    """One row per (run, language): condition, seed, the metric's score (a column named by `metric`, e.g.
    accuracy or seqeval_f1), CI, gap to English, tier, CC-100 size."""
    run = latest_tiers_run(study, runs_dir)
    return pd.read_csv(run / TIDY, keep_default_na=False, na_values=[""])


def metric_column(tidy: pd.DataFrame) -> str:
    """The column holding the study's metric (accuracy, seqeval_f1, …; tables from before: accuracy)."""
    return score_column(tidy)


def select(tidy: pd.DataFrame, languages=(), tiers=(), conditions=(), seeds=()) -> pd.DataFrame:
    """Rows matching every non-empty filter; an unknown value is an error listing what exists."""
    out = tidy
    for column, wanted in (("language", languages), ("tier", tiers), ("condition", conditions), ("seed", seeds)):
        if not wanted:
            continue
        present = set(tidy[column])
        missing = [w for w in wanted if w not in present]
        if missing:
            raise ValueError(f"{column} {missing} not in these results; present: {sorted(map(str, present))}")
        out = out[out[column].isin(list(wanted))]
    return out.reset_index(drop=True)


def summarize(tidy: pd.DataFrame) -> pd.DataFrame:
    """Per-language means over the selected seeds (the table the plots draw)."""
    return per_language_means(tidy)
