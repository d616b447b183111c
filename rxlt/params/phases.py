"""One frozen, validated parameter dataclass per phase (and one for a whole study)."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from rxlt.data.cldr import SOURCE_LANGUAGE
from rxlt.data.parallel import PARALLEL_SOURCES
from rxlt.features.tagging import SUBWORD_POSITIONS
from rxlt.languages.covariates import PREDICTORS
from rxlt.languages.metadata import LANGUAGES
from rxlt.languages.tier_schemes import TIER_SCHEMES
from rxlt.lookup import UnknownNameError, suggest
from rxlt.model.aliases import MODELS
from rxlt.params.alignment_keys import check_alignment_keys, check_rotation_keys
from rxlt.params.strict import ParamsError, check_seed, param, require
from rxlt.train.augmentation import TOKEN_MODES
from rxlt.train.objectives import EPS_SCALES, OBJECTIVES

PRECISIONS = ("auto", "bf16", "fp16", "fp32")


def check_known(value: str, table, key: str, what: str, allow_paths: bool = False) -> None:
    if value in table or (allow_paths and ("/" in value or value.startswith("."))):
        return
    raise ParamsError(f"key {key!r}: unknown {what} {value!r}: {suggest(value, table)}"
                      + (" (or a hub id / local path containing '/')" if allow_paths else ""))


def check_model(model: str, encoder_layers: int, key: str = "model", frozen_layers: int = 0) -> None:
    """A local model path must be a model directory; encoder_layers and frozen_layers must not exceed the model's
    layers where they are known offline (rxlt.model.availability)."""
    from rxlt.model.availability import layer_count, local_model_problem

    problem = local_model_problem(model)
    if problem:
        raise ParamsError(f"key {key!r}: {problem}")
    layers = layer_count(model) if encoder_layers > 0 or frozen_layers > 0 else None
    if layers is not None and encoder_layers > layers:
        raise ParamsError(f"key 'encoder_layers': {encoder_layers}, but {model} has {layers} layers: "
                          f"use 1..{layers} (0 = all)")
    kept = encoder_layers or layers
    if frozen_layers > 0 and encoder_layers >= 0 and kept is not None and frozen_layers > kept:
        raise ParamsError(f"key 'frozen_layers': {frozen_layers}, but the encoder keeps {kept} layers "
                          f"({model}, encoder_layers {encoder_layers}): use 0..{kept}")


@dataclass(frozen=True)
class TrainingParams:
    """Settings shared by the two training phases."""

    model: str = param("e5-small", "encoder: an rxlt alias (e5-small, xlm-roberta-base, mbert, …), a HF hub id or a local path")
    encoder_layers: int = param(0, "keep only the first N transformer layers (0 = all); smoke runs use few")
    seed: int = param(0, "seed for head initialisation, data order and dropout")
    epochs: int = param(10, "passes over the English training split")
    batch_size: int = param(32, "examples per optimisation step")
    lr: float = param(5e-5, "AdamW learning rate of the encoder")
    head_lr: float = param(1e-3, "AdamW learning rate of the freshly initialised head")
    weight_decay: float = param(0.01, "AdamW weight decay")
    warmup_ratio: float = param(0.1, "fraction of steps with linear warm-up")
    max_grad_norm: float = param(1.0, "gradient clipping norm")
    max_length: int = param(32, "tokens per input after truncation for classification and multiple choice (per "
                            "choice); per row for tagging, where longer sentences are split into several rows as "
                            "XTREME's utils_preprocess.py does (CLDR items are 2-20 tokens; XTREME uses 128: protocols.md §2.2)")
    # QA: max length 384 (protocols.md §2.2), doc stride 128, n-best 20, max answer 30 (run_squad/run_qa defaults)
    qa_max_length: int = param(384, "extractive QA: tokens per question+context window")
    doc_stride: int = param(128, "extractive QA: context tokens shared by consecutive windows (HF run_qa `stride`)")
    n_best: int = param(20, "extractive QA: best start and end positions considered per window")
    max_answer_length: int = param(30, "extractive QA: longest answer in tokens")
    tag_subword: str = param("first", "tagging: the sub-word that carries a word's tag: first (XTREME's utils_tag.py) or "
                             "first_content (skip a bare '▁' piece, as XLM-R's vocabulary gives most CJK/Thai words)")
    freeze_word_embeddings: bool = param(True, "keep the 250k-row word embedding matrix fixed (embedded-encoder.md: 2.4 vs 4.5 GB)")
    # 0 = the behaviour before the key existed (existing run ids hold); rxlt.model.frozen_prefix cites why freezing
    frozen_layers: int = param(0, "freeze the embeddings and the first N transformer layers (no dropout there); "
                               "classification then computes their output once per machine for all runs "
                               "(rxlt.features.prefix_cache) and trains only the layers above")
    # bf16 autocast: ~2x faster with bf16 matrix units, accuracy change inside seed noise (embedded-pilot.md);
    # emulated (slower) without them, hence "auto".
    precision: str = param("auto", "auto (bf16 where the hardware has fast bf16; fp16 + loss scaling on GPUs "
                           "without bf16; else fp32), bf16, fp16 (CUDA only) or fp32")
    # HF Trainer's group_by_length uses mega-batches of 50 batches; 0 keeps plain shuffled batches (the default:
    # CLDR items are 2-20 tokens, so grouping saves little there; benchmarks/results/speed.md measures it)
    length_grouping: int = param(0, "training batches of similar length: sort within shuffled mega-batches of this "
                                 "many batches (seeded; 0 = off, 50 = HF group_by_length)")
    # off by default: with frozen embeddings transformers memory-maps the checkpoint and only touched rows become
    # resident, so trimming saved no peak RSS (+115 MB from reading the 4-bit file; benchmarks/results/speed.md)
    trim_vocabulary: bool = param(False, "keep only the word-embedding rows the run's data uses (identical outputs; "
                                  "saves gradient/optimizer memory when freeze_word_embeddings is false)")
    run_dir: str = param("", "where outputs go; empty = runs/scratch/<phase> (interactive runs)")

    def __post_init__(self):
        check_known(self.model, MODELS, "model", "model alias", allow_paths=True)
        for key in ("epochs", "batch_size", "max_length", "qa_max_length", "n_best", "max_answer_length"):
            require(getattr(self, key) >= 1, key, f"must be >= 1, got {getattr(self, key)}")
        require(0 <= self.doc_stride < self.qa_max_length // 2, "doc_stride",
                f"must be in [0, qa_max_length/2) so windows advance, got {self.doc_stride}")
        require(self.encoder_layers >= 0, "encoder_layers", "must be >= 0 (0 = all layers)")
        require(self.frozen_layers >= 0, "frozen_layers", f"must be >= 0 (0 = none frozen), got {self.frozen_layers}")
        require(self.tag_subword in SUBWORD_POSITIONS, "tag_subword",
                f"one of {', '.join(SUBWORD_POSITIONS)}, got {self.tag_subword!r}")
        for key in ("lr", "head_lr", "max_grad_norm"):
            require(getattr(self, key) > 0, key, f"must be > 0, got {getattr(self, key)}")
        require(0 <= self.warmup_ratio < 1, "warmup_ratio", f"must be in [0, 1), got {self.warmup_ratio}")
        require(self.precision in PRECISIONS, "precision", f"{self.precision!r}: expected one of {PRECISIONS}")
        require(self.length_grouping >= 0, "length_grouping", f"must be >= 0 (0 = off), got {self.length_grouping}")
        check_seed(self.seed, "seed")
        check_model(self.model, self.encoder_layers, frozen_layers=self.frozen_layers)


def check_tasks(tasks, key: str, embedded_only: bool = False) -> None:
    """Tasks must exist; targets (evaluated in many languages) must be target tasks of rxlt.data.catalog
    (embedded, XTREME-R, sib200, XGLUE and the low-resource suites); phase-1 tasks must have a trainable head (retrieval tasks have none)."""
    from rxlt.data.catalog import intermediate_tasks, target_tasks
    from rxlt.data.kinds import TRAINABLE, task_kind

    known = target_tasks() if embedded_only else {**target_tasks(), **intermediate_tasks()}
    for t in tasks:
        if t not in known:
            raise ParamsError(f"key {key!r}: unknown task {t!r}: {suggest(t, known)}")
        if not embedded_only and (task_kind(t) not in TRAINABLE or task_kind(t) == "retrieval"):
            raise ParamsError(f"key {key!r}: task {t!r} is {task_kind(t)}, which has no trained head in phase 1 "
                              f"(retrieval tasks train their dual encoder in phase 2); trainable kinds: "
                              f"{', '.join(k for k in TRAINABLE if k != 'retrieval')}")


def check_training_task(task: str, objective: str) -> None:
    """Phase 2 trains `task` (retrieval tasks: their English task); the objective must suit its head."""
    from rxlt.data.catalog import intermediate_tasks, target_tasks, training_task
    from rxlt.data.kinds import TRAINABLE, task_kind
    from rxlt.data.xtreme_tasks import RETRIEVAL_TRAINING_TASKS
    from rxlt.train.objectives import check_objective

    trained = training_task(task)
    if not isinstance(trained, str) or (trained not in {**target_tasks(), **intermediate_tasks(),
                                                        **RETRIEVAL_TRAINING_TASKS}):
        raise ParamsError(f"key 'task': {task!r} is evaluated with an encoder fine-tuned on {trained!r}, which rxlt "
                          f"cannot load; train that encoder elsewhere or pick a task with a loadable English task")
    if task_kind(trained) not in TRAINABLE:
        raise ParamsError(f"key 'task': {trained!r} is {task_kind(trained)}; trainable kinds: {', '.join(TRAINABLE)}")
    try:
        check_objective(objective, task_kind(trained))
    except ValueError as exc:
        raise ParamsError(f"key 'objective': {exc}") from None


MIXING = ("sequence", "mixture")


def _files_state(synonyms_file: str, wordnet_dir: str) -> tuple:
    """What check_synonym_source's answer depends on: the files' sizes and modification times."""
    paths = [Path(synonyms_file)] if synonyms_file else sorted(Path(wordnet_dir).glob("*.*"))
    return tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in paths if p.is_file())


@functools.lru_cache(maxsize=16)
def check_synonym_source(synonyms_file: str, wordnet_dir: str, state: tuple) -> None:
    """Read the synonym source once per (paths, file state): a study expansion validates every rs_da run twice,
    and reading WordNet's index takes seconds."""
    from rxlt.train.synonyms import synonym_source

    synonym_source(synonyms_file, wordnet_dir)


