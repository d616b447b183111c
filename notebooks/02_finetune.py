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
# # Phase 2 — fine-tuning on the English target task
#
# **Purpose.** Put a fresh head of the task's kind (sentence-pair classification, multiple choice,
# first-sub-word tagging or extractive QA; `rxlt.model.heads`) on an encoder — the plain pretrained model (the
# *direct* condition) or a phase-1 encoder (the *intermediate* condition) — and train it on the
# English target task with the chosen `objective`: plain cross-entropy (`erm`), PGD adversarial
# training in the word-embedding space (`adversarial`), Shafahi et al.'s free adversarial training
# (`adversarial_free`: each minibatch replayed `free_replays` times with a per-example perturbation, over
# ceil(epochs / free_replays) passes), a carried universal perturbation (`adversarial_universal`), randomized
# smoothing by random perturbation (`rs_rp`) or by synonym data augmentation (`rs_da`: the paper's RS-DA with its
# synonym list `synonyms_file`, "WordNet synonym augmentation" without) — Huang et al. 2021; each method's
# docstring in `rxlt.train.objectives` cites it. For classification, `model/embedding_scale.json` stores the English
# training embedding RMS, the unit of phase 3's smoothing sigma. `frozen_layers` = K keeps the embeddings and the
# first K layers fixed (no dropout there; for classification their output is computed once per machine and shared by
# every run, `rxlt.features.prefix_cache`); `linear_probe` trains the head alone on the frozen encoder (the study's
# `probe` condition).
#
# **Inputs.** The parameters below; `init_from` = a phase-1 run directory or empty.
# **Outputs** in `run_dir`: `model/` (encoder delta + head) and `results.json`.
# The epoch kept is the one with the best **English** dev score (accuracy; seqeval F1 for tagging;
# (EM+F1)/2 for QA; MRR@20 over the English dev pairs for retrieval): no target-language data is used.
# Mewsli-X and LAReQA train a dual encoder (in-batch softmax) on English pairs (Wikipedia mention-entity
# pairs; SQuAD question-sentence pairs); Tatoeba trains SQuAD QA and is scored from a chosen layer in phase 3.
# `rs_da` applies to classification and multiple choice only (synonyms would move tags, answer spans and
# retrieval targets).

# %% tags=["parameters"]
model = "e5-small"
encoder_layers = 0
task = "cldr-territory"
init_from = ""
linear_probe = False
objective = "erm"
adv_eps = 1.0
adv_alpha = 0.5
adv_steps = 2
adv_norm = "l2"
adv_eps_scale = "absolute"
free_replays = 4
noise_sigma = 0.5
noise_kind = "gaussian"
noise_scale = "relative"
rs_da_copies = 3
rs_da_keep_original = False
rs_da_max_synonyms = 8
rs_da_length_match = False
rs_da_tokens = "raw"
rs_da_protected_words = False
retrieval_query_length = 0
retrieval_candidate_length = 0
synonyms_file = ""
wordnet_dir = "/usr/share/wordnet"
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
from rxlt.notebook import FinetuneParams, from_namespace, plots, run_finetune, start_run, show_config

cfg = from_namespace(FinetuneParams, globals())
show_config(cfg)

# %% [markdown]
# ## Training

# %%
history = run_finetune(start_run("02_finetune", cfg))
history

# %%
plots.training_curves(history);
