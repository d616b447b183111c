"""One long table of a study's results, and the item-level predictions behind it.

Each row of the tidy table is one (task, language, condition, intermediate tasks, objective, seed,
metric) value with its number of test items and the run it came from, so every number in a report
can be traced to a results.json. Item-level rows (one per test item and run) keep paired tests possible.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rxlt.results import read_results

TIDY_COLUMNS = ("task", "language", "condition", "intermediate_tasks", "objective", "seed", "metric", "value",
                "ci_low", "ci_high", "n", "run", "run_dir")


def _lineage(eval_results: dict) -> dict:
    """Objective and intermediate tasks of an evaluation run, read from its fine-tuning run."""
    ft = read_results(eval_results["finetune_run"])
    cfg = ft["config"]
    inter = ""
    if cfg.get("init_from"):
        inter = "+".join(read_results(cfg["init_from"])["config"].get("tasks", []))
    return {"objective": cfg.get("objective", "erm"), "intermediate_tasks": inter}


def tidy_results(run_dirs) -> pd.DataFrame:
    """Long table over the evaluation runs (one row per run × language × metric)."""
    rows = []
    for run_dir in run_dirs:
        res = read_results(run_dir)
        if res.get("phase") != "03_evaluate":
            raise ValueError(f"{run_dir}: phase {res.get('phase')!r}, expected an 03_evaluate run")
        meta = {"task": res["task"], "condition": res.get("condition") or "direct", "seed": int(res["finetune_seed"]),
                **_lineage(res), "run": Path(run_dir).name, "run_dir": str(run_dir)}
        metric = res["metrics"].get("metric", "accuracy")
        key = res["metrics"].get("headline", metric)  # e.g. seqeval_f1 is stored per language as "f1"
        for lang, m in res["metrics"]["per_language"].items():
            rows.append({**meta, "language": lang, "metric": metric, "value": m[key], "ci_low": m.get("ci_low"),
                         "ci_high": m.get("ci_high"), "n": int(m["n"])})
    if not rows:
        raise ValueError("no evaluation runs given: nothing to tabulate")
    return pd.DataFrame(rows)[list(TIDY_COLUMNS)]


# metric -> the per-item column of predictions.csv.gz whose per-language mean is the run's headline value
# (phase 3: rxlt.phases.kind_handlers and rxlt.phases.evaluate._retrieval write them); seqeval F1 is corpus-level.
ITEM_COLUMNS = {"accuracy": "correct", "retrieval_accuracy": "correct", "map_at_20": "ap_at_20", "mrr_at_20": "rr_at_20",
                "squad_em_f1_mean": "score", "squad": "score", "mlqa": "score"}
ITEM_COLS = ["language", "key", "score", "task", "condition", "seed", "run"]


def _run_items(run_dir: Path, res: dict) -> tuple[pd.DataFrame | None, str]:
    """(language, key, score) of one run, or None and why not.

    The per-item column is chosen by the metric (ITEM_COLUMNS) and accepted only where its mean per language
    reproduces the run's per-language headline value (to 1e-9): that check, not an assumption about which
    retrieval direction is the headline (Tatoeba writes both, `direction` x->en and en->x), decides. Duplicate
    keys in a language cannot be paired and are refused.
    """
    metric = res["metrics"].get("metric", "accuracy")
    column, path = ITEM_COLUMNS.get(metric), res.get("artifacts", {}).get("predictions")
    if column is None:
        return None, f"{metric} is a corpus-level score (no per-item values)"
    if not path or not (Path(run_dir) / path).is_file():
        return None, "no predictions file"
    p = pd.read_csv(Path(run_dir) / path, keep_default_na=False)
    if not {"language", "key", column} <= set(p.columns):
        return None, f"predictions lack the columns language, key, {column}"
    key = res["metrics"].get("headline", metric)
    headline = pd.Series({lang: m.get(key) for lang, m in res["metrics"]["per_language"].items()}, dtype=float)
    subsets = [(d, p[p.direction == d]) for d in sorted(set(p.direction))] if "direction" in p else [("", p)]
    matches = []
    for direction, part in subsets:
        means = pd.to_numeric(part[column], errors="coerce").groupby(part.language).mean()
        if means.index.equals(headline.sort_index().index) and np.allclose(means.loc[headline.index], headline, atol=1e-9):
            matches.append((direction, part))
    if len(matches) != 1:
        return None, ("no per-item column reproduces the headline" if not matches else
                      "two retrieval directions reproduce the headline: the item scores are ambiguous")
    direction, part = matches[0]
    if part.duplicated(["language", "key"]).any():
        return None, "duplicate item keys within a language"
    out = part[["language", "key"]].assign(key=part.key.astype(str), score=pd.to_numeric(part[column]).astype(float))
    return out, f"{column}" + (f" ({direction})" if direction else "")


def item_results(run_dirs) -> pd.DataFrame:
    """Item-level scores of every run: task, condition, seed, run, language, key, score.

    `score` is the per-item value whose mean per language is the run's headline: 0/1 correctness (accuracy,
    Tatoeba's P@1), per-question (EM + F1)/2 (QA), AP@20 / RR@20 per query (LAReQA, Mewsli-X). Runs without
    per-item values (seqeval F1) are left out; `attrs["sources"]` says, per run, which column was used or why none.
    """
    parts, sources = [], {}
    for run_dir in run_dirs:
        res = read_results(run_dir)
        items, why = _run_items(Path(run_dir), res)
        sources[Path(run_dir).name] = why
        if items is not None:
            parts.append(items.assign(task=res["task"], condition=res.get("condition") or "direct",
                                      seed=int(res["finetune_seed"]), run=Path(run_dir).name))
    out = pd.concat(parts, ignore_index=True)[ITEM_COLS] if parts else pd.DataFrame(columns=ITEM_COLS)
    out.attrs["sources"] = sources
    return out


def export_table(df: pd.DataFrame, directory: Path, stem: str) -> dict[str, str]:
    """Write `df` as <stem>.csv and <stem>.parquet in `directory`; return the file names."""
    directory = Path(directory)
    df.to_csv(directory / f"{stem}.csv", index=False)
    df.to_parquet(directory / f"{stem}.parquet", index=False)
    return {"csv": f"{stem}.csv", "parquet": f"{stem}.parquet"}
