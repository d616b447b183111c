"""results.json is self-describing, atomic, and never overwritten once finished."""
import json

import pytest

from rxlt.params.phases import EvaluateParams
from rxlt.params.strict import build
from rxlt.results import is_complete, read_results, start_run, write_json_atomic


def test_finish_writes_a_self_describing_results_file(tmp_path):
    cfg = build(EvaluateParams, {"finetune_run": "x", "run_dir": str(tmp_path / "r")})
    run = start_run("03_evaluate", cfg)
    assert not is_complete(run.dir)
    run.finish(metrics={"m": 1}, samples={"test": {"en": {"original": 5, "used": 3}}})
    data = read_results(run.dir)
    assert data["status"] == "complete" and data["config"]["finetune_run"] == "x"
    assert data["seeds"] == {"seed": 0} and data["samples"]["test"]["en"] == {"original": 5, "used": 3}
    prov = data["provenance"]
    assert {"git", "versions", "started", "finished", "duration_s", "compute"} <= set(prov)
    assert prov["versions"]["torch"].startswith("2.13.0") and prov["compute"]["precision"] in ("fp32", "bf16")
    assert is_complete(run.dir, data["config_hash"]) and not is_complete(run.dir, "other")


def test_finished_results_are_never_overwritten(tmp_path):
    cfg = build(EvaluateParams, {"finetune_run": "x", "run_dir": str(tmp_path / "r")})
    start_run("03_evaluate", cfg).finish(metrics={}, samples={})
    with pytest.raises(FileExistsError, match="already holds finished results"):
        start_run("03_evaluate", cfg)


def test_partial_or_corrupt_results_do_not_count(tmp_path):
    (tmp_path / "results.json").write_text('{"status": "comp')  # a write cut short
    assert not is_complete(tmp_path)
    write_json_atomic(tmp_path / "results.json", {"status": "running"})
    assert not is_complete(tmp_path)
    with pytest.raises(ValueError, match="not 'complete'"):
        read_results(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]  # no temp files left behind
    assert json.loads((tmp_path / "results.json").read_text()) == {"status": "running"}
