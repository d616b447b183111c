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
# whether English is included). With `smoothing_samples > 0`, also Cohen et al.'s (2019) CERTIFY per item under
# Gaussian word-embedding noise (σ = `smoothing_sigma` × the English training embedding RMS stored with the model;
# `smoothing_selection_samples` n0 pick the class, `smoothing_samples` n separate draws bound its probability):
# the certified label or abstention, the L2 radius in the item's own embedding space (not comparable across token
# lengths, not a cross-lingual guarantee), certified accuracy at `certify_radii` (units of σ) and E[R·1(correct)].
# For sentence-pair tasks, `generalized_languages` adds the language × language accuracy grid
# (first sentence in one language, second in another; Robust-XLT's generalized setting).
# Metrics per kind (`rxlt.scoring.metrics`, as XTREME-R's evaluate.py computes them): accuracy (classification,
# XCOPA), seqeval F1 (UD-POS, WikiANN), (EM+F1)/2 (XQuAD, MLQA, TyDiQA; `n_best`, `max_answer_length`),
# P@1 (Tatoeba: XTREME-R's en→x, each English sentence retrieving among the other language's sentences; x→en
# beside it as `accuracy_x_to_en`), mAP@20 (LAReQA), MRR@20 (Mewsli-X) on cosine similarity: a dual encoder
# trained in phase 2 embeds with its own tower; otherwise the `retrieval_layer` states (-1 = XTREME's layer, the
# output of layer 8 of 12 / 14 of 24), pooled by `retrieval_pooling`, `retrieval_max_length` tokens (0 = the
# task's upstream length: 512 for Tatoeba). Tagging: every word of a sentence gets a predicted tag (sentences
# longer than `max_length` sub-words are split into several rows, as XTREME's preprocessing does).
# Alignment (classification): `rotation_sentences` = N > 0 rotates each language's pooled head inputs onto English by
# an orthogonal map fitted on N parallel items (never test items; 0 = off, the plain evaluation bit for bit), and
# `alignment_diagnostic` writes how often a test sentence's translation is its nearest English neighbour (and back;
# MEXA) per language and layer to `alignment_diagnostic.csv` (`rxlt.phases.rotation_evaluation`).

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
smoothing_selection_samples = 100
smoothing_sigma = 0.5
certify_alpha = 0.001
certify_radii = [0.0, 0.5, 1.0, 1.5, 2.0]
generalized_languages = []
n_best = 20
max_answer_length = 30
retrieval_layer = -1
retrieval_pooling = "mean"
retrieval_max_length = 0
rotation_sentences = 0
alignment_diagnostic = False
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
