# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python (rxlt)
#     language: python
#     name: rxlt
# ---

# %% [markdown]
# # Phase 4 — resource-tier statistics
#
# **Purpose.** Put the zero-shot results of all conditions and seeds side by side: per-language
# transfer gap to English, per-tier summaries, and the intermediate-vs-direct gain by resource level —
# a first answer to *do intermediate-trained encoders keep better transfer for low-resource languages?*
#
# **Metric.** Any XTREME-R task: the value is each run's headline metric from phase 3 (accuracy for
# classification and multiple choice, seqeval F1 for udpos/panx, (EM+F1)/2 for QA, P@1 / mAP@20 /
# MRR@20 for retrieval; directions in `rxlt.data.metric_directions.METRICS`). All runs must share one metric (a mix is refused,
# naming the runs). For every metric a condition's gain is **paired by seed** (its run minus the baseline's run
# of the same seed, same test items) and tested **at the run level**: per language a t-test over seeds (with an
# exact sign-flip check), reported only from 6 seeds; tier means with an interval that counts languages and
# seeds; low − high with a Welch SE (conservative df) plus the seed part. This phase describes; the test of the
# question is the study report's (phase 5). The answer names the metric and the pairing.
#
# **Inputs.** `evaluation_runs` (phase-3 run directories) and the parameters below.
# **Outputs** in `run_dir`: `tidy_results.csv` (one row per run × language; the score in a column named
# by the metric) and `results.json` (`metric`, `higher_is_better`, `pairing`, tier tables, gains).
# Tiers come from `rxlt.languages.metadata` (Joshi class, CC-100 size, seen/unseen in the model's pretraining data; sources
# cited there). English is the source language and is left out of tier averages unless `include_english`.

# %% tags=["parameters"]
evaluation_runs = ["runs/scratch/03_evaluate"]  # relative paths start at the repository
tier_scheme = "joshi"
baseline_condition = "direct"
include_english = False
bootstrap_samples = 1000
seed = 0
smoke = False
run_dir = ""

# %%
from rxlt.notebook import TiersParams, from_namespace, plots, run_tiers, start_run, show_answer, show_config

cfg = from_namespace(TiersParams, globals())
show_config(cfg)

# %%
out = run_tiers(start_run("04_tiers", cfg))
show_answer(out, cfg)

# %% [markdown]
# ## Score per language (the runs' metric), by tier

# %%
plots.score_by_language(out["per_language"], metric=out["metric"]);

# %%
out["tier_score"].pivot(index="condition", columns="tier", values=f"mean_{out['metric']}").round(3)

# %% [markdown]
# ## Transfer gap to English (score − English score of the same run, in the runs' metric)

# %%
plots.by_tier(out["per_language"], "gap", "Transfer gap to English per tier (one point per language)") if len(out["tier_gap"]) else None;

# %%
out["tier_gap"].pivot(index="condition", columns="tier", values="mean_gap").round(3) if len(out["tier_gap"]) else "English not evaluated: no transfer gap"

# %% [markdown]
# ## Intermediate vs direct: gain per language
# Paired by seed for every metric; per-language tests over seeds from 6 seeds (see the answer).

# %%
plots.by_tier(out["gains"], "gain", "Gain over direct fine-tuning per tier") if len(out["gains"]) else None;

# %%
plots.gain_vs_size(out["gains"], out["languages"]) if len(out["gains"]) else None;

# %%
out["tier_gain"].round(3) if len(out["tier_gain"]) else "single condition: no comparison"

# %%
out["correlation"].round(3) if len(out["correlation"]) else "single condition: no comparison"

# %% [markdown]
# ## Languages in each tier (Joshi class, CC-100 size and sources per language: `rxlt/languages/metadata.py`, `tidy_results.csv`)

# %%
out["membership"].style.hide(axis="index")
