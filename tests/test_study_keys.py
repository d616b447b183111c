"""Study keys for the optimiser and rs_da settings of phases 1-2 (weight_decay, warmup_ratio,
freeze_word_embeddings, rs_da_keep_original, synonyms_file, wordnet_dir): they reach the phase configs that use them, bad values
and a missing synonym file are refused when the study loads, and the embedded study's run ids stay what they were
before the keys existed (golden ids computed on main at c9ae913, before this change)."""
import json
from dataclasses import MISSING, fields
from pathlib import Path

import pytest

from rxlt.cli import main
from rxlt.params.phases import FinetuneParams, IntermediateParams
from rxlt.params.strict import ParamsError, build
from rxlt.results import repo_root
from rxlt.run.study import StudyParams, expand, load_study

PARAMS = Path(__file__).resolve().parents[1] / "params"

# `expand(load_study("params/cldr.yaml"[, smoke=True]), runs_dir)` keys (any runs_dir): the CLDR study was the
# embedded default until SIB-200 replaced it; its full-study ids are those of main at c9ae913. The smoke ids
# changed once on purpose: --smoke caps intermediate training items (SMOKE's intermediate_max_items), which moved the
# smoke intermediate runs and the runs downstream of them.
EMBEDDED_IDS = [
    '01_intermediate/inter-s0-9c4871377f',
    '01_intermediate/inter-s1-21343f9793',
    '02_finetune/direct-adversarial-s0-b692f67e8d',
    '02_finetune/direct-adversarial-s1-e7fe33789b',
    '02_finetune/direct-erm-s0-9429b35736',
    '02_finetune/direct-erm-s1-d5f991b62f',
    '02_finetune/direct-rs_da-s0-d31168cba8',
    '02_finetune/direct-rs_da-s1-5dba67168b',
    '02_finetune/direct-rs_rp-s0-ef7de1784f',
    '02_finetune/direct-rs_rp-s1-afcbfd2e90',
    '02_finetune/intermediate-adversarial-s0-14e1fb4060',
    '02_finetune/intermediate-adversarial-s1-9186f36b1e',
    '02_finetune/intermediate-erm-s0-29bb182463',
    '02_finetune/intermediate-erm-s1-ec3e3997d5',
    '02_finetune/intermediate-rs_da-s0-6b2691896a',
    '02_finetune/intermediate-rs_da-s1-62a9f37951',
    '02_finetune/intermediate-rs_rp-s0-0eb0428562',
    '02_finetune/intermediate-rs_rp-s1-95d9bb0654',
    '03_evaluate/direct-adversarial-s0-fc82eb832b',
    '03_evaluate/direct-adversarial-s1-1e077c6a17',
    '03_evaluate/direct-erm-s0-cfc860563d',
    '03_evaluate/direct-erm-s1-1c711639a4',
    '03_evaluate/direct-rs_da-s0-645710a7ec',
    '03_evaluate/direct-rs_da-s1-720fadf264',
    '03_evaluate/direct-rs_rp-s0-dd3dfd2c8d',
    '03_evaluate/direct-rs_rp-s1-697b965a4c',
    '03_evaluate/intermediate-adversarial-s0-0dcdd4029b',
    '03_evaluate/intermediate-adversarial-s1-bb8d41a695',
    '03_evaluate/intermediate-erm-s0-7faee9d5fa',
    '03_evaluate/intermediate-erm-s1-b16c5f389e',
    '03_evaluate/intermediate-rs_da-s0-203dd127e5',
    '03_evaluate/intermediate-rs_da-s1-a997394c9a',
    '03_evaluate/intermediate-rs_rp-s0-8eb9b9d610',
    '03_evaluate/intermediate-rs_rp-s1-d9f1f1c95f',
    '04_tiers/tiers-b035945dae',
    '05_report/report-acd69753af',
]

