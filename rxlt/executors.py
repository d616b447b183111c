"""Where runs execute. The runner only needs `submit(fn, *args) -> Future` and `shutdown()`.

`local` runs notebooks in a thread pool (the work happens in each papermill kernel's own process);
a Slurm executor (submitit) plugs in behind the same interface in its own issue.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from .lookup import lookup


class LocalExecutor:
    name = "local"

    def __init__(self, max_workers: int = 1):
        self.max_workers = max_workers
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="rxlt-run")

    def submit(self, fn, *args) -> Future:
        return self._pool.submit(fn, *args)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


EXECUTORS: dict[str, type] = {"local": LocalExecutor}


def make_executor(name: str, max_workers: int):
    return lookup(EXECUTORS, name, "executor")(max_workers)
