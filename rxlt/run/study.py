"""A study: conditions × seeds over one target task, expanded into a DAG of notebook runs.

The study file is flat YAML validated against `StudyParams` before anything runs. Run ids are
derived from each run's parameters, so a changed parameter makes a new run and an unchanged one is
found finished and skipped.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path

from rxlt.languages.metadata import LANGUAGES, resolve
from rxlt.lookup import UnknownNameError, suggest
from rxlt.model.aliases import MODELS
from rxlt.model.availability import looks_like_path
from rxlt.params.phases import (EvaluateParams, FinetuneParams, IntermediateParams, ReportParams, TiersParams,
                                check_known, check_model, check_tasks, check_training_task)
from rxlt.params.strict import ParamsError, build, check_seed, param, read_yaml, require, to_dict
from rxlt.phases import kind_handlers
from rxlt.reporting.render import CODE_DISPLAY
from rxlt.run import alignment_grid
from rxlt.results import repo_root
from rxlt.run.study_checks import check_study_values, check_synonyms_file
from rxlt.train.objectives import OBJECTIVES
from rxlt.train.synonyms import DEFAULT_WORDNET_DIR

SYNONYM_PATH_KEYS = ("synonyms_file", "wordnet_dir")
REPO_PATH_KEYS = (*SYNONYM_PATH_KEYS, "model")  # relative paths start at the repository; ids keep them relative

# a study name is one directory under runs/ and reports/: one safe path component, never "." or ".."
STUDY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
STUDY_NAME_MAX = 100

# direct fine-tuning, intermediate-then-fine-tune, and the linear probe of the frozen encoder (a baseline: does
# fine-tuning beat it, and where?)
CONDITIONS = ("direct", "intermediate", "probe")
ADV_EPS_SCALED = ("adversarial", "adversarial_free")  # objectives with per-example (relative) radii

# --smoke: the same pipeline on tiny settings, for tests (minutes, not evidence).
SMOKE: dict = {
    "seeds": [0],
    "encoder_layers": 2,
    "epochs": 2,
    "intermediate_epochs": 1,
    "max_test_items": 12,
    "intermediate_max_items": 200,
    # one language per tier at least: high (de, ja), mid (el), low (sw), unseen (yo, zu), + English
    "languages": ["en", "de", "ja", "el", "sw", "yo", "zu"],
    "bootstrap_samples": 200,
}


@dataclass(frozen=True)
class StudyParams:
    """A whole study: which model, tasks, conditions and seeds; shared training settings."""

    study: str = param("embedded", "study name, one path component (letters, digits, '.', '_', '-'): runs go to "
                       "runs/<study>/, reports to reports/<study>/; a study file must give it")
    model: str = param("e5-small", "encoder alias, hub id or local model directory (a relative path starts at the "
                       "repository)")
    encoder_layers: int = param(0, "keep only the first N layers (0 = all)")
    target_task: str = param("cldr-territory", "task fine-tuned on English and evaluated zero-shot")
    intermediate_tasks: tuple[str, ...] = param(("cldr-unit", "cldr-reltime"), "English intermediate tasks (in order)")
    conditions: tuple[str, ...] = param(("direct", "intermediate"), "direct fine-tuning, intermediate-then-fine-tune "
                                        "and/or probe (a linear head on the frozen encoder, one run per seed)")
    objectives: tuple[str, ...] = param(("erm",), "fine-tuning objectives, each run under every condition (rxlt.train.objectives)")
    intermediate_objectives: tuple[str, ...] = param((), "the objectives the intermediate condition runs (a subset of "
                                                     "`objectives`); empty = all of them")
    adv_eps: float = param(1.0, "adversarial: perturbation radius on the word embeddings")
    adv_alpha: float = param(0.5, "adversarial: ascent step size")
    adv_steps: int = param(2, "adversarial: PGD steps")
    adv_norm: str = param("l2", "adversarial: l2 or linf")
    adv_eps_scale: str = param("absolute", "adversarial, adversarial_free: absolute (adv_eps an L2 radius over the whole "
                               "sequence) or relative (× embedding RMS × sqrt(tokens × hidden)); goes to those runs only")
    free_replays: int = param(4, "adversarial_free: minibatch replays m (Shafahi et al. 2019), ceil(epochs / m) passes; "
                              "goes to the adversarial_free runs only")
    noise_sigma: float = param(0.5, "rs_rp: noise std relative to the embedding RMS")
    rs_da_copies: int = param(3, "rs_da: augmented copies per English training example")
    rs_da_length_match: bool = param(False, "rs_da: replace a word only by synonyms the tokenizer splits into no more "
                                     "sub-word pieces than the word (not in the paper); goes to the rs_da runs of "
                                     "02_finetune only")
    rs_da_keep_original: bool = param(False, "rs_da: train on the original examples too (Robust-XLT's perturb.py drops "
                                      "them); goes to the rs_da runs of 02_finetune only")
    rs_da_tokens: str = param("raw", "rs_da: raw (perturb.py: tokens looked up as they are) or normalized (lower-cased, "
                              "edge punctuation set aside); goes to the rs_da runs of 02_finetune only")
    rs_da_protected_words: bool = param(False, "rs_da: never replace rxlt's negator/pronoun/auxiliary list (not in "
                                        "perturb.py); goes to the rs_da runs of 02_finetune only")
    synonyms_file: str = param("", "rs_da: synonym table in SAFER / Robust-XLT counterfitted_neighbors.json format "
                               "({word: [neighbour, …]}); a relative path starts at the repository; empty = WordNet "
                               "3.0; checked when the study loads, goes to the rs_da runs of 02_finetune only")
    wordnet_dir: str = param(DEFAULT_WORDNET_DIR, "rs_da without synonyms_file: WordNet 3.0 database directory "
                             "(Debian wordnet-base); a relative path starts at the repository; goes to the rs_da runs "
                             "of 02_finetune only")
    seeds: tuple[int, ...] = param((0, 1), "one run per seed and condition")
    epochs: int = param(10, "fine-tuning epochs")
    intermediate_epochs: int = param(10, "epochs per intermediate task")
    intermediate_max_items: int = param(0, "train on at most this many English items per intermediate task (a seeded "
                                        "sample, the same for every seed); 0 = all")
    batch_size: int = param(32, "training batch size")
    lr: float = param(5e-5, "encoder learning rate")
    head_lr: float = param(1e-3, "head learning rate")
    max_length: int = param(32, "max tokens per input")
    frozen_layers: int = param(0, "freeze the embeddings and the first N layers in every condition; their output is "
                               "computed once for all runs (classification targets; rxlt.features.prefix_cache)")
    probe_epochs: int = param(30, "probe: epochs of the linear head (it converges more slowly than fine-tuning)")
    probe_head_lr: float = param(1e-2, "probe: learning rate of the linear head")
    # optimiser settings of phases 1 and 2: defaults = the phases' own, so a study that leaves them out keeps its
    # run ids; XTREME's and Robust-XLT's scripts use weight decay 0, warm-up 0 and train every weight (params/*.yaml)
    weight_decay: float = param(0.01, "AdamW weight decay of the 01_intermediate and 02_finetune runs "
                                "(XTREME / Robust-XLT scripts: 0)")
    warmup_ratio: float = param(0.1, "fraction of training steps with linear warm-up, phases 1 and 2 "
                                "(XTREME / Robust-XLT scripts: 0)")
    freeze_word_embeddings: bool = param(True, "keep the word-embedding matrix fixed in phases 1 and 2 (saves memory "
                                         "on a laptop; XTREME's scripts train every weight: false)")
    precision: str = param("auto", "auto, bf16 or fp32")
    languages: tuple[str, ...] = param(("all",), "evaluation languages, or ['all']")
    max_test_items: int = param(0, "cap of test items per language (0 = all)")
    bootstrap_samples: int = param(1000, "bootstrap resamples")
    tier_scheme: str = param("joshi", "resource tier scheme (rxlt.languages.tier_schemes.TIER_SCHEMES)")
    # alignment with parallel data, the other side of Huang et al.'s contrast (rxlt.run.alignment_grid); off by default
    alignment_methods: tuple[str, ...] = param((), "alignment conditions, each at every N of parallel_sentences: "
                                               "rotation (Procrustes on the direct+erm model's pooled head inputs, "
                                               "phase 3), align_l2 / align_contrastive (alignment fine-tuning on "
                                               "translation pairs before direct+erm fine-tuning; Cao et al. 2020)")
    parallel_sentences: tuple[int | str, ...] = param((), "parallel items per language N swept by the alignment "
                                                      "methods: non-negative integers or 'all'; never test items "
                                                      "(rxlt.data.parallel); N = 0 is plain fine-tuning itself")
    alignment_epochs: int = param(1, "alignment fine-tuning: passes over the translation pairs (Cao et al.: 1)")
    alignment_lr: float = param(5e-5, "alignment fine-tuning: learning rate, constant after a linear warm-up over "
                                "the first 10% of the steps, no weight decay (Cao et al.'s code: 5e-5)")
    alignment_weight: float = param(1.0, "alignment fine-tuning: weight of the English regulariser (Cao et al.: 1)")
    alignment_temperature: float = param(0.05, "align_contrastive: softmax temperature")
    alignment_diagnostic: bool = param(False, "phase 3, first seed: nearest-neighbour rates of translations per "
                                       "language and layer (x→en, en→x, MEXA) on the test items of every evaluation")
    max_workers: int = param(1, "runs executed at once by the local executor (each uses all cores)")
    smoke: bool = param(False, "smoke study (set by --smoke)")
    report_code: str = param("hide", "code cells in the rendered HTML reports: hide, fold (under a 'code' toggle) or "
                             "show; rendering only, so it changes no run id (a failed run's report always shows them)")
    # --executor slurm (rxlt.run.slurm): resources of each run's Slurm job; one array job per phase
    slurm_partition: str = param("", "Slurm partition ('' = the cluster's default)")
    slurm_array_parallelism: int = param(8, "Slurm: at most this many runs of one phase at once")
    slurm_gpus_per_run: int = param(1, "Slurm: GPUs per training/evaluation run (04_tiers and 05_report get none)")
    slurm_ddp_processes: int = param(0, "Slurm: data-parallel processes per 01/02 training run (0 = one per GPU)")
    slurm_cpus_per_run: int = param(4, "Slurm: CPU cores per run (its OMP_NUM_THREADS)")
    slurm_mem_gb: int = param(16, "Slurm: memory per run, GB")
    slurm_time_min_intermediate: int = param(240, "Slurm: time limit of a 01_intermediate run, minutes")
    slurm_time_min_finetune: int = param(120, "Slurm: time limit of a 02_finetune run, minutes")
    slurm_time_min_evaluate: int = param(60, "Slurm: time limit of a 03_evaluate run, minutes")
    slurm_time_min_tiers: int = param(30, "Slurm: time limit of the 04_tiers run, minutes")
    slurm_time_min_report: int = param(30, "Slurm: time limit of the 05_report run, minutes")

    def __post_init__(self):
        require(bool(STUDY_NAME.fullmatch(self.study)), "study",
                f"{self.study!r} is not one path component: use letters, digits, '.', '_' and '-', starting with a "
                f"letter or digit (runs go to runs/<study>/)")
        require(len(self.study) <= STUDY_NAME_MAX, "study", f"at most {STUDY_NAME_MAX} characters, got {len(self.study)}")
        check_known(self.model, MODELS, "model", "model alias", allow_paths=True)
        check_model(model_path(self.model), self.encoder_layers, frozen_layers=self.frozen_layers)
        require(self.encoder_layers >= 0, "encoder_layers", f"must be >= 0 (0 = all layers), got {self.encoder_layers}")
        check_tasks([self.target_task], "target_task", embedded_only=True)
        check_tasks(self.intermediate_tasks, "intermediate_tasks")
        for c in self.conditions:
            if c not in CONDITIONS:
                raise ParamsError(f"key 'conditions': unknown condition {c!r}: {suggest(c, CONDITIONS)}")
        require(len(self.conditions) >= 1, "conditions", "name at least one condition")
        for o in self.objectives:
            check_known(o, OBJECTIVES, "objectives", "objective")
        require(len(self.objectives) >= 1, "objectives", "name at least one objective")
        outside = [o for o in self.intermediate_objectives if o not in self.objectives]
        require(not outside, "intermediate_objectives", f"{outside} are not among objectives {list(self.objectives)}: "
                "each intermediate run is compared with the direct run of the same objective")
        require(not self.intermediate_objectives or "intermediate" in self.conditions, "intermediate_objectives",
                "applies to the intermediate condition, which is not among conditions")
        # two equal entries would make two runs with one id, trained at once into one directory
        for key in ("conditions", "objectives", "intermediate_objectives", "intermediate_tasks", "languages"):
            values = list(getattr(self, key))
            twice = sorted({v for v in values if values.count(v) > 1})
            require(not twice, key, f"duplicate entries {twice} in {values}: list each once")
        require(tuple(self.languages) == ("all",) or "all" not in self.languages, "languages",
                f"['all'] alone means every language; otherwise list language codes, got {list(self.languages)}")
        require(len(self.languages) >= 1, "languages", "name languages or use ['all']")
        for code in self.languages if tuple(self.languages) != ("all",) else ():
            try:
                resolve(code)  # any form the language table knows: de, deu, deu_Latn, hau, ...
            except UnknownNameError:
                raise ParamsError(f"key 'languages': unknown language {code!r}: {suggest(code, LANGUAGES)}") from None
        require("intermediate" not in self.conditions or len(self.intermediate_tasks) >= 1, "intermediate_tasks",
                "the intermediate condition needs at least one intermediate task")
        require(not self.rs_da_length_match or "rs_da" in self.objectives, "rs_da_length_match",
                f"applies to objective 'rs_da', which is not among objectives {list(self.objectives)}")
        # any headline metric goes through phases 3–5 (rxlt.phases.tiers pairs accuracy by item, others by seed);
        # what phase 2 cannot train (rs_da on tagging/QA/retrieval) is refused here, before compute
        for objective in self.objectives:
            try:
                check_training_task(self.target_task, objective)
            except ParamsError as exc:  # phase 2 names its own keys ('task', 'objective'): say the study's
                reason = re.sub(r"^key '(task|objective)': ", "", str(exc))
                raise ParamsError(f"key 'target_task' / 'objectives' ({self.target_task!r}, {objective!r}): "
                                  f"{reason}") from None
        for key, default in (("rs_da_keep_original", False), ("synonyms_file", ""), ("wordnet_dir", DEFAULT_WORDNET_DIR),
                             ("rs_da_tokens", "raw"), ("rs_da_protected_words", False)):
            require(getattr(self, key) == default or "rs_da" in self.objectives, key,
                    f"applies to objective 'rs_da', which is not among objectives {list(self.objectives)}")
        require(self.free_replays == 4 or "adversarial_free" in self.objectives, "free_replays",
                f"applies to objective 'adversarial_free', which is not among objectives {list(self.objectives)}")
        require(self.adv_eps_scale == "absolute" or set(ADV_EPS_SCALED) & set(self.objectives), "adv_eps_scale",
                f"applies to objectives {' and '.join(ADV_EPS_SCALED)}, neither of which is among objectives "
                f"{list(self.objectives)}")
        require(bool(self.wordnet_dir), "wordnet_dir", f"give a directory (default {DEFAULT_WORDNET_DIR})")
        check_synonyms_file(self.synonyms_file, synonyms_path(self.synonyms_file), repo_root())
        require(self.weight_decay >= 0, "weight_decay", f"must be >= 0, got {self.weight_decay}")
        require(0 <= self.warmup_ratio < 1, "warmup_ratio", f"must be in [0, 1), got {self.warmup_ratio}")
        require(len(self.seeds) >= 1, "seeds", "name at least one seed")
        require(len(set(self.seeds)) == len(self.seeds), "seeds", f"duplicate seeds in {list(self.seeds)}")
        for seed in self.seeds:
            check_seed(seed, "seeds")
        for key in ("epochs", "intermediate_epochs", "batch_size", "max_length"):
            require(getattr(self, key) >= 1, key, f"must be >= 1, got {getattr(self, key)}")
        require(self.probe_epochs >= 1, "probe_epochs", f"must be >= 1, got {self.probe_epochs}")
        require(self.intermediate_max_items >= 0, "intermediate_max_items",
                f"must be >= 0 (0 = every item), got {self.intermediate_max_items}")
        require(self.frozen_layers >= 0, "frozen_layers", f"must be >= 0 (0 = none frozen), got {self.frozen_layers}")
        for key in ("lr", "head_lr", "probe_head_lr"):
            require(getattr(self, key) > 0, key, f"must be > 0, got {getattr(self, key)}")
        require(self.max_workers >= 1, "max_workers", "must be >= 1")
        require(self.report_code in CODE_DISPLAY, "report_code", f"one of {list(CODE_DISPLAY)}, got {self.report_code!r}")
        for f in fields(self):
            if f.name.startswith("slurm_") and f.type == "int":
                low = 0 if f.name in ("slurm_gpus_per_run", "slurm_ddp_processes") else 1
                require(getattr(self, f.name) >= low, f.name, f"must be >= {low}")
        require(self.target_task not in self.intermediate_tasks, "intermediate_tasks",
                f"must not contain the target task {self.target_task!r}")
        check_study_values(self)  # a zero-shot language, the model's longest input, bootstrap_samples' cap
        alignment_grid.check_keys(self)


@dataclass(frozen=True)
class RunSpec:
    """One notebook execution: phase, validated parameters, and the runs it needs first."""

    phase: str
    run_id: str
    params: object
    needs: tuple[str, ...] = field(default=())

    @property
    def key(self) -> str:
        return f"{self.phase}/{self.run_id}"


def model_path(value: str) -> str:
    """A study's model as the runs get it: an alias or hub id unchanged, a local path absolute (relative paths
    start at the repository, since each run executes in its own directory)."""
    return synonyms_path(value) if looks_like_path(value, base=repo_root()) else value


def synonyms_path(value: str) -> str:
    """A study's synonyms_file / wordnet_dir as the runs get it: absolute, relative paths starting at the repository
    (as the notebooks resolve theirs), since each run executes in its own directory."""
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else repo_root() / path)


VALIDATION_ROOT = Path("/rxlt-validation")  # expand() builds every run's parameters; nothing is written there


def load_study(path: str | Path, smoke: bool = False) -> StudyParams:
    """The study file, validated in full — its keys and every run's phase parameters — before `--smoke` shrinks it
    (so a bad value never passes a smoke check and fails later)."""
    values = read_yaml(path)
    if "study" not in values:
        raise ParamsError(f"{path}: key 'study' missing: name the study (its runs go to runs/<study>/, its reports "
                          f"to reports/<study>/; without a name it would mix with the default study's folders)")
    cfg = build(StudyParams, values, source=str(path))
    validate_runs(cfg, str(path))
    if smoke:
        source = f"{path} (--smoke)"
        smaller = {"frozen_layers": min(cfg.frozen_layers, SMOKE["encoder_layers"] - 1),  # the same path, smaller
                   "languages": smoke_languages(cfg.target_task)}
        cfg = build(StudyParams, {**to_dict(cfg), **SMOKE, **smaller, "smoke": True, "study": cfg.study + "-smoke"},
                    source=source)
        validate_runs(cfg, source)
    return cfg


def task_language(code: str, available) -> str | None:
    """`code` as the task writes it (SIB-200's FLORES varieties: `de` -> `deu_Latn`; AfriSenti's `hau`; XTREME's
    `sw` for `swh_Latn`), or None when the task has no such language."""
    if code in available:
        return code
    row = LANGUAGES[resolve(code)]
    return next((c for c in (row["code"], row["flores"], row["rxlt_code"]) if c and c in available), None)


def smoke_languages(task: str) -> list[str]:
    """SMOKE's languages as the task codes them, those it has."""
    available = set(kind_handlers.evaluation_languages(task))
    return [c for c in (task_language(code, available) for code in SMOKE["languages"]) if c]


