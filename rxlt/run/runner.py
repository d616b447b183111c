"""Execute a study's runs with papermill in dependency order; skip finished runs; render reports.

A run counts as done only when its results.json says "complete" (written last, atomically); any
other run directory is partial and is cleared and executed again. Failures are reported with the
path of the executed notebook and do not stop independent runs.

Ctrl-C (SIGINT) or SIGTERM stops a local study: the running notebooks' kernels are interrupted at once
(a kernel runs in its own process group, so the terminal's Ctrl-C never reaches it), their runs are
marked interrupted in the ledger and never count as complete, nothing new starts, and `rxlt study`
exits with one line saying how to resume. A kernel still running after STOP_GRACE_S is killed; a
second Ctrl-C kills every kernel and exits at once.
"""
from __future__ import annotations

import fcntl
import os
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, wait
from contextlib import nullcontext
from pathlib import Path

from rxlt.params.strict import to_dict
from rxlt.phases.finetune import condition_of
from rxlt.progress import BATCH_ENV
from rxlt.reporting.index import record_run, write_index
from rxlt.results import is_complete, is_stale
from rxlt.run import execution
from rxlt.run.execution import NOTEBOOK_NAME, Outcome, execute, kernel_name
from rxlt.run.executors import check_executor, make_executor
from rxlt.run.kernel_zygote import warm_kernels
from rxlt.run.ledger import Ledger, read_ledger
from rxlt.run.study import RunSpec, StudyParams, expand


def report_path(reports_dir: Path, study: str, spec: RunSpec) -> Path:
    return reports_dir / study / spec.phase / f"{spec.run_id}.html"


def _record(outcome: Outcome, cfg: StudyParams, reports_dir: Path) -> None:
    """Render the run's report and record it in reports/index.json (rxlt.reporting.index: locked, atomic)."""
    spec = outcome.spec
    record_run(reports_dir, cfg.study, phase=spec.phase, run_id=spec.run_id, status=outcome.status,
               params=to_dict(spec.params), notebook=Path(spec.params.run_dir) / NOTEBOOK_NAME,
               seconds=None if outcome.status == "cached" else outcome.seconds, error=outcome.error,
               log=outcome.log, needs=spec.needs, smoke=cfg.smoke, code=cfg.report_code,
               condition=condition_of(spec.params) if spec.phase == "02_finetune" else "")


# after Ctrl-C: how long an interrupted kernel may take to stop before it is killed (a kernel still starting ignores
# SIGINT; long C calls, such as loading torch's libraries, delay it by seconds), then how long its thread may take
# to notice the killed kernel (nbclient polls it about once a second)
STOP_GRACE_S = 3.0
KILL_WAIT_S = 5.0
POLL_S = 0.5  # the loop looks for a stop request this often while runs execute


class StudyInterrupted(Exception):
    """The study stopped on SIGINT/SIGTERM; its finished runs stay finished, the interrupted ones will rerun."""

    def __init__(self, signum: int, interrupted: int, not_started: int):
        self.exit_code = 128 + signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}: {interrupted} running run(s) stopped and "
                         f"marked interrupted (never complete), {not_started} not started")


class _Stop:
    """SIGINT/SIGTERM handler while a local study runs: the first signal interrupts the running kernels and asks
    the loop to stop; a second one kills the kernels and exits at once."""

    def __init__(self, resume: str):
        self.signum: int | None = None
        self.resume = resume
        self._previous: dict = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self)
        return self

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def __call__(self, signum, frame):
        if self.signum is None:
            self.signum = signum
            n = execution.stop_kernels(signal.SIGINT)
            os.write(2, f"rxlt: {signal.Signals(signum).name}: interrupting {n} running notebook(s); "
                        f"Ctrl-C again kills them at once\n".encode())
            return
        execution.stop_kernels(signal.SIGKILL)
        os.write(2, f"rxlt: killed the running notebooks; their runs are not complete; resume with: "
                    f"{self.resume}\n".encode())
        os._exit(128 + signum)


def _say(msg: str) -> None:
    print(msg, flush=True)


def preflight(cfg: StudyParams, runs_dir: Path, executor: str) -> None:
    """What `rxlt study` checks on this machine before running anything: the executor, the model's
    availability offline, and a readable ledger (rxlt.run.ledger)."""
    from rxlt.model.availability import offline_problem
    from rxlt.params.strict import ParamsError

    check_executor(executor)
    problem = offline_problem(cfg.model)
    if problem:
        raise ParamsError(f"key 'model': {problem}")
    read_ledger(runs_dir / cfg.study)
    _check_data_files([cfg.target_task, *cfg.intermediate_tasks])


