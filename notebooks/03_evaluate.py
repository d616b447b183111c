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
# whether English is included). With `smoothing_samples > 0`, also the smoothed (majority-vote)
# prediction under Gaussian embedding noise and its certified L2 radius per item (Cohen et al. 2019).
# For sentence-pair tasks, `generalized_languages` adds the language × language accuracy grid
# (first sentence in one language, second in another; Robust-XLT's generalized setting).
# Metrics per kind (`rxlt.scoring.metrics`, as XTREME-R's evaluate.py computes them): accuracy (classification,
# XCOPA), seqeval F1 (UD-POS, WikiANN), (EM+F1)/2 (XQuAD, MLQA, TyDiQA; `n_best`, `max_answer_length`),
# P@1 both directions (Tatoeba), mAP@20 (LAReQA), MRR@20 (Mewsli-X) on cosine similarity: a dual encoder
# trained in phase 2 embeds with its own tower; otherwise the `retrieval_layer` states (-1 = the middle layer
# XTREME uses), pooled by `retrieval_pooling`.

# %% tags=["parameters"]
finetune_run = "runs/scratch/02_finetune"  # relative paths start at the repository
languages = ["all"]
max_test_items = 0
batch_size = 128
precision = "auto"
trim_vocabulary = False
bootstrap_samples = 1000
seed = 0
smoothing_samples = 0
smoothing_sigma = 0.5
certify_alpha = 0.001
generalized_languages = []
n_best = 20
max_answer_length = 30
retrieval_layer = -1
retrieval_pooling = "mean"
retrieval_max_length = 128
run_dir = ""

# %%
from rxlt.notebook import (EvaluateParams, from_namespace, run_evaluation, show_config, show_generalized, show_languages,
                           start_run, summarize_evaluation)

cfg = from_namespace(EvaluateParams, globals())
show_config(cfg)

# %%
run = start_run("03_evaluate", cfg)
table = run_evaluation(run)
summarize_evaluation(table)

# %% [markdown]
# ## Generalized cross-lingual pairs (sentence-pair tasks with `generalized_languages` only)

# %%
show_generalized(run)

# %% [markdown]
# ## Every language (score, 95% bootstrap CI, test items)
# Type a name or code to filter, click a header to sort; `#lang-<code>` in the address opens the page at that language.

# %%
show_languages(table)