def validate_runs(cfg: StudyParams, source: str) -> None:
    """Build every run's phase parameters (their own checks run), naming the study file in any error."""
    try:
        expand(cfg, VALIDATION_ROOT)
    except ParamsError as exc:
        raise ParamsError(f"{source}: {exc}") from None


def _run_id(prefix: str, params, root: Path) -> str:
    """prefix + hash of the parameters that differ from their defaults.

    Paths are taken relative to the study (a moved checkout keeps its ids), and only non-default
    values count, so a parameter added to a phase later leaves finished runs valid.
    """
    defaults = {f.name: f.default if f.default is not MISSING else f.default_factory() for f in fields(params)}
    values = {k: v for k, v in to_dict(params).items()
              if k != "run_dir" and to_dict_value(defaults.get(k, MISSING)) != v}
    for key in REPO_PATH_KEYS:  # made absolute by expand: the id keeps the form relative to the repository
        if key in values and Path(values[key]).is_relative_to(repo_root()):
            values[key] = str(Path(values[key]).relative_to(repo_root()))
    blob = json.dumps(values, sort_keys=True).replace(str(root), "<study>").encode()
    return f"{prefix}-{hashlib.sha256(blob).hexdigest()[:10]}"


def to_dict_value(v):
    return list(v) if isinstance(v, tuple) else v