EMBEDDED_SMOKE_IDS = [
    '01_intermediate/inter-s0-6eae057e05',
    '02_finetune/direct-adversarial-s0-d3b36b1b89',
    '02_finetune/direct-erm-s0-d21301ec23',
    '02_finetune/direct-rs_da-s0-2aa9de884a',
    '02_finetune/direct-rs_rp-s0-1663d2e6be',
    '02_finetune/intermediate-adversarial-s0-69779a3a81',
    '02_finetune/intermediate-erm-s0-7e83a54ba0',
    '02_finetune/intermediate-rs_da-s0-b05f367a94',
    '02_finetune/intermediate-rs_rp-s0-495eef08aa',
    '03_evaluate/direct-adversarial-s0-2782eb6546',
    '03_evaluate/direct-erm-s0-5d337a5a7b',
    '03_evaluate/direct-rs_da-s0-07a7cfe858',
    '03_evaluate/direct-rs_rp-s0-9fa11aa07e',
    '03_evaluate/intermediate-adversarial-s0-39bf8a7e30',
    '03_evaluate/intermediate-erm-s0-afdfbbc356',
    '03_evaluate/intermediate-rs_da-s0-1399c6d4d7',
    '03_evaluate/intermediate-rs_rp-s0-3a217d5959',
    '04_tiers/tiers-b350495f03',
    '05_report/report-848a6c4024',
]

BASE = {"study": "keys", "objectives": ["erm", "rs_da"], "seeds": [0], "conditions": ["direct", "intermediate"]}


def by_phase(cfg, root):
    out = {}
    for s in expand(cfg, root):
        out.setdefault(s.phase, {})[s.run_id.rsplit("-", 1)[0]] = s.params
    return out


@pytest.mark.parametrize("smoke,golden", [(False, EMBEDDED_IDS), (True, EMBEDDED_SMOKE_IDS)])
def test_embedded_study_run_ids_are_unchanged(smoke, golden, tmp_path):
    """Finished CLDR runs stay valid: new study keys at their defaults change no phase value, so no id."""
    assert sorted(s.key for s in expand(load_study(PARAMS / "cldr.yaml", smoke=smoke), tmp_path)) == golden


def test_study_defaults_equal_the_phase_defaults_of_keys_with_the_same_name():
    """Why the ids hold: a run id hashes only phase values that differ from the phase's defaults (the training
    phases: the study's batch_size is not phase 3's inference batch)."""
    def defaults(cls):
        return {f.name: f.default if f.default is not MISSING else f.default_factory() for f in fields(cls)}

    study = defaults(StudyParams)
    shared = 0
    for cls in (IntermediateParams, FinetuneParams):
        for name, value in defaults(cls).items():
            if name in study:
                assert study[name] == value, (cls.__name__, name)
                shared += 1
    assert shared >= 20  # weight_decay, warmup_ratio, freeze_word_embeddings, synonyms_file, … are among them


def test_optimiser_keys_reach_both_training_phases_only(tmp_path):
    cfg = build(StudyParams, {**BASE, "weight_decay": 0.0, "warmup_ratio": 0.0, "freeze_word_embeddings": False})
    runs = by_phase(cfg, tmp_path)
    trained = list(runs["01_intermediate"].values()) + list(runs["02_finetune"].values())
    assert len(trained) == 1 + 4
    assert {(p.weight_decay, p.warmup_ratio, p.freeze_word_embeddings) for p in trained} == {(0.0, 0.0, False)}
    default = by_phase(build(StudyParams, BASE), tmp_path)
    assert {(p.weight_decay, p.warmup_ratio, p.freeze_word_embeddings)
            for ph in ("01_intermediate", "02_finetune") for p in default[ph].values()} == {(0.01, 0.1, True)}
    # every training run is a new run; 03 follows its 02 run, so every run id changes
    old = {s.key for s in expand(build(StudyParams, BASE), tmp_path)}
    new = {s.key for s in expand(cfg, tmp_path)}
    assert not old & new


def test_rs_da_keys_reach_only_the_rs_da_finetune_runs(tmp_path):
    table = tmp_path / "neighbors.json"
    table.write_text(json.dumps({"movie": ["film", "cinema"], "good": ["fine"]}))
    cfg = build(StudyParams, {**BASE, "rs_da_keep_original": True, "synonyms_file": str(table)})
    ft = by_phase(cfg, tmp_path)["02_finetune"]
    assert {name: (p.objective, p.rs_da_keep_original, p.synonyms_file) for name, p in ft.items()} == {
        f"{c}-{o}-s0": (o, o == "rs_da", str(table) if o == "rs_da" else "")
        for c in ("direct", "intermediate") for o in ("erm", "rs_da")}
    # the erm runs keep their ids, the rs_da runs are new
    ids = lambda c: {s.run_id for s in expand(c, tmp_path) if s.phase == "02_finetune"}  # noqa: E731
    assert sorted(i.split("-")[1] for i in ids(cfg) - ids(build(StudyParams, BASE))) == ["rs_da", "rs_da"]


