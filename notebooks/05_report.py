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
# # Phase 5 — study report
#
# **Purpose.** Answer the study's question — *do intermediate-trained (and robust-trained) encoders keep
# better zero-shot transfer for low-resource than for high-resource languages?* — with an effect size,
# its interval and test, robustness checks, and what the design could detect. Conclusion first, evidence after.
#
# **Inputs.** `evaluation_runs` (every phase-3 run of the study) and the parameters below.
# **Outputs** in `run_dir`: `tidy_results.{csv,parquet}` (one row per task × language × condition ×
# objective × seed × metric, with n and the run), `items.parquet` (item-level predictions for paired tests),
# `covariates.{csv,parquet}` (resource predictors; sources in `rxlt/languages/covariates.py`), `results.json`.
# Statistics: `rxlt/stats/hypotheses.py` (validated against statsmodels/scipy and by simulation in the tests).

# %% tags=["parameters"]
evaluation_runs = ["runs/scratch/03_evaluate"]  # relative paths start at the repository
baseline_condition = "direct"
headline_condition = "intermediate"
resource_predictor = "log2_cc100_gib"
tier_scheme = "joshi"
include_english = False
permutation_samples = 2000
bootstrap_samples = 1000
alpha = 0.05
target_power = 0.8
seed = 0
smoke = False
run_dir = ""

# %%
from rxlt.notebook import (ReportParams, from_namespace, robustness_overview, run_report, show_conclusion, show_config,
                           show_language_scores, show_links, show_other_conditions, show_table, start_run)
from rxlt.notebook import study_figures as fig

cfg = from_namespace(ReportParams, globals())
out = run_report(start_run("05_report", cfg))
show_conclusion(out, cfg)

# %% tags=["headline-figure"]
fig.study_overview(out, cfg, cfg.bootstrap_samples);

# %%
show_other_conditions(out, cfg)
show_config(cfg)

# %% [markdown]
# ## The hypothesis test per condition
# Mixed model `gain ~ resource (+ C(seed)) + (1 | language)` on every (language, seed) gain over the
# baseline (English excluded); the resource slope is the condition × resource interaction. Negative =
# more gain for lower-resource languages. `p_holm`: Holm over conditions. Excluded languages have no
# value of the predictor (unseen in pretraining) — they appear in the tier checks below.

# %%
show_table(out["interaction"])

# %%
fig.gain_vs_resource(out["language_gains"], cfg.resource_predictor);

# %% [markdown]
# ## Robustness checks
# Other resource predictors, a distance-from-English covariate, categorical tiers (unseen languages
# included), unseen vs seen, each seed alone, the OLS slope on language means with a bootstrap CI, and the
# pooled score model. Grid: estimate per check and condition, `*` = 95% interval excludes 0 (slopes are per
# unit of the predictor, contrasts are differences in gain).

# %%
robustness_overview(out["robustness"])

# %% [markdown]
# The same checks with intervals and p-values, the headline condition first:

# %%
show_table(out["robustness"], max_rows=200)

# %%
fig.gain_by_tier(out["language_gains"]);

# %% [markdown]
# ## What the design can detect (power)
# Minimum detectable slope at the target power for this design and for more seeds/languages
# (same spread of the predictor), from the observed between-language and seed-to-seed variance.

# %%
show_table(out["power"], max_rows=200)

# %% [markdown]
# ## Per-language scores and gains
# Every language: score per condition (mean over seeds), the headline condition's gain over the baseline and its
# per-language Holm p-value (accuracy only). Type a name, code or tier to filter; click a header to sort;
# `#lang-<code>` in the address opens the page at that language.

# %%
show_language_scores(out, cfg)

# %%
fig.scores_by_resource(out["per_language"], out["covariates"], cfg.resource_predictor,
                       [c for c in (cfg.baseline_condition, out["headline"]) if c], out["metric"]);

# %%
fig.gain_heatmap(out["language_gains"], out["covariates"], cfg.resource_predictor);

# %% [markdown]
# Per-language paired permutation tests over test items (pairs = item × seed), Holm and Benjamini–Hochberg
# across languages within each condition; languages significant after Holm first. Accuracy runs only: other
# metrics (seqeval F1, (EM+F1)/2, retrieval) have no per-item correctness, and the table is empty.

# %%
show_table(out["tests"].sort_values(["significant_holm", "p_value"], ascending=[False, True]) if len(out["tests"]) else out["tests"])

# %% [markdown]
# ## Seed variance

# %%
fig.seed_spread(out["scores"], out["metric"]);

# %%
show_table(out["seed_spread"])

# %% [markdown]
# ## Languages and their resource covariates (null = not in the cited sources; never imputed)

# %%
show_table(out["covariates"], max_rows=400)

# %% [markdown]
# ## Every run behind these numbers (links to their reports)

# %%
show_links(out["links"])