@dataclass(frozen=True)
class IntermediateParams(TrainingParams):
    """Phase 1: train the encoder on English intermediate tasks, in sequence or as a mixture."""

    tasks: tuple[str, ...] = param(("cldr-unit", "cldr-reltime"), "English intermediate tasks")
    mixing: str = param("sequence", "sequence: one task after another (a fresh head each); mixture: all at once, "
                        "one head per task, batches sampled by task size")
    mixture_temperature: float = param(1.0, "mixture sampling ∝ n_task^(1/T): 1 = proportional, larger = flatter")
    max_train_items: int = param(0, "train on at most this many English items per task (a seeded sample, the same "
                                 "for every seed); 0 = all")
    # alignment mode (rxlt.phases.alignment): translation pairs instead of intermediate tasks; defaults = off
    alignment_objective: str = param("", "alignment fine-tuning instead of intermediate tasks (then tasks: []): l2 "
                                     "(Cao et al. 2020's loss at the sentence level) or contrastive (in-batch "
                                     "InfoNCE), each with Cao et al.'s English regulariser (rxlt.train.alignment); "
                                     "empty = intermediate tasks")
    parallel_task: str = param("", "alignment: the task whose parallel items are the translation pairs (never its "
                               "test items): " + ", ".join(PARALLEL_SOURCES) + " (rxlt.data.parallel)")
    alignment_sentences: int | str = param(0, "alignment: parallel items per language, N >= 1 or 'all', drawn with "
                                          "`seed` (the first N of one permutation: N = 10 is within N = 100)")
    alignment_languages: tuple[str, ...] = param((), "alignment: languages aligned to English, or ['all'] (every "
                                                 "language with parallel items)")
    alignment_weight: float = param(1.0, "alignment: weight λ of the English regulariser (Cao et al.'s code: 1)")
    alignment_temperature: float = param(0.05, "alignment, contrastive: temperature τ of the in-batch softmax "
                                         "(SimCSE's 0.05; not from an alignment paper)")

    def __post_init__(self):
        super().__post_init__()
        if self.alignment_objective:
            check_alignment_keys(self)
            return
        for key in ("parallel_task", "alignment_sentences", "alignment_languages", "alignment_weight",
                    "alignment_temperature"):
            require(getattr(self, key) == IntermediateParams.__dataclass_fields__[key].default, key,
                    "applies to alignment runs (alignment_objective: l2 or contrastive) only")
        require(len(self.tasks) >= 1, "tasks", "name at least one intermediate task")
        require(len(set(self.tasks)) == len(self.tasks), "tasks", f"a task is listed twice: {list(self.tasks)}")
        check_tasks(self.tasks, "tasks")
        require(self.mixing in MIXING, "mixing", f"{self.mixing!r}: expected one of {MIXING}")
        require(self.mixture_temperature > 0, "mixture_temperature", "must be > 0")
        require(self.max_train_items >= 0, "max_train_items", f"must be >= 0 (0 = all), got {self.max_train_items}")


