"""Run one phase notebook's code as a plain script: the way to train one run on several GPUs.

    torchrun --standalone --nproc_per_node 4 -m rxlt.launch 02_finetune finetune.yaml

The YAML holds the phase's parameters (keys: `rxlt params 02_finetune`; `run_dir` names the run).
Every rank executes the notebook's code cells (all but the parameters cell) with those parameters;
train_streams shards each batch across the ranks (rxlt.distributed). Only rank 0 writes into
`run_dir`; the other ranks write their identical copies into a temporary directory, dropped at exit.
Without torchrun it is one process, the same as running the notebook.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from . import distributed
from .config import PHASES
from .lookup import lookup
from .params import ParamsError, load, to_dict
from .progress import BATCH_ENV


def notebook_cells(phase: str) -> list[str]:
    """The notebook's code cells, without the parameters cell (the YAML replaces it)."""
    import jupytext

    from .runner import notebook_source

    nb = jupytext.read(notebook_source(phase))
    return [c.source for c in nb.cells
            if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]


def run_phase(phase: str, params_path: str) -> None:
    cfg = load(lookup(PHASES, phase, "phase"), params_path)  # validated before any process group starts
    os.environ.setdefault("MPLBACKEND", "Agg")  # no display: figures are built and dropped
    cells = notebook_cells(phase)
    with distributed.process_group():
        namespace = {"__name__": "__main__", **to_dict(cfg)}
        scratch = None
        if not distributed.is_main():
            scratch = tempfile.mkdtemp(prefix=f"rxlt-rank{distributed.rank()}-")
            namespace["run_dir"] = scratch
            os.environ[BATCH_ENV] = "1"  # one progress bar (rank 0's) is enough
            print(f"rxlt.launch: rank {distributed.rank()} of {distributed.world_size()}, writing to {scratch}", flush=True)
        try:
            for i, code in enumerate(cells):
                exec(compile(code, f"notebooks/{phase}.py [cell {i + 1}]", "exec"), namespace)
        finally:
            if scratch:
                shutil.rmtree(scratch, ignore_errors=True)


TRAINING_PHASES = ("01_intermediate", "02_finetune")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def execute_data_parallel(spec, kernel: str, processes: int):
    """One study run over `processes` data-parallel ranks on this node (Slurm: one per GPU).

    Rank 0 is the run's papermill kernel, so its executed notebook is the run's report as always;
    ranks 1.. run the same notebook code through `rxlt.launch`. The rendezvous variables go into this
    process's environment for the kernel to inherit, so call this from a process that runs one run
    at a time (a Slurm job), never from a thread of the local pool. Other phases run as usual.
    """
    import yaml

    from .runner import Outcome, execute

    if processes <= 1 or spec.phase not in TRAINING_PHASES:
        return execute(spec, kernel)
    logs = Path(spec.params.run_dir).parent / ".ranks"  # outside the run dir, which execute() clears
    logs.mkdir(parents=True, exist_ok=True)
    params = logs / f"{spec.run_id}.yaml"
    params.write_text(yaml.safe_dump(to_dict(spec.params)))
    common = {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(_free_port()), "WORLD_SIZE": str(processes),
              "LOCAL_WORLD_SIZE": str(processes)}
    workers = []
    for r in range(1, processes):
        with open(logs / f"{spec.run_id}.rank{r}.log", "w") as log:
            workers.append(subprocess.Popen([sys.executable, "-m", "rxlt.launch", spec.phase, str(params)],
                                            env={**os.environ, **common, "RANK": str(r), "LOCAL_RANK": str(r)},
                                            stdout=log, stderr=subprocess.STDOUT))
    saved = {k: os.environ.get(k) for k in (*common, "RANK", "LOCAL_RANK")}
    os.environ.update(common, RANK="0", LOCAL_RANK="0")
    outcome = None
    try:
        outcome = execute(spec, kernel)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        for w in workers:  # a failed rank 0 leaves the others waiting in a collective: stop them
            try:
                w.wait(timeout=300 if outcome is not None and outcome.status == "complete" else 5)
            except subprocess.TimeoutExpired:
                w.kill()
                w.wait()
    bad = [r for r, w in enumerate(workers, start=1) if w.returncode != 0]
    if bad and outcome.status == "complete":
        return Outcome(spec, "failed", outcome.seconds,
                       f"data-parallel rank {bad[0]} failed: see {logs / f'{spec.run_id}.rank{bad[0]}.log'}")
    return outcome


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: torchrun --standalone --nproc_per_node N -m rxlt.launch PHASE PARAMS.yaml", file=sys.stderr)
        return 2
    try:
        run_phase(*argv)
    except (ParamsError, LookupError, FileNotFoundError) as exc:
        print(f"rxlt.launch: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
