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
# # Explore a finished study
#
# **Purpose.** Slice a finished study's results by language, resource tier, condition and seed, with
# the same figures the reports use. Nothing here trains or writes results.
#
# **Inputs.** `study` (a directory under `runs/`) and the filters below (empty = everything).
# **Outputs.** Tables and figures in this notebook only. The numbers come from the study's latest
# phase-4 run (`tidy_results.csv`: one row per evaluation run × language).

# %% tags=["parameters"]
study = "embedded"
runs_dir = "runs"
languages = []
tiers = []
conditions = []
seeds = []

# %%
from rxlt.notebook import ExploreParams, from_namespace, load_tidy, metric_column, plots, select, show_config, summarize

cfg = from_namespace(ExploreParams, globals())
show_config(cfg)

# %%
tidy = load_tidy(cfg.study, cfg.runs_dir)
view = select(tidy, cfg.languages, cfg.tiers, cfg.conditions, cfg.seeds)
metric = metric_column(tidy)  # accuracy, seqeval_f1, squad_em_f1_mean, … (the phase-3 headline metric)
view.groupby(["condition", "tier"])[metric].describe().round(3)

# %%
per_language = summarize(view)
plots.score_by_language(per_language);

# %%
plots.by_tier(per_language, "gap", "Transfer gap to English per tier");

# %%
per_language.sort_values(metric).round(3)