@dataclass(frozen=True)
class FinetuneParams(TrainingParams):
    """Phase 2: fine-tune on the English target task with a fresh head."""

    task: str = param("cldr-territory", "target task (its English train/dev splits are used)")
    init_from: str = param("", "phase-1 run directory whose encoder to start from; empty = the plain `model`")
    linear_probe: bool = param(False, "train the head only: every encoder layer frozen, a linear classifier on the "
                               "pooled features (the frozen-encoder baseline; objective erm)")
    objective: str = param("erm", "training objective: erm, adversarial (PGD-K), adversarial_free (Shafahi et al.'s "
                           "free AT: minibatch replay, per-example δ), adversarial_universal (one carried universal δ), "
                           "rs_rp, rs_da (rxlt.train.objectives; citations and suggested values in each docstring)")
    adv_eps: float = param(1.0, "adversarial*: radius of the perturbation ball on the word embeddings (see adv_eps_scale)")
    adv_alpha: float = param(0.5, "adversarial*: ascent step size (same units as adv_eps)")
    adv_steps: int = param(2, "adversarial: PGD steps K (cost ≈ K+1 passes)")
    adv_norm: str = param("l2", "adversarial*: l2 (per example, over tokens×dims) or linf")
    # absolute = the behaviour before the key existed (existing run ids and results hold); relative makes the
    # per-token strength independent of length (rxlt.train.objectives.perturbation_scale)
    adv_eps_scale: str = param("absolute", "adversarial, adversarial_free: absolute (adv_eps an L2 radius over the whole "
                               "sequence in embedding units: weaker per token on longer inputs) or relative (adv_eps × "
                               "embedding RMS × sqrt(tokens × hidden): the same share of any item's embeddings; L∞: × RMS)")
    # mahyarnajibi/FreeAdversarialTraining@e185c84 configs.yml n_repeats: 4 (ImageNet)
    free_replays: int = param(4, "adversarial_free: times each minibatch is replayed (m); the run makes "
                              "ceil(epochs / m) passes, so as many optimiser steps as `epochs` plain passes")
    noise_sigma: float = param(0.5, "rs_rp: noise standard deviation (see noise_scale)")
    noise_kind: str = param("gaussian", "rs_rp: gaussian or uniform (same standard deviation)")
    noise_scale: str = param("relative", "rs_rp: relative (sigma × RMS of the embedding entries) or absolute")
    rs_da_copies: int = param(3, "rs_da: augmented copies per training example (paper: 10 PAWS-X, 3 XNLI)")
    rs_da_keep_original: bool = param(False, "rs_da: keep the original example too (the released code drops it)")
    rs_da_max_synonyms: int = param(8, "rs_da: candidates per word at most (the paper's list holds ≤ 8, so 8 keeps "
                                    "all of it, as perturb.py; caps WordNet)")
    # the defaults are perturb.py's draw (uclanlp/Robust-XLT@175cddb); each deviation is a key
    rs_da_tokens: str = param("raw", "rs_da: raw (perturb.py: whitespace tokens looked up as they are, so 'Movie' or "
                              "'movie,' never change) or normalized (looked up lower-cased with edge punctuation set "
                              "aside, the substitute given the token's capitalisation; WordNet still never replaces "
                              "capitalised tokens)")
    rs_da_protected_words: bool = param(False, "rs_da: never replace rxlt's list of negators, pronouns and auxiliaries "
                                        "(rxlt.train.synonyms.PROTECTED_WORDS) — not in perturb.py, whose list lacks "
                                        "most of them already")
    # off = the paper's uniform draw; WordNet substitutes add ≈ 9% tokens (benchmarks/results/objectives.md: 1.089)
    rs_da_length_match: bool = param(False, "rs_da: replace a word only by synonyms that the run's tokenizer splits "
                                     "into no more sub-word pieces than the word, so augmented texts never get longer "
                                     "(not in the paper, whose draw is uniform over all synonyms)")
    synonyms_file: str = param("", "rs_da: SAFER/Robust-XLT counterfitted_neighbors.json; empty = WordNet")
    wordnet_dir: str = param("/usr/share/wordnet", "rs_da: WordNet 3.0 database directory (Debian wordnet-base)")
    # 0 = upstream's per-task lengths, cited in rxlt.data.xtreme_tasks.RETRIEVAL_TRAINING_TASKS
    retrieval_query_length: int = param(0, "retrieval dual encoder (mewslix, lareqa): max tokens per query; 0 = the "
                                        "task's upstream setting (Mewsli-X 64, LAReQA 96)")
    retrieval_candidate_length: int = param(0, "retrieval dual encoder: max tokens per candidate; 0 = the task's "
                                            "upstream setting (Mewsli-X 64, LAReQA 256)")

    def __post_init__(self):
        super().__post_init__()
        check_tasks([self.task], "task", embedded_only=True)
        for key in ("retrieval_query_length", "retrieval_candidate_length"):
            require(getattr(self, key) >= 0, key, f"must be >= 0 (0 = the task's upstream length), got {getattr(self, key)}")
        check_known(self.objective, OBJECTIVES, "objective", "objective")
        require(not self.linear_probe or (self.objective == "erm" and not self.init_from), "linear_probe",
                f"trains a head on the plain frozen encoder: objective erm and no init_from (got objective "
                f"{self.objective!r}, init_from {self.init_from!r})")
        check_training_task(self.task, self.objective)
        from rxlt.data.catalog import training_task
        from rxlt.data.kinds import task_kind

        if task_kind(training_task(self.task)) != "retrieval":  # the lengths would be ignored, yet change the run id
            for key in ("retrieval_query_length", "retrieval_candidate_length"):
                require(getattr(self, key) == 0, key, f"applies to dual-encoder retrieval tasks (mewslix, lareqa) only; "
                        f"task {self.task!r} trains {training_task(self.task)!r}: leave it 0")
        require(self.adv_eps > 0 and self.adv_alpha > 0, "adv_eps", "adv_eps and adv_alpha must be > 0")
        require(self.adv_steps >= 1, "adv_steps", "must be >= 1")
        require(self.adv_norm in ("l2", "linf"), "adv_norm", f"{self.adv_norm!r}: expected 'l2' or 'linf'")
        require(self.noise_sigma >= 0, "noise_sigma", "must be >= 0")
        require(self.noise_kind in ("gaussian", "uniform"), "noise_kind", f"{self.noise_kind!r}: expected gaussian or uniform")
        require(self.noise_scale in ("relative", "absolute"), "noise_scale", f"{self.noise_scale!r}: expected relative or absolute")
        require(self.rs_da_copies >= 1, "rs_da_copies", "must be >= 1")
        require(self.rs_da_max_synonyms >= 1, "rs_da_max_synonyms", "must be >= 1")
        require(self.adv_eps_scale in EPS_SCALES, "adv_eps_scale", f"{self.adv_eps_scale!r}: expected one of {EPS_SCALES}")
        require(self.adv_eps_scale == "absolute" or self.objective in ("adversarial", "adversarial_free"), "adv_eps_scale",
                f"relative applies to objectives adversarial and adversarial_free (per-example radii), not {self.objective!r}")
        require(self.free_replays >= 1, "free_replays", f"must be >= 1, got {self.free_replays}")
        require(self.rs_da_tokens in TOKEN_MODES, "rs_da_tokens", f"{self.rs_da_tokens!r}: expected one of {TOKEN_MODES}")
        # keys of one objective: refused elsewhere, where they would change nothing but the run id
        for key, objective in (("free_replays", "adversarial_free"), ("rs_da_length_match", "rs_da"),
                               ("rs_da_tokens", "rs_da"), ("rs_da_protected_words", "rs_da")):
            require(getattr(self, key) == FinetuneParams.__dataclass_fields__[key].default or self.objective == objective,
                    key, f"applies to objective {objective!r} only, but objective is {self.objective!r}")
        if self.objective == "rs_da":  # fail before compute if the synonym source is missing
            try:
                check_synonym_source(self.synonyms_file, self.wordnet_dir, _files_state(self.synonyms_file, self.wordnet_dir))
            except (FileNotFoundError, ValueError) as exc:
                raise ParamsError(f"key {'synonyms_file' if self.synonyms_file else 'wordnet_dir'!r}: {exc}") from None

    def objective_settings(self) -> dict:
        """The keyword arguments of the chosen objective's constructor."""
        return {k: getattr(self, k) for k in ("adv_eps", "adv_alpha", "adv_steps", "adv_norm", "adv_eps_scale",
                                              "free_replays", "noise_sigma", "noise_kind", "noise_scale")}