def _check_data_files(tasks) -> None:
    """An empty local file of a task (XTREME-R, the XGLUE and low-resource suites, SIB-200's local copy: a failed
    download) stops the study now, not hours later in the run that reads it (rxlt.data.catalog.check_local_files)."""
    from rxlt.data.catalog import check_local_files

    for task in tasks:
        check_local_files(task)


def run_study(cfg: StudyParams, runs_dir: Path, reports_dir: Path, executor: str = "local",
              retry_failed: bool = False, resume: str = "the same `rxlt study` command") -> list[Outcome]:
    """Execute every unfinished run of the study (only those that failed last time with
    `retry_failed`); return one outcome per run (runs left alone are "pending"). On SIGINT/SIGTERM
    raise StudyInterrupted once the running runs have stopped (local executor)."""
    check_executor(executor)
    specs = expand(cfg, runs_dir)
    if executor == "slurm":
        from rxlt.run.slurm import check_cluster

        check_cluster(cfg)
    study_dir = runs_dir / cfg.study
    read_ledger(study_dir)  # a damaged ledger stops the study before anything is written
    study_dir.mkdir(parents=True, exist_ok=True)
    lock = open(study_dir / ".lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise RuntimeError(f"another rxlt process is running study {cfg.study!r} ({study_dir}); wait for it to finish") from None
    os.environ[BATCH_ENV] = "1"  # inherited by every papermill kernel
    if cfg.max_workers > 1 and "OMP_NUM_THREADS" not in os.environ:  # share the cores instead of oversubscribing
        os.environ["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // cfg.max_workers))
    kernel = kernel_name()
    outcomes: dict[str, Outcome] = {}
    pending = list(specs)
    stale = [s.key for s in specs if is_stale(s.params.run_dir)]  # finished by older methods: run them again
    for spec in specs:
        if is_complete(spec.params.run_dir) and spec.key not in stale:
            outcomes[spec.key] = Outcome(spec, "cached")
            _record(outcomes[spec.key], cfg, reports_dir)
    pending = [s for s in specs if s.key not in outcomes]
    ledger = Ledger(study_dir)
    if retry_failed:
        failed = ledger.failed()
        for spec in pending:
            if spec.key not in failed:
                outcomes[spec.key] = Outcome(spec, "pending", error="not retried: it had not failed")
        pending = [s for s in pending if s.key in failed]
    total, t0 = len(specs), time.time()
    cached = sum(o.status == "cached" for o in outcomes.values())
    _say(f"study {cfg.study}: {total} runs, {cached} already finished, "
         f"{len(pending)} to run{' (failed last time)' if retry_failed else ''}"
         f"{f' ({len(stale)} finished by an older rxlt whose methods changed since: rxlt.results.METHODS)' if stale else ''} "
         f"(executor {executor}, kernel {kernel})")

    def started(spec: RunSpec, job_id: str = "", log: str = "") -> None:
        ledger.set(spec.key, state="submitted" if job_id else "running", executor=executor, job_id=job_id,
                   log=log or str(Path(spec.params.run_dir) / NOTEBOOK_NAME))

    def finished(outcome: Outcome) -> None:
        spec = outcome.spec
        outcomes[spec.key] = outcome
        _record(outcome, cfg, reports_dir)
        notebook = str(Path(spec.params.run_dir) / NOTEBOOK_NAME)
        old = ledger.entries.get(spec.key, {})
        ledger.set(spec.key, state=outcome.status, executor=executor, job_id=old.get("job_id"),
                   log=outcome.log or notebook, error=outcome.error)
        logs = f"{notebook}" + (f", {outcome.log}" if outcome.log else "")
        extra = f" — {outcome.error}; see {logs}" if outcome.error else ""
        _say(f"[{time.time() - t0:6.0f}s] {outcome.status:8s} {spec.key} ({outcome.seconds:.0f}s){extra}")

    def stopped(outcome: Outcome) -> None:  # as finished(), without rendering the run's report
        spec = outcome.spec
        outcomes[spec.key] = outcome
        notebook = str(Path(spec.params.run_dir) / NOTEBOOK_NAME)
        if outcome.status == "complete":  # it finished just before the stop
            _record(outcome, cfg, reports_dir)
        ledger.set(spec.key, state=outcome.status, executor=executor, log=notebook, error=outcome.error)
        _say(f"[{time.time() - t0:6.0f}s] {outcome.status:8s} {spec.key} ({outcome.seconds:.0f}s)"
             + (f" — {outcome.error}; see {notebook}" if outcome.error else ""))

    if executor == "slurm":
        from rxlt.run.slurm import check_not_running, collect, submit

        previous = signal.signal(signal.SIGTERM, _raise_interrupt) if threading.current_thread() is \
            threading.main_thread() else None
        try:
            check_not_running(ledger, pending)
            jobs = submit(cfg, pending, kernel, study_dir, started)
            _say(f"submitted {len(jobs)} runs to Slurm; logs under {study_dir / 'slurm'}; `rxlt status` shows progress")
            collect(jobs, finished)  # on Ctrl-C it cancels the jobs still queued or running, then re-raises
        except KeyboardInterrupt:
            waiting = [s for s in specs if s.key not in outcomes]
            for spec in waiting:
                if ledger.entries.get(spec.key, {}).get("state") in ("submitted", "running"):
                    ledger.set(spec.key, **{**ledger.entries[spec.key], "state": "interrupted"})
            raise StudyInterrupted(signal.SIGINT, len(waiting), 0) from None
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
            write_index(reports_dir)
            lock.close()
        return [outcomes[s.key] for s in specs]
    pool = make_executor(executor, cfg.max_workers)
    running: dict = {}
    execution.clear_stop()
    # every kernel forked from one warm process: seconds of imports per run saved (rxlt.run.kernel_zygote)
    with _Stop(resume) as stop, (warm_kernels() if pending else nullcontext()):
        try:
            while (pending or running) and stop.signum is None:
                # earlier phases first (stable): every intermediate run starts early instead of holding back its seed's
                # runs at the end, and the evaluations, which share one cache of the frozen layers, run side by side
                for spec in sorted(pending, key=lambda s: s.phase):
                    if len(running) >= cfg.max_workers or stop.signum is not None:
                        break
                    states = [outcomes[n].status if n in outcomes else None for n in spec.needs]
                    if any(s in ("failed", "skipped", "pending") for s in states):
                        pending.remove(spec)
                        finished(Outcome(spec, "skipped", error="an upstream run failed"))
                    elif all(s in ("complete", "cached") for s in states):
                        _say(f"[{time.time() - t0:6.0f}s] start  {spec.key}")
                        started(spec)
                        running[pool.submit(execute, spec, kernel)] = spec
                        pending.remove(spec)
                if not running:
                    continue
                done, _ = wait(running, timeout=POLL_S, return_when=FIRST_COMPLETED)
                for fut in done:
                    running.pop(fut)
                    finished(fut.result())
            if stop.signum is not None:
                _stop_runs(stop.signum, running, ledger, executor, stopped)
                raise StudyInterrupted(stop.signum, sum(outcomes[s.key].status == "interrupted"
                                                        for s in running.values()), len(pending))
        finally:
            pool.shutdown(wait=stop.signum is None)
            write_index(reports_dir)
            lock.close()
    return [outcomes[s.key] for s in specs]


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _stop_runs(signum: int, running: dict, ledger: Ledger, executor: str, say) -> None:
    """After a stop request: mark the running runs interrupted, wait for their kernels (interrupted by the signal
    handler) to stop, kill those still running after STOP_GRACE_S, and note each run's outcome. Their reports
    are not rendered now (seconds per notebook): the next `rxlt study` runs them again."""
    name = signal.Signals(signum).name
    for spec in running.values():  # first, so that even a second Ctrl-C leaves them marked
        entry = ledger.entries.get(spec.key, {})
        ledger.set(spec.key, **{**entry, "state": "interrupted", "executor": executor, "error": f"stopped by {name}"})
    done, left = wait(running, timeout=STOP_GRACE_S)
    killed = set(left)
    if left:
        execution.stop_kernels(signal.SIGKILL)
        more, left = wait(left, timeout=KILL_WAIT_S)
        done |= more
    for fut in done | left:
        outcome = fut.result() if fut in done else Outcome(running[fut], "interrupted")
        if outcome.status != "complete":  # it may have finished just before the signal: then it stays complete
            why = f"stopped by {name}" + (f"; its kernel did not stop within {STOP_GRACE_S:.0f} s and was killed"
                                          if fut in killed else "")
            outcome = Outcome(outcome.spec, "interrupted", outcome.seconds, why)
        say(outcome)  # a thread still waiting on its killed kernel is left behind: the process exits anyway


def main_exit_code(outcomes: list[Outcome]) -> int:
    bad = [o for o in outcomes if o.status in ("failed", "skipped")]
    for o in bad:
        print(f"{o.status}: {o.spec.key}: {o.error}", file=sys.stderr)
    return 1 if bad else 0
