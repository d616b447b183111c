"""Data-parallel training under torchrun (2 processes, gloo on CPU) equals single-process training."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
WORKER = REPO / "tests" / "fixtures" / "ddp_train.py"


def _run(cmd, tmp):
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "RXLT_BATCH": "1"}
    # hard timeout: a hung rendezvous must fail the test, never block it
    proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


@pytest.fixture(scope="session")  # built once per worker, even if other files run in between
def runs(tmp_path_factory):
    single, ddp = tmp_path_factory.mktemp("single"), tmp_path_factory.mktemp("ddp")
    _run([sys.executable, str(WORKER), str(single)], single)
    _run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
          str(WORKER), str(ddp)], ddp)
    return (torch.load(single / "rank0.pt"),
            [torch.load(ddp / f"rank{r}.pt") for r in range(2)])


def test_two_ranks_ran(runs):
    single, ranks = runs
    assert single["world_size"] == 1 and [r["world_size"] for r in ranks] == [2, 2]


def test_gradients_identical_across_ranks(runs):
    _, (r0, r1) = runs
    for k in r0["grads"]:
        assert torch.equal(r0["grads"][k], r1["grads"][k]), k
        assert torch.equal(r0["params"][k], r1["params"][k]), k
    assert any(r0["grads"][k].abs().sum() > 0 for k in r0["grads"])


def test_weights_equal_single_process(runs):
    single, (r0, _) = runs
    for k, v in single["params"].items():
        torch.testing.assert_close(r0["params"][k], v, rtol=1e-4, atol=1e-5)
    for a, b in zip(single["history"], r0["history"]):
        assert a["dev_score"] == b["dev_score"]
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-4)
    # the run trained: weights moved from their start and the loss is finite
    assert all(h["train_loss"] == h["train_loss"] for h in single["history"])


def test_launch_runs_a_phase_notebook_under_torchrun(tmp_path):
    """`torchrun … -m rxlt.launch 02_finetune PARAMS`: 2 ranks train one run; only rank 0 writes it."""
    import json

    run_dir = tmp_path / "run"
    params = tmp_path / "ft.yaml"
    params.write_text(f"model: e5-small\nencoder_layers: 1\ntask: cldr-territory\nepochs: 1\nmax_length: 16\n"
                      f"precision: fp32\nrun_dir: {run_dir}\n")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TMPDIR": str(scratch)}
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           "-m", "rxlt.launch", "02_finetune", str(params)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads((run_dir / "results.json").read_text())
    assert results["status"] == "complete" and results["phase"] == "02_finetune"
    assert 0 <= results["metrics"]["english_dev_score"] <= 1 and results["metrics"]["selected_epoch"] == 1
    assert not [p for p in scratch.iterdir() if p.name.startswith("rxlt-rank")]  # rank 1's copy was dropped


def test_launch_rejects_bad_params_before_starting(tmp_path):
    params = tmp_path / "ft.yaml"
    params.write_text("model: e5-small\nepocs: 1\n")
    proc = subprocess.run([sys.executable, "-m", "rxlt.launch", "02_finetune", str(params)], cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "unknown key 'epocs'" in proc.stderr and "did you mean 'epochs'" in proc.stderr


def test_study_run_over_two_ranks(tmp_path):
    """What a Slurm job runs with slurm_ddp_processes: 2 — rank 0 the papermill kernel, rank 1 rxlt.launch."""
    from rxlt.run.execution import NOTEBOOK_NAME, execute_data_parallel, kernel_name
    from rxlt.run.study import expand, load_study

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    spec = next(s for s in expand(load_study(REPO / "tests" / "fixtures" / "slurm_study.yaml"), tmp_path / "runs")
                if s.phase == "02_finetune" and not s.needs)
    outcome = execute_data_parallel(spec, kernel_name(), 2)
    assert outcome.status == "complete", outcome.error
    run_dir = Path(spec.params.run_dir)
    assert (run_dir / "results.json").is_file() and (run_dir / NOTEBOOK_NAME).is_file()
    log = (run_dir.parent / ".ranks" / f"{spec.run_id}.rank1.log").read_text()
    assert "rxlt.launch: rank 1 of 2" in log  # rank 1 joined: without rank 0 in the group it could not finish
    assert "RANK" not in os.environ and "MASTER_PORT" not in os.environ  # the caller's environment is restored
