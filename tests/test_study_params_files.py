"""Every params/*.yaml loads with the strict study loader and expands into its DAG without network, data or
compute: run counts per phase and the settings each phase's config receives (the real-XTREME-R study files
need a GPU and data to *run*; here they are only expanded)."""
from collections import Counter
from pathlib import Path

import pytest

from rxlt.params.phases import EvaluateParams, FinetuneParams, IntermediateParams, ReportParams, TiersParams
from rxlt.params.strict import ParamsError, load
from rxlt.run.study import StudyParams, expand, load_study
from rxlt.train.synonyms import PAPER_SYNONYMS_FILE

PARAMS = Path(__file__).resolve().parents[1] / "params"

# XTREME's and Robust-XLT's scripts: warm-up 0, weight decay 0, every weight trained (protocols.md §1.3)
XTREME_OPTIMIZER = dict(weight_decay=0.0, warmup_ratio=0.0, freeze_word_embeddings=False)

# file -> what its expansion must give: runs per phase, and the settings phases 1-2 receive
EXPECTED = {
    "embedded.yaml": dict(  # the default study: SIB-200 in 205 varieties, offline (params/embedded.yaml says why)
        phases={"01_intermediate": 3, "02_finetune": 15, "03_evaluate": 15, "04_tiers": 1, "05_report": 1},
        model="e5-small", task="sib200", intermediate=("wordnet-gloss", "fortune-topic"), epochs=6,
        intermediate_epochs=1, lr=2e-4, head_lr=1e-3, max_length=128, batch_size=32, seeds=(0, 1, 2),
        objectives={"erm", "rs_rp", "rs_da"}, rs_da_copies=2, frozen_layers=11,
        weight_decay=0.01, warmup_ratio=0.1, freeze_word_embeddings=True, synonyms_file=str(PAPER_SYNONYMS_FILE)),
    "cldr.yaml": dict(  # the default study until SIB-200 replaced it
        phases={"01_intermediate": 2, "02_finetune": 16, "03_evaluate": 16, "04_tiers": 1, "05_report": 1},
        model="e5-small", task="cldr-territory", intermediate=("cldr-unit", "cldr-reltime"), epochs=10,
        intermediate_epochs=10, lr=5e-5, head_lr=1e-3, max_length=32, batch_size=32, seeds=(0, 1),
        objectives={"erm", "adversarial", "rs_rp", "rs_da"}, rs_da_copies=2,
        # rxlt's phase defaults (laptop CPU): warm-up, weight decay, frozen word embeddings, WordNet synonyms
        weight_decay=0.01, warmup_ratio=0.1, freeze_word_embeddings=True, synonyms_file=""),
    "xnli.yaml": dict(
        phases={"01_intermediate": 3, "02_finetune": 6, "03_evaluate": 6, "04_tiers": 1, "05_report": 1},
        model="xlm-roberta-base", task="xnli", intermediate=("squad", "hellaswag"), epochs=5, intermediate_epochs=3,
        lr=2e-5, head_lr=2e-5, max_length=128, batch_size=32, seeds=(0, 1, 2), objectives={"erm"}, **XTREME_OPTIMIZER),
    "xcopa.yaml": dict(
        phases={"01_intermediate": 5, "02_finetune": 10, "03_evaluate": 10, "04_tiers": 1, "05_report": 1},
        model="xlm-roberta-base", task="xcopa", intermediate=("siqa",), epochs=5, intermediate_epochs=5,
        lr=2e-5, head_lr=2e-5, max_length=128, batch_size=32, seeds=(0, 1, 2, 3, 4), objectives={"erm"},
        **XTREME_OPTIMIZER),
    "udpos.yaml": dict(
        phases={"01_intermediate": 3, "02_finetune": 6, "03_evaluate": 6, "04_tiers": 1, "05_report": 1},
        model="xlm-roberta-base", task="udpos", intermediate=("squad", "hellaswag"), epochs=10,
        intermediate_epochs=3, lr=2e-5, head_lr=2e-5, max_length=128, batch_size=32, seeds=(0, 1, 2),
        objectives={"erm"}, **XTREME_OPTIMIZER),
    # the XGLUE and low-resource suites (rxlt.data.xglue_tasks, rxlt.data.lowres_tasks): each file cites its settings
    "xglue.yaml": dict(
        phases={"01_intermediate": 3, "02_finetune": 6, "03_evaluate": 6, "04_tiers": 1, "05_report": 1},
        model="xlm-roberta-base", task="xglue-wpr", intermediate=("squad", "hellaswag"), epochs=5, intermediate_epochs=3,
        lr=2e-5, head_lr=2e-5, max_length=128, batch_size=32, seeds=(0, 1, 2), objectives={"erm"}, **XTREME_OPTIMIZER),
    # microsoft/Unicoder@b3d4afd understanding/unicoder/xglue.sh: the XGLUE authors' NC / QADSM / QAM settings
    **{f"xglue-{t}.yaml": dict(
        phases={"01_intermediate": 3, "02_finetune": 6, "03_evaluate": 6, "04_tiers": 1, "05_report": 1},
        model="xlm-roberta-base", task=f"xglue-{t}", intermediate=("squad", "hellaswag"), epochs=10,
        intermediate_epochs=3, lr=5e-6, head_lr=5e-6, max_length=256, batch_size=32, seeds=(0, 1, 2),
        objectives={"erm"}, **XTREME_OPTIMIZER) for t in ("nc", "qadsm", "qam")},
    "belebele.yaml": dict(
        phases={"01_intermediate": 3, "02_finetune": 6, "03_evaluate": 6, "04_tiers": 1, "05_report": 1},
        model="xlm-roberta-base", task="belebele", intermediate=("squad", "hellaswag"), epochs=3, intermediate_epochs=3,
        lr=2e-5, head_lr=2e-5, max_length=256, batch_size=32, seeds=(0, 1, 2), objectives={"erm"}, **XTREME_OPTIMIZER),
    "afrisenti.yaml": dict(  # the shared task's starter notebook
        phases={"01_intermediate": 3, "02_finetune": 6, "03_evaluate": 6, "04_tiers": 1, "05_report": 1},
        model="xlm-roberta-base", task="afrisenti", intermediate=("squad", "hellaswag"), epochs=5, intermediate_epochs=3,
        lr=5e-5, head_lr=5e-5, max_length=128, batch_size=32, seeds=(0, 1, 2), objectives={"erm"}, **XTREME_OPTIMIZER),
    "masakhaner2.yaml": dict(  # MasakhaNER2.0/scripts/xlmr_base.sh and train_ner.py defaults
        phases={"01_intermediate": 5, "02_finetune": 10, "03_evaluate": 10, "04_tiers": 1, "05_report": 1},
        model="xlm-roberta-base", task="masakhaner2", intermediate=("squad", "hellaswag"), epochs=20,
        intermediate_epochs=3, lr=5e-5, head_lr=5e-5, max_length=164, batch_size=32, seeds=(1, 2, 3, 4, 5),
        objectives={"erm"}, **XTREME_OPTIMIZER),
    "americasnli.yaml": dict(  # zs_default.yaml / anli_default.yaml
        phases={"01_intermediate": 3, "02_finetune": 6, "03_evaluate": 6, "04_tiers": 1, "05_report": 1},
        model="xlm-roberta-base", task="americasnli", intermediate=("squad", "hellaswag"), epochs=5,
        intermediate_epochs=3, lr=2e-5, head_lr=2e-5, max_length=256, batch_size=32, seeds=(0, 1, 2),
        objectives={"erm"}, **XTREME_OPTIMIZER),
    "nusax.yaml": dict(
        phases={"01_intermediate": 5, "02_finetune": 10, "03_evaluate": 10, "04_tiers": 1, "05_report": 1},
        model="xlm-roberta-base", task="nusax", intermediate=("squad", "hellaswag"), epochs=10, intermediate_epochs=3,
        lr=2e-5, head_lr=2e-5, max_length=128, batch_size=32, seeds=(0, 1, 2, 3, 4), objectives={"erm"},
        **XTREME_OPTIMIZER),
    "sib200.yaml": dict(  # the default design at full size: every test item, five seeds, PGD as well
        phases={"01_intermediate": 5, "02_finetune": 45, "03_evaluate": 45, "04_tiers": 1, "05_report": 1},
        model="e5-small", task="sib200", intermediate=("wordnet-gloss", "fortune-topic"), epochs=6,
        intermediate_epochs=1, lr=2e-4, head_lr=1e-3, max_length=128, batch_size=32, seeds=(0, 1, 2, 3, 4),
        objectives={"erm", "adversarial", "rs_rp", "rs_da"}, rs_da_copies=2, frozen_layers=11, weight_decay=0.01,
        warmup_ratio=0.1,
        freeze_word_embeddings=True, synonyms_file=str(PAPER_SYNONYMS_FILE)),
    "pawsx-robust.yaml": dict(
        phases={"02_finetune": 12, "03_evaluate": 12, "04_tiers": 1, "05_report": 1},
        model="mbert", task="pawsx", intermediate=None, epochs=3, lr=2e-5, head_lr=2e-5, max_length=128,
        batch_size=32, seeds=(7, 8, 9), objectives={"erm", "adversarial", "rs_rp", "rs_da"}, rs_da_copies=10,
        **XTREME_OPTIMIZER, synonyms_file=str(PAPER_SYNONYMS_FILE)),  # the paper's list, shipped with rxlt
    # alignment vs robust training (rxlt.run.alignment_grid): the alignment runs' own settings under `alignment`
    "align-vs-robust.yaml": dict(  # offline: the shipped SIB-200 copy
        phases={"01_intermediate": 6, "02_finetune": 15, "03_evaluate": 21, "04_tiers": 1, "05_report": 1},
        model="e5-small", task="sib200", intermediate=None, epochs=2, lr=5e-5, head_lr=1e-3, max_length=128,
        batch_size=8, seeds=(0, 1, 2), objectives={"erm", "adversarial", "rs_rp"}, weight_decay=0.01,
        warmup_ratio=0.1, freeze_word_embeddings=True, synonyms_file="",
        alignment=dict(objectives={"l2"}, budgets={10, 100}, epochs=1, lr=5e-5,
                       languages=("deu_Latn", "rus_Cyrl", "zho_Hans", "ukr_Cyrl", "tha_Thai", "ind_Latn", "swh_Latn",
                                  "amh_Ethi", "hau_Latn", "yor_Latn", "ibo_Latn", "kin_Latn"))),
    "align-vs-robust-xnli.yaml": dict(  # XTREME's train_xnli.sh settings; parallel items: the XNLI dev files
        phases={"01_intermediate": 12, "02_finetune": 24, "03_evaluate": 36, "04_tiers": 1, "05_report": 1},
        model="xlm-roberta-base", task="xnli", intermediate=None, epochs=5, lr=2e-5, head_lr=2e-5, max_length=128,
        batch_size=32, seeds=(0, 1, 2), objectives={"erm", "adversarial", "rs_rp", "rs_da"}, rs_da_copies=3,
        **XTREME_OPTIMIZER, synonyms_file=str(PAPER_SYNONYMS_FILE),
        alignment=dict(objectives={"l2"}, budgets={10, 100, 1000, "all"}, epochs=1, lr=5e-5, languages=("all",))),
}