def test_a_relative_synonyms_file_starts_at_the_repository_and_stays_out_of_the_run_id(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # `rxlt study` started elsewhere
    rel = "tests/fixtures/_study_keys_neighbors.json"
    path = repo_root() / rel
    path.write_text(json.dumps({"movie": ["film"]}))
    try:
        cfg = build(StudyParams, {**BASE, "synonyms_file": rel})
        ft = by_phase(cfg, tmp_path / "runs")["02_finetune"]
        assert ft["direct-rs_da-s0"].synonyms_file == str(path)  # absolute: each run executes in its own directory
        same = build(StudyParams, {**BASE, "synonyms_file": str(path)})
        assert [s.key for s in expand(cfg, tmp_path)] == [s.key for s in expand(same, tmp_path)]
    finally:
        path.unlink()


def test_wordnet_dir_reaches_only_the_rs_da_runs_and_a_missing_one_stops_the_expansion(tmp_path):
    wordnet = "/usr/share/wordnet"  # Debian wordnet-base: the phase default, so no new ids
    if not Path(wordnet, "index.noun").is_file():
        pytest.skip("Debian wordnet-base is not installed")
    elsewhere = tmp_path / "wn"  # a copy installed somewhere else
    elsewhere.symlink_to(wordnet)
    ft = by_phase(build(StudyParams, {**BASE, "wordnet_dir": str(elsewhere)}), tmp_path)["02_finetune"]
    assert {n: p.wordnet_dir for n, p in ft.items()} == {
        f"{c}-{o}-s0": str(elsewhere) if o == "rs_da" else wordnet for c in ("direct", "intermediate")
        for o in ("erm", "rs_da")}
    missing = build(StudyParams, {**BASE, "wordnet_dir": str(tmp_path / "no-wordnet")})
    with pytest.raises(ParamsError, match=r"key 'wordnet_dir': WordNet 3.0 files missing in .*no-wordnet"):
        expand(missing, tmp_path)


@pytest.mark.parametrize("values,message", [
    ({"synonyms_file": "no/such/counterfitted_neighbors.json"},
     r"key 'synonyms_file': .*no/such/counterfitted_neighbors.json does not exist \(relative paths start at the "
     r"repository .*\); give the path of counterfitted_neighbors.json"),
    ({"objectives": ["erm", "rs_rp"], "synonyms_file": "x.json"},
     r"key 'synonyms_file': applies to objective 'rs_da', which is not among objectives \['erm', 'rs_rp'\]"),
    ({"objectives": ["erm"], "rs_da_keep_original": True},
     r"key 'rs_da_keep_original': applies to objective 'rs_da', which is not among objectives \['erm'\]"),
    ({"objectives": ["erm"], "wordnet_dir": "/opt/wordnet"},
     r"key 'wordnet_dir': applies to objective 'rs_da', which is not among objectives \['erm'\]"),
    ({"weight_decay": -0.1}, r"key 'weight_decay': must be >= 0, got -0.1"),
    ({"warmup_ratio": 1.0}, r"key 'warmup_ratio': must be in \[0, 1\), got 1.0"),
    ({"freeze_word_embeddings": "no"}, r"key 'freeze_word_embeddings': expected bool, got str 'no'"),
])
def test_bad_values_are_refused_when_the_study_loads(values, message, tmp_path):
    study = tmp_path / "s.yaml"
    study.write_text("\n".join(f"{k}: {json.dumps(v)}" for k, v in {**BASE, **values}.items()) + "\n")
    with pytest.raises(ParamsError, match=message):
        load_study(study)


def test_a_missing_synonyms_file_stops_rxlt_study_before_any_run(tmp_path, capsys):
    study = tmp_path / "s.yaml"
    study.write_text("study: keys\nobjectives: [rs_da]\nsynonyms_file: /nowhere/counterfitted_neighbors.json\n")
    assert main(["study", str(study), "--runs-dir", str(tmp_path / "runs"), "--dry-run"]) == 2
    assert "key 'synonyms_file': /nowhere/counterfitted_neighbors.json does not exist" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_rxlt_params_study_lists_the_new_keys(capsys):
    assert main(["params", "study"]) == 0
    out = capsys.readouterr().out
    for line in ("weight_decay (float, default 0.01)", "warmup_ratio (float, default 0.1)",
                 "freeze_word_embeddings (bool, default True)", "rs_da_keep_original (bool, default False)",
                 "synonyms_file (str, default '')", "wordnet_dir (str, default '/usr/share/wordnet')"):
        assert line in out
