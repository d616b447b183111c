"""Run one phase notebook's code as a plain script: the way to train one run on several GPUs.

    torchrun --standalone --nproc_per_node 4 -m rxlt.launch 02_finetune finetune.yaml

The YAML holds the phase's parameters (keys: `rxlt params 02_finetune`; `run_dir` names the run).
Every rank executes the notebook's code cells (all but the parameters cell) with those parameters;
train_streams shards each batch across the ranks (rxlt.train.distributed). Only rank 0 writes into
`run_dir`; the other ranks write their identical copies into a temporary directory, dropped at exit.
Without torchrun it is one process, the same as running the notebook.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile

from rxlt.lookup import lookup
from rxlt.model.availability import offline_problem
from rxlt.params.phases import PHASES
from rxlt.params.strict import ParamsError, load, to_dict
from rxlt.progress import BATCH_ENV
from rxlt.train import distributed


def notebook_cells(phase: str) -> list[str]:
    """The notebook's code cells, without the parameters cell (the YAML replaces it)."""
    import jupytext

    from rxlt.run.execution import notebook_source

    nb = jupytext.read(notebook_source(phase))
    return [c.source for c in nb.cells
            if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]


def run_phase(phase: str, params_path: str) -> None:
    cfg = load(lookup(PHASES, phase, "phase"), params_path)  # validated before any process group starts
    problem = offline_problem(cfg.model) if hasattr(cfg, "model") else None
    if problem:
        raise ParamsError(f"{params_path}: key 'model': {problem}")
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


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: torchrun --standalone --nproc_per_node N -m rxlt.launch PHASE PARAMS.yaml", file=sys.stderr)
        return 2
    try:
        run_phase(*argv)
    except (ParamsError, LookupError, OSError) as exc:
        print(f"rxlt.launch: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
