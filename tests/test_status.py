"""`rxlt status`: each run's state from results.json and the study's ledger, with log paths."""
import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

from rxlt.run.ledger import Ledger, format_status, study_status
from rxlt.results import start_run
from rxlt.run.study import expand, load_study

REPO = Path(__file__).resolve().parents[1]
STUDY = REPO / "tests" / "fixtures" / "slurm_study.yaml"


def _study(tmp_path):
    cfg = load_study(STUDY)
    runs = tmp_path / "runs"
    specs = expand(cfg, runs)
    study_dir = runs / cfg.study
    study_dir.mkdir(parents=True)
    return specs, study_dir


def test_states_and_logs(tmp_path):
    specs, study_dir = _study(tmp_path)
    inter, ft_direct, ev_direct, ft_inter = specs[:4]
    start_run(inter.phase, inter.params).finish(metrics={}, samples={})  # a finished run
    ledger = Ledger(study_dir)
    ledger.set(inter.key, state="complete", executor="local", log="/logs/inter")
    ledger.set(ft_direct.key, state="failed", executor="local", log="/logs/ft", error="ValueError: boom")
    ledger.set(ev_direct.key, state="skipped", executor="local", error="an upstream run failed")
    ledger.set(ft_inter.key, state="running", executor="local", log="/logs/ft-inter")
    assert ledger.failed() == {ft_direct.key, ev_direct.key}

    rows = {r["run"]: r for r in study_status(specs, study_dir)}
    assert [r["state"] for r in rows.values()].count("pending") == 4  # ft_inter: its study process is gone
    assert rows[inter.key]["state"] == "done" and rows[inter.key]["log"] == "/logs/inter"
    assert rows[ft_direct.key] == {"run": ft_direct.key, "state": "failed", "log": "/logs/ft", "job_id": "",
                                   "note": "ValueError: boom"}
    assert rows[ev_direct.key]["state"] == "failed" and rows[ev_direct.key]["note"] == "an upstream run failed"
    assert rows[ft_inter.key]["state"] == "pending" and "interrupted" in rows[ft_inter.key]["note"]

    with open(study_dir / ".lock", "w") as lock:  # a live `rxlt study` holds the lock
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        rows = {r["run"]: r for r in study_status(specs, study_dir)}
    assert rows[ft_inter.key]["state"] == "running" and rows[ft_inter.key]["log"] == "/logs/ft-inter"
    text = format_status(list(rows.values()))
    assert text.splitlines()[0] == "done 1 running 1 queued 0 failed 2 interrupted 0 pending 3"  # + the 05_report run


def test_cli_json(tmp_path):
    specs, study_dir = _study(tmp_path)
    Ledger(study_dir).set(specs[1].key, state="failed", log="/logs/x", error="boom")
    res = subprocess.run([sys.executable, "-m", "rxlt", "status", str(STUDY), "--runs-dir", str(tmp_path / "runs"),
                          "--json"], env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["study"] == "slurm-tiny" and [r["run"] for r in data["runs"]] == [s.key for s in specs]
    assert [r["state"] for r in data["runs"]] == ["pending", "failed"] + ["pending"] * 5
    assert data["runs"][1]["log"] == "/logs/x"


def test_a_run_finished_by_older_methods_is_stale_and_runs_again(tmp_path):
    """Run ids hash parameters, not methods: a run written before its phase's methods changed (rxlt.results.METHODS)
    is reported pending and re-run, never reused as finished."""
    from rxlt.results import METHODS, RESULTS, is_complete, is_stale

    specs, study_dir = _study(tmp_path)
    inter = specs[0]
    start_run(inter.phase, inter.params).finish(metrics={}, samples={})
    path = Path(inter.params.run_dir) / RESULTS
    data = json.loads(path.read_text())
    assert data["methods_version"] == METHODS[inter.phase] and not is_stale(path.parent)
    del data["methods_version"]  # as every run written before the field existed
    path.write_text(json.dumps(data))
    assert is_complete(path.parent) and is_stale(path.parent)
    row = next(r for r in study_status(specs, study_dir) if r["run"] == inter.key)
    assert row["state"] == "pending" and row["note"].startswith("stale")