def test_every_params_file_has_expectations():
    assert sorted(p.name for p in PARAMS.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_params_file_expands_with_its_settings_in_every_phase(name, tmp_path, monkeypatch):
    monkeypatch.delenv("RXLT_DATA_DIR", raising=False)  # languages: the task's full list, not what a machine has
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    want = EXPECTED[name]
    cfg = load_study(PARAMS / name)
    specs = expand(cfg, tmp_path)
    assert Counter(s.phase for s in specs) == want["phases"]
    by_phase = {phase: [s.params for s in specs if s.phase == phase] for phase in want["phases"]}
    types = {"01_intermediate": IntermediateParams, "02_finetune": FinetuneParams, "03_evaluate": EvaluateParams,
             "04_tiers": TiersParams, "05_report": ReportParams}
    assert all(isinstance(p, types[phase]) for phase, ps in by_phase.items() for p in ps)

    aligned = {p.run_dir for p in by_phase.get("01_intermediate", []) if p.alignment_objective}  # next test
    intermediate = [p for p in by_phase.get("01_intermediate", []) if not p.alignment_objective]
    probes = [p for p in by_phase["02_finetune"] if p.linear_probe]  # a linear head on the frozen encoder per seed
    assert len(probes) == (len(cfg.seeds) if "probe" in cfg.conditions else 0)
    for p in probes:
        assert (p.objective, p.epochs, p.head_lr, p.init_from) == ("erm", cfg.probe_epochs, cfg.probe_head_lr, "")
    trained = [p for p in by_phase["02_finetune"] if not p.linear_probe] + intermediate
    for p in trained + probes:
        assert p.frozen_layers == want.get("frozen_layers", 0)
    for p in trained:
        assert (p.model, p.lr, p.head_lr, p.max_length, p.batch_size, p.encoder_layers) == (
            want["model"], pytest.approx(want["lr"]), pytest.approx(want["head_lr"]), want["max_length"],
            want["batch_size"], cfg.encoder_layers)
        assert (p.weight_decay, p.warmup_ratio, p.freeze_word_embeddings) == (
            want["weight_decay"], want["warmup_ratio"], want["freeze_word_embeddings"])
    for p in intermediate:
        assert p.tasks == want["intermediate"] and p.epochs == want["intermediate_epochs"]
    inter_dirs = {p.run_dir for p in intermediate}
    finetunes = [p for p in by_phase["02_finetune"] if p.init_from not in aligned and not p.linear_probe]
    assert {p.task for p in finetunes} == {want["task"]} and {p.epochs for p in finetunes} == {want["epochs"]}
    assert {p.objective for p in finetunes} == want["objectives"] and {p.seed for p in finetunes} == set(want["seeds"])
    # the intermediate condition starts from a phase-1 encoder, `direct` from the plain model
    assert {p.init_from for p in finetunes if p.init_from} == inter_dirs
    after = set(cfg.intermediate_objectives or cfg.objectives)  # the objectives run after intermediate training
    assert sum(bool(p.init_from) for p in finetunes) == (len(after) * len(cfg.seeds) if inter_dirs else 0)
    assert {p.objective for p in finetunes if p.init_from} == (after if inter_dirs else set())
    for p in finetunes:
        if p.objective == "rs_da":
            assert p.rs_da_copies == want["rs_da_copies"] and p.rs_da_length_match is False
            assert p.rs_da_keep_original is False and p.synonyms_file == want["synonyms_file"]
        else:
            assert (p.rs_da_keep_original, p.synonyms_file) == (False, "")
    # phase 3 evaluates each fine-tuned model once; phases 4 and 5 take every evaluation
    tuned = {p.run_dir for p in finetunes + probes}
    evaluations = [p for p in by_phase["03_evaluate"] if not p.rotation_sentences and p.finetune_run in tuned]
    assert sorted(p.finetune_run for p in evaluations) == sorted(p.run_dir for p in finetunes + probes)
    if "alignment" not in want:
        assert {p.languages for p in evaluations} == {("all",)}
    for phase in ("04_tiers", "05_report"):
        (p,) = by_phase[phase]
        assert sorted(p.evaluation_runs) == sorted(e.run_dir for e in by_phase["03_evaluate"])
        assert p.baseline_condition == "direct"


@pytest.mark.parametrize("name", sorted(n for n, w in EXPECTED.items() if "alignment" in w))
def test_alignment_files_sweep_their_methods_and_budgets_on_every_seed(name, tmp_path, monkeypatch):
    """Every N > 0 for every seed: an alignment run (Cao et al.'s optimiser: no weight decay, 10% warm-up), the
    direct+erm fine-tuning from it, its evaluation, and a rotation evaluation of the seed's direct+erm model."""
    monkeypatch.delenv("RXLT_DATA_DIR", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    want = EXPECTED[name]["alignment"]
    specs = expand(load_study(PARAMS / name), tmp_path)
    aligned = [s.params for s in specs if s.phase == "01_intermediate" and s.params.alignment_objective]
    assert {(p.alignment_sentences, p.seed) for p in aligned} == {(n, seed) for n in want["budgets"]
                                                                  for seed in EXPECTED[name]["seeds"]}
    for p in aligned:
        assert {p.alignment_objective} <= want["objectives"] and p.tasks == ()
        assert (p.epochs, p.lr, p.weight_decay, p.warmup_ratio) == (want["epochs"], pytest.approx(want["lr"]), 0.0, 0.1)
        assert p.alignment_languages == want["languages"] and p.parallel_task == EXPECTED[name]["task"]
    plain = {s.params.seed: s.params.run_dir for s in specs
             if s.phase == "02_finetune" and s.run_id.startswith(f"direct-erm-s{s.params.seed}-")}
    rotations = [s.params for s in specs if s.phase == "03_evaluate" and s.params.rotation_sentences]
    assert {(p.rotation_sentences, p.finetune_run) for p in rotations} == {(n, plain[seed]) for n in want["budgets"]
                                                                          for seed in plain}
    assert {p.seed for p in (s.params for s in specs if s.phase == "03_evaluate") if p.alignment_diagnostic} == \
        {EXPECTED[name]["seeds"][0]}


def test_pawsx_robust_runs_every_objective_on_every_seed_without_intermediate_training(tmp_path, monkeypatch):
    """Huang et al. 2021's grid: erm / adversarial / rs_rp / rs_da × seeds, all direct from mBERT; the PGD and
    rs_rp settings of the file reach the runs of their objective."""
    monkeypatch.delenv("RXLT_DATA_DIR", raising=False)
    specs = expand(load_study(PARAMS / "pawsx-robust.yaml"), tmp_path)
    runs = {s.run_id.rsplit("-", 1)[0]: s.params for s in specs if s.phase == "02_finetune"}
    assert sorted(runs) == sorted(f"direct-{o}-s{s}" for o in ("erm", "adversarial", "rs_rp", "rs_da")
                                  for s in (7, 8, 9))
    adv = runs["direct-adversarial-s7"]
    assert (adv.adv_eps, adv.adv_alpha, adv.adv_steps, adv.adv_norm) == (1.0, 0.625, 2, "l2")
    assert runs["direct-rs_rp-s8"].noise_sigma == 0.5 and runs["direct-rs_da-s9"].rs_da_copies == 10


def test_pawsx_robust_takes_the_papers_synonym_file_for_its_rs_da_runs(tmp_path, monkeypatch):
    """synonyms_file (the shipped copy of the paper's list in the file) set to a counterfitted_neighbors.json-format table reaches
    the rs_da runs only, and a missing one is refused when the study loads, before any run."""
    monkeypatch.delenv("RXLT_DATA_DIR", raising=False)
    table = tmp_path / "counterfitted_neighbors.json"
    table.write_text('{"movie": ["film", "films", "cinema"], "all": ["everything"]}')
    cfg = load(StudyParams, PARAMS / "pawsx-robust.yaml", synonyms_file=str(table))
    runs = {s.run_id.rsplit("-", 1)[0]: s.params for s in expand(cfg, tmp_path) if s.phase == "02_finetune"}
    assert {name: p.synonyms_file for name, p in runs.items()} == {
        f"direct-{o}-s{s}": str(table) if o == "rs_da" else "" for o in ("erm", "adversarial", "rs_rp", "rs_da")
        for s in (7, 8, 9)}
    with pytest.raises(ParamsError, match=r"key 'synonyms_file': .*missing.json does not exist"):
        load(StudyParams, PARAMS / "pawsx-robust.yaml", synonyms_file=str(tmp_path / "missing.json"))
