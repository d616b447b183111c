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
# # Phase 3 — zero-shot evaluation in every language
#
# **Purpose.** Apply a model fine-tuned on English (phase 2) to the test split of every language of
# the task, with no target-language training or model selection.
#
# **Inputs.** `finetune_run` (a phase-2 run directory) and the parameters below.
# **Outputs** in `run_dir`: `predictions.csv.gz` (one row per test item) and `results.json`
# (per-language accuracy with percentile-bootstrap 95% CIs over test items; averages state
# whether English is included).

# %% tags=["parameters"]
finetune_run = ""
languages = ["all"]
max_test_items = 0
batch_size = 128
precision = "auto"
bootstrap_samples = 1000
seed = 0
run_dir = ""

# %%
from rxlt.notebook import EvaluateParams, from_namespace, run_evaluation, start_run, show_config, summarize_evaluation

cfg = from_namespace(EvaluateParams, globals())
show_config(cfg)

# %%
table = run_evaluation(start_run("03_evaluate", cfg))
summarize_evaluation(table)

# %% [markdown]
# ## Every language (accuracy, 95% bootstrap CI, test items)

# %%
table.round(3)
