"""Execute one run: its phase notebook through papermill, or over several data-parallel ranks.

The study loop (rxlt.run.runner), the Slurm jobs (rxlt.run.slurm) and the torchrun entry point
(rxlt.launch) all call down into this module, so none of them needs another.

Each run's kernel is started by `RunKernelManager`, which registers it here, so the study loop can stop
every running kernel from its own thread (`stop_kernels`: SIGINT interrupts the running cell, SIGKILL
ends the kernel); a kernel that starts after a stop was asked for is stopped at once. A run whose
notebook did not finish never keeps a complete results.json: it is renamed aside (`results.<why>.json`).
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from rxlt.params.strict import to_dict
from rxlt.results import RESULTS, is_complete, repo_root
from rxlt.run.study import RunSpec

NOTEBOOK_NAME = "notebook.ipynb"


KERNEL = "rxlt"


@dataclass
class Outcome:
    spec: RunSpec
    status: str  # complete | failed | skipped (upstream failed) | cached | interrupted | pending (left alone)
    seconds: float = 0.0
    error: str = ""
    log: str = ""  # the executor's log of this attempt (Slurm stdout); the executed notebook is in the run dir


# run key -> the kernel manager of its running notebook (entries are set and removed by the run's own thread)
_KERNELS: dict[str, object] = {}
_stop_signal: list[int] = []  # the signal stop_kernels last sent: kernels starting later get it too


def _signal_kernel(manager, signum: int) -> None:
    provisioner = getattr(manager, "provisioner", None)
    pid = getattr(provisioner, "pid", None)
    if not pid:
        return
    try:
        os.killpg(getattr(provisioner, "pgid", None) or pid, signum)  # the kernel is its own process group
    except (ProcessLookupError, PermissionError):
        pass


def stop_kernels(signum: int = signal.SIGINT) -> int:
    """Send `signum` to every running run's kernel (SIGINT interrupts its cell, SIGKILL ends it) and to every
    kernel that starts from now on; return how many were running. Safe to call from a signal handler."""
    _stop_signal[:] = [signum]
    managers = list(_KERNELS.values())  # one C-level copy: no lock, so a signal handler cannot deadlock here
    for manager in managers:
        _signal_kernel(manager, signum)
    return len(managers)


def running_kernels() -> int:
    return len(_KERNELS)


def clear_stop() -> None:
    """A new study loop: runs may start again."""
    _stop_signal.clear()


def _kernel_manager_class(key: str):
    """AsyncKernelManager that registers its kernel under the run's key, and shuts a kernel down without first
    interrupting it.

    jupyter_client 8 (manager.py `_async_shutdown_kernel`) sends SIGINT before every shutdown request; a kernel
    still inside a message handler then logs "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel" at the
    end of a run that went fine. nbclient shuts a kernel down only once its notebook has finished (or failed),
    so there is nothing to interrupt; a kernel that ignores the shutdown request is still killed by
    jupyter_client after `shutdown_wait_time`."""
    from jupyter_client.manager import AsyncKernelManager

    class RunKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw):
            await super().start_kernel(**kw)
            _KERNELS[key] = self
            if _stop_signal:  # the study is being stopped: this run never gets going
                _signal_kernel(self, signal.SIGKILL)

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            """Fork the kernel from the study's warm zygote where it can (rxlt.run.kernel_zygote), else launch it."""
            from rxlt.run import kernel_zygote

            zygote = kernel_zygote.active()
            process = zygote.spawn(kernel_cmd, kw.get("env"), kw.get("cwd")) if zygote else None
            if process is None:
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            provisioner = self.provisioner
            provisioner.process, provisioner.pid, provisioner.pgid = process, process.pid, process.pid
            provisioner.cwd = kw.get("cwd")
            self._reconcile_connection_info(provisioner.connection_info)

        async def _async_interrupt_kernel(self):
            if self.shutting_down:
                return
            await super()._async_interrupt_kernel()

    return RunKernelManager


def _set_aside(run_dir: Path, why: str) -> None:
    """A notebook that did not finish leaves no complete results.json behind (the next study runs it again)."""
    if is_complete(run_dir):
        os.replace(run_dir / RESULTS, run_dir / f"results.{why}.json")


def notebook_source(phase: str) -> Path:
    path = repo_root() / "notebooks" / f"{phase}.py"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: phase notebook missing (expected notebooks/{phase}.py)")
    return path


def kernel_name() -> str:
    """The project's registered kernel if present (make sets it up), else the environment's python3."""
    from jupyter_client.kernelspec import KernelSpecManager

    return KERNEL if KERNEL in KernelSpecManager().find_kernel_specs() else "python3"


def execute(spec: RunSpec, kernel: str) -> Outcome:
    """Run one phase notebook with papermill into its (cleared) run directory."""
    import jupytext
    import papermill
    from traitlets.config import Config

    run_dir = Path(spec.params.run_dir)
    if _stop_signal:
        return Outcome(spec, "interrupted", error="the study was interrupted before this run started")
    if run_dir.exists():
        shutil.rmtree(run_dir)  # a partial run: nothing in it is trusted
    run_dir.mkdir(parents=True)
    started = time.time()
    try:
        papermill.execute_notebook(
            jupytext.read(notebook_source(spec.phase)), str(run_dir / NOTEBOOK_NAME),
            parameters=to_dict(spec.params), kernel_name=kernel, progress_bar=False,
            cwd=str(run_dir), coalesce_streams=True, kernel_manager_class=_kernel_manager_class(spec.key),
            # IPC sockets: local-only kernel channels (and no "TCP without encryption" warning per run);
            # a unique short socket prefix per run, or parallel kernels would share "./kernel-ipc-N"
            config=Config({"KernelManager": {"transport": "ipc",
                                             "ip": os.path.join(tempfile.gettempdir(), f"rxlt-{uuid.uuid4().hex[:12]}")}}),
        )
    except papermill.PapermillExecutionError as exc:
        error = f"{exc.ename}: {exc.evalue}"
    except Exception as exc:  # kernel died, timeout, …: still a failed run, never a finished one
        error = f"{type(exc).__name__}: {exc}"
    else:
        error = "" if is_complete(run_dir) else "notebook finished without writing a complete results.json"
    finally:
        _KERNELS.pop(spec.key, None)
    seconds = time.time() - started
    if not error:
        return Outcome(spec, "complete", seconds)
    status = "interrupted" if _stop_signal else "failed"
    _set_aside(run_dir, status)
    return Outcome(spec, status, seconds, error)


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

    from rxlt.run.execution import Outcome, execute

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
