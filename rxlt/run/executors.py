"""Where runs execute: `local` (this machine, a pool of --max-workers runs) or `slurm` (rxlt.run.slurm).

The local pool is a *thread* pool on purpose: each run is a papermill kernel, a separate process,
so the threads only start kernels and wait on them — the GIL never limits the work, and a process
pool would add a second Python interpreter (and pickling) per run for nothing. `--max-workers`
caps how many kernels run at once. Slurm runs are array jobs scheduled by Slurm itself; the runner
hands them to rxlt.run.slurm instead of a pool.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from rxlt.lookup import lookup


class LocalExecutor:
    name = "local"

    def __init__(self, max_workers: int = 1):
        self.max_workers = max_workers
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="rxlt-run")

    def submit(self, fn, *args) -> Future:
        return self._pool.submit(fn, *args)

    def shutdown(self, wait: bool = True) -> None:
        """Cancel what has not started; wait for the running runs unless `wait` is False (a stopped study)."""
        self._pool.shutdown(wait=wait, cancel_futures=True)


EXECUTORS: dict[str, str] = {
    "local": "this machine: a pool running --max-workers runs at once (the default)",
    "slurm": "Slurm job arrays via submitit, one per phase; resources from the study's slurm_* keys",
}


def check_executor(name: str) -> None:
    """An unknown executor name is an error with a did-you-mean."""
    lookup(EXECUTORS, name, "executor")


def make_executor(name: str, max_workers: int) -> LocalExecutor:
    check_executor(name)
    return LocalExecutor(max_workers)
