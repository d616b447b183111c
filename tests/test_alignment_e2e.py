"""The alignment entry points on tiny settings (the embedded encoder cut to 1 layer, 1 epoch, 3 SIB-200 languages,
24 test items each): phase 3 with N = 0 is the plain evaluation bit for bit; a rotation run and an alignment run
record their draw and name their condition; a budget above a language's parallel items is refused before the
model loads, naming the language and its count."""
import json
from pathlib import Path

import pandas as pd
import pytest

from rxlt.data import parallel, sib200
from rxlt.params.phases import EvaluateParams, FinetuneParams, IntermediateParams
from rxlt.params.strict import build
from rxlt.phases.evaluate import run_evaluation
from rxlt.phases.finetune import run_finetune
from rxlt.phases.intermediate import run_intermediate
from rxlt.results import start_run

pytestmark = pytest.mark.slow
TINY = dict(model="e5-small", encoder_layers=1, epochs=1, max_length=16, batch_size=64)
LANGS = ["en", "yor_Latn", "deu_Latn"]


@pytest.fixture(scope="module")
def finetuned(tmp_path_factory):
    import os

    os.environ.pop("RXLT_DATA_DIR", None)
    root = tmp_path_factory.mktemp("align")
    run_finetune(start_run("02_finetune", build(FinetuneParams, {**TINY, "task": "sib200",
                                                                  "run_dir": str(root / "ft")})))
    return root


def evaluate(root: Path, name: str, **extra) -> tuple[dict, pd.DataFrame]:
    cfg = build(EvaluateParams, dict(finetune_run=str(root / "ft"), languages=LANGS, max_test_items=24,
                                     bootstrap_samples=100, run_dir=str(root / name), **extra))
    run_evaluation(start_run("03_evaluate", cfg))
    return json.loads((root / name / "results.json").read_text()), pd.read_csv(root / name / "predictions.csv.gz")


def test_n0_is_the_plain_evaluation_bit_for_bit_and_rotation_records_its_draw(finetuned):
    plain, plain_pred = evaluate(finetuned, "plain")
    zero, zero_pred = evaluate(finetuned, "rot0", rotation_sentences=0, alignment_diagnostic=True)
    assert zero_pred.equals(plain_pred) and zero["metrics"]["per_language"] == plain["metrics"]["per_language"]
    assert zero["condition"] == plain["condition"] == "direct" and "alignment" not in zero
    rot, rot_pred = evaluate(finetuned, "rot10", rotation_sentences=10, alignment_diagnostic=True)
    assert rot["condition"] == "rotation-n10"
    record = rot["alignment"]
    assert record["method"] == "rotation" and record["parallel_sentences"] == 10 and record["draw_seed"] == 0
    assert record["sentences_per_language"] == {"deu_Latn": 10, "yor_Latn": 10} and len(record["keys"]) == 10
    assert not set(record["keys"]) & set(sib200.load("test", ["en"]).key)  # fitted on non-test items only
    assert set(record["fit"]) == {"deu_Latn", "yor_Latn"}
    assert all(f["mean_sq_distance_after"] < f["mean_sq_distance_before"] for f in record["fit"].values())
    english = rot_pred.language == "en"  # English inputs are not rotated
    assert rot_pred[english].prediction.equals(plain_pred[plain_pred.language == "en"].prediction)
    diag = pd.read_csv(finetuned / "rot10" / rot["artifacts"]["alignment_diagnostic"])
    assert set(diag.representation) == {"layer 0", "layer 1", "head input", "head input, rotated"}
    assert set(diag.language) == {"deu_Latn", "yor_Latn"} and (diag.n == 24).all()


def test_alignment_run_then_fine_tuning_names_its_condition(finetuned):
    cfg = build(IntermediateParams, {**TINY, "tasks": [], "alignment_objective": "l2", "parallel_task": "sib200",
                                     "alignment_sentences": 5, "alignment_languages": LANGS[1:],
                                     "run_dir": str(finetuned / "al")})
    history = run_intermediate(start_run("01_intermediate", cfg))
    assert list(history.epoch) == [1] and history.selected.all()
    aligned = json.loads((finetuned / "al" / "results.json").read_text())
    assert aligned["condition"] == "align_l2-n5" and aligned["samples"]["parallel_pairs"] == {"original": 1600,
                                                                                              "used": 10}
    run_finetune(start_run("02_finetune", build(FinetuneParams, {**TINY, "task": "sib200", "init_from": str(
        finetuned / "al"), "run_dir": str(finetuned / "ft-al")})))
    tuned = json.loads((finetuned / "ft-al" / "results.json").read_text())
    assert tuned["condition"] == "align_l2-n5" and tuned["alignment"]["keys"] == aligned["alignment"]["keys"]


def test_a_short_language_is_refused_before_the_model_loads(finetuned, monkeypatch):
    import rxlt.model.checkpoint as checkpoint

    def no_model(*args, **kwargs):
        raise AssertionError("the model was loaded before the budget was checked")

    monkeypatch.setattr(checkpoint, "load_classifier", no_model)
    monkeypatch.setattr("rxlt.phases.evaluate.load_classifier", no_model)
    monkeypatch.setattr("rxlt.phases.english_training.load_encoder", no_model)
    with pytest.raises(parallel.BudgetError, match="deu_Latn has 800, yor_Latn has 800"):
        evaluate(finetuned, "rot900", rotation_sentences=900)
    cfg = build(IntermediateParams, {**TINY, "tasks": [], "alignment_objective": "l2", "parallel_task": "sib200",
                                     "alignment_sentences": 801, "alignment_languages": ["yor_Latn"],
                                     "run_dir": str(finetuned / "al801")})
    with pytest.raises(parallel.BudgetError, match=r"than N = 801: yor_Latn has 800"):
        run_intermediate(start_run("01_intermediate", cfg))