@dataclass(frozen=True)
class EvaluateParams:
    """Phase 3: zero-shot evaluation of a fine-tuned model in every language of the task."""

    finetune_run: str = param("", "phase-2 run directory (holds model/ and results.json)")
    languages: tuple[str, ...] = param(("all",), "language codes, or ['all'] for every language with enough test items")
    max_test_items: int = param(0, "cap per language (0 = all); smoke runs only")
    batch_size: int = param(128, "examples per inference batch")
    precision: str = param("auto", "auto (bf16 where the hardware has fast bf16; fp16 on GPUs without bf16; "
                           "else fp32), bf16, fp16 (CUDA only) or fp32")
    trim_vocabulary: bool = param(False, "classification: keep only the word-embedding rows of the evaluated texts "
                                  "(identical outputs)")
    bootstrap_samples: int = param(1000, "bootstrap resamples for per-language confidence intervals")
    seed: int = param(0, "seed of the bootstrap and of smoothing noise")
    # Cohen et al. 2019 CERTIFY (locuslab/smoothing@78a4d94 code/core.py; certify.py defaults N0 100, N 100000,
    # alpha 0.001): n0 selection samples pick the class, n separate estimation samples bound its probability
    smoothing_samples: int = param(0, "smoothed prediction and certified radii (classification): n, the noisy copies "
                                   "that estimate the top class's probability (Cohen et al.'s N; 0 = off)")
    smoothing_selection_samples: int = param(100, "smoothing: n0, separate noisy copies that select the top class "
                                             "(Cohen et al.'s N0)")
    smoothing_sigma: float = param(0.5, "smoothing: Gaussian noise std on the word embeddings, × the RMS of the "
                                   "English training embeddings stored with the model (relative)")
    certify_alpha: float = param(0.001, "smoothing: per-item failure probability α of the certificate (Cohen et al. 2019)")
    certify_radii: tuple[float, ...] = param((0.0, 0.5, 1.0, 1.5, 2.0), "smoothing: radii, in units of the absolute "
                                             "noise σ, at which certified accuracy is reported (R ≥ rσ ⇔ p_A bound ≥ Φ(r))")
    generalized_languages: tuple[str, ...] = param((), "sentence-pair tasks: evaluate every ordered pair of these "
                                                   "languages (first sentence in A, second in B); ['all'] = every "
                                                   "language with test items (Robust-XLT: 49 PAWS-X / 225 XNLI pairs); "
                                                   "empty = off")
    n_best: int = param(20, "extractive QA: best start and end positions considered per window (run_squad default)")
    max_answer_length: int = param(30, "extractive QA: longest answer in tokens (run_squad default)")
    retrieval_layer: int = param(-1, "retrieval: hidden layer to pool; -1 = XTREME's Tatoeba layer (the output of "
                                 "layer 8 of 12, 14 of 24: run_tatoeba.sh --specific_layer 7/13 of the layer outputs "
                                 "without the embeddings; rxlt.phases.evaluate.resolve_layer), 0 = last, k = output of layer k")
    retrieval_pooling: str = param("mean", "retrieval: mean over real tokens, or cls (first token)")
    retrieval_max_length: int = param(0, "retrieval: tokens per sentence/candidate; 0 = the task's upstream length "
                                      "(Tatoeba 512 as run_tatoeba.sh, else 128)")
    # alignment (rxlt.phases.rotation_evaluation): defaults = off, the plain evaluation
    rotation_sentences: int | str = param(0, "classification: rotate each language's pooled head inputs onto English "
                                          "by an orthogonal map (Procrustes) fitted on this many parallel items of "
                                          "the task (never test items; drawn with `seed`, nested), or 'all'; 0 = off, "
                                          "the plain evaluation bit for bit")
    alignment_diagnostic: bool = param(False, "classification: nearest-neighbour rates of translations (x→en, en→x, "
                                       "MEXA) per language and layer on the test items (alignment_diagnostic.csv)")
    run_dir: str = param("", "where outputs go; empty = runs/scratch/03_evaluate")

    def __post_init__(self):
        require(bool(self.finetune_run), "finetune_run", "give the phase-2 run directory to evaluate")
        require(len(self.languages) >= 1, "languages", "name languages or use ['all']")
        if tuple(self.languages) != ("all",):
            for code in self.languages:
                if code not in LANGUAGES:
                    raise ParamsError(f"key 'languages': unknown language {code!r}: {suggest(code, LANGUAGES)}")
        require(self.max_test_items >= 0, "max_test_items", "must be >= 0")
        require(self.bootstrap_samples >= 100, "bootstrap_samples", "use at least 100 resamples")
        require(self.precision in PRECISIONS, "precision", f"{self.precision!r}: expected one of {PRECISIONS}")
        require(self.smoothing_samples >= 0, "smoothing_samples", "must be >= 0 (0 = plain prediction)")
        require(self.smoothing_sigma >= 0, "smoothing_sigma", "must be >= 0")
        require(0 < self.certify_alpha < 0.5, "certify_alpha", "must be in (0, 0.5)")
        require(self.smoothing_selection_samples >= 1, "smoothing_selection_samples", "must be >= 1")
        require(len(self.certify_radii) >= 1 and all(r >= 0 for r in self.certify_radii), "certify_radii",
                f"give radii >= 0 (units of σ), got {list(self.certify_radii)}")
        require(len(self.generalized_languages) != 1 or tuple(self.generalized_languages) == ("all",),
                "generalized_languages", "name at least two languages, ['all'], or none")
        require(self.n_best >= 1 and self.max_answer_length >= 1, "n_best", "n_best and max_answer_length must be >= 1")
        require(self.retrieval_layer >= -1, "retrieval_layer", "must be -1 (XTREME's layer), 0 (last) or a layer number")
        require(self.retrieval_pooling in ("mean", "cls"), "retrieval_pooling", f"{self.retrieval_pooling!r}: expected mean or cls")
        require(self.retrieval_max_length >= 0, "retrieval_max_length", "must be >= 1, or 0 for the task's upstream length")
        check_seed(self.seed, "seed")
        check_rotation_keys(self)
        for code in ([] if tuple(self.generalized_languages) == ("all",) else self.generalized_languages):
            if code not in LANGUAGES:
                raise ParamsError(f"key 'generalized_languages': unknown language {code!r}: {suggest(code, LANGUAGES)}")