def expand(cfg: StudyParams, runs_dir: Path) -> list[RunSpec]:
    """The study's runs in dependency order, each with fully validated phase parameters."""
    root = runs_dir / cfg.study
    available = kind_handlers.evaluation_languages(cfg.target_task)  # embedded and every XTREME-R kind
    languages = cfg.languages
    if tuple(cfg.languages) != ("all",):
        missing = [l for l in cfg.languages if task_language(l, available) is None]
        if missing:
            raise ParamsError(f"key 'languages': {missing} have too few {cfg.target_task} test items; "
                              f"{suggest(missing[0], available)}")
        languages = tuple(task_language(l, available) for l in cfg.languages)
    alignment_grid.check_budgets(cfg, available if tuple(cfg.languages) == ("all",) else list(languages))
    train = dict(model=model_path(cfg.model), encoder_layers=cfg.encoder_layers, batch_size=cfg.batch_size, lr=cfg.lr,
                 head_lr=cfg.head_lr, max_length=cfg.max_length, precision=cfg.precision,
                 weight_decay=cfg.weight_decay, warmup_ratio=cfg.warmup_ratio,
                 freeze_word_embeddings=cfg.freeze_word_embeddings, frozen_layers=cfg.frozen_layers)
    specs: list[RunSpec] = []

    def add(phase: str, prefix: str, params, needs=()):
        run_id = _run_id(prefix, params, root)
        if any(s.phase == phase and s.run_id == run_id for s in specs):  # two runs in one directory: never
            raise ParamsError(f"two {phase} runs would get one id {run_id!r}: list each condition, objective and "
                              f"seed once")
        params = replace(params, run_dir=str(root / phase / run_id))
        specs.append(RunSpec(phase, run_id, params, tuple(needs)))
        return specs[-1]

    evaluations = []

    def evaluate(ft: RunSpec, name: str, seed: int, diagnostic: bool = True) -> None:
        evaluations.append(add("03_evaluate", name, EvaluateParams(
            finetune_run=ft.params.run_dir, languages=languages, max_test_items=cfg.max_test_items,
            precision=cfg.precision, bootstrap_samples=cfg.bootstrap_samples, seed=seed,
            alignment_diagnostic=diagnostic and cfg.alignment_diagnostic and seed == cfg.seeds[0]), needs=[ft.key]))

    for seed in cfg.seeds:
        inter = None
        if "intermediate" in cfg.conditions:
            inter = add("01_intermediate", f"inter-s{seed}", IntermediateParams(
                **train, tasks=cfg.intermediate_tasks, seed=seed, epochs=cfg.intermediate_epochs,
                max_train_items=cfg.intermediate_max_items))
        if "probe" in cfg.conditions:  # no objective: a linear head on the frozen encoder, trained with plain ERM
            probe = add("02_finetune", f"probe-s{seed}", FinetuneParams(
                **{**train, "head_lr": cfg.probe_head_lr}, task=cfg.target_task, seed=seed, epochs=cfg.probe_epochs,
                linear_probe=True))
            evaluate(probe, f"probe-s{seed}", seed, diagnostic=False)
        for condition in (c for c in cfg.conditions if c != "probe"):
            up = inter if condition == "intermediate" else None
            for objective in (cfg.intermediate_objectives or cfg.objectives) if up else cfg.objectives:
                name = f"{condition}-{objective}-s{seed}"
                ft = add("02_finetune", name, FinetuneParams(
                    **train, task=cfg.target_task, seed=seed, epochs=cfg.epochs, objective=objective,
                    adv_eps=cfg.adv_eps, adv_alpha=cfg.adv_alpha, adv_steps=cfg.adv_steps, adv_norm=cfg.adv_norm,
                    adv_eps_scale=cfg.adv_eps_scale if objective in ADV_EPS_SCALED else "absolute",
                    free_replays=cfg.free_replays if objective == "adversarial_free" else 4,
                    noise_sigma=cfg.noise_sigma, rs_da_copies=cfg.rs_da_copies,
                    rs_da_tokens=cfg.rs_da_tokens if objective == "rs_da" else "raw",
                    rs_da_protected_words=cfg.rs_da_protected_words and objective == "rs_da",
                    rs_da_length_match=cfg.rs_da_length_match and objective == "rs_da",
                    rs_da_keep_original=cfg.rs_da_keep_original and objective == "rs_da",
                    synonyms_file=synonyms_path(cfg.synonyms_file) if cfg.synonyms_file and objective == "rs_da" else "",
                    wordnet_dir=(synonyms_path(cfg.wordnet_dir) if objective == "rs_da" and not cfg.synonyms_file
                                 else DEFAULT_WORDNET_DIR),  # only where it is read: no new ids otherwise
                    init_from=up.params.run_dir if up else ""), needs=[up.key] if up else [])
                evaluate(ft, name, seed)
    evaluations += alignment_grid.add_runs(cfg, add, train, specs, languages)
    tiers = add("04_tiers", "tiers", TiersParams(
        evaluation_runs=tuple(e.params.run_dir for e in evaluations), tier_scheme=cfg.tier_scheme,
        baseline_condition="direct" if "direct" in cfg.conditions else cfg.conditions[0],
        bootstrap_samples=cfg.bootstrap_samples, smoke=cfg.smoke), needs=[e.key for e in evaluations])
    # the study report: answer first (effect, interval, test, power), then the evidence (rxlt.phases.report)
    add("05_report", "report", ReportParams(
        evaluation_runs=tiers.params.evaluation_runs, tier_scheme=cfg.tier_scheme,
        baseline_condition=tiers.params.baseline_condition, bootstrap_samples=cfg.bootstrap_samples,
        permutation_samples=max(cfg.bootstrap_samples, 1000), smoke=cfg.smoke),
        needs=[e.key for e in evaluations] + [tiers.key])
    return specs


def default_runs_dir() -> Path:
    return repo_root() / "runs"
