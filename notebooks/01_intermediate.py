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
# # Phase 1 — intermediate-task training (English)
#
# **Purpose.** Train the encoder on one or more English intermediate tasks before it meets the
# target task (X-STILTs-style): in sequence (a fresh head per task, the encoder carries over) or as a
# multi-task mixture (one head per task, batches sampled by task size with a temperature).
#
# **Inputs.** The parameters below (see `rxlt params 01_intermediate`); the tasks' English
# train/dev splits. **Outputs** in `run_dir`: `encoder/` (the encoder only — phase 2 puts a
# fresh head on it) and `results.json` (config, versions, git hash, seeds, sample counts, dev scores).
#
# Offline English tasks: WordNet glosses and fortune texts (sentence-level, from Debian packages:
# `rxlt.data.package_tasks`) and the CLDR word/phrase tasks; with a network, the hub tasks (MNLI, SQuAD, ...).
# `frozen_layers` = K keeps the embeddings and the first K layers fixed, as in phase 2, so the encoder this run
# passes on shares its frozen part (and its cached output) with every other run of the study; `max_train_items`
# trains on a seeded sample of each task (the same items for every seed).
#
# **Alignment mode** (`alignment_objective: l2 | contrastive`, `tasks: []`): instead of tasks, align the encoder on
# `alignment_sentences` translation pairs per language of `alignment_languages`, drawn from `parallel_task`'s items that
# are never test items — each language's pooled sentence representation pulled to the initial encoder's English one,
# with Cao et al.'s (2020) regulariser keeping English in place (`rxlt.phases.alignment`, `rxlt.train.alignment`).
# The run records N, the draw's seed and the exact items; phase 2 fine-tunes the aligned encoder like any other.

# %% tags=["parameters"]
model = "e5-small"
encoder_layers = 0
tasks = ["cldr-unit", "cldr-reltime"]
mixing = "sequence"
mixture_temperature = 1.0
max_train_items = 0
alignment_objective = ""
parallel_task = ""
alignment_sentences = 0
alignment_languages = []
alignment_weight = 1.0
alignment_temperature = 0.05
seed = 0
epochs = 10
batch_size = 32
lr = 5e-5
head_lr = 1e-3
weight_decay = 0.01
warmup_ratio = 0.1
max_grad_norm = 1.0
max_length = 32
qa_max_length = 384
doc_stride = 128
tag_subword = "first"
n_best = 20
max_answer_length = 30
freeze_word_embeddings = True
frozen_layers = 0
precision = "auto"
length_grouping = 0
trim_vocabulary = False
run_dir = ""

# %%
from rxlt.notebook import IntermediateParams, from_namespace, plots, run_intermediate, start_run, show_config

cfg = from_namespace(IntermediateParams, globals())
show_config(cfg)

# %% [markdown]
# ## Training (model selection on English dev only)

# %%
history = run_intermediate(start_run("01_intermediate", cfg))
history

# %%
plots.training_curves(history);