@dataclass(frozen=True)
class TiersParams:
    """Phase 4: per-language transfer gaps, per-tier summaries, intermediate vs direct."""

    evaluation_runs: tuple[str, ...] = param((), "phase-3 run directories to compare (all conditions and seeds)")
    tier_scheme: str = param("joshi", "how languages are tiered: " + "; ".join(f"{k}: {v}" for k, v in TIER_SCHEMES.items()))
    baseline_condition: str = param("direct", "condition the others are compared against")
    include_english: bool = param(False, "include English in per-tier averages (it is the source language)")
    bootstrap_samples: int = param(1000, "bootstrap resamples of the Spearman interval over languages (tier and "
                                   "low-vs-high intervals are t-based: they count languages and seeds)")
    seed: int = param(0, "seed of the bootstrap")
    smoke: bool = param(False, "mark the report as a smoke run (tiny data, not evidence)")
    run_dir: str = param("", "where outputs go; empty = runs/scratch/04_tiers")

    def __post_init__(self):
        require(len(self.evaluation_runs) >= 1, "evaluation_runs", "give at least one phase-3 run directory")
        if self.tier_scheme not in TIER_SCHEMES:
            raise ParamsError(f"key 'tier_scheme': unknown scheme {self.tier_scheme!r}: {suggest(self.tier_scheme, TIER_SCHEMES)}")
        require(self.bootstrap_samples >= 100, "bootstrap_samples", "use at least 100 resamples")
        check_seed(self.seed, "seed")


