"""One long table of a study's results, and the item-level predictions behind it.

Each row of the tidy table is one (task, language, condition, intermediate tasks, objective, seed,
metric) value with its number of test items and the run it came from, so every number in a report
can be traced to a results.json. Item-level rows (one per test item and run) keep paired tests possible.
"""
from __future__ import annotations

from pathlib import Path

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


def item_results(run_dirs) -> pd.DataFrame:
    """Item-level predictions of every run: task, condition, seed, run, language, key, correct."""
    parts = []
    for run_dir in run_dirs:
        res = read_results(run_dir)
        path = res.get("artifacts", {}).get("predictions")
        # only accuracy is a mean of the predictions' `correct` column (retrieval files carry P@1 there even when
        # the metric is mAP@20; tagging and QA have none): other runs get no paired item tests
        if not path or res["metrics"].get("metric", "accuracy") != "accuracy":
            continue
        p = pd.read_csv(Path(run_dir) / path, keep_default_na=False)
        if not {"language", "key", "correct"} <= set(p.columns):
            continue
        p = p[["language", "key", "correct"]]
        parts.append(p.assign(task=res["task"], condition=res.get("condition") or "direct",
                              seed=int(res["finetune_seed"]), run=Path(run_dir).name))
    cols = ["language", "key", "correct", "task", "condition", "seed", "run"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


def export_table(df: pd.DataFrame, directory: Path, stem: str) -> dict[str, str]:
    """Write `df` as <stem>.csv and <stem>.parquet in `directory`; return the file names."""
    directory = Path(directory)
    df.to_csv(directory / f"{stem}.csv", index=False)
    df.to_parquet(directory / f"{stem}.parquet", index=False)
    return {"csv": f"{stem}.csv", "parquet": f"{stem}.parquet"}
