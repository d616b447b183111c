"""Strict parameters: unknown keys, wrong types and bad values fail early with a clear message."""
from pathlib import Path

import pytest

from rxlt.params.phases import EvaluateParams, FinetuneParams, IntermediateParams, TiersParams
from rxlt.params.strict import ParamsError, build, load
from rxlt.run.study import StudyParams, expand, load_study

REPO = Path(__file__).resolve().parents[1]


def _yaml(tmp_path, text):
    p = tmp_path / "p.yaml"
    p.write_text(text)
    return p


def test_default_study_file_is_valid():
    cfg = load_study(REPO / "params" / "embedded.yaml")
    assert cfg.target_task == "sib200" and cfg.languages == ("all",) and len(cfg.seeds) >= 3
    assert cfg.conditions == ("probe", "direct", "intermediate") and cfg.objectives[0] == "erm" and len(cfg.objectives) >= 3


def test_unknown_key_names_file_key_and_close_match(tmp_path):
    p = _yaml(tmp_path, "study: x\nlearning_rate: 0.1\nseeds: [0]\n")
    with pytest.raises(ParamsError) as e:
        load(StudyParams, p)
    msg = str(e.value)
    assert str(p) in msg and "'learning_rate'" in msg and "available:" in msg


def test_misspelled_key_gets_did_you_mean(tmp_path):
    with pytest.raises(ParamsError, match="did you mean 'epochs'"):
        load(StudyParams, _yaml(tmp_path, "epoch: 3\n"))


@pytest.mark.parametrize("text,needle", [
    ("epochs: three\n", "key 'epochs': expected int, got str"),
    ("epochs: 2.5\n", "key 'epochs': expected int"),
    ("lr: true\n", "key 'lr': expected float, got boolean"),
    ("seeds: 0\n", "key 'seeds': expected a list"),
    ("seeds: [0, x]\n", "key 'seeds'[1]"),
])
def test_wrong_types_are_errors(tmp_path, text, needle):
    with pytest.raises(ParamsError) as e:
        load(StudyParams, _yaml(tmp_path, text))
    assert needle in str(e.value)


@pytest.mark.parametrize("values,needle", [
    ({"target_task": "cldr-teritory"}, "did you mean 'cldr-territory'"),
    ({"model": "xlmr-base"}, "unknown model alias 'xlmr-base'"),
    ({"conditions": ["direct", "intermedate"]}, "did you mean 'intermediate'"),
    ({"seeds": [1, 1]}, "duplicate seeds"),
    ({"intermediate_tasks": ["cldr-territory"]}, "must not contain the target task"),
    # Mewsli-X trains the dual encoder on its Wikipedia pairs; synonym substitution does not apply to it
    ({"target_task": "mewslix", "objectives": ["erm", "rs_da"]}, "('mewslix', 'rs_da'): objective 'rs_da' does not "
                                                                 "apply to retrieval tasks"),
    ({"target_task": "udpos", "objectives": ["erm", "rs_da"]}, "('udpos', 'rs_da'): objective 'rs_da' does not apply"),
    ({"precision": "fp8"}, None),  # fp16 is valid (GPUs without bf16: rxlt.model.precision.choose_precision)
])
def test_bad_values_are_errors(values, needle):
    if "precision" in values:  # the study does not own precision validation; the phase does
        with pytest.raises(ParamsError, match="precision"):
            build(FinetuneParams, values)
        return
    with pytest.raises(ParamsError) as e:
        build(StudyParams, values)
    assert needle in str(e.value)


def test_unknown_language_is_rejected_before_compute(tmp_path):
    with pytest.raises(ParamsError, match="unknown language 'xx'"):
        build(EvaluateParams, {"finetune_run": "r", "languages": ["en", "xx"]})
    cfg = build(StudyParams, {"languages": ["en", "haw"]})  # a table language with too few test items
    with pytest.raises(ParamsError, match="too few cldr-territory test items"):
        expand(cfg, tmp_path)


def test_yaml_must_be_a_flat_mapping(tmp_path):
    with pytest.raises(ParamsError, match="expected a mapping"):
        load(StudyParams, _yaml(tmp_path, "- a\n- b\n"))
    with pytest.raises(ParamsError, match="no such parameters file"):
        load(StudyParams, tmp_path / "missing.yaml")


