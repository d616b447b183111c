"""The alignment keys of a study: their checks (bad input refused before compute, naming key and value) and the
runs they add to the DAG — N = 0 adds none (it is plain fine-tuning itself), and every other run keeps its id."""
from collections import Counter
from dataclasses import replace

import pytest

from rxlt.params.phases import IntermediateParams
from rxlt.params.strict import ParamsError, build
from rxlt.run.study import StudyParams, expand

LANGS = ["en", "yor_Latn", "deu_Latn"]
BASE = dict(study="al", model="e5-small", encoder_layers=1, target_task="sib200", conditions=["direct"],
            objectives=["erm", "rs_rp"], seeds=[0, 1], languages=LANGS, epochs=1, max_length=32)
ALIGN = dict(alignment_methods=["rotation", "align_l2"], parallel_sentences=[0, 10, "all"])


@pytest.fixture(autouse=True)
def shipped_copy(monkeypatch):
    monkeypatch.delenv("RXLT_DATA_DIR", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def runs(values, tmp_path):
    return expand(build(StudyParams, values), tmp_path)


def test_alignment_runs_in_the_dag(tmp_path):
    specs = runs({**BASE, **ALIGN, "alignment_epochs": 3}, tmp_path)
    assert Counter(s.phase for s in specs) == {"01_intermediate": 4, "02_finetune": 8, "03_evaluate": 12,
                                               "04_tiers": 1, "05_report": 1}
    by = {f"{s.phase[:2]}/{s.run_id.rsplit('-', 1)[0]}": s for s in specs}
    plain_ft = by["02/direct-erm-s1"]
    rot = by["03/rotation-nall-s1"].params
    assert rot.finetune_run == plain_ft.params.run_dir and rot.rotation_sentences == "all" and rot.seed == 1
    assert by["03/rotation-n10-s1"].needs == (plain_ft.key,)
    align = by["01/align_l2-n10-s0"].params
    assert isinstance(align, IntermediateParams) and align.tasks == () and align.alignment_objective == "l2"
    assert (align.alignment_sentences, align.alignment_languages, align.parallel_task) == (10, ("yor_Latn", "deu_Latn"),
                                                                                           "sib200")
    assert (align.epochs, align.weight_decay, align.seed) == (3, 0.0, 0)
    tuned = by["02/align_l2-n10-erm-s0"]
    assert tuned.phase == "02_finetune" and tuned.params.init_from == align.run_dir
    assert tuned.params.objective == "erm" and tuned.needs == (by["01/align_l2-n10-s0"].key,)
    assert replace(tuned.params, init_from="", run_dir="") == replace(by["02/direct-erm-s0"].params, run_dir="")
    report = next(s for s in specs if s.phase == "05_report").params
    assert len(report.evaluation_runs) == 12 and not [s for s in specs if "-n0-" in s.run_id]


def test_n0_is_plain_fine_tuning_and_every_other_run_keeps_its_id(tmp_path):
    """parallel_sentences: [0] adds no run and changes no id (the whole DAG is the plain study's), and adding
    N > 0 leaves the ids of the plain runs as they were."""
    plain = {s.key for s in runs(BASE, tmp_path)}
    assert {s.key for s in runs({**BASE, "alignment_methods": ["rotation", "align_l2"], "parallel_sentences": [0]},
                                tmp_path)} == plain
    grown = {s.key for s in runs({**BASE, **ALIGN}, tmp_path)}
    assert {k for k in plain if not k.startswith(("04_", "05_"))} <= grown


def test_diagnostic_goes_to_the_first_seed_only(tmp_path):
    specs = runs({**BASE, **ALIGN, "alignment_diagnostic": True}, tmp_path)
    ev = [s.params for s in specs if s.phase == "03_evaluate"]
    assert {p.seed for p in ev if p.alignment_diagnostic} == {0} and {p.seed for p in ev} == {0, 1}


@pytest.mark.parametrize("extra, message", [
    ({"alignment_methods": ["rotate"], "parallel_sentences": [10]}, "unknown method 'rotate': did you mean 'rotation'"),
    ({"alignment_methods": ["rotation"], "parallel_sentences": [10, 10]}, "duplicate entries"),
    ({"alignment_methods": ["rotation"], "parallel_sentences": [-3]}, "-3 is not a number of parallel sentences"),
    ({"alignment_methods": ["rotation"], "parallel_sentences": ["ten"]}, "'ten' is not a number of parallel sentences"),
    ({"alignment_methods": ["rotation"]}, "alignment_methods and parallel_sentences go together"),
    ({"parallel_sentences": [10]}, "alignment_methods and parallel_sentences go together"),
    ({**ALIGN, "alignment_methods": ["rotation"], "alignment_epochs": 2}, "'alignment_epochs': applies to alignment "
                                                                         "fine-tuning"),
    ({**ALIGN, "alignment_temperature": 0.1}, "'alignment_temperature': applies to align_contrastive only"),
    ({**ALIGN, "objectives": ["rs_rp"]}, "conditions must include 'direct' and objectives 'erm'"),
    ({**ALIGN, "target_task": "cldr-territory", "languages": ["all"]}, "has no parallel items rxlt can use"),
])
def test_bad_alignment_keys_are_refused(extra, message):
    with pytest.raises(ParamsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build(StudyParams, {**BASE, **extra})


def test_a_budget_above_a_languages_parallel_items_is_refused_before_compute_naming_it_and_the_count(tmp_path):
    cfg = build(StudyParams, {**BASE, "alignment_methods": ["rotation"], "parallel_sentences": [10, 900]})
    with pytest.raises(ParamsError, match=r"key 'parallel_sentences': 2 language\(s\) have fewer sib200 parallel items "
                                          r"than N = 900: deu_Latn has 800, yor_Latn has 800"):
        expand(cfg, tmp_path)