@dataclass(frozen=True)
class ReportParams:
    """Phase 5: the study report — effect sizes, intervals, tests, robustness checks and power."""

    evaluation_runs: tuple[str, ...] = param((), "phase-3 run directories (all conditions and seeds)")
    baseline_condition: str = param("direct", "condition every other condition is compared against")
    headline_condition: str = param("intermediate", "the condition the research question is about (reported first)")
    resource_predictor: str = param("auto", "continuous resource predictor: auto = the model family's pretraining data "
                                    "(log2_cc100_gib for XLM-R and e5, log2_wiki_tokens_m for mBERT); "
                                    + "; ".join(f"{k}: {v}" for k, v in PREDICTORS.items())
                                    + ". Seen/unseen languages always follow the model's pretraining data")
    tier_scheme: str = param("joshi", "categorical tiers for the robustness checks: " + "; ".join(f"{k}: {v}" for k, v in TIER_SCHEMES.items()))
    include_english: bool = param(False, "include English in averages (it is the source language; never in the slopes)")
    permutation_samples: int = param(2000, "kept for finished studies' run ids; per-language tests are now over seeds "
                                     "(exact sign flips, rxlt.stats.per_language.seed_level_tests) and do not use it")
    bootstrap_samples: int = param(1000, "bootstrap resamples over languages")
    alpha: float = param(0.05, "significance level of every test and of the power statement")
    target_power: float = param(0.8, "power at which the minimum detectable effect is stated")
    seed: int = param(0, "seed of the resampling")
    smoke: bool = param(False, "watermark the report as a smoke study (tiny data, not evidence)")
    run_dir: str = param("", "where outputs go; empty = runs/scratch/05_report")

    def __post_init__(self):
        require(len(self.evaluation_runs) >= 1, "evaluation_runs", "give at least one phase-3 run directory")
        if self.resource_predictor != "auto" and self.resource_predictor not in PREDICTORS:
            raise ParamsError(f"key 'resource_predictor': unknown predictor {self.resource_predictor!r}: "
                              f"{suggest(self.resource_predictor, {'auto': '', **PREDICTORS})}")
        if self.tier_scheme not in TIER_SCHEMES:
            raise ParamsError(f"key 'tier_scheme': unknown scheme {self.tier_scheme!r}: {suggest(self.tier_scheme, TIER_SCHEMES)}")
        require(self.permutation_samples >= 100, "permutation_samples", "use at least 100 sign flips")
        require(self.bootstrap_samples >= 100, "bootstrap_samples", "use at least 100 resamples")
        require(0 < self.alpha < 0.5, "alpha", "must be in (0, 0.5)")
        require(0.05 < self.target_power < 1, "target_power", "must be in (0.05, 1)")
        check_seed(self.seed, "seed")


