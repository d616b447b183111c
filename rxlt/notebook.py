"""What the phase notebooks import: configs, phase functions and small display helpers.

Notebooks narrate and this package computes; these helpers only shape output for a reader.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

from rxlt.params.phases import (EvaluateParams, ExploreParams, FinetuneParams, IntermediateParams, ReportParams,
                                TiersParams)
from rxlt.params.strict import build
from rxlt.phases.evaluate import GENERALIZED, run_evaluation
from rxlt.phases.finetune import run_finetune
from rxlt.phases.intermediate import run_intermediate
from rxlt.phases.report import robustness_overview, run_report
from rxlt.phases.tiers import run_tiers
from rxlt.reporting import alignment_comparison
from rxlt.reporting import phase_figures as plots
from rxlt.reporting import study_figures
from rxlt.reporting.display import (show_conclusion, show_config, show_language_scores, show_languages, show_links,
                                    show_other_conditions, show_table)
from rxlt.phases.explore import load_tidy, metric_column, select, summarize
from rxlt.results import repo_root, start_run

__all__ = ["EvaluateParams", "ExploreParams", "FinetuneParams", "IntermediateParams", "ReportParams", "TiersParams",
           "alignment_comparison", "from_namespace", "load_tidy", "metric_column", "plots", "robustness_overview", "run_evaluation",
           "run_finetune", "run_intermediate", "run_report", "run_tiers", "select", "show_answer", "show_conclusion",
           "show_config", "show_generalized", "show_language_scores", "show_languages", "show_links",
           "show_other_conditions", "show_table", "start_run", "study_figures", "summarize",
           "summarize_evaluation"]


PATH_KEYS = ("run_dir", "runs_dir", "init_from", "finetune_run", "evaluation_runs", "synonyms_file",
             "wordnet_dir")


def from_namespace(cls, namespace: dict):
    """Build the phase config from the parameters cell's variables (strictly typed and validated).

    Relative paths are taken relative to the repository, not to where Jupyter was started.
    """
    values = {f.name: namespace[f.name] for f in dataclasses.fields(cls) if f.name in namespace}
    for key in PATH_KEYS:
        if key in values:
            values[key] = resolve_paths(values[key])
    return build(cls, values, source="notebook parameters")


def resolve_paths(value):
    if isinstance(value, (list, tuple)):
        return [resolve_paths(v) for v in value]
    if isinstance(value, str) and value and not Path(value).is_absolute():
        return str(repo_root() / value)
    return value


def summarize_evaluation(table: pd.DataFrame) -> None:
    """One line: English and non-English macro averages of the task's score (accuracy for classification;
    `score` — seqeval F1, (EM+F1)/2 or the retrieval metric — for the other kinds)."""
    col, name = ("score", "score") if "score" in table else ("accuracy", "accuracy")
    en = table[table.language == "en"]
    others = table[table.language != "en"]
    english = f"English {name} {en[col].mean():.3f}; " if len(en) else "English not in the grid; "
    width = (table.ci_high - table.ci_low).median()
    display(Markdown(
        f"**{len(table)} languages**, {int(table.n.sum())} test items. {english}macro-average over the other "
        f"{len(others)} languages {others[col].mean():.3f} (English excluded)"
        + (f"; median CI width {width:.3f}." if pd.notna(width) else "; no bootstrap CI for this corpus-level metric.")
    ))


def show_generalized(run) -> None:
    """The language × language heat map and table, when the run evaluated generalized pairs."""
    path = run.dir / GENERALIZED
    if not path.is_file():
        display(Markdown("*Not requested (`generalized_languages` is empty or the task has single texts).*"))
        return
    table = pd.read_csv(path, keep_default_na=False, na_values=[""])
    plots.generalized_heatmap(table)
    display(table.pivot(index="first", columns="second", values="accuracy").round(3))


def show_answer(out: dict, cfg) -> None:
    banner = "> **SMOKE RUN — pipeline check on tiny data; not evidence.**\n\n" if cfg.smoke else ""
    notes = ""
    if all(t.startswith("cldr-") for t in out.get("tasks", [])):
        notes += (" *Tasks:* word/phrase-level CLDR classification (real CLDR translations, mechanical labels) — "
                  "not XTREME-R.")
    if "e5-small" in out.get("models", []):
        notes += " *Weights:* 4-bit e5-small, dequantised."
    display(Markdown(
        f"{banner}### Answer\n\n{out['answer']}\n\n*Design:* {out['design']}.\n\n"
        f"*{out['note']}*\n\n"
        f"*Tier scheme:* `{cfg.tier_scheme}`. *English in tier averages:* {'yes' if cfg.include_english else 'no'}. "
        f"*Model selection:* {out['model_selection']}.{notes}"
    ))