def test_configs_are_frozen_and_int_widens_to_float():
    cfg = build(IntermediateParams, {"lr": 1, "tasks": ["cldr-unit"]})
    assert cfg.lr == 1.0 and isinstance(cfg.lr, float) and cfg.tasks == ("cldr-unit",)
    with pytest.raises(Exception):
        cfg.lr = 2.0
    with pytest.raises(ParamsError, match="evaluation_runs"):
        build(TiersParams, {})


def test_expansion_is_a_dependency_ordered_dag_with_stable_ids(tmp_path):
    cfg = load_study(REPO / "params" / "embedded.yaml")
    specs = expand(cfg, tmp_path)
    seen = set()
    for s in specs:
        assert all(n in seen for n in s.needs), s.key
        seen.add(s.key)
    n = len(cfg.seeds)
    fine_tuned = (len(cfg.objectives) * ("direct" in cfg.conditions) + ("probe" in cfg.conditions)
                  + len(cfg.intermediate_objectives or cfg.objectives) * ("intermediate" in cfg.conditions))
    assert [s.phase for s in specs].count("03_evaluate") == n * fine_tuned and [s.phase for s in specs[-2:]] == ["04_tiers", "05_report"]
    assert [s.key for s in expand(cfg, tmp_path / "elsewhere")] == [s.key for s in specs]  # ids do not depend on location
    other = build(StudyParams, {**{k: v for k, v in cfg.__dict__.items()}, "epochs": cfg.epochs + 1})
    changed = {s.key for s in expand(other, tmp_path)} - seen
    assert changed and all(not k.startswith("01_intermediate") for k in changed)  # phase 1 does not use `epochs`


@pytest.mark.parametrize("task,kind", [("udpos", "tagging"), ("xquad", "qa"), ("tatoeba", "retrieval"), ("xcopa", "multiple_choice")])
def test_a_study_takes_any_trainable_xtreme_task(task, kind, tmp_path, monkeypatch):
    """Phase 4 takes any headline metric, so the study no longer limits target_task to accuracy-scored kinds."""
    from rxlt.data.kinds import task_kind

    monkeypatch.delenv("RXLT_DATA_DIR", raising=False)  # the task's full language list, no local files
    cfg = build(StudyParams, {"target_task": task, "model": "xlm-roberta-base", "intermediate_tasks": ["cldr-unit"]})
    specs = expand(cfg, tmp_path)
    assert task_kind(task) == kind and [s.phase for s in specs[-2:]] == ["04_tiers", "05_report"]
    assert {s.params.task for s in specs if s.phase == "02_finetune"} == {task}


def test_missing_synonym_source_fails_at_validation(tmp_path):
    with pytest.raises(ParamsError, match="key 'wordnet_dir': WordNet 3.0 files missing"):
        build(FinetuneParams, {"objective": "rs_da", "wordnet_dir": str(tmp_path)})
    with pytest.raises(ParamsError, match="key 'synonyms_file'.*does not exist"):
        build(FinetuneParams, {"objective": "rs_da", "synonyms_file": str(tmp_path / "none.json")})
    with pytest.raises(ParamsError, match="adv_norm"):
        build(FinetuneParams, {"objective": "adversarial", "adv_norm": "l3"})
    with pytest.raises(ParamsError, match="did you mean 'rs_rp'"):
        build(StudyParams, {"objectives": ["erm", "rs-rp"]})


def test_notebook_paths_resolve_against_the_repository(monkeypatch, tmp_path):
    from rxlt.notebook import from_namespace
    from rxlt.params.phases import TiersParams

    monkeypatch.chdir(tmp_path)  # a server started elsewhere
    cfg = from_namespace(TiersParams, {"evaluation_runs": ["runs/scratch/03_evaluate", "/abs/x"], "run_dir": ""})
    assert cfg.evaluation_runs == (str(REPO / "runs/scratch/03_evaluate"), "/abs/x") and cfg.run_dir == ""


def test_run_ids_count_only_non_default_values(tmp_path):
    from rxlt.run.study import _run_id

    a = build(FinetuneParams, {"seed": 1})
    same = build(FinetuneParams, {"seed": 1, "adv_eps": 1.0})  # a default given explicitly
    other = build(FinetuneParams, {"seed": 1, "adv_eps": 2.0})
    assert _run_id("x", a, tmp_path) == _run_id("x", same, tmp_path) != _run_id("x", other, tmp_path)