PHASES: dict[str, type] = {
    "01_intermediate": IntermediateParams,
    "02_finetune": FinetuneParams,
    "03_evaluate": EvaluateParams,
    "04_tiers": TiersParams,
    "05_report": ReportParams,
}

__all__ = ["PHASES", "IntermediateParams", "FinetuneParams", "EvaluateParams", "TiersParams", "ReportParams",
           "ParamsError", "UnknownNameError", "SOURCE_LANGUAGE"]


@dataclass(frozen=True)
class ExploreParams:
    """The explore notebook: which finished study to slice, and how (empty filter = everything)."""

    study: str = param("embedded", "study name (a directory under runs_dir)")
    runs_dir: str = param("runs", "where the study's runs are (relative paths start at the repository)")
    languages: tuple[str, ...] = param((), "language codes to keep")
    tiers: tuple[str, ...] = param((), "tiers to keep: unseen, low, mid, high, unclassified")
    conditions: tuple[str, ...] = param((), "conditions to keep, e.g. direct, intermediate+rs_rp")
    seeds: tuple[int, ...] = param((), "seeds to keep")

    def __post_init__(self):
        from rxlt.languages.tier_schemes import TIER_ORDER

        require(bool(self.study), "study", "name a study")
        for t in self.tiers:
            if t not in TIER_ORDER:
                raise ParamsError(f"key 'tiers': unknown tier {t!r}: {suggest(t, TIER_ORDER)}")
        for code in self.languages:
            if code not in LANGUAGES:
                raise ParamsError(f"key 'languages': unknown language {code!r}: {suggest(code, LANGUAGES)}")
