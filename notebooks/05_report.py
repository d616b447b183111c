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
# objective × seed × metric, with n and the run), `items.parquet` (per-item scores: 0/1 correctness, (EM+F1)/2 per question, AP/RR per query),
# `covariates.{csv,parquet}` (resource predictors; sources in `rxlt/languages/covariates.py`), `results.json`.
# Statistics: `rxlt/stats/hypotheses.py` and `rxlt/stats/per_language.py` (validated against statsmodels/scipy and by simulation in the tests).

# %% tags=["parameters"]
evaluation_runs = ["runs/scratch/03_evaluate"]  # relative paths start at the repository
baseline_condition = "direct"
headline_condition = "intermediate"
resource_predictor = "auto"
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
from rxlt.notebook import (ReportParams, alignment_comparison, from_namespace, robustness_overview, run_report,
                           show_conclusion, show_config, show_language_scores, show_links, show_other_conditions,
                           show_table, start_run)
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
# ## How the study was sized
# Read back from the runs: the encoder and the part of it that trained, epochs and learning rates, each objective's
# settings, the intermediate tasks, the seeds, and the test items per language the numbers rest on.

# %%
show_table(out["setup"])
print(out["design"]["items_note"])

# %% [markdown]
# ## Alignment with parallel data vs robust training, by tier
# Studies with `alignment_methods` (`rxlt.phases.alignment_report`): each robust objective's and each alignment
# method's gain over plain fine-tuning (`direct` + `erm`) at every number N of parallel sentences per language, per
# resource tier, with 95% intervals over languages and seeds; the difference to the tier's best robust objective
# (paired by language and seed); and the smallest N at which alignment *matches* it — its mean gain at least as
# large (point estimate; the interval says how sure). N = 0 is plain fine-tuning itself.

# %%
alignment_comparison.show_alignment_comparison(out)

# %%
alignment_comparison.gain_by_budget(out);

# %% [markdown]
# ### Which languages the encoder already aligns (MEXA-style diagnostic)
# On the test items (first seed): how often a sentence's translation is its nearest English neighbour (`x_to_en`),
# the reverse (`en_to_x`), and both at once (`mexa`, Kargaran et al. 2024), per layer (mean-pooled), for the head's
# input and — for rotation — its rotated input; before (plain fine-tuning) and after each method.

# %%
alignment_comparison.show_alignment_diagnostic(out)

# %%
alignment_comparison.diagnostic_by_layer(out);

# %% [markdown]
# ## The hypothesis test per condition (one per task)
# Mixed model `gain ~ resource + C(seed) + (1 | language) + (0 + resource | seed)` on every (language, seed)
# gain over the baseline (English excluded; REML, closed form for the complete language × seed grid); the
# resource slope is the condition × resource interaction. It counts languages (df from languages, not rows)
# and seeds (each seed's own slope: a shift common to one seed's runs is not additive near the ceiling;
# Satterthwaite df). Negative = more gain for lower-resource languages. `p_holm`: Holm over conditions.
# The resource predictor follows the model family (`auto`: CC-100 for XLM-R/e5, Wikipedia for mBERT);
# excluded languages (unseen in that pretraining data, or no value) are counted in the conclusion and appear
# in the tier checks below.

# %%
show_table(out["interaction"])

# %%
fig.gain_vs_resource(out["language_gains"], out["resource_predictor"]);

# %% [markdown]
# ## Robustness checks
# The log-odds (ceiling-aware) reading, the slope weighted by each language's sampling variance
# (random-effects meta-regression, Knapp–Hartung), other resource predictors, a distance-from-English
# covariate, categorical tiers (unseen languages included) and unseen vs seen (Welch SE, conservative df,
# plus the seed part), each seed alone, and the OLS slope on language means with a bootstrap CI over
# languages (no seed part: a description, liberal in every simulated design of benchmarks/results/stats_calibration.md). Grid: estimate per check and condition, `*` = 95% interval excludes 0 (slopes
# are per unit of the predictor, contrasts are differences in gain).

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
# (same spread of the predictor), from the observed between-language, seed-to-seed and seed-slope variance:
# `mde` is simulated with the test this report runs (`draws` studies; with 2-3 seeds its seed-specific slope has
# 1-2 degrees of freedom), `mde_normal_theory` is the noncentral-t value at the expected SE and df, which
# overstates the power of few seeds (rxlt.stats.power, benchmarks/results/stats_calibration.md).

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
fig.scores_by_resource(out["per_language"], out["covariates"], out["resource_predictor"],
                       [c for c in (cfg.baseline_condition, out["headline"]) if c], out["metric"]);

# %%
fig.gain_heatmap(out["language_gains"], out["covariates"], out["resource_predictor"]);

# %% [markdown]
# Per-language tests at the run level: the t-test over seeds of each seed's gain (df = seeds − 1) with the
# exact sign-flip test over seeds as a check, Holm and Benjamini–Hochberg across languages within each
# condition; languages significant after Holm first. Reported only from 6 seeds (the sign-flip test's smallest
# p-value is 2/2^seeds): with fewer the `test` column says so and the p-values are empty. Every metric.

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
